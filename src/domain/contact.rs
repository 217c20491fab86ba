//! How a driver is reached: an e-mail address or an international phone number.

use serde::{Deserialize, Serialize};

use super::error::InputError;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Contact(String);

impl Contact {
    pub const LENGTH_MAX: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, InputError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.len() > Self::LENGTH_MAX {
            return Err(InputError::new(
                "contact",
                "give an e-mail address or a phone number",
            ));
        }
        if let Some((local, domain)) = trimmed.split_once('@') {
            let well_formed = !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !trimmed.chars().any(|c| c.is_whitespace() || c.is_control())
                && !domain.contains('@');
            return if well_formed {
                Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
            } else {
                Err(InputError::new(
                    "contact",
                    "the e-mail address is malformed",
                ))
            };
        }
        let digits: String = trimmed
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
            .collect();
        let number = digits.strip_prefix('+').unwrap_or(&digits);
        if (7..=15).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(format!("+{number}")))
        } else {
            Err(InputError::new(
                "contact",
                "a phone number has 7 to 15 digits, e.g. +372 5555 1234",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Contact {
    type Error = InputError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Contact> for String {
    fn from(value: Contact) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_phone_numbers_are_accepted_and_normalised() {
        assert_eq!(
            Contact::parse("Driver@Example.COM").unwrap().as_str(),
            "Driver@example.com"
        );
        assert_eq!(
            Contact::parse("+372 5555-1234").unwrap().as_str(),
            "+37255551234"
        );
    }

    #[test]
    fn malformed_contacts_are_rejected() {
        for bad in [
            "",
            "nobody",
            "a@b",
            "@example.com",
            "+12",
            "a b@example.com",
        ] {
            assert!(Contact::parse(bad).is_err(), "{bad} must be rejected");
        }
    }
}

//! Human booking codes: eight characters from an alphabet without look-alikes (no 0/O, 1/I/L,
//! U/V pairs), read aloud at a booth or typed on a phone. Shown as `ABCD-EFGH`; accepted with or
//! without the dash, in any case.

use std::fmt;

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::error::InputError;

pub const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTWXYZ";
pub const CODE_LENGTH: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BookingCode(String);

impl BookingCode {
    pub fn generate(rng: &mut impl Rng) -> Self {
        let code = (0..CODE_LENGTH)
            .map(|_| char::from(CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())]))
            .collect();
        Self(code)
    }

    pub fn parse(raw: &str) -> Result<Self, InputError> {
        let canonical: String = raw
            .chars()
            .filter(|c| !matches!(c, '-' | ' '))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let valid =
            canonical.len() == CODE_LENGTH && canonical.bytes().all(|b| CODE_ALPHABET.contains(&b));
        if valid {
            Ok(Self(canonical))
        } else {
            Err(InputError::new(
                "code",
                "a booking code is 8 characters such as ABCD-2345",
            ))
        }
    }

    /// The form stored and compared: eight characters, no dash.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BookingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", &self.0[..4], &self.0[4..])
    }
}

impl TryFrom<String> for BookingCode {
    type Error = InputError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<BookingCode> for String {
    fn from(value: BookingCode) -> Self {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_use_only_unambiguous_characters() {
        let mut rng = rand::rng();
        for _ in 0..1000 {
            let code = BookingCode::generate(&mut rng);
            assert_eq!(code.as_str().len(), CODE_LENGTH);
            assert!(!code.as_str().contains(['0', 'O', '1', 'I', 'L', 'U', 'V']));
        }
    }

    #[test]
    fn codes_parse_in_any_case_with_or_without_dash() {
        let code = BookingCode::parse("abcd-2345").unwrap();
        assert_eq!(code.as_str(), "ABCD2345");
        assert_eq!(code.to_string(), "ABCD-2345");
        assert_eq!(BookingCode::parse("ABCD2345").unwrap(), code);
    }

    #[test]
    fn codes_with_ambiguous_or_missing_characters_are_rejected() {
        for bad in [
            "ABCD-0000",
            "ABCD-IIII",
            "ABC",
            "ABCD-23456",
            "",
            "ÄBCD-2345",
        ] {
            assert!(BookingCode::parse(bad).is_err(), "{bad} must be rejected");
        }
    }
}

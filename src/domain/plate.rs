//! Vehicle number plates, normalised so that the same vehicle always compares equal: spaces,
//! dashes and dots are dropped, letters are upper-cased, and Cyrillic letters that look like
//! Latin ones (as on Russian, Ukrainian and Belarusian plates) are written in Latin.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::error::InputError;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Plate(String);

impl Plate {
    pub const LENGTH_MIN: usize = 2;
    pub const LENGTH_MAX: usize = 12;

    pub fn parse(raw: &str) -> Result<Self, InputError> {
        let mut normalised = String::with_capacity(raw.len());
        for c in raw.chars() {
            if matches!(c, ' ' | '-' | '.' | '\u{a0}') {
                continue;
            }
            let latin = latin_lookalike(c).unwrap_or(c).to_ascii_uppercase();
            if !latin.is_ascii_alphanumeric() {
                return Err(InputError::new(
                    "plate",
                    "a plate holds letters and digits only",
                ));
            }
            normalised.push(latin);
        }
        if !(Self::LENGTH_MIN..=Self::LENGTH_MAX).contains(&normalised.len()) {
            return Err(InputError::new(
                "plate",
                "a plate has 2 to 12 letters and digits",
            ));
        }
        Ok(Self(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn latin_lookalike(c: char) -> Option<char> {
    let latin = match c.to_lowercase().next().unwrap_or(c) {
        'а' => 'A',
        'в' => 'B',
        'е' => 'E',
        'і' => 'I',
        'к' => 'K',
        'м' => 'M',
        'н' => 'H',
        'о' => 'O',
        'р' => 'P',
        'с' => 'C',
        'т' => 'T',
        'у' => 'Y',
        'х' => 'X',
        _ => return None,
    };
    Some(latin)
}

impl fmt::Display for Plate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Plate {
    type Error = InputError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Plate> for String {
    fn from(value: Plate) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spacing_case_and_punctuation_do_not_change_the_plate() {
        let a = Plate::parse("123 abc").unwrap();
        assert_eq!(a.as_str(), "123ABC");
        assert_eq!(Plate::parse("123-ABC").unwrap(), a);
        assert_eq!(Plate::parse(" 12.3abc ").unwrap(), a);
    }

    #[test]
    fn cyrillic_lookalikes_become_latin() {
        // "АВ 1234 СХ" typed with a Ukrainian keyboard.
        let cyrillic = Plate::parse("АВ 1234 СХ").unwrap();
        assert_eq!(cyrillic, Plate::parse("AB1234CX").unwrap());
    }

    #[test]
    fn plates_with_other_characters_or_lengths_are_rejected() {
        for bad in ["", "A", "ABC/123", "1234567890123", "ЖЖ1234", "<script>"] {
            assert!(Plate::parse(bad).is_err(), "{bad} must be rejected");
        }
    }
}

//! Staff passwords: Argon2id with a random salt per password, stored as a PHC string, so the
//! parameters travel with the hash and can be raised later without breaking old hashes.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::domain::InputError;

/// Shorter passwords are refused when an account is created or its password changed.
pub const PASSWORD_LENGTH_MIN: usize = 12;
const PASSWORD_LENGTH_MAX: usize = 1024;

pub fn check_strength(password: &str) -> Result<(), InputError> {
    let length = password.chars().count();
    if length < PASSWORD_LENGTH_MIN {
        return Err(InputError::new(
            "password",
            format!("at least {PASSWORD_LENGTH_MIN} characters"),
        ));
    }
    if length > PASSWORD_LENGTH_MAX {
        return Err(InputError::new(
            "password",
            format!("at most {PASSWORD_LENGTH_MAX} characters"),
        ));
    }
    Ok(())
}

pub fn hash(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| anyhow::anyhow!("Failed to hash a password: {e}"))
}

/// Whether `password` matches the stored `phc` hash; an unreadable hash matches nothing.
pub fn verify(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// A hash to verify against when the account does not exist, so that a login for an unknown
/// name takes as long as one with a wrong password.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash("not a password of anyone").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let stored = hash("correct horse battery").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &stored));
        assert!(!verify("correct horse battery!", &stored));
        assert!(!verify("correct horse battery", "not a hash"));
        assert_ne!(stored, hash("correct horse battery").unwrap(), "salted");
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_strength("short").is_err());
        assert!(check_strength("twelve chars").is_ok());
    }
}

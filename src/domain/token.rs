//! Manage tokens: the secret that, with the booking code, lets a driver read and change a
//! booking. Only a SHA-256 digest is stored, so a leaked database does not leak the right to
//! cancel other people's bookings.

use rand::RngCore;
use sha2::{Digest, Sha256};

pub struct ManageToken;

impl ManageToken {
    /// A fresh random token as 64 hex characters.
    pub fn generate(rng: &mut impl RngCore) -> String {
        let mut bytes = [0u8; 32];
        rng.fill_bytes(&mut bytes);
        to_hex(&bytes)
    }

    pub fn digest(token: &str) -> String {
        to_hex(&Sha256::digest(token.as_bytes()))
    }

    /// Compares in time independent of where the digests differ.
    pub fn verify(token: &str, stored_digest: &str) -> bool {
        let candidate = Self::digest(token);
        candidate.len() == stored_digest.len()
            && candidate
                .bytes()
                .zip(stored_digest.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

/// Lower-case hex, two digits a byte. Form tags and form sessions are written with every page
/// a browser gets, so this goes by table rather than through the formatter.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
        hex.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_has_two_lower_case_digits_a_byte() {
        assert_eq!(to_hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(to_hex(&[]), "");
    }

    #[test]
    fn a_token_verifies_against_its_digest_and_nothing_else() {
        let mut rng = rand::rng();
        let token = ManageToken::generate(&mut rng);
        let digest = ManageToken::digest(&token);
        assert!(ManageToken::verify(&token, &digest));
        assert!(!ManageToken::verify("guess", &digest));
        assert!(!ManageToken::verify(
            &ManageToken::generate(&mut rng),
            &digest
        ));
    }
}

//! Carriers' API keys: `bsk_<key id>_<secret>`. Shown once when created; the store keeps the
//! key id and a SHA-256 digest of the whole key, so a leaked table does not leak keys, and a
//! lookup by id needs no scan. Secrets are 32 random bytes, so a fast digest is enough.

use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::domain::token::to_hex;

const PREFIX: &str = "bsk_";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedKey {
    pub id: Uuid,
    /// The whole key, to show the carrier once.
    pub key: String,
    pub digest: String,
}

pub fn issue(rng: &mut impl RngCore) -> IssuedKey {
    let id = Uuid::new_v4();
    let mut secret = [0u8; 32];
    rng.fill_bytes(&mut secret);
    let key = format!("{PREFIX}{}_{}", id.simple(), to_hex(&secret));
    IssuedKey {
        id,
        digest: digest(&key),
        key,
    }
}

pub fn digest(key: &str) -> String {
    to_hex(&Sha256::digest(key.as_bytes()))
}

/// The key id a presented key claims, if it has the shape of a key.
pub fn claimed_id(key: &str) -> Option<Uuid> {
    let rest = key.trim().strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    (secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| Uuid::parse_str(id).ok())
        .flatten()
}

/// Compares digests in constant time.
pub fn matches(key: &str, stored_digest: &str) -> bool {
    let presented = digest(key);
    presented.len() == stored_digest.len()
        && presented
            .bytes()
            .zip(stored_digest.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issued_key_names_its_id_and_matches_its_digest() {
        let issued = issue(&mut rand::rng());
        assert_eq!(claimed_id(&issued.key), Some(issued.id));
        assert!(matches(&issued.key, &issued.digest));
        let mut other = issued.key.clone();
        let last = other.pop().unwrap();
        other.push(if last == '0' { '1' } else { '0' });
        assert!(!matches(&other, &issued.digest));
        assert_eq!(claimed_id("bsk_nonsense"), None);
        assert_eq!(claimed_id("Bearer something"), None);
    }
}

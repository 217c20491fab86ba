//! Stored answers to requests made with an `Idempotency-Key`.
//!
//! A key's record is written in the same transaction as the change its request caused, so a
//! key is either answered (its change is durable) or unknown (nothing of it is); there is no
//! third, "begun", state that a crash could leave behind. Only answers to requests that
//! changed something are stored: a refusal changes nothing, so its retry is simply tried again.
//!
//! The answer may hold a manage token or an API key's secret, shown to the client only once,
//! so its body is sealed (XChaCha20-Poly1305, bound to the client scope and key) under a key
//! derived from the server's secret: a reader of the table sees ciphertext only.
//!
//! The answer row is most of what a key adds to a booking's write, so its body is compressed
//! before it is sealed (see [`compact`]).

use chacha20poly1305::aead::{Aead, AeadInPlace, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

mod compact;

/// A stored answer: status, content type and body, exactly as first sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

/// SHA-256 of a request's method, path and body: what a retry with the same key must match.
pub type RequestDigest = [u8; 32];

/// Which request an answer belongs to: the client's scope, its key, and a digest of the
/// request (method, path and body) that a retry must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyClaim {
    pub scope: String,
    pub key: String,
    pub request_digest: RequestDigest,
}

impl KeyClaim {
    /// What the store and the server know the key by; see [`answer_key_id`].
    pub fn id(&self) -> Uuid {
        answer_key_id(&self.scope, &self.key)
    }
}

/// A request digest as the store gave it back.
pub fn stored_digest(bytes: &[u8]) -> Result<RequestDigest, super::StoreError> {
    bytes.try_into().map_err(|_| {
        super::StoreError::Other(anyhow::anyhow!(
            "a stored request digest has {} bytes instead of 32",
            bytes.len()
        ))
    })
}

/// A key's id: the first 16 bytes of SHA-256 over its scope, a zero byte and the key.
///
/// Fixed-width, so the answers' primary key compares 16 bytes instead of two strings of up to
/// 255, and the table does not keep the client's address or key in the clear. Migrations that
/// carry older answers over compute the same digest in SQL.
pub fn answer_key_id(scope: &str, key: &str) -> Uuid {
    let digest = Sha256::new()
        .chain_update(scope.as_bytes())
        .chain_update([0])
        .chain_update(key.as_bytes())
        .finalize();
    let mut id = [0u8; 16];
    id.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(id)
}

/// A key's record as the store keeps it; `response.body` is sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerRecord {
    pub claim: KeyClaim,
    pub created_at: DateTime<Utc>,
    pub response: StoredResponse,
}

const NONCE_BYTES: usize = 24;
const TAG_BYTES: usize = 16;

/// Seals answer bodies for storage and opens them for a replay.
#[derive(Clone)]
pub struct AnswerSeal {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for AnswerSeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AnswerSeal(..)")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the stored answer cannot be opened (sealed under another secret, or altered)")]
pub struct Unopenable;

impl AnswerSeal {
    pub fn new(key: [u8; 32]) -> Self {
        Self {
            cipher: XChaCha20Poly1305::new(&key.into()),
        }
    }

    /// `nonce ‖ ciphertext`, authenticated together with the claim it answers, so a body
    /// copied onto another key's row does not open.
    pub fn seal(&self, claim: &KeyClaim, plain: &[u8]) -> Vec<u8> {
        // Packed and sealed where it is to be kept: one buffer for the whole answer.
        let mut out = Vec::with_capacity(NONCE_BYTES + 1 + plain.len() / 2 + TAG_BYTES);
        out.resize(NONCE_BYTES, 0);
        rand::rng().fill_bytes(&mut out);
        compact::pack_into(&mut out, plain);
        let (nonce, packed) = out.split_at_mut(NONCE_BYTES);
        let tag = self
            .cipher
            .encrypt_in_place_detached(XNonce::from_slice(nonce), &associated_data(claim), packed)
            .expect("XChaCha20-Poly1305 seals any message shorter than 256 GiB");
        out.extend_from_slice(&tag);
        out
    }

    pub fn open(&self, claim: &KeyClaim, sealed: &[u8]) -> Result<Vec<u8>, Unopenable> {
        if sealed.len() < NONCE_BYTES {
            return Err(Unopenable);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
        let aad = associated_data(claim);
        let packed = self
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| Unopenable)?;
        compact::unpack(packed).ok_or(Unopenable)
    }

    /// The record of `plain` as the answer to `claim`.
    pub fn record(
        &self,
        claim: &KeyClaim,
        created_at: DateTime<Utc>,
        plain: &StoredResponse,
    ) -> AnswerRecord {
        AnswerRecord {
            claim: claim.clone(),
            created_at,
            response: StoredResponse {
                status: plain.status,
                content_type: plain.content_type.clone(),
                body: self.seal(claim, &plain.body),
            },
        }
    }
}

fn associated_data(claim: &KeyClaim) -> Vec<u8> {
    let mut aad = Vec::with_capacity(claim.scope.len() + claim.key.len() + 1);
    aad.extend_from_slice(claim.scope.as_bytes());
    aad.push(0);
    aad.extend_from_slice(claim.key.as_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(key: &str) -> KeyClaim {
        KeyClaim {
            scope: "ip:127.0.0.1".into(),
            key: key.into(),
            request_digest: [0xd; 32],
        }
    }

    #[test]
    fn a_sealed_body_opens_only_for_its_own_claim_and_key() {
        let seal = AnswerSeal::new([7; 32]);
        let sealed = seal.seal(&claim("k1"), b"{\"manage_token\":\"secret\"}");

        assert!(!sealed.windows(6).any(|w| w == b"secret"));
        assert_eq!(
            seal.open(&claim("k1"), &sealed).unwrap(),
            b"{\"manage_token\":\"secret\"}"
        );
        assert!(seal.open(&claim("k2"), &sealed).is_err());
        assert!(
            AnswerSeal::new([8; 32])
                .open(&claim("k1"), &sealed)
                .is_err()
        );
        assert!(seal.open(&claim("k1"), &sealed[..10]).is_err());
    }

    #[test]
    fn a_key_id_tells_scopes_and_keys_apart_where_they_meet() {
        assert_eq!(answer_key_id("ip:1", "k"), answer_key_id("ip:1", "k"));
        assert_ne!(answer_key_id("ip:1", "k"), answer_key_id("ip:2", "k"));
        assert_ne!(answer_key_id("ip:1", "2k"), answer_key_id("ip:12", "k"));
        // Worked out apart from this code (Python's hashlib), so that the migrations' SQL
        // can be held to the same figure.
        assert_eq!(
            answer_key_id("ip:127.0.0.1", "k-1").to_string(),
            "5b14edf2-dbff-c9bc-a629-683c72b9c4d2"
        );
    }
}

//! Stored answers to requests made with an `Idempotency-Key`.
//!
//! A key's record is written in the same transaction as the change its request caused, so a
//! key is either answered (its change is durable) or unknown (nothing of it is); there is no
//! third, "begun", state that a crash could leave behind. Only answers to requests that
//! changed something are stored: a refusal changes nothing, so its retry is simply tried again.
//!
//! The answer may hold a manage token or an API key's secret, shown to the client only once,
//! so its body is sealed (AES-256-GCM-SIV, bound to the client scope and key) under a key
//! derived from the server's secret: a reader of the table sees ciphertext only. GCM-SIV
//! because it runs on the processor's AES instructions (a booking's answer in about 0.6 µs,
//! where XChaCha20-Poly1305 took 2 µs) and a repeated random nonce would reveal only whether
//! two answers are the same, never the key. Answers sealed with XChaCha20-Poly1305 before
//! still open while they are kept.
//!
//! The answer row is most of what a key adds to a booking's write, so its body is compressed
//! before it is sealed (see [`compact`]).

use aes_gcm_siv::Aes256GcmSiv;
use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::generic_array::typenum::Unsigned;
use chacha20poly1305::aead::{Aead, AeadCore, AeadInPlace, KeyInit, Nonce, Payload};
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

/// The first byte of a body sealed with AES-256-GCM-SIV; one sealed before begins with its
/// random nonce, which may be this byte too, so opening falls back to the old form.
const GCM_SIV: u8 = 0x02;
const GCM_SIV_NONCE_BYTES: usize = <Aes256GcmSiv as AeadCore>::NonceSize::USIZE;
const TAG_BYTES: usize = <Aes256GcmSiv as AeadCore>::TagSize::USIZE;

/// Seals answer bodies for storage and opens them for a replay.
#[derive(Clone)]
pub struct AnswerSeal {
    cipher: Aes256GcmSiv,
    /// Opens bodies sealed before GCM-SIV, kept for as long as answers are kept.
    earlier: XChaCha20Poly1305,
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
        // One key per cipher: the GCM-SIV key is the old key hashed under its own label.
        let gcm_siv_key: [u8; 32] = Sha256::new()
            .chain_update(b"stored answers: AES-256-GCM-SIV\0")
            .chain_update(key)
            .finalize()
            .into();
        Self {
            cipher: Aes256GcmSiv::new(&gcm_siv_key.into()),
            earlier: XChaCha20Poly1305::new(&key.into()),
        }
    }

    /// `GCM_SIV ‖ nonce ‖ ciphertext ‖ tag`, authenticated together with the claim it
    /// answers, so a body copied onto another key's row does not open.
    pub fn seal(&self, claim: &KeyClaim, plain: &[u8]) -> Vec<u8> {
        // Packed and sealed where it is to be kept: one buffer for the whole answer.
        let header = 1 + GCM_SIV_NONCE_BYTES;
        let mut out = Vec::with_capacity(header + 1 + plain.len() / 4 + TAG_BYTES);
        out.push(GCM_SIV);
        out.resize(header, 0);
        rand::rng().fill_bytes(&mut out[1..]);
        compact::pack_into(&mut out, plain);
        let (head, packed) = out.split_at_mut(header);
        let tag = self
            .cipher
            .encrypt_in_place_detached(
                Nonce::<Aes256GcmSiv>::from_slice(&head[1..]),
                &associated_data(claim),
                packed,
            )
            .expect("AES-256-GCM-SIV seals any message shorter than 64 GiB");
        out.extend_from_slice(&tag);
        out
    }

    pub fn open(&self, claim: &KeyClaim, sealed: &[u8]) -> Result<Vec<u8>, Unopenable> {
        let aad = associated_data(claim);
        let packed = sealed
            .strip_prefix(&[GCM_SIV])
            .and_then(|rest| opened(&self.cipher, &aad, rest))
            .or_else(|| opened(&self.earlier, &aad, sealed))
            .ok_or(Unopenable)?;
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

/// `nonce ‖ ciphertext ‖ tag` opened by `cipher`; `None` if too short, or not its own.
fn opened<C: Aead>(cipher: &C, aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    let (nonce, msg) = sealed.split_at_checked(C::NonceSize::USIZE)?;
    cipher
        .decrypt(Nonce::<C>::from_slice(nonce), Payload { msg, aad })
        .ok()
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

    /// A body as it was sealed before GCM-SIV: packed with the first dictionary, then
    /// XChaCha20-Poly1305 under the key itself, behind its 24-byte random nonce.
    fn sealed_earlier(key: [u8; 32], claim: &KeyClaim, nonce: [u8; 24], plain: &[u8]) -> Vec<u8> {
        let packed = compact::pack_as_before(plain);
        let ciphertext = XChaCha20Poly1305::new(&key.into())
            .encrypt(
                Nonce::<XChaCha20Poly1305>::from_slice(&nonce),
                Payload {
                    msg: &packed,
                    aad: &associated_data(claim),
                },
            )
            .unwrap();
        [&nonce[..], &ciphertext].concat()
    }

    #[test]
    fn a_body_sealed_before_gcm_siv_still_opens_whatever_its_nonce_begins_with() {
        let seal = AnswerSeal::new([7; 32]);
        let body = br#"{"id":"4c4d408b-e45a-4711-aa8b-f82129c0f54a","status":"held","manage_token":"0d29e1c8a75656918d3eccf5d459f6943a0bbfa9edce704f84a5c498abd1621a"}"#;
        for first in [0x00, GCM_SIV, 0xff] {
            let mut nonce = [0x5a; 24];
            nonce[0] = first;
            let sealed = sealed_earlier([7; 32], &claim("k1"), nonce, body);

            assert_eq!(seal.open(&claim("k1"), &sealed).unwrap(), body);
            assert!(seal.open(&claim("k2"), &sealed).is_err());
        }
    }

    #[test]
    fn a_body_is_sealed_with_gcm_siv_and_a_fresh_nonce_each_time() {
        let seal = AnswerSeal::new([7; 32]);
        let first = seal.seal(&claim("k1"), b"{}");
        let second = seal.seal(&claim("k1"), b"{}");

        assert_eq!(first[0], GCM_SIV);
        assert_ne!(first, second);
        assert_eq!(first.len(), 1 + GCM_SIV_NONCE_BYTES + 3 + TAG_BYTES);
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

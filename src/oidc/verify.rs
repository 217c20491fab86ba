//! Checking a JWT the provider signed, against the keys it publishes: pure, so that every
//! refusal can be tested without a provider.
//!
//! Invariants: only asymmetric signatures are accepted (`alg: none` has no variant to parse
//! into, and an HMAC made with a public key as its secret is refused before any key is used),
//! and the key must fit the token's algorithm: its declared `alg` if it has one, its type and
//! curve otherwise, and a key published for encryption never verifies anything. Issuer,
//! audience, expiry and subject are always checked; expiry against the caller's clock.

use chrono::{DateTime, Utc};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde_json::{Map, Value};
use thiserror::Error;

/// Clock difference allowed between the provider and this service.
pub const LEEWAY_SECONDS: i64 = 30;

/// What a token must say to be accepted.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub audience: &'a str,
    /// The nonce of the sign-in an ID token answers; `None` for access tokens.
    pub nonce: Option<&'a str>,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Refusal {
    #[error("the token is not a signed JWT")]
    Malformed,
    #[error("the token's algorithm is not one this service accepts")]
    Algorithm,
    #[error("the provider publishes no key {0:?}")]
    UnknownKey(Option<String>),
    #[error("the signature does not verify")]
    Signature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token comes from another issuer")]
    Issuer,
    #[error("the token is meant for another audience")]
    Audience,
    #[error("the token answers another sign-in")]
    Nonce,
    #[error("the token lacks a required claim")]
    Claims,
}

/// The signature algorithms a provider's token may use: public-key ones only.
const ASYMMETRIC: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// The key id and algorithm a token names, once the algorithm is known to be acceptable.
pub fn key_wanted(token: &str) -> Result<(Option<String>, Algorithm), Refusal> {
    let header = decode_header(token.trim()).map_err(|_| Refusal::Malformed)?;
    if !ASYMMETRIC.contains(&header.alg) {
        return Err(Refusal::Algorithm);
    }
    Ok((header.kid, header.alg))
}

/// The published key a token names: by key id, or the only signing key when it names none.
pub fn find_key<'a>(keys: &'a [Jwk], kid: Option<&str>) -> Option<&'a Jwk> {
    let signing = |key: &&Jwk| {
        !matches!(
            key.common.public_key_use,
            Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_))
        )
    };
    match kid {
        Some(kid) => keys
            .iter()
            .filter(signing)
            .find(|key| key.common.key_id.as_deref() == Some(kid)),
        None => {
            let mut candidates = keys.iter().filter(signing);
            match (candidates.next(), candidates.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            }
        }
    }
}

/// Whether `key` may verify a signature made with `alg`.
fn key_fits(key: &Jwk, alg: Algorithm) -> bool {
    if let Some(declared) = &key.common.key_algorithm
        && *declared != KeyAlgorithm::from(alg)
    {
        return false;
    }
    match &key.algorithm {
        AlgorithmParameters::RSA(_) => matches!(
            alg,
            Algorithm::RS256
                | Algorithm::RS384
                | Algorithm::RS512
                | Algorithm::PS256
                | Algorithm::PS384
                | Algorithm::PS512
        ),
        AlgorithmParameters::EllipticCurve(ec) => matches!(
            (alg, &ec.curve),
            (Algorithm::ES256, EllipticCurve::P256) | (Algorithm::ES384, EllipticCurve::P384)
        ),
        AlgorithmParameters::OctetKeyPair(_) => alg == Algorithm::EdDSA,
        // Symmetric keys, and whatever kinds of key come next, verify nothing here.
        _ => false,
    }
}

/// The token's claims, if `key` signed it and it says what `expected` asks.
pub fn verify(
    token: &str,
    key: &Jwk,
    alg: Algorithm,
    expected: &Expected<'_>,
) -> Result<Map<String, Value>, Refusal> {
    if !key_fits(key, alg) {
        return Err(Refusal::Algorithm);
    }
    let decoding = DecodingKey::from_jwk(key).map_err(|_| Refusal::Signature)?;
    let mut validation = Validation::new(alg);
    // Expiry is checked below against the service's clock, which tests move.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.set_issuer(&[expected.issuer]);
    validation.set_audience(&[expected.audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let claims = decode::<Map<String, Value>>(token.trim(), &decoding, &validation)
        .map_err(|error| match error.kind() {
            ErrorKind::InvalidIssuer => Refusal::Issuer,
            ErrorKind::InvalidAudience => Refusal::Audience,
            ErrorKind::InvalidSignature => Refusal::Signature,
            ErrorKind::MissingRequiredClaim(_) => Refusal::Claims,
            ErrorKind::InvalidAlgorithm => Refusal::Algorithm,
            _ => Refusal::Malformed,
        })?
        .claims;
    let now = expected.now.timestamp();
    let time = |name: &str| claims.get(name).and_then(Value::as_i64);
    match time("exp") {
        Some(exp) if exp + LEEWAY_SECONDS > now => {}
        Some(_) => return Err(Refusal::Expired),
        None => return Err(Refusal::Claims),
    }
    if time("nbf").is_some_and(|nbf| nbf - LEEWAY_SECONDS > now) {
        return Err(Refusal::NotYetValid);
    }
    if claims
        .get("sub")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(Refusal::Claims);
    }
    if let Some(nonce) = expected.nonce
        && claims.get("nonce").and_then(Value::as_str) != Some(nonce)
    {
        return Err(Refusal::Nonce);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use jsonwebtoken::{EncodingKey, Header, encode};
    use serde_json::json;

    fn b64(value: &Value) -> String {
        URL_SAFE_NO_PAD.encode(value.to_string())
    }

    fn rsa_jwk(kid: &str, alg: Option<&str>) -> Jwk {
        // Any modulus parses; these tests never reach a signature check with it.
        let mut key = json!({
            "kty": "RSA", "kid": kid, "use": "sig", "e": "AQAB",
            "n": URL_SAFE_NO_PAD.encode([0xc5u8; 256]),
        });
        if let Some(alg) = alg {
            key["alg"] = json!(alg);
        }
        serde_json::from_value(key).unwrap()
    }

    /// A throwaway Ed25519 key pair made for these tests (PKCS#8 DER, and the public `x`).
    const ED25519_PKCS8: &str = "302e020100300506032b65700422042094db8ee64c8ff9fbea588a4e90f6dd9502d134f9a995795f74baa0de91dcedbe";
    const ED25519_X: &str = "VBOoDemN_9P-Oq937_1DZCahw_NHqLVzVnIOF5PdBII";

    fn ed_key() -> Jwk {
        serde_json::from_value(
            json!({"kty": "OKP", "crv": "Ed25519", "x": ED25519_X, "kid": "ed", "alg": "EdDSA"}),
        )
        .unwrap()
    }

    fn ed_signed(claims: &Value) -> String {
        let der: Vec<u8> = (0..ED25519_PKCS8.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&ED25519_PKCS8[i..i + 2], 16).unwrap())
            .collect();
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some("ed".to_owned());
        encode(&header, claims, &EncodingKey::from_ed_der(&der)).unwrap()
    }

    fn expected(nonce: Option<&str>) -> Expected<'_> {
        Expected {
            issuer: "https://id.example.org",
            audience: "borderslot",
            nonce,
            now: chrono::DateTime::from_timestamp(1_000_000, 0).unwrap(),
        }
    }

    fn claims() -> Value {
        json!({"iss": "https://id.example.org", "aud": "borderslot", "sub": "s-1",
               "exp": 1_000_100, "nonce": "n-1"})
    }

    fn check(claims: &Value, nonce: Option<&str>) -> Result<Map<String, Value>, Refusal> {
        let token = ed_signed(claims);
        let (_, alg) = key_wanted(&token)?;
        verify(&token, &ed_key(), alg, &expected(nonce))
    }

    #[test]
    fn a_signed_token_passes_only_with_every_claim_as_expected() {
        assert_eq!(check(&claims(), Some("n-1")).unwrap()["sub"], "s-1");
        let with = |name: &str, value: Value| {
            let mut changed = claims();
            changed[name] = value;
            changed
        };
        assert_eq!(check(&claims(), Some("n-2")), Err(Refusal::Nonce));
        assert_eq!(
            check(&with("nonce", json!(null)), Some("n-1")),
            Err(Refusal::Nonce)
        );
        assert_eq!(
            check(&with("iss", json!("https://other")), None),
            Err(Refusal::Issuer)
        );
        assert_eq!(
            check(&with("aud", json!(["other"])), None),
            Err(Refusal::Audience)
        );
        assert_eq!(check(&with("sub", json!("")), None), Err(Refusal::Claims));
        // Expired beyond the leeway; within it, still taken.
        assert_eq!(
            check(&with("exp", json!(1_000_000 - LEEWAY_SECONDS)), None),
            Err(Refusal::Expired)
        );
        assert!(check(&with("exp", json!(1_000_000 - LEEWAY_SECONDS + 1)), None).is_ok());
        assert_eq!(
            check(&with("nbf", json!(1_000_000 + LEEWAY_SECONDS + 1)), None),
            Err(Refusal::NotYetValid)
        );
        let mut no_exp = claims();
        no_exp.as_object_mut().unwrap().remove("exp");
        assert_eq!(check(&no_exp, None), Err(Refusal::Claims));
    }

    #[test]
    fn a_key_declared_for_another_algorithm_verifies_nothing() {
        let token = ed_signed(&claims());
        let mut key = ed_key();
        key.common.key_algorithm = Some(KeyAlgorithm::RS256);
        assert_eq!(
            verify(&token, &key, Algorithm::EdDSA, &expected(None)),
            Err(Refusal::Algorithm)
        );
        // Another throwaway key's public half, under the same key id.
        let other: Jwk = serde_json::from_value(json!({"kty": "OKP", "crv": "Ed25519",
            "x": "dDTUsJr5vdtH8OWr5fkMO8F52ImgUXXR3e2hMtW6K2c", "kid": "ed"}))
        .unwrap();
        assert_eq!(
            verify(&token, &other, Algorithm::EdDSA, &expected(None)),
            Err(Refusal::Signature)
        );
    }

    #[test]
    fn alg_none_and_symmetric_algorithms_are_refused_before_any_key() {
        let payload = b64(&json!({"sub": "x"}));
        let none = format!("{}.{payload}.", b64(&json!({"alg": "none"})));
        assert_eq!(key_wanted(&none), Err(Refusal::Malformed));
        let hmac = encode(
            &Header::new(Algorithm::HS256),
            &json!({"sub": "x"}),
            &EncodingKey::from_secret(b"the provider's public key"),
        )
        .unwrap();
        assert_eq!(key_wanted(&hmac), Err(Refusal::Algorithm));
        assert_eq!(key_wanted("not a token"), Err(Refusal::Malformed));
    }

    #[test]
    fn a_key_must_fit_the_algorithm_it_verifies() {
        assert!(key_fits(&rsa_jwk("a", Some("RS256")), Algorithm::RS256));
        assert!(key_fits(&rsa_jwk("a", None), Algorithm::PS256));
        assert!(!key_fits(&rsa_jwk("a", Some("RS256")), Algorithm::RS512));
        assert!(!key_fits(&rsa_jwk("a", None), Algorithm::ES256));
        let symmetric: Jwk =
            serde_json::from_value(json!({"kty": "oct", "k": "c2VjcmV0", "kid": "s"})).unwrap();
        assert!(!key_fits(&symmetric, Algorithm::RS256));
    }

    #[test]
    fn keys_are_found_by_id_and_a_lone_key_serves_tokens_without_one() {
        let keys = vec![rsa_jwk("a", None), rsa_jwk("b", None)];
        assert_eq!(
            find_key(&keys, Some("b")).and_then(|k| k.common.key_id.clone()),
            Some("b".to_owned())
        );
        assert!(find_key(&keys, Some("c")).is_none());
        assert!(find_key(&keys, None).is_none());
        assert!(find_key(&keys[..1], None).is_some());
    }
}

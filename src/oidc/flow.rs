//! One sign-in through the provider (authorization code flow with PKCE): the browser is sent
//! to the provider with a `state`, a `nonce` and the S256 challenge of a secret verifier, and
//! comes back with a code that only the verifier can exchange.
//!
//! Invariants: the attempt travels in a cookie this service signed, so only the browser that
//! started it can finish it; its `state` is spent in the store when it comes back, so a
//! callback is taken once whichever replica it reaches; the ID token must carry its `nonce`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// How long a browser may take at the provider.
pub const SIGN_IN_MINUTES: i64 = 10;
const SIGN_IN: &str = "sign-in";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInAttempt {
    pub state: Uuid,
    pub nonce: String,
    pub verifier: String,
    /// Where to go once signed in: a path of this site.
    pub next: String,
    pub exp: i64,
    /// Always "sign-in", so no other token this service signs passes for an attempt.
    pub typ: String,
}

fn random_text() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

impl SignInAttempt {
    pub fn start(next: String, now: DateTime<Utc>) -> Self {
        Self {
            state: Uuid::new_v4(),
            nonce: random_text(),
            verifier: random_text(),
            next,
            exp: (now + Duration::minutes(SIGN_IN_MINUTES)).timestamp(),
            typ: SIGN_IN.to_owned(),
        }
    }

    /// The PKCE S256 challenge of the verifier (RFC 7636 §4.2).
    pub fn challenge(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.verifier.as_bytes()))
    }

    /// Whether this is a live attempt that `state` answers.
    pub fn answered_by(&self, state: &str, now: DateTime<Utc>) -> bool {
        self.typ == SIGN_IN && self.exp > now.timestamp() && self.state.to_string() == state
    }
}

/// Where the browser goes to sign in.
pub fn authorization_url(
    authorization_endpoint: &str,
    client_id: &str,
    redirect_uri: &str,
    scopes: &str,
    attempt: &SignInAttempt,
) -> String {
    let state = attempt.state.to_string();
    let challenge = attempt.challenge();
    let query = serde_urlencoded::to_string([
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("scope", scopes),
        ("state", state.as_str()),
        ("nonce", attempt.nonce.as_str()),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ])
    .unwrap_or_default();
    let separator = if authorization_endpoint.contains('?') {
        '&'
    } else {
        '?'
    };
    format!("{authorization_endpoint}{separator}{query}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_challenge_is_the_rfc_7636_example() {
        let attempt = SignInAttempt {
            verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".to_owned(),
            ..SignInAttempt::start("/account".to_owned(), Utc::now())
        };
        assert_eq!(
            attempt.challenge(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn an_attempt_is_answered_only_by_its_own_state_in_time() {
        let now = Utc.with_ymd_and_hms(2026, 3, 20, 6, 0, 0).unwrap();
        let attempt = SignInAttempt::start("/account".to_owned(), now);
        let state = attempt.state.to_string();
        assert!(attempt.answered_by(&state, now));
        assert!(!attempt.answered_by(&Uuid::new_v4().to_string(), now));
        assert!(!attempt.answered_by(&state, now + Duration::minutes(SIGN_IN_MINUTES)));
        let url = authorization_url("http://op/auth", "app", "http://rp/cb", "openid", &attempt);
        assert!(url.starts_with("http://op/auth?response_type=code&client_id=app"));
        assert!(url.contains("code_challenge_method=S256"));
    }
}

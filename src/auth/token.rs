//! Access tokens: JWTs signed with HS256 under a key from the environment (`JWT_SECRET`, at
//! least 32 bytes; a Kubernetes Secret in production). Only HS256 is accepted, so a token
//! claiming `alg: none` or any other algorithm is refused. Expiry is checked against the
//! application's clock, not the library's, so that tests can move time.

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use uuid::Uuid;

use super::StaffRole;
use super::account::Identity;
use crate::domain::token::to_hex;

/// How long an access token is good for; a refresh token gets a new one.
pub const ACCESS_TOKEN_TTL_MINUTES: i64 = 15;
pub const SECRET_BYTES_MIN: usize = 32;
const ACCESS: &str = "access";
const ACCOUNT: &str = "account";
/// How long a sign-in through the OpenID Connect provider lasts on the pages.
pub const ACCOUNT_SESSION_HOURS: i64 = 8;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The account's id.
    pub sub: Uuid,
    pub name: String,
    pub role: StaffRole,
    pub iat: i64,
    pub exp: i64,
    /// Always "access": no other kind of token is a JWT here.
    pub typ: String,
}

/// The pages' session of someone signed in through the OpenID Connect provider: what the
/// provider's ID token said, signed by this service so that any replica can read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSession {
    #[serde(flatten)]
    pub identity: Identity,
    pub iat: i64,
    pub exp: i64,
    /// Always "account", so a session is never taken for a staff access token or the reverse.
    pub typ: String,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid")]
    Invalid,
}

#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// Signs the web pages' anti-forgery tokens; derived from the same secret so that every
    /// replica accepts a form another one served.
    form_key: [u8; 32],
    /// Seals the stored answers of idempotent requests (they hold manage tokens).
    answer_key: [u8; 32],
    /// Makes the tokens of waitlist entries, so that the notification of an offer can carry a
    /// link that opens the entry without the token ever being stored.
    waitlist_key: [u8; 32],
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys(..)")
    }
}

impl TokenKeys {
    pub fn new(secret: &[u8]) -> anyhow::Result<Self> {
        anyhow::ensure!(
            secret.len() >= SECRET_BYTES_MIN,
            "JWT_SECRET must be at least {SECRET_BYTES_MIN} bytes"
        );
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            form_key: hmac_sha256(secret, b"borderslot form tokens"),
            answer_key: hmac_sha256(secret, b"borderslot stored answers"),
            waitlist_key: hmac_sha256(secret, b"borderslot waitlist entries"),
        })
    }

    /// The anti-forgery tag of a browser's form session: only this server can compute it, so a
    /// page on another site cannot fill it in.
    pub fn form_tag(&self, session: &str) -> String {
        to_hex(&hmac_sha256(&self.form_key, session.as_bytes()))
    }

    /// Whether `tag` is the tag of `session`, compared in constant time.
    pub fn form_tag_matches(&self, session: &str, tag: &str) -> bool {
        let expected = self.form_tag(session);
        expected.len() == tag.len()
            && expected
                .bytes()
                .zip(tag.bytes())
                .fold(0u8, |diff, (a, b)| diff | (a ^ b))
                == 0
    }

    /// The key that seals stored idempotent answers, derived from the same secret so that
    /// every replica can replay an answer another one stored.
    pub fn answer_key(&self) -> [u8; 32] {
        self.answer_key
    }

    /// The token of the waitlist entry `id`: only this server (and replicas sharing its secret)
    /// can compute it; the store keeps only its digest.
    pub fn waitlist_token(&self, id: uuid::Uuid) -> String {
        to_hex(&hmac_sha256(&self.waitlist_key, id.as_bytes()))
    }

    /// Keys for a process without `JWT_SECRET`: random, so tokens die with the process and
    /// no guessable default ever signs anything.
    pub fn ephemeral() -> Self {
        let mut secret = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut secret);
        Self::new(&secret).expect("32 random bytes are long enough")
    }

    pub fn issue(
        &self,
        account: Uuid,
        name: &str,
        role: StaffRole,
        now: DateTime<Utc>,
    ) -> anyhow::Result<(String, DateTime<Utc>)> {
        let expires = now + Duration::minutes(ACCESS_TOKEN_TTL_MINUTES);
        let claims = Claims {
            sub: account,
            name: name.to_owned(),
            role,
            iat: now.timestamp(),
            exp: expires.timestamp(),
            typ: ACCESS.to_owned(),
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok((token, expires))
    }

    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.leeway = 0;
        let claims = decode::<Claims>(token.trim(), &self.decoding, &validation)
            .map_err(|_| TokenError::Invalid)?
            .claims;
        if claims.typ != ACCESS {
            return Err(TokenError::Invalid);
        }
        if claims.exp <= now.timestamp() {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

impl TokenKeys {
    /// Signs any claims (which must carry `exp` and their own kind) for a cookie only this
    /// service can have made.
    pub fn sign<T: Serialize>(&self, claims: &T) -> anyhow::Result<String> {
        Ok(encode(
            &Header::new(Algorithm::HS256),
            claims,
            &self.encoding,
        )?)
    }

    /// Claims this service signed with [`sign`](Self::sign); their expiry and kind are the
    /// caller's to check.
    pub fn open<T: serde::de::DeserializeOwned>(&self, token: &str) -> Result<T, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.leeway = 0;
        decode::<T>(token.trim(), &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|_| TokenError::Invalid)
    }

    /// A session for `identity`, good for [`ACCOUNT_SESSION_HOURS`].
    pub fn issue_account(
        &self,
        identity: &Identity,
        now: DateTime<Utc>,
    ) -> anyhow::Result<(String, DateTime<Utc>)> {
        let expires = now + Duration::hours(ACCOUNT_SESSION_HOURS);
        let session = AccountSession {
            identity: identity.clone(),
            iat: now.timestamp(),
            exp: expires.timestamp(),
            typ: ACCOUNT.to_owned(),
        };
        let token = encode(&Header::new(Algorithm::HS256), &session, &self.encoding)?;
        Ok((token, expires))
    }

    pub fn verify_account(&self, token: &str, now: DateTime<Utc>) -> Result<Identity, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.leeway = 0;
        let session = decode::<AccountSession>(token.trim(), &self.decoding, &validation)
            .map_err(|_| TokenError::Invalid)?
            .claims;
        if session.typ != ACCOUNT {
            return Err(TokenError::Invalid);
        }
        if session.exp <= now.timestamp() {
            return Err(TokenError::Expired);
        }
        Ok(session.identity)
    }
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let mut mac =
        Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 20, 6, 0, 0).unwrap()
    }

    fn keys() -> TokenKeys {
        TokenKeys::new(b"0123456789abcdef0123456789abcdef").unwrap()
    }

    #[test]
    fn a_token_verifies_until_it_expires() {
        let id = Uuid::new_v4();
        let (token, expires) = keys().issue(id, "ada", StaffRole::Admin, now()).unwrap();
        let claims = keys().verify(&token, now()).unwrap();
        assert_eq!((claims.sub, claims.role), (id, StaffRole::Admin));
        assert_eq!(expires, now() + Duration::minutes(15));
        assert_eq!(keys().verify(&token, expires), Err(TokenError::Expired));
    }

    #[test]
    fn other_keys_and_alg_none_are_refused() {
        let (token, _) = keys()
            .issue(Uuid::new_v4(), "ada", StaffRole::Analyst, now())
            .unwrap();
        let other = TokenKeys::new(b"another secret of thirty-two bytes!").unwrap();
        assert_eq!(other.verify(&token, now()), Err(TokenError::Invalid));

        let payload = token.split('.').nth(1).unwrap();
        // {"alg":"none","typ":"JWT"}
        let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
        assert_eq!(keys().verify(&unsigned, now()), Err(TokenError::Invalid));
        assert_eq!(keys().verify("garbage", now()), Err(TokenError::Invalid));
    }

    #[test]
    fn sessions_and_access_tokens_are_never_taken_for_each_other() {
        let identity = Identity {
            subject: "driver-1".to_owned(),
            name: "alice".to_owned(),
            organisation: None,
            staff_role: None,
        };
        let (session, expires) = keys().issue_account(&identity, now()).unwrap();
        assert_eq!(keys().verify_account(&session, now()), Ok(identity));
        assert_eq!(keys().verify(&session, now()), Err(TokenError::Invalid));
        assert_eq!(
            keys().verify_account(&session, expires),
            Err(TokenError::Expired)
        );
        let (access, _) = keys()
            .issue(Uuid::new_v4(), "ada", StaffRole::Admin, now())
            .unwrap();
        assert_eq!(
            keys().verify_account(&access, now()),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(TokenKeys::new(b"short").is_err());
    }
}

//! Accounts at an external OpenID Connect provider, as a relying party: the provider's
//! metadata (discovery), its signing keys (JWKS, fetched again on an unknown key id), ID
//! tokens from the authorization code flow with PKCE, and its JWT access tokens sent to the
//! API. Registration, passwords and sign-in pages are the provider's; this service only
//! checks what the provider signed and maps its claims to an [`Identity`].
//!
//! Without `OIDC_ISSUER` there is no provider and nothing here runs.

pub mod claims;
pub mod discovery;
pub mod fetch;
pub mod flow;
pub mod keys;
pub mod verify;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use thiserror::Error;

use crate::auth::account::Identity;
use crate::secret::Secret;
use claims::ClaimNames;
use discovery::Metadata;
use flow::SignInAttempt;
use keys::KeyCache;
use verify::{Expected, Refusal};

#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// The issuer exactly as its tokens and metadata name it.
    pub issuer: String,
    pub client_id: String,
    /// `None` for a public client (PKCE alone).
    pub client_secret: Option<Secret>,
    /// What the sign-in asks for, `openid` first.
    pub scopes: String,
    /// The audience the provider's access tokens must name to be taken by the API.
    pub audience: String,
    pub claims: ClaimNames,
    /// Where people register at the provider, and manage their account there; linked from
    /// the pages.
    pub register_url: Option<String>,
    pub account_url: Option<String>,
    /// Fetches of the key set for unknown key ids are at least this far apart.
    pub keys_refetch_min: Duration,
    pub timeout: Duration,
}

#[derive(Debug, Error)]
pub enum OidcError {
    /// The provider could not be asked (or answered nonsense): nobody can be signed in now.
    #[error("the OpenID Connect provider is unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error("{0}")]
    Refused(Refusal),
    /// The provider refused the code (spent, expired or for another client).
    #[error("the provider refused the sign-in: {0}")]
    CodeRefused(String),
    #[error("the token names nobody")]
    NoSubject,
}

/// What the token endpoint gives for a code.
#[derive(Debug)]
pub struct Tokens {
    pub id_token: String,
}

pub struct Provider {
    config: OidcConfig,
    metadata: tokio::sync::OnceCell<Arc<Metadata>>,
    keys: KeyCache,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("issuer", &self.config.issuer)
            .finish_non_exhaustive()
    }
}

impl Provider {
    pub fn new(config: OidcConfig) -> Self {
        Self {
            keys: KeyCache::new(config.keys_refetch_min),
            config,
            metadata: tokio::sync::OnceCell::new(),
        }
    }

    pub fn config(&self) -> &OidcConfig {
        &self.config
    }

    /// The provider's metadata, fetched on first use and kept; a failed fetch is tried again
    /// by the next request, so a provider that was down at start-up is found later.
    pub async fn metadata(&self) -> Result<Arc<Metadata>, OidcError> {
        self.metadata
            .get_or_try_init(|| async {
                discovery::discover(&self.config.issuer, self.config.timeout)
                    .await
                    .map(Arc::new)
            })
            .await
            .cloned()
            .map_err(OidcError::Unavailable)
    }

    /// The claims of a token the provider signed, checked against `expected`; an unknown key
    /// id fetches the keys again (once, within the rate limit) before the token is refused.
    async fn checked_claims(
        &self,
        token: &str,
        expected: Expected<'_>,
    ) -> Result<Map<String, Value>, OidcError> {
        let (kid, alg) = verify::key_wanted(token).map_err(OidcError::Refused)?;
        let metadata = self.metadata().await?;
        let timeout = self.config.timeout;
        let seen = self.keys.fetched_at();
        let mut keys = self
            .keys
            .current(&metadata.jwks_uri, timeout)
            .await
            .map_err(OidcError::Unavailable)?;
        if verify::find_key(&keys, kid.as_deref()).is_none() {
            keys = self
                .keys
                .refetch(&metadata.jwks_uri, timeout, seen.or(self.keys.fetched_at()))
                .await
                .map_err(OidcError::Unavailable)?;
        }
        let key = verify::find_key(&keys, kid.as_deref())
            .ok_or(OidcError::Refused(Refusal::UnknownKey(kid)))?;
        verify::verify(token, key, alg, &expected).map_err(OidcError::Refused)
    }

    fn identity(&self, claims: &Map<String, Value>) -> Result<Identity, OidcError> {
        claims::identity(claims, &self.config.claims).ok_or(OidcError::NoSubject)
    }

    /// The person an access token sent to the API names.
    pub async fn verify_access_token(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Identity, OidcError> {
        let expected = Expected {
            issuer: &self.config.issuer,
            audience: &self.config.audience,
            nonce: None,
            now,
        };
        let claims = self.checked_claims(token, expected).await?;
        self.identity(&claims)
    }

    /// The person the ID token of the sign-in `attempt` names.
    pub async fn verify_id_token(
        &self,
        token: &str,
        attempt: &SignInAttempt,
        now: DateTime<Utc>,
    ) -> Result<Identity, OidcError> {
        let expected = Expected {
            issuer: &self.config.issuer,
            audience: &self.config.client_id,
            nonce: Some(&attempt.nonce),
            now,
        };
        let claims = self.checked_claims(token, expected).await?;
        // A token issued to several audiences must have been issued to this client.
        if claims
            .get("azp")
            .and_then(Value::as_str)
            .is_some_and(|azp| azp != self.config.client_id)
        {
            return Err(OidcError::Refused(Refusal::Audience));
        }
        self.identity(&claims)
    }

    /// Where to send the browser for `attempt`.
    pub async fn authorization_url(
        &self,
        redirect_uri: &str,
        attempt: &SignInAttempt,
    ) -> Result<String, OidcError> {
        let metadata = self.metadata().await?;
        Ok(flow::authorization_url(
            &metadata.authorization_endpoint,
            &self.config.client_id,
            redirect_uri,
            &self.config.scopes,
            attempt,
        ))
    }

    /// Exchanges the code the browser brought back for the tokens, proving the attempt's
    /// verifier.
    pub async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
        attempt: &SignInAttempt,
    ) -> Result<Tokens, OidcError> {
        let metadata = self.metadata().await?;
        let (status, body) = fetch::post_form(
            &metadata.token_endpoint,
            &self.config.client_id,
            self.config.client_secret.as_ref(),
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", redirect_uri),
                ("code_verifier", &attempt.verifier),
            ],
            self.config.timeout,
        )
        .await
        .map_err(OidcError::Unavailable)?;
        if (400..500).contains(&status) {
            let error = body
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("refused");
            return Err(OidcError::CodeRefused(error.chars().take(64).collect()));
        }
        let id_token = body
            .get("id_token")
            .and_then(Value::as_str)
            .filter(|_| status == 200)
            .ok_or_else(|| {
                OidcError::Unavailable(anyhow::anyhow!(
                    "the token endpoint answered {status} without an ID token"
                ))
            })?;
        Ok(Tokens {
            id_token: id_token.to_owned(),
        })
    }

    /// Where to send the browser to sign out at the provider too, if it has an end-session
    /// endpoint; it comes back to `post_logout_redirect_uri`.
    pub async fn end_session_url(&self, post_logout_redirect_uri: &str) -> Option<String> {
        let metadata = self.metadata().await.ok()?;
        let endpoint = metadata.end_session_endpoint.as_deref()?;
        let query = serde_urlencoded::to_string([
            ("client_id", self.config.client_id.as_str()),
            ("post_logout_redirect_uri", post_logout_redirect_uri),
        ])
        .ok()?;
        let separator = if endpoint.contains('?') { '&' } else { '?' };
        Some(format!("{endpoint}{separator}{query}"))
    }
}

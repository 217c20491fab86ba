//! The provider's metadata from `{issuer}/.well-known/openid-configuration`. The document must
//! name the configured issuer exactly (OpenID Connect Discovery §4.3), so a document served
//! from the issuer's address cannot redirect sign-in to another provider.

use std::time::Duration;

use serde::Deserialize;

use super::fetch::get_json;

#[derive(Debug, Clone, Deserialize)]
pub struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    pub end_session_endpoint: Option<String>,
}

pub fn discovery_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

pub async fn discover(issuer: &str, timeout: Duration) -> anyhow::Result<Metadata> {
    let metadata: Metadata = get_json(&discovery_url(issuer), timeout).await?;
    anyhow::ensure!(
        metadata.issuer == issuer,
        "the provider's metadata names the issuer {:?}, not {issuer:?}",
        metadata.issuer
    );
    Ok(metadata)
}

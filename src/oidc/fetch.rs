//! The few HTTP requests a relying party makes: JSON documents (discovery, keys) and the
//! token endpoint's form post. An awc client belongs to the thread that made it, so one is
//! made per request; these requests are rare (keys and metadata are kept).

use std::time::Duration;

use awc::http::header;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::secret::Secret;

/// The largest document a provider may answer with.
const BODY_BYTES_MAX: usize = 1024 * 1024;

fn client(timeout: Duration) -> awc::Client {
    // A provider on the internet speaks https: awc's connector verifies it against the web's
    // root certificates built into the binary (the image has no CA bundle), with rustls on
    // ring, the one crypto provider the build enables (rustls picks it up by itself).
    awc::Client::builder()
        .timeout(timeout)
        .disable_redirects()
        .finish()
}

/// `GET url` as JSON, refused unless it answers 200.
pub async fn get_json<T: DeserializeOwned>(url: &str, timeout: Duration) -> anyhow::Result<T> {
    let mut response = client(timeout)
        .get(url)
        .insert_header((header::ACCEPT, "application/json"))
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("GET {url}: {e}"))?;
    anyhow::ensure!(
        response.status().is_success(),
        "GET {url} answered {}",
        response.status()
    );
    let body = response
        .body()
        .limit(BODY_BYTES_MAX)
        .await
        .map_err(|e| anyhow::anyhow!("GET {url}: {e}"))?;
    Ok(serde_json::from_slice(&body)?)
}

/// `POST url` with a form, authenticated as the client with HTTP Basic (RFC 6749 §2.3.1:
/// id and secret form-encoded first). Answers the status and the JSON body, whatever the
/// status, since a refusal's body says why.
pub async fn post_form(
    url: &str,
    client_id: &str,
    client_secret: Option<&Secret>,
    form: &[(&str, &str)],
    timeout: Duration,
) -> anyhow::Result<(u16, Value)> {
    let mut request = client(timeout)
        .post(url)
        .insert_header((header::ACCEPT, "application/json"));
    let mut form: Vec<(&str, &str)> = form.to_vec();
    match client_secret {
        Some(secret) => {
            let encode = |value: &str| {
                serde_urlencoded::to_string([("", value)])
                    .unwrap_or_default()
                    .trim_start_matches('=')
                    .to_owned()
            };
            request = request.basic_auth(encode(client_id), encode(secret.expose()));
        }
        // A public client names itself in the form.
        None => form.push(("client_id", client_id)),
    }
    let mut response = request
        .send_form(&form)
        .await
        .map_err(|e| anyhow::anyhow!("POST {url}: {e}"))?;
    let body = response
        .body()
        .limit(BODY_BYTES_MAX)
        .await
        .map_err(|e| anyhow::anyhow!("POST {url}: {e}"))?;
    Ok((
        response.status().as_u16(),
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn an_https_provider_is_asked_over_tls_and_an_unreachable_one_is_an_error() {
        // Nothing listens on port 1: the answer is an error, not a panic for want of TLS.
        let refused = get_json::<Value>("https://127.0.0.1:1/jwks", Duration::from_secs(2)).await;
        assert!(refused.is_err());
    }
}

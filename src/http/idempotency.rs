//! `Idempotency-Key` handling, following the IETF httpapi draft: the first answer to a key is
//! stored and repeated for every retry; the same key with a different request is `422`; a key
//! whose first request is still being answered is `409`. Keys are scoped per client and kept at
//! least 24 hours. A `5xx` answer is not stored, so a retry after an outage is tried afresh.

use std::future::Future;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::error::{ApiError, PROBLEM_JSON};
use super::state::AppState;
use crate::domain::token::to_hex;
use crate::store::{IdempotencyStart, StoredResponse};

pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
const KEY_LENGTH_MAX: usize = 255;

/// A finished answer, kept as bytes so it can be stored and replayed exactly.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub body: Vec<u8>,
    /// Seconds for `Retry-After`; not stored with the answer, as a replay comes later.
    pub retry_after: Option<u64>,
}

impl Reply {
    pub fn json(status: StatusCode, value: &impl Serialize) -> Result<Self, ApiError> {
        let body = serde_json::to_vec(value).map_err(|e| ApiError::Internal(e.into()))?;
        Ok(Self {
            status,
            content_type: "application/json".to_owned(),
            body,
            retry_after: None,
        })
    }

    pub fn into_response(self, replayed: bool) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if let Ok(value) = HeaderValue::from_str(&self.content_type) {
            response.insert_header((header::CONTENT_TYPE, value));
        }
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        if replayed {
            response.insert_header(("idempotent-replayed", HeaderValue::from_static("true")));
        }
        response.body(self.body)
    }
}

impl From<ApiError> for Reply {
    fn from(error: ApiError) -> Self {
        if let ApiError::Internal(cause) = &error {
            tracing::error!(error.cause_chain = ?cause, "request failed");
        }
        let (status, body) = error.to_problem();
        Self {
            status,
            content_type: PROBLEM_JSON.to_owned(),
            body,
            retry_after: error.retry_after_seconds(),
        }
    }
}

/// Who a key belongs to: a carrier by its API key, anyone else by their address.
fn client_scope(request: &HttpRequest) -> String {
    if let Some(key) =
        super::carrier::presented_key(request).and_then(crate::auth::api_key::claimed_id)
    {
        return format!("key:{key}");
    }
    match request.peer_addr() {
        Some(addr) => format!("ip:{}", addr.ip()),
        None => "ip:unknown".to_owned(),
    }
}

fn request_digest(request: &HttpRequest, body: &[u8]) -> String {
    digest_parts(request.method().as_str(), request.path(), body)
}

/// What identifies "the same request" for a key: method, path and body.
pub fn digest_parts(method: &str, path: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update([0]);
    hasher.update(path.as_bytes());
    hasher.update([0]);
    hasher.update(body);
    to_hex(&hasher.finalize())
}

fn read_key(request: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = request.headers().get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(|k| k.trim().trim_matches('"'))
        .filter(|k| !k.is_empty() && k.len() <= KEY_LENGTH_MAX)
        .ok_or_else(|| {
            ApiError::BadRequest("Idempotency-Key must be 1-255 visible ASCII characters".into())
        })?;
    Ok(Some(key.to_owned()))
}

/// Runs `work` at most once per idempotency key and answers retries from the store.
pub async fn run_idempotent<F, Fut>(
    request: &HttpRequest,
    state: &AppState,
    body: &[u8],
    work: F,
) -> HttpResponse
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Reply, ApiError>>,
{
    let key = match read_key(request) {
        Ok(Some(key)) => key,
        Ok(None) => {
            return work()
                .await
                .unwrap_or_else(Reply::from)
                .into_response(false);
        }
        Err(error) => return Reply::from(error).into_response(false),
    };
    let scope = client_scope(request);
    let digest = request_digest(request, body);
    let start = state
        .store
        .idempotency_begin(&scope, &key, &digest, state.now())
        .await;
    match start {
        Err(error) => Reply::from(ApiError::from(error)).into_response(false),
        Ok(IdempotencyStart::Mismatch) => {
            Reply::from(ApiError::IdempotencyKeyReused).into_response(false)
        }
        Ok(IdempotencyStart::InFlight) => {
            Reply::from(ApiError::IdempotencyInFlight).into_response(false)
        }
        Ok(IdempotencyStart::Completed(stored)) => Reply {
            status: StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK),
            content_type: stored.content_type,
            body: stored.body,
            retry_after: None,
        }
        .into_response(true),
        Ok(IdempotencyStart::Started) => {
            let reply = work().await.unwrap_or_else(Reply::from);
            let recorded = if reply.status.is_server_error() {
                state.store.idempotency_abandon(&scope, &key).await
            } else {
                let stored = StoredResponse {
                    status: reply.status.as_u16(),
                    content_type: reply.content_type.clone(),
                    body: reply.body.clone(),
                };
                state
                    .store
                    .idempotency_complete(&scope, &key, &stored)
                    .await
            };
            if let Err(error) = recorded {
                tracing::warn!(error.cause_chain = ?error, "failed to record idempotent answer");
            }
            reply.into_response(false)
        }
    }
}

//! `Idempotency-Key` handling, following the IETF httpapi draft: the answer to a request that
//! changed something is stored with that change and repeated for every retry; the same key with
//! a different request is `422`; a key whose first request is still being answered by a live
//! request is `409`. Keys are scoped per client and kept at least 24 hours.
//!
//! A key's answer commits in the same transaction as its change, so after any crash a retry
//! finds either the first answer (the change is durable) or nothing (nothing of it is), and is
//! then tried afresh. Refusals and errors change nothing and are not stored.

use std::future::Future;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use dashmap::DashMap;
use dashmap::mapref::entry::Entry;
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::recent_keys::RecentKeys;
use crate::actors::answer::AnswerTicket;
use crate::app::AppState;
use crate::app::error::{ApiError, PROBLEM_JSON};
use crate::store::{AnswerSeal, KeyClaim, RequestDigest, StoredResponse, answer_key_id};

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
        // A booking is 800–950 bytes: written into room for it at once rather than grown from
        // serde_json's 128 bytes by three copies.
        let mut body = Vec::with_capacity(1024);
        serde_json::to_writer(&mut body, value).map_err(|e| ApiError::Internal(e.into()))?;
        Ok(Self {
            status,
            content_type: "application/json".to_owned(),
            body,
            retry_after: None,
        })
    }

    /// Where an accepted request's outcome is to be asked for: a `202`'s `links.poll`. Read
    /// from the body, which is what is stored, so that a replay carries it too.
    fn location(&self) -> Option<HeaderValue> {
        if self.status != StatusCode::ACCEPTED {
            return None;
        }
        let body: serde_json::Value = serde_json::from_slice(&self.body).ok()?;
        HeaderValue::from_str(body["links"]["poll"].as_str()?).ok()
    }

    fn into_stored(self) -> StoredResponse {
        StoredResponse {
            status: self.status.as_u16(),
            content_type: self.content_type,
            body: self.body,
        }
    }

    fn from_stored(stored: StoredResponse) -> Self {
        Self {
            status: StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK),
            content_type: stored.content_type,
            body: stored.body,
            retry_after: None,
        }
    }

    pub fn into_response(self, replayed: bool) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if let Ok(value) = HeaderValue::from_str(&self.content_type) {
            response.insert_header((header::CONTENT_TYPE, value));
        }
        if let Some(location) = self.location() {
            response.insert_header((header::LOCATION, location));
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

fn request_digest(request: &HttpRequest, body: &[u8]) -> RequestDigest {
    digest_parts(request.method().as_str(), request.path(), body)
}

/// What identifies "the same request" for a key: method, path and body.
pub fn digest_parts(method: &str, path: &str, body: &[u8]) -> RequestDigest {
    Sha256::new()
        .chain_update(method.as_bytes())
        .chain_update([0])
        .chain_update(path.as_bytes())
        .chain_update([0])
        .chain_update(body)
        .finalize()
        .into()
}

fn read_key(request: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = request.headers().get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| {
            (1..=KEY_LENGTH_MAX).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic())
        })
        .map(unquote_key)
        .ok_or_else(|| {
            ApiError::BadRequest("Idempotency-Key must be 1-255 visible ASCII characters".into())
        })?;
    Ok(Some(key.to_owned()))
}

/// The draft sends a key as a structured-field string (`"abc"`); a bare `abc` is taken as well,
/// and names the same key. Only one enclosing pair is taken off, and only when something is
/// left, so every key the rule above accepts stays a key, and `"abc` and `abc` stay apart.
fn unquote_key(key: &str) -> &str {
    match key.strip_prefix('"').and_then(|k| k.strip_suffix('"')) {
        Some(inner) if !inner.is_empty() => inner,
        _ => key,
    }
}

/// How many keys this process answered lately are remembered (at least), so that their retries
/// are looked up before any work is done: a retry that was decided again would be refused only
/// at its commit, and take the rest of its batch down with it.
const ANSWERED_KEYS_REMEMBERED: usize = 200_000;

/// What the API keeps for idempotency keys: the seal of stored answers, the keys whose
/// requests this process is answering right now, and those it answered lately.
pub struct Answers {
    seal: AnswerSeal,
    in_flight: Arc<DashMap<Uuid, ()>>,
    answered: RecentKeys,
}

impl Answers {
    pub fn new(seal: AnswerSeal) -> Self {
        Self {
            seal,
            in_flight: Arc::default(),
            answered: RecentKeys::new(ANSWERED_KEYS_REMEMBERED),
        }
    }

    /// Takes a key for a live request; `None` while another request of this process has it.
    /// Kept only in memory, so a key whose request died with its process is free at once.
    pub fn claim(&self, scope: &str, key: &str) -> Option<InFlight> {
        self.claim_id(answer_key_id(scope, key))
    }

    fn claim_id(&self, id: Uuid) -> Option<InFlight> {
        match self.in_flight.entry(id) {
            Entry::Occupied(_) => None,
            Entry::Vacant(vacant) => {
                vacant.insert(());
                Some(InFlight {
                    keys: self.in_flight.clone(),
                    id,
                })
            }
        }
    }
}

/// A key taken by a live request; dropped, it is free again. The request holds it, and so does
/// the change it decided until that change is durable or refused: a request cut off by
/// [`ANSWER_WITHIN`] while its change is still being written leaves the key taken, so that its
/// retry waits (`409 in flight`) instead of being decided on a change that is not stored yet.
pub struct InFlight {
    keys: Arc<DashMap<Uuid, ()>>,
    id: Uuid,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.keys.remove(&self.id);
    }
}

/// The longest a keyed request is answered in, whatever the database does: its parts have
/// bounds of their own (the store's 2 s deadline before COMMIT, the schedule actor's 3 s), and
/// this caps their sum. A request cut off here is answered `503`; if its change commits
/// later, its retry gets the stored answer, and otherwise it is decided afresh.
pub const ANSWER_WITHIN: std::time::Duration = std::time::Duration::from_millis(4500);

/// Runs `work` at most once per idempotency key and answers retries from the store, within
/// [`ANSWER_WITHIN`].
pub async fn run_idempotent<O, R, F, Fut>(
    request: &HttpRequest,
    state: &AppState,
    body: &[u8],
    render: R,
    work: F,
) -> HttpResponse
where
    O: 'static,
    R: Fn(&O) -> Result<Reply, ApiError> + Send + Sync + 'static,
    F: FnOnce(Option<AnswerTicket>) -> Fut,
    Fut: Future<Output = Result<O, ApiError>>,
{
    let answered = answer_idempotent(request, state, body, render, work);
    match tokio::time::timeout(ANSWER_WITHIN, answered).await {
        Ok(response) => response,
        Err(_) => Reply::from(ApiError::Unavailable).into_response(false),
    }
}

/// Runs `work` at most once per idempotency key and answers retries from the store.
///
/// `work` gets the request's answer ticket and hands it to the step that makes its change
/// durable, so the answer (`render` of what `work` returns) is stored in the same transaction
/// as the change. A request that changed nothing (a refusal, bad input) stores nothing, and
/// its retry is tried afresh.
async fn answer_idempotent<O, R, F, Fut>(
    request: &HttpRequest,
    state: &AppState,
    body: &[u8],
    render: R,
    work: F,
) -> HttpResponse
where
    O: 'static,
    R: Fn(&O) -> Result<Reply, ApiError> + Send + Sync + 'static,
    F: FnOnce(Option<AnswerTicket>) -> Fut,
    Fut: Future<Output = Result<O, ApiError>>,
{
    let claim = match read_key(request) {
        Ok(Some(key)) => KeyClaim {
            scope: client_scope(request),
            key,
            request_digest: request_digest(request, body),
        },
        Ok(None) => {
            return work(None)
                .await
                .and_then(|value| render(&value))
                .unwrap_or_else(Reply::from)
                .into_response(false);
        }
        Err(error) => return Reply::from(error).into_response(false),
    };
    // Registered beside the state by the server; without it no key could be kept apart.
    let Some(answers) = request.app_data::<web::Data<Answers>>() else {
        let missing = anyhow::anyhow!("idempotency answers are not registered with the server");
        return Reply::from(ApiError::Internal(missing)).into_response(false);
    };
    let id = claim.id();
    let Some(in_flight) = answers.claim_id(id) else {
        return Reply::from(ApiError::IdempotencyInFlight).into_response(false);
    };
    let in_flight = Arc::new(in_flight);
    if answers.answered.contains(id) {
        match replay(state, answers, &claim).await {
            Ok(Some(first)) => return first,
            Ok(None) => {}
            Err(error) => return Reply::from(error).into_response(false),
        }
    }
    let render = Arc::new(render);
    let to_stored = render.clone();
    let ticket = AnswerTicket::new(
        claim.clone(),
        state.now(),
        answers.seal.clone(),
        move |value: &O| to_stored(value).ok().map(Reply::into_stored),
    )
    .holding(in_flight.clone());
    // A fresh key (nearly every one) is not looked up at all: a change commits only together
    // with its key's answer, so a change that committed proves the key had none, and a key
    // answered before makes the commit refuse (`AnswerTaken`) with nothing of it stored. Only
    // a refusal is checked against the store, since it may be the first attempt's own doing
    // (its plate, its place) and then the first answer is the one to give.
    let outcome = work(Some(ticket.clone())).await;
    let error = match outcome {
        Ok(value) => {
            answers.answered.remember(id);
            return match ticket.take_rendered() {
                // Exactly what was stored, so the first answer and every replay are one.
                Some(stored) => Reply::from_stored(stored).into_response(false),
                None => render(&value)
                    .unwrap_or_else(Reply::from)
                    .into_response(false),
            };
        }
        Err(error) => error,
    };
    match replay(state, answers, &claim).await {
        Ok(Some(first)) => {
            answers.answered.remember(id);
            first
        }
        // Another replica's request with this key holds it and has not committed yet.
        Ok(None) if matches!(error, ApiError::AnswerTaken) => {
            Reply::from(ApiError::IdempotencyInFlight).into_response(false)
        }
        Ok(None) => {
            tracing::debug!(key = %claim.key, %error, "a keyed request refused with no stored answer for its key");
            Reply::from(error).into_response(false)
        }
        Err(reused @ (ApiError::IdempotencyKeyReused | ApiError::AnswerUnreadable)) => {
            Reply::from(reused).into_response(false)
        }
        // Whether a first attempt stored an answer is unknown, so the refusal cannot be
        // trusted; the store being away is the answer.
        Err(lookup_failed) => Reply::from(lookup_failed).into_response(false),
    }
}

/// The stored answer to `claim`, ready to send, if its key has one.
async fn replay(
    state: &AppState,
    answers: &Answers,
    claim: &KeyClaim,
) -> Result<Option<HttpResponse>, ApiError> {
    let Some(record) = state.store.stored_answer(&claim.scope, &claim.key).await? else {
        return Ok(None);
    };
    if record.claim.request_digest != claim.request_digest {
        return Err(ApiError::IdempotencyKeyReused);
    }
    let body = answers
        .seal
        .open(claim, &record.response.body)
        .map_err(|_| ApiError::AnswerUnreadable)?;
    metrics::counter!(crate::metrics::prometheus::IDEMPOTENT_REPLAYS).increment(1);
    Ok(Some(
        Reply::from_stored(StoredResponse {
            body,
            ..record.response
        })
        .into_response(true),
    ))
}

#[cfg(test)]
mod tests {
    use super::unquote_key;

    #[test]
    fn a_quoted_key_names_the_same_key_as_the_bare_one() {
        assert_eq!(unquote_key("\"abc\""), "abc");
        assert_eq!(unquote_key("abc"), "abc");
    }

    #[test]
    fn a_key_of_quotes_alone_or_with_one_quote_is_kept_as_sent() {
        assert_eq!(unquote_key("\""), "\"");
        assert_eq!(unquote_key("\"\""), "\"\"");
        assert_eq!(unquote_key("\"abc"), "\"abc");
        assert_eq!(unquote_key("abc\""), "abc\"");
    }
}

//! Around every request: a request id (taken from `X-Request-Id` when the caller sent a
//! sensible one, generated otherwise) on the request's tracing span — so on every log line of
//! the request — and echoed in the answer; and the request's duration by route template and
//! status for Prometheus.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

use crate::metrics::prometheus::{HTTP_REQUEST_DURATION, HTTP_REQUESTS_IN_FLIGHT};
use crate::telemetry::request_id;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The caller's request id if it is short and printable, else a new one.
fn id_of(request: &ServiceRequest) -> String {
    request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|id| !id.is_empty() && id.len() <= 128)
        .filter(|id| id.chars().all(|c| c.is_ascii_graphic()))
        .map_or_else(new_request_id, str::to_owned)
}

fn new_request_id() -> String {
    crate::domain::random_id().to_string()
}

pub async fn observe(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = id_of(&request);
    let method = request.method().to_string();
    let span =
        tracing::info_span!("request", request_id = %id, method = %method, path = %request.path());
    let started = Instant::now();
    metrics::gauge!(HTTP_REQUESTS_IN_FLIGHT).increment(1.0);
    let outcome = request_id::serving(id.clone(), next.call(request).instrument(span)).await;
    metrics::gauge!(HTTP_REQUESTS_IN_FLIGHT).decrement(1.0);
    let mut response = outcome?;
    // The template, not the path: one series per route rather than one per booking code.
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    metrics::histogram!(
        HTTP_REQUEST_DURATION,
        "method" => method,
        "route" => route,
        "status" => response.status().as_u16().to_string()
    )
    .record(started.elapsed().as_secs_f64());
    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    Ok(response)
}

//! Carriers: requests signed with an API key (`Authorization: Bearer bsk_…`). A key has its
//! own request rate (GCRA) and a cap on the carrier's active bookings; a carrier manages its
//! own bookings without manage tokens, and another carrier's bookings do not exist for it
//! (`404`, as for an unknown code). Admins create keys (shown once) and revoke them.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::auth::bearer;
use super::idempotency::{Reply, run_idempotent};
use super::openapi::params::IdempotencyHeader;
use super::views::BookingView;
use crate::actors::answer::AnswerTicket;
use crate::app::AppState;
use crate::app::error::ApiError;
use crate::app::input::parse_json;
use crate::app::staff::Staff;
use crate::app::staff::audit;
use crate::auth::{ApiKey, StaffRole, api_key};

/// The presented key, if the request carries one.
pub fn presented_key(request: &HttpRequest) -> Option<&str> {
    bearer(request).filter(|token| token.starts_with("bsk_"))
}

/// The carrier signing the request: `None` without a key, `401` for a key that is not a live
/// one, `429` over the key's request rate.
pub async fn carrier(request: &HttpRequest, state: &AppState) -> Result<Option<ApiKey>, ApiError> {
    let Some(presented) = presented_key(request) else {
        return Ok(None);
    };
    let key = state
        .carrier_keys
        .live_key(state.store.as_ref(), presented)
        .await?;
    state.limits.check_key(&key)?;
    Ok(Some(key))
}

#[utoipa::path(get, path = "/api/v1/carrier/bookings", operation_id = "carrierBookings",
    tag = "carrier", security(("apiKey" = [])),
    summary = "Carrier: its active bookings (sign with Authorization: Bearer <API key>)",
    responses((status = 200, description = "Bookings")))]
#[tracing::instrument(name = "List a carrier's bookings", skip_all)]
pub async fn bookings(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let key = carrier(&request, &state)
        .await?
        .ok_or(ApiError::Unauthenticated(
            "sign the request with the carrier's API key",
        ))?;
    let bookings = BookingView::list(&state, &state.store.carrier_bookings(key.id).await?);
    Ok(HttpResponse::Ok().json(json!({ "carrier": key.name, "bookings": bookings })))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewKey {
    name: String,
    #[schema(default = 20)]
    requests_per_second: Option<u32>,
    #[schema(default = 40)]
    burst: Option<u32>,
    #[schema(default = 200)]
    active_bookings_max: Option<u32>,
    /// May book the capacity reserved for priority classes.
    #[serde(default)]
    #[schema(default = false)]
    privileged: bool,
}

#[utoipa::path(post, path = "/api/v1/admin/api-keys", operation_id = "createApiKey",
    tag = "admin", security(("bearer" = [])),
    summary = "Admin: create a carrier API key; the key is in this answer only",
    params(IdempotencyHeader),
    request_body = NewKey,
    responses((status = 201, description = "The key (shown once) and its limits")))]
#[tracing::instrument(name = "Create an API key", skip_all)]
pub async fn create_key(
    request: HttpRequest,
    staff: Staff,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let reply = |shown: &serde_json::Value| Reply::json(StatusCode::CREATED, shown);
    let mut response = run_idempotent(&request, &state, &body, reply, |answer| {
        issue_key(&staff, &body, &state, answer)
    })
    .await;
    // The answer holds the key itself.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

/// Makes a carrier key as an admin (audited) and shows it, with its secret, this once; the
/// answer to an idempotent request is stored in the same transaction as the key.
async fn issue_key(
    staff: &Staff,
    body: &[u8],
    state: &AppState,
    answer: Option<AnswerTicket>,
) -> Result<serde_json::Value, ApiError> {
    staff.require(&[StaffRole::Admin])?;
    let input: NewKey = parse_json(body)?;
    let name = input.name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(crate::domain::InputError::new(
            "name",
            "the carrier's name, 1 to 100 characters",
        )
        .into());
    }
    let limit = |value: Option<u32>, default: u32, field: &'static str| match value {
        Some(0) => Err(crate::domain::InputError::new(field, "at least 1")),
        Some(n) => Ok(n.min(10_000)),
        None => Ok(default),
    };
    let issued = api_key::issue(&mut rand::rng());
    let key = ApiKey {
        id: issued.id,
        name: name.to_owned(),
        digest: issued.digest,
        privileged: input.privileged,
        requests_per_second: limit(input.requests_per_second, 20, "requests_per_second")?,
        burst: limit(input.burst, 40, "burst")?,
        active_bookings_max: limit(input.active_bookings_max, 200, "active_bookings_max")?,
        created_at: state.now(),
        revoked: false,
    };
    let recorded = serde_json::to_value(&key).map_err(|e| ApiError::Internal(e.into()))?;
    let mut shown = recorded.clone();
    // Shown this once: only its digest is kept.
    shown["key"] = json!(issued.key);
    let stored = answer.and_then(|ticket| ticket.record(&shown));
    state.store.create_api_key(&key, stored.as_ref()).await?;
    audit(state, staff, "api_key.create", key.id.to_string(), recorded).await?;
    Ok(shown)
}

#[utoipa::path(get, path = "/api/v1/admin/api-keys", operation_id = "listApiKeys",
    tag = "admin", security(("bearer" = [])),
    summary = "Admin: every API key, without the keys themselves",
    responses((status = 200, description = "Keys")))]
#[tracing::instrument(name = "List API keys", skip_all)]
pub async fn list_keys(staff: Staff, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    staff.require(&[StaffRole::Admin])?;
    Ok(HttpResponse::Ok().json(json!({ "keys": state.store.api_keys().await? })))
}

#[utoipa::path(delete, path = "/api/v1/admin/api-keys/{id}", operation_id = "revokeApiKey",
    tag = "admin", security(("bearer" = [])),
    summary = "Admin: revoke an API key",
    params(("id" = String, Path, format = "uuid")),
    responses((status = 204, description = "Revoked")))]
#[tracing::instrument(name = "Revoke an API key", skip_all)]
pub async fn revoke_key(
    staff: Staff,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    staff.require(&[StaffRole::Admin])?;
    let id = uuid::Uuid::parse_str(&id).map_err(|_| ApiError::NotFound("API key"))?;
    if !state.store.revoke_api_key(id, state.now()).await? {
        return Err(ApiError::NotFound("API key"));
    }
    state.carrier_keys.forget(id);
    audit(
        &state,
        &staff,
        "api_key.revoke",
        id.to_string(),
        json!({ "revoked": true }),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

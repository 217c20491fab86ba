//! Liveness and readiness. Ready means the store answers.

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::error::ApiError;
use super::state::AppState;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.store.ping().await.map_err(|error| {
        tracing::warn!(error.cause_chain = ?error, "readiness check failed");
        ApiError::Unavailable
    })?;
    Ok(HttpResponse::Ok().json(json!({ "status": "ready", "store": "ok" })))
}

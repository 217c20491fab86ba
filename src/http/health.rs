//! Liveness and readiness. Ready means the store answers. The bus is reported but does not
//! make an instance unready: bookings go on while the broker is away (events wait in the
//! outbox), so taking the instance out of service would turn a broker outage into a booking
//! outage.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::app::AppState;
use crate::app::error::{ApiError, Problem};

#[utoipa::path(get, path = "/healthz", operation_id = "healthz", tag = "service",
    summary = "Liveness", responses((status = 200, description = "Alive")))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

#[utoipa::path(get, path = "/readyz", operation_id = "readyz", tag = "service",
    summary = "Readiness: the store answers",
    responses((status = 200, description = "Ready"), (status = 503, response = Problem)))]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.store.ping().await.map_err(|error| {
        tracing::warn!(error.cause_chain = ?error, "readiness check failed");
        ApiError::Unavailable
    })?;
    let bus = if state.bus.is_ready().await {
        "ok"
    } else {
        "unreachable"
    };
    Ok(HttpResponse::Ok().json(json!({ "status": "ready", "store": "ok", "bus": bus })))
}

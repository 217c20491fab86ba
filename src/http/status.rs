//! `GET /api/v1/checkpoints/{id}/status`: the live queue view of a checkpoint — how full
//! today's and tomorrow's windows are per lane, how many vehicles have checked in and are still
//! expected today, and the next window each lane can still book. The status page shows the same.

use actix_web::{HttpResponse, web};

use super::openapi::params::CheckpointPath;
use crate::app::AppState;
use crate::app::error::ApiError;
use crate::app::status::checkpoint_status;

#[utoipa::path(get, path = "/api/v1/checkpoints/{id}/status", operation_id = "checkpointStatus",
    tag = "checkpoints",
    summary = "Live queue view: how full today's and tomorrow's windows are per lane, vehicles checked in and still expected today, and the next free window",
    params(CheckpointPath),
    responses((status = 200, description = "Status per direction and category")))]
#[tracing::instrument(name = "Checkpoint status", skip_all)]
pub async fn read(
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let checkpoint = state.checkpoint_in_query(Some(&id))?;
    Ok(HttpResponse::Ok().json(checkpoint_status(&state, &checkpoint).await?))
}

//! `GET /api/v1/checkpoints/{id}/status`: the live queue view of a checkpoint — how full
//! today's and tomorrow's windows are per lane, how many vehicles have checked in and are still
//! expected today, and the next window each lane can still book. The status page shows the same.

use actix_web::{HttpResponse, web};

use crate::app::AppState;
use crate::app::error::ApiError;
use crate::app::status::checkpoint_status;

#[tracing::instrument(name = "Checkpoint status", skip_all)]
pub async fn read(
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let checkpoint = state.checkpoint_in_query(Some(&id))?;
    Ok(HttpResponse::Ok().json(checkpoint_status(&state, &checkpoint).await?))
}

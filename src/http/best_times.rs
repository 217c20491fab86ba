//! `GET /api/v1/checkpoints/{id}/best-times`: the best time to cross — expected bookings per
//! local hour of the coming days, from the demand forecast, with the quiet hours marked. Public:
//! the same figures the queue page shows.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::app::AppState;
use crate::app::best_times::{best_times_of, best_times_range};
use crate::app::error::ApiError;
use crate::app::input::parse_query;
use crate::reports::best_times::QUIET_SHARE_OF_MEAN;

#[derive(Debug, Deserialize)]
struct BestTimesQuery {
    days: Option<String>,
    category: Option<String>,
}

#[tracing::instrument(name = "Best times to cross", skip_all)]
pub async fn read(
    request: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let checkpoint = state.checkpoint_in_query(Some(&id))?;
    let query: BestTimesQuery = parse_query(request.query_string())?;
    let range = best_times_range(
        &state,
        &checkpoint,
        query.days.as_deref(),
        query.category.as_deref(),
    )?;
    let days = best_times_of(&state, &checkpoint, range).await?;
    Ok(HttpResponse::Ok().json(json!({
        "checkpoint": checkpoint.id,
        "name": checkpoint.name,
        "time_zone": checkpoint.time_zone.name(),
        "category": range.category,
        "from": range.from,
        "to": days.last().map_or(range.from, |day| day.date),
        "quiet_share_of_mean": QUIET_SHARE_OF_MEAN,
        "days": days,
    })))
}

//! `GET /api/v1/checkpoints/{id}/best-times`: the best time to cross — expected bookings per
//! local hour of the coming days, from the demand forecast, with the quiet hours marked. Public:
//! the same figures the queue page shows.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::openapi::params::CheckpointPath;
use crate::app::AppState;
use crate::app::best_times::{best_times_of, best_times_range};
use crate::app::error::ApiError;
use crate::app::input::parse_query;
use crate::domain::{Category, CheckpointId};
use crate::reports::best_times::{DayDemand, QUIET_SHARE_OF_MEAN};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct BestTimesQuery {
    /// Days from today at the checkpoint
    #[param(value_type = Option<u32>, minimum = 1, maximum = 14, default = 7)]
    days: Option<String>,
    /// One category; all summed by default
    #[param(value_type = Option<Category>)]
    category: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
struct BestTimes {
    checkpoint: CheckpointId,
    name: String,
    time_zone: &'static str,
    /// The one category asked for; null for all summed.
    #[schema(required = true)]
    category: Option<Category>,
    from: NaiveDate,
    to: NaiveDate,
    /// An hour is quiet when it expects at most this share of its day's mean hour.
    quiet_share_of_mean: f64,
    days: Vec<DayDemand>,
}

#[utoipa::path(get, path = "/api/v1/checkpoints/{id}/best-times", operation_id = "bestTimes",
    tag = "checkpoints",
    summary = "The best time to cross: expected bookings per local hour of the coming days, from the demand forecast, with the quiet hours marked (at most quiet_share_of_mean of the day's mean hour)",
    params(CheckpointPath, BestTimesQuery),
    responses((status = 200, body = BestTimes, description = "Expected demand per day and hour")))]
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
    Ok(HttpResponse::Ok().json(BestTimes {
        checkpoint: checkpoint.id.clone(),
        name: checkpoint.name.clone(),
        time_zone: checkpoint.time_zone.name(),
        category: range.category,
        from: range.from,
        to: days.last().map_or(range.from, |day| day.date),
        quiet_share_of_mean: QUIET_SHARE_OF_MEAN,
        days,
    }))
}

//! `GET /api/v1/forecast`: expected bookings of one checkpoint per local hour for the coming
//! days, learned from the confirmations counted before, with the backtest that says how far to
//! trust them.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::analysts::checkpoint_query;
use crate::analytics::{Backtest, ModelKind};
use crate::app::AppState;
use crate::app::error::{ApiError, Problem};
use crate::app::forecast::{ForecastAsk, forecast_of, forecast_range};
use crate::app::staff::Staff;
use crate::domain::{Category, CheckpointId};
use crate::reports::forecast::{ExpectedDay, ExpectedHour, HistorySpan};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ForecastQuery {
    #[param(value_type = String, required = true, example = "narva")]
    checkpoint: Option<String>,
    /// First local day; tomorrow by default; from 366 days before to 92 days after today
    #[param(value_type = Option<NaiveDate>)]
    from: Option<String>,
    #[param(value_type = Option<u32>, minimum = 1, maximum = 14, default = 7)]
    days: Option<String>,
    /// One category; all summed by default
    #[param(value_type = Option<Category>)]
    category: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
struct Forecast {
    checkpoint: CheckpointId,
    time_zone: &'static str,
    category: Option<Category>,
    from: NaiveDate,
    to: NaiveDate,
    model: ModelKind,
    /// Errors on the last two weeks of history held out, next to a seasonal-naive forecast's.
    backtest: Option<Backtest>,
    history: Option<HistorySpan>,
    days: Vec<ExpectedDay>,
    hours: Vec<ExpectedHour>,
}

#[utoipa::path(get, path = "/api/v1/forecast", operation_id = "forecast", tag = "analysts",
    security(("bearer" = [])),
    summary = "Expected confirmations per local hour, learned from the statistics, with the model's backtest",
    params(ForecastQuery),
    responses(
        (status = 200, body = Forecast, description = "The forecast"),
        (status = 404, response = Problem),
    ))]
#[tracing::instrument(name = "Forecast demand", skip_all)]
pub async fn read(
    staff: Staff,
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (query, checkpoint) =
        checkpoint_query::<ForecastQuery>(&staff, &request, &state, |q| q.checkpoint.as_deref())?;
    let ask = ForecastAsk::parse(
        query.from.as_deref(),
        query.days.as_deref(),
        query.category.as_deref(),
    )?;
    let range = forecast_range(&state, &checkpoint, ask)?;
    let forecast = forecast_of(&state, &staff, &checkpoint, range).await?;
    Ok(HttpResponse::Ok().json(Forecast {
        checkpoint: checkpoint.id.clone(),
        time_zone: checkpoint.time_zone.name(),
        category: range.category,
        from: range.from,
        to: range.to(),
        model: forecast.model,
        backtest: forecast.backtest,
        history: forecast.history,
        days: forecast.days,
        hours: forecast.hours,
    }))
}

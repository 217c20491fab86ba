//! `GET /api/v1/forecast`: expected bookings of one checkpoint per local hour for the coming
//! days, learned from the confirmations counted before, with the backtest that says how far to
//! trust them.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::analysts::checkpoint_query;
use crate::app::AppState;
use crate::app::error::ApiError;
use crate::app::forecast::{ForecastAsk, forecast_of, forecast_range};
use crate::app::staff::Staff;

#[derive(Debug, Deserialize)]
struct ForecastQuery {
    checkpoint: Option<String>,
    from: Option<String>,
    days: Option<String>,
    category: Option<String>,
}

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
    Ok(HttpResponse::Ok().json(json!({
        "checkpoint": checkpoint.id,
        "time_zone": checkpoint.time_zone.name(),
        "category": range.category,
        "from": range.from,
        "to": range.to(),
        "model": forecast.model,
        "backtest": forecast.backtest,
        "history": forecast.history,
        "days": forecast.days,
        "hours": forecast.hours,
    })))
}

//! `GET /api/v1/forecast`: expected bookings of one checkpoint per local hour for the coming
//! days, learned from the confirmations counted before, with the backtest that says how far to
//! trust them.

use crate::auth::StaffRole;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Days;
use serde::Deserialize;
use serde_json::json;

use super::auth::Staff;
use super::error::ApiError;
use super::input::parse_date;
use super::state::AppState;
use crate::domain::{Category, InputError};
use crate::reports::forecast::{DAYS_MAX, forecast_demand, history_bounds};

/// Days forecast when the request does not say.
const DAYS_DEFAULT: u32 = 7;
/// How far from today a forecast may start: back to a year ago, ahead by three months.
const FROM_DAYS_BACK_MAX: u64 = 366;
const FROM_DAYS_AHEAD_MAX: u64 = 92;

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
    staff.require(&[StaffRole::Analyst, StaffRole::Admin])?;
    let query = web::Query::<ForecastQuery>::from_query(request.query_string())
        .map_err(|e| ApiError::BadRequest(e.to_string()))?
        .into_inner();
    let checkpoint = state.checkpoint_in_query(query.checkpoint.as_deref())?;
    let today = state.today_at(&checkpoint);
    let earliest = today.checked_sub_days(Days::new(FROM_DAYS_BACK_MAX));
    let latest = today.checked_add_days(Days::new(FROM_DAYS_AHEAD_MAX));
    let from = match query.from.as_deref() {
        Some(raw) => parse_date("from", raw)?,
        None => today.succ_opt().unwrap_or(today),
    };
    if earliest.is_none_or(|earliest| from < earliest) || latest.is_none_or(|latest| from > latest)
    {
        return Err(InputError::new(
            "from",
            format!(
                "a date from {FROM_DAYS_BACK_MAX} days before to {FROM_DAYS_AHEAD_MAX} days after today"
            ),
        )
        .into());
    }
    let days = match query.days.as_deref() {
        Some(raw) => raw
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|days| (1..=DAYS_MAX).contains(days))
            .ok_or_else(|| {
                InputError::new("days", format!("a whole number from 1 to {DAYS_MAX}"))
            })?,
        None => DAYS_DEFAULT,
    };
    let category = query
        .category
        .as_deref()
        .map(str::parse::<Category>)
        .transpose()?;
    if category.is_some_and(|c| !checkpoint.capacity.contains_key(&c)) {
        return Err(InputError::new("category", "a category this checkpoint serves").into());
    }

    let (history_from, history_to) = history_bounds(from, today);
    let rows = state
        .store
        .confirmations_by_hour(&checkpoint.id, history_from, history_to, category)
        .await?;
    let time_zone = checkpoint.time_zone;
    // Fitting the model takes a grid search over the whole history: keep it off the workers.
    let forecast = web::block(move || forecast_demand(&rows, history_to, from, days, time_zone))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("forecast task failed: {e}")))?;
    let to = from
        .checked_add_days(Days::new(u64::from(days) - 1))
        .unwrap_or(from);
    Ok(HttpResponse::Ok().json(json!({
        "checkpoint": checkpoint.id,
        "time_zone": time_zone.name(),
        "category": category,
        "from": from,
        "to": to,
        "model": forecast.model,
        "backtest": forecast.backtest,
        "history": forecast.history,
        "days": forecast.days,
        "hours": forecast.hours,
    })))
}

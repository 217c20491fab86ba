//! Expected bookings of one checkpoint per local hour for the coming days, learned from the
//! confirmations counted before, with the backtest that says how far to trust them.

use chrono::{Days, NaiveDate};

use super::AppState;
use super::error::ApiError;
use super::input::parse_date;
use super::staff::Staff;
use crate::auth::StaffRole;
use crate::domain::{Category, Checkpoint, InputError};
use crate::reports::forecast::{DAYS_MAX, DemandForecast, forecast_demand, history_bounds};

/// Days forecast when the request does not say.
const DAYS_DEFAULT: u32 = 7;
/// How far from today a forecast may start: back to a year ago, ahead by three months.
const FROM_DAYS_BACK_MAX: u64 = 366;
const FROM_DAYS_AHEAD_MAX: u64 = 92;

/// The days and vehicles a forecast is asked for, checked.
#[derive(Debug, Clone, Copy)]
pub struct ForecastRange {
    pub from: NaiveDate,
    pub days: u32,
    pub category: Option<Category>,
}

impl ForecastRange {
    /// The last day forecast.
    pub fn to(&self) -> NaiveDate {
        self.from
            .checked_add_days(Days::new(u64::from(self.days) - 1))
            .unwrap_or(self.from)
    }
}

/// Checks a forecast request of `checkpoint`: `from` (tomorrow when absent) within a year back
/// and three months ahead, 1 to [`DAYS_MAX`] `days`, and a `category` the checkpoint serves.
pub fn forecast_range(
    state: &AppState,
    checkpoint: &Checkpoint,
    ask: ForecastAsk,
) -> Result<ForecastRange, ApiError> {
    let ForecastAsk {
        from,
        days,
        category,
    } = ask;
    let today = state.today_at(checkpoint);
    let earliest = today.checked_sub_days(Days::new(FROM_DAYS_BACK_MAX));
    let latest = today.checked_add_days(Days::new(FROM_DAYS_AHEAD_MAX));
    let from = from.unwrap_or_else(|| today.succ_opt().unwrap_or(today));
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
    let days = match days {
        Some(days) if (1..=DAYS_MAX).contains(&days) => days,
        Some(_) => return Err(days_wanted().into()),
        None => DAYS_DEFAULT,
    };
    if category.is_some_and(|c| !checkpoint.capacity.contains_key(&c)) {
        return Err(InputError::new("category", "a category this checkpoint serves").into());
    }
    Ok(ForecastRange {
        from,
        days,
        category,
    })
}

/// What a forecast's `days` must be.
pub fn days_wanted() -> InputError {
    InputError::new("days", format!("a whole number from 1 to {DAYS_MAX}"))
}

/// What a forecast request asks for, before it is checked against the checkpoint's today.
#[derive(Debug, Clone, Copy, Default)]
pub struct ForecastAsk {
    pub from: Option<NaiveDate>,
    pub days: Option<u32>,
    pub category: Option<Category>,
}

impl ForecastAsk {
    /// The fields as a query or form gives them: `from` a date, `days` a whole number,
    /// `category` a category.
    pub fn parse(
        from: Option<&str>,
        days: Option<&str>,
        category: Option<&str>,
    ) -> Result<Self, InputError> {
        Ok(Self {
            from: from.map(|raw| parse_date("from", raw)).transpose()?,
            days: days
                .map(|raw| raw.trim().parse::<u32>().map_err(|_| days_wanted()))
                .transpose()?,
            category: category.map(str::parse::<Category>).transpose()?,
        })
    }
}

/// The expected bookings of `checkpoint` over `range`, as an analyst or admin.
pub async fn forecast_of(
    state: &AppState,
    staff: &Staff,
    checkpoint: &Checkpoint,
    range: ForecastRange,
) -> Result<DemandForecast, ApiError> {
    staff.require(&[StaffRole::Analyst, StaffRole::Admin])?;
    compute_forecast(state, checkpoint, range).await
}

/// The forecast of `checkpoint` over `range`, learned afresh from the stored confirmations.
pub async fn compute_forecast(
    state: &AppState,
    checkpoint: &Checkpoint,
    range: ForecastRange,
) -> Result<DemandForecast, ApiError> {
    let today = state.today_at(checkpoint);
    let (history_from, history_to) = history_bounds(range.from, today);
    let rows = state
        .store
        .confirmations_by_hour(&checkpoint.id, history_from, history_to, range.category)
        .await?;
    let time_zone = checkpoint.time_zone;
    let ForecastRange { from, days, .. } = range;
    // Fitting the model takes a grid search over the whole history: keep it off the workers.
    tokio::task::spawn_blocking(move || forecast_demand(&rows, history_to, from, days, time_zone))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("forecast task failed: {e}")))
}

//! The best time to cross: the forecast of a checkpoint's coming days per local hour with the
//! quiet hours marked, for the public queue page, its JSON route and the driver's day page.
//!
//! Learning a forecast searches a grid over up to a year of hours, too much to do for every
//! public request. Each checkpoint's forecast from its local today (per category, and summed)
//! is learned once and kept for [`KEPT_FOR`]; and one is learned at a time, so a burst of
//! requests costs one core for one forecast rather than a core per request. The driver's day
//! page never waits for one: it marks quiet hours from a kept forecast or not at all. The history ends
//! yesterday, so a forecast kept within one local day is the one learning it again would give.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;

use super::AppState;
use super::error::ApiError;
use super::forecast::{ForecastAsk, ForecastRange, compute_forecast, forecast_range};
use crate::domain::{Category, Checkpoint, CheckpointId};
use crate::reports::best_times::{DayDemand, best_times};
use crate::reports::forecast::{DAYS_MAX, DemandForecast};

/// How long a learned forecast is kept before it is learned again.
pub const KEPT_FOR: Duration = Duration::from_secs(60 * 60);
/// Checkpoints × (categories + the sum) whose forecasts are kept at once.
const KEPT_MAX: u64 = 512;

type Key = (CheckpointId, Option<Category>, NaiveDate);

/// The forecasts learned for the public, by checkpoint, category and local today.
pub struct BestTimesCache {
    forecasts: moka::sync::Cache<Key, Arc<DemandForecast>>,
    learning: tokio::sync::Mutex<()>,
}

impl Default for BestTimesCache {
    fn default() -> Self {
        Self {
            forecasts: moka::sync::Cache::builder()
                .max_capacity(KEPT_MAX)
                .time_to_live(KEPT_FOR)
                .build(),
            learning: tokio::sync::Mutex::new(()),
        }
    }
}

/// The coming days of `checkpoint` a driver asked for, checked.
#[derive(Debug, Clone, Copy)]
pub struct BestTimesRange {
    pub from: NaiveDate,
    pub days: u32,
    pub category: Option<Category>,
}

/// Checks `days` (1 to [`DAYS_MAX`], 7 by default) and `category` (one the checkpoint serves,
/// or all summed), from the checkpoint's today.
pub fn best_times_range(
    state: &AppState,
    checkpoint: &Checkpoint,
    days: Option<&str>,
    category: Option<&str>,
) -> Result<BestTimesRange, ApiError> {
    let ask = ForecastAsk::parse(None, days, category)?;
    let ForecastRange {
        from,
        days,
        category,
    } = forecast_range(
        state,
        checkpoint,
        ForecastAsk {
            from: Some(state.today_at(checkpoint)),
            ..ask
        },
    )?;
    Ok(BestTimesRange {
        from,
        days,
        category,
    })
}

/// Each day of `range`: the expected bookings per hour, the quiet hours marked.
pub async fn best_times_of(
    state: &AppState,
    checkpoint: &Checkpoint,
    range: BestTimesRange,
) -> Result<Vec<DayDemand>, ApiError> {
    let forecast = forecast_from_today(state, checkpoint, range.category, Learning::Wait)
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a waiting forecast was not learned")))?;
    let mut days = best_times(&forecast);
    days.retain(|day| day.date >= range.from);
    days.truncate(range.days as usize);
    Ok(days)
}

/// No forecast was at hand for the day page: another request is learning it, or learning it
/// failed. A later request may find one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoForecastYet;

/// One day of `checkpoint` for `category`, when it is within the forecast's reach. The day
/// page is what drivers open in a rush, so it never waits behind a forecast being learned for
/// another request: it goes unmarked meanwhile, as it does when no forecast can be learned.
pub async fn day_demand(
    state: &AppState,
    checkpoint: &Checkpoint,
    category: Category,
    date: NaiveDate,
) -> Result<Option<DayDemand>, NoForecastYet> {
    let forecast = forecast_from_today(state, checkpoint, Some(category), Learning::UnlessBusy)
        .await
        .inspect_err(|e| tracing::warn!(error.cause_chain = ?e, "No forecast for the day page"))
        .ok()
        .flatten()
        .ok_or(NoForecastYet)?;
    Ok(best_times(&forecast)
        .into_iter()
        .find(|day| day.date == date))
}

/// Whether a request that finds no kept forecast waits for the one being learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Learning {
    Wait,
    UnlessBusy,
}

/// The kept forecast, or one learned now; `None` only when another is being learned and the
/// request would rather not wait.
async fn forecast_from_today(
    state: &AppState,
    checkpoint: &Checkpoint,
    category: Option<Category>,
    learning: Learning,
) -> Result<Option<Arc<DemandForecast>>, ApiError> {
    let today = state.today_at(checkpoint);
    let key = (checkpoint.id.clone(), category, today);
    let cache = &state.best_times;
    if let Some(forecast) = cache.forecasts.get(&key) {
        return Ok(Some(forecast));
    }
    let _learning = match learning {
        Learning::Wait => cache.learning.lock().await,
        Learning::UnlessBusy => match cache.learning.try_lock() {
            Ok(guard) => guard,
            Err(_) => return Ok(None),
        },
    };
    // Whoever held the lock before may have learned this very one.
    if let Some(forecast) = cache.forecasts.get(&key) {
        return Ok(Some(forecast));
    }
    let range = ForecastRange {
        from: today,
        days: DAYS_MAX,
        category,
    };
    let forecast = Arc::new(compute_forecast(state, checkpoint, range).await?);
    cache.forecasts.insert(key, forecast.clone());
    Ok(Some(forecast))
}

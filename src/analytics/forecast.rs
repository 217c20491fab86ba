//! Hourly booking-demand forecasts with a backtest that says how far to trust them.
//!
//! A history is one booking count per local hour, gap-free, whose first value is the hour
//! starting Monday 00:00; position `i % 168` is then the hour of the week (0 = Monday 00:00,
//! 167 = Sunday 23:00). The model needs only the hourly spacing, but the alignment is what lets
//! a caller read any position, in the history or in the forecast, as an hour of the week.
//! Forecast value `k` belongs to history position `history.len() + k`.
//!
//! The model is additive: a busier week lifts every hour by the same number of bookings, where
//! real demand tends to grow in proportion, quiet nights barely and peaks a lot. The backtest's
//! seasonal-naive baseline shows when that mismatch costs more than the smoothing gains.
//!
//! Invariants: every forecast value is finite and at least 0, and the same history and horizon
//! always give the same forecast.

use serde::Serialize;

use super::accuracy::{mean_absolute_error, smape_percent};
use super::holt_winters;

/// Season length: demand repeats by hour of the week.
pub const HOURS_PER_WEEK: usize = 168;

/// How much of the history the backtest holds out.
pub const BACKTEST_HOURS: usize = 2 * HOURS_PER_WEEK;

/// Which model produced a forecast. Anything but Holt-Winters means the history was too short.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ModelKind {
    /// Additive Holt-Winters with a weekly season, from at least two weeks of history.
    HoltWinters { alpha: f64, beta: f64, gamma: f64 },
    /// The last observed week repeated, from one to two weeks of history.
    SeasonalNaive,
    /// The mean of the history for every hour, from under one week (0 for an empty history).
    Mean,
}

/// Errors of a Holt-Winters fit on all but the last [`BACKTEST_HOURS`] of the history, measured
/// on those held-out hours, next to the errors of a seasonal-naive forecast from the same cut.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Backtest {
    pub smape_percent: f64,
    pub mae: f64,
    /// The baseline repeats the last training week: for the first held-out week that is the same
    /// hour one week earlier, and it never sees held-out data, just like the model.
    pub naive_smape_percent: f64,
    pub naive_mae: f64,
    pub hours: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forecast {
    /// Expected bookings for each hour after the history.
    pub values: Vec<f64>,
    pub model: ModelKind,
    /// Present when the history has two weeks to fit on plus [`BACKTEST_HOURS`] to hold out.
    pub backtest: Option<Backtest>,
}

/// Forecasts the `horizon_hours` hours that follow `history` (see the module doc for its layout).
///
/// Negative and non-finite values in the history are read as 0: a booking count cannot be
/// either, and letting one through would poison every later forecast.
pub fn forecast_hourly(history: &[f64], horizon_hours: usize) -> Forecast {
    let history: Vec<f64> = history
        .iter()
        .map(|&value| as_booking_count(value))
        .collect();
    let (values, model) = forecast_by_history_length(&history, horizon_hours);
    Forecast {
        values,
        model,
        backtest: backtest(&history),
    }
}

fn as_booking_count(value: f64) -> f64 {
    if value.is_finite() {
        value.max(0.0)
    } else {
        0.0
    }
}

/// Holt-Winters once two weeks can initialise it, otherwise the simplest model that the history
/// supports.
fn forecast_by_history_length(history: &[f64], horizon_hours: usize) -> (Vec<f64>, ModelKind) {
    if let Some(model) = holt_winters::fit(history, HOURS_PER_WEEK) {
        let holt_winters::SmoothingConstants { alpha, beta, gamma } = model.constants;
        let values = model
            .forecast(horizon_hours)
            .into_iter()
            .map(as_booking_count)
            .collect();
        (values, ModelKind::HoltWinters { alpha, beta, gamma })
    } else if history.len() >= HOURS_PER_WEEK {
        (
            seasonal_naive(history, horizon_hours),
            ModelKind::SeasonalNaive,
        )
    } else {
        let mean = if history.is_empty() {
            0.0
        } else {
            history.iter().sum::<f64>() / history.len() as f64
        };
        (vec![mean; horizon_hours], ModelKind::Mean)
    }
}

/// Repeats the last week of `history`, which must hold at least one week.
fn seasonal_naive(history: &[f64], horizon_hours: usize) -> Vec<f64> {
    let last_week = &history[history.len() - HOURS_PER_WEEK..];
    last_week
        .iter()
        .copied()
        .cycle()
        .take(horizon_hours)
        .collect()
}

fn backtest(history: &[f64]) -> Option<Backtest> {
    if history.len() < 2 * HOURS_PER_WEEK + BACKTEST_HOURS {
        return None;
    }
    let (training, held_out) = history.split_at(history.len() - BACKTEST_HOURS);
    let (predicted, _) = forecast_by_history_length(training, BACKTEST_HOURS);
    let naive = seasonal_naive(training, BACKTEST_HOURS);
    Some(Backtest {
        smape_percent: smape_percent(held_out, &predicted),
        mae: mean_absolute_error(held_out, &predicted),
        naive_smape_percent: smape_percent(held_out, &naive),
        naive_mae: mean_absolute_error(held_out, &naive),
        hours: BACKTEST_HOURS,
    })
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;
    use crate::analytics::noise::standard_normal;

    /// A weekly shape with a night trough, two daily peaks and a busy Friday.
    fn weekly_shape(position: usize) -> f64 {
        let hour_of_day = (position % 24) as f64;
        let weekday = (position % HOURS_PER_WEEK) / 24;
        let daily = 6.0 * (-(hour_of_day - 8.0).powi(2) / 6.0).exp()
            + 8.0 * (-(hour_of_day - 17.0).powi(2) / 8.0).exp();
        let friday_boost = if weekday == 4 { 4.0 } else { 0.0 };
        2.0 + daily + friday_boost
    }

    fn noisy_trending_series(weeks: usize, seed: u64) -> Vec<f64> {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..weeks * HOURS_PER_WEEK)
            .map(|position| {
                let trend = 0.01 * position as f64;
                (10.0 + trend + 2.0 * weekly_shape(position) + 3.0 * standard_normal(&mut rng))
                    .max(0.0)
            })
            .collect()
    }

    #[test]
    fn clean_weekly_pattern_is_recovered() {
        let weeks = 8;
        let history: Vec<f64> = (0..weeks * HOURS_PER_WEEK).map(weekly_shape).collect();

        let forecast = forecast_hourly(&history, HOURS_PER_WEEK);

        assert!(matches!(forecast.model, ModelKind::HoltWinters { .. }));
        for (offset, value) in forecast.values.iter().enumerate() {
            let truth = weekly_shape(history.len() + offset);
            assert!(
                (value - truth).abs() < 1e-6,
                "hour {offset}: {value} vs {truth}"
            );
        }
        let backtest = forecast.backtest.expect("eight weeks allow a backtest");
        assert!(backtest.smape_percent < 0.01, "{backtest:?}");
        assert_eq!(backtest.hours, BACKTEST_HOURS);
    }

    #[test]
    fn holt_winters_beats_seasonal_naive_on_a_noisy_trending_series() {
        let history = noisy_trending_series(16, 42);

        let backtest = forecast_hourly(&history, 24)
            .backtest
            .expect("sixteen weeks allow a backtest");

        assert!(backtest.mae < backtest.naive_mae, "{backtest:?}");
        assert!(
            backtest.smape_percent < backtest.naive_smape_percent,
            "{backtest:?}"
        );
    }

    #[test]
    fn one_to_two_weeks_of_history_repeat_the_last_week() {
        let history: Vec<f64> = (0..HOURS_PER_WEEK + 30).map(weekly_shape).collect();

        let forecast = forecast_hourly(&history, 2 * HOURS_PER_WEEK);

        assert_eq!(forecast.model, ModelKind::SeasonalNaive);
        assert!(forecast.backtest.is_none());
        for (offset, value) in forecast.values.iter().enumerate() {
            assert_eq!(
                *value,
                history[history.len() - HOURS_PER_WEEK + offset % HOURS_PER_WEEK]
            );
        }
    }

    #[test]
    fn under_a_week_of_history_forecasts_its_mean() {
        let forecast = forecast_hourly(&[2.0, 4.0, 6.0], 5);

        assert_eq!(forecast.model, ModelKind::Mean);
        assert_eq!(forecast.values, vec![4.0; 5]);
        assert!(forecast.backtest.is_none());
    }

    #[test]
    fn empty_history_forecasts_zero() {
        let forecast = forecast_hourly(&[], 3);

        assert_eq!(forecast.model, ModelKind::Mean);
        assert_eq!(forecast.values, vec![0.0; 3]);
    }

    #[test]
    fn two_weeks_without_room_for_a_backtest_still_use_holt_winters() {
        let history: Vec<f64> = (0..3 * HOURS_PER_WEEK).map(weekly_shape).collect();

        let forecast = forecast_hourly(&history, 1);

        assert!(matches!(forecast.model, ModelKind::HoltWinters { .. }));
        assert!(forecast.backtest.is_none());
    }

    #[test]
    fn all_zero_history_forecasts_zero_with_zero_error() {
        let history = vec![0.0; 10 * HOURS_PER_WEEK];

        let forecast = forecast_hourly(&history, HOURS_PER_WEEK);

        assert!(forecast.values.iter().all(|&value| value == 0.0));
        let backtest = forecast.backtest.expect("ten weeks allow a backtest");
        assert_eq!(backtest.smape_percent, 0.0);
        assert_eq!(backtest.mae, 0.0);
    }

    #[test]
    fn forecasts_are_never_negative_even_when_demand_is_collapsing() {
        let history: Vec<f64> = (0..6 * HOURS_PER_WEEK)
            .map(|position| (60.0 - 0.06 * position as f64 + weekly_shape(position)).max(0.0))
            .collect();

        let forecast = forecast_hourly(&history, 4 * HOURS_PER_WEEK);

        assert!(forecast.values.iter().all(|&value| value >= 0.0));
        assert!(
            forecast.values.contains(&0.0),
            "the trend should reach the floor"
        );
    }

    #[test]
    fn invalid_history_values_are_read_as_zero() {
        let forecast = forecast_hourly(&[f64::NAN, -5.0, f64::INFINITY, 3.0], 1);

        assert_eq!(forecast.values, vec![0.75]);
    }

    #[test]
    fn same_history_gives_the_same_forecast() {
        let history = noisy_trending_series(10, 9);

        let first = forecast_hourly(&history, 200);
        let second = forecast_hourly(&history, 200);

        assert_eq!(first, second);
    }
}

//! Demand analytics: hourly booking forecasts and the synthetic history to try them on.
//!
//! Pure computation on values the caller passes in: no I/O, no store, no HTTP. Random draws come
//! only from generators seeded by the caller, so every result can be reproduced.

mod accuracy;
pub mod forecast;
pub mod history;
mod holt_winters;
mod noise;

pub use accuracy::{mean_absolute_error, smape_percent};
pub use forecast::{Backtest, Forecast, ModelKind, forecast_hourly};
pub use history::{DemandParams, HourlyDemand, fixed_date_holidays, synthetic_hourly_demand};

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    #[test]
    fn forecast_of_synthetic_truck_demand_beats_seasonal_naive() {
        let monday = NaiveDate::from_ymd_opt(2025, 1, 6).unwrap();
        let history: Vec<f64> =
            synthetic_hourly_demand(&DemandParams::trucks(), monday, 16 * 7, 11)
                .iter()
                .map(|hour| f64::from(hour.bookings))
                .collect();

        let forecast = forecast_hourly(&history, 168);

        let backtest = forecast.backtest.expect("sixteen weeks allow a backtest");
        assert!(backtest.mae < backtest.naive_mae, "{backtest:?}");
        assert!(forecast.values.iter().all(|&value| value >= 0.0));
    }
}

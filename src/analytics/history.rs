//! Synthetic hourly booking history for one checkpoint and vehicle category, so that forecasts
//! can be tried before real bookings have piled up.
//!
//! Expected demand is a product of independent effects: an hour-of-day profile, a weekday
//! profile, holidays and a slow trend. Bookings are a noisy draw around it: one multiplier per
//! day for things that move a whole day (weather, queues elsewhere), then a Poisson count per
//! hour, capped at the hourly capacity.
//!
//! Invariants: `bookings <= capacity_per_hour` in every hour; the same parameters, dates and seed
//! give the same series. Hours are local wall-clock hours and every day has 24 of them, so
//! daylight-saving changes are ignored.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use super::noise::{lognormal_mean_one, poisson};

/// Shape and size of one category's demand. Factors are non-negative.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemandParams {
    /// Mean expected bookings per hour over an ordinary week at the start of the series.
    pub base_hourly: f64,
    /// Relative demand per hour of the day, 00:00 first. Only the shape matters: the table is
    /// rescaled to average 1 so that it never changes the overall level.
    pub hour_of_day_factors: [f64; 24],
    /// Relative demand per weekday, Monday first, rescaled like the hourly table.
    pub weekday_factors: [f64; 7],
    pub holidays: BTreeSet<NaiveDate>,
    /// Multiplier on a holiday itself.
    pub holiday_factor: f64,
    /// Multiplier on the day before a holiday, when travellers set off early. A holiday that is
    /// also the eve of the next one (25 and 26 December) takes only its holiday factor.
    pub holiday_eve_factor: f64,
    /// Compound growth per year as a fraction: 0.05 is 5 % more demand after a year.
    pub annual_growth: f64,
    /// Standard deviation of the logarithm of the per-day multiplier; 0 disables it.
    pub daily_noise_sigma: f64,
    pub capacity_per_hour: u32,
}

impl DemandParams {
    /// Passenger cars: quiet nights, peaks in the morning and late afternoon, busiest on Friday
    /// and Sunday, quietest mid-week, a rush before holidays.
    pub fn cars() -> Self {
        Self {
            base_hourly: 30.0,
            hour_of_day_factors: [
                0.15, 0.10, 0.08, 0.08, 0.12, 0.30, 0.70, 1.30, 1.80, 1.90, 1.60, 1.30, //
                1.20, 1.20, 1.30, 1.60, 1.90, 2.00, 1.70, 1.30, 0.90, 0.60, 0.40, 0.25,
            ],
            weekday_factors: [0.95, 0.80, 0.80, 0.95, 1.35, 1.05, 1.25],
            holidays: BTreeSet::new(),
            holiday_factor: 0.6,
            holiday_eve_factor: 1.4,
            annual_growth: 0.04,
            daily_noise_sigma: 0.10,
            capacity_per_hour: 100,
        }
    }

    /// Trucks: a flatter day that starts early and keeps some night traffic, busy on working
    /// days and far quieter at weekends and on holidays, when many countries restrict them.
    pub fn trucks() -> Self {
        Self {
            base_hourly: 12.0,
            hour_of_day_factors: [
                0.35, 0.30, 0.30, 0.35, 0.50, 0.90, 1.30, 1.50, 1.60, 1.60, 1.50, 1.40, //
                1.30, 1.40, 1.50, 1.50, 1.40, 1.20, 1.00, 0.80, 0.60, 0.50, 0.45, 0.40,
            ],
            weekday_factors: [1.15, 1.20, 1.20, 1.15, 1.05, 0.45, 0.30],
            holidays: BTreeSet::new(),
            holiday_factor: 0.3,
            holiday_eve_factor: 1.15,
            annual_growth: 0.02,
            daily_noise_sigma: 0.08,
            capacity_per_hour: 30,
        }
    }

    pub fn with_holidays(mut self, dates: impl IntoIterator<Item = NaiveDate>) -> Self {
        self.holidays.extend(dates);
        self
    }

    fn holiday_multiplier(&self, date: NaiveDate) -> f64 {
        if self.holidays.contains(&date) {
            self.holiday_factor
        } else if date
            .succ_opt()
            .is_some_and(|next| self.holidays.contains(&next))
        {
            self.holiday_eve_factor
        } else {
            1.0
        }
    }
}

/// Public holidays on the same date every year in most of Europe. Movable feasts such as Easter
/// differ by country and calendar, so callers add those themselves.
pub fn fixed_date_holidays(year: i32) -> Vec<NaiveDate> {
    [(1, 1), (5, 1), (12, 25), (12, 26)]
        .into_iter()
        .filter_map(|(month, day)| NaiveDate::from_ymd_opt(year, month, day))
        .collect()
}

/// One local hour of synthetic history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HourlyDemand {
    pub date: NaiveDate,
    /// Starting hour, 0 to 23.
    pub hour: u32,
    /// Noise-free demand before the cap. Where it exceeds the capacity the difference is demand
    /// that found no place.
    pub expected: f64,
    pub bookings: u32,
}

/// Hourly history for `days` consecutive days starting at `from`, in date and hour order.
/// Start on a Monday to get a series that [`super::forecast_hourly`] can read as hours of the week.
pub fn synthetic_hourly_demand(
    params: &DemandParams,
    from: NaiveDate,
    days: u32,
    seed: u64,
) -> Vec<HourlyDemand> {
    let mut rng = StdRng::seed_from_u64(seed);
    let hour_of_day_factors = rescaled_to_mean_one(params.hour_of_day_factors);
    let weekday_factors = rescaled_to_mean_one(params.weekday_factors);
    // `max` keeps a shrinking trend from going below nothing, where `powf` would give NaN.
    let yearly_growth = (1.0 + params.annual_growth).max(0.0);

    let mut series = Vec::with_capacity(days as usize * 24);
    for (day_index, date) in from.iter_days().take(days as usize).enumerate() {
        let years_elapsed = day_index as f64 / 365.25;
        let day_expected = params.base_hourly.max(0.0)
            * weekday_factors[date.weekday().num_days_from_monday() as usize]
            * params.holiday_multiplier(date)
            * yearly_growth.powf(years_elapsed);
        let day_multiplier = lognormal_mean_one(&mut rng, params.daily_noise_sigma);
        for (hour, hour_factor) in (0..).zip(hour_of_day_factors) {
            let expected = day_expected * hour_factor;
            let bookings =
                poisson(&mut rng, expected * day_multiplier).min(params.capacity_per_hour);
            series.push(HourlyDemand {
                date,
                hour,
                expected,
                bookings,
            });
        }
    }
    series
}

/// Scales non-negative factors so they average 1; a table of zeros stays zero.
fn rescaled_to_mean_one<const N: usize>(factors: [f64; N]) -> [f64; N] {
    let factors = factors.map(|factor| factor.max(0.0));
    let mean = factors.iter().sum::<f64>() / N as f64;
    if mean > 0.0 {
        factors.map(|factor| factor / mean)
    } else {
        factors
    }
}

#[cfg(test)]
mod tests {
    use chrono::Weekday;

    use super::*;

    fn monday() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 1, 6).unwrap()
    }

    fn mean_bookings<'a>(hours: impl Iterator<Item = &'a HourlyDemand>) -> f64 {
        let counts: Vec<f64> = hours.map(|hour| f64::from(hour.bookings)).collect();
        counts.iter().sum::<f64>() / counts.len() as f64
    }

    fn mean_on(series: &[HourlyDemand], weekday: Weekday) -> f64 {
        mean_bookings(series.iter().filter(|hour| hour.date.weekday() == weekday))
    }

    #[test]
    fn same_seed_gives_the_same_series_and_another_seed_does_not() {
        let params = DemandParams::cars();

        let first = synthetic_hourly_demand(&params, monday(), 28, 1);
        let second = synthetic_hourly_demand(&params, monday(), 28, 1);
        let other = synthetic_hourly_demand(&params, monday(), 28, 2);

        assert_eq!(first, second);
        assert_ne!(first, other);
    }

    #[test]
    fn series_covers_every_hour_of_every_day_in_order() {
        let series = synthetic_hourly_demand(&DemandParams::trucks(), monday(), 3, 0);

        assert_eq!(series.len(), 72);
        assert_eq!((series[0].date, series[0].hour), (monday(), 0));
        assert_eq!(
            (series[71].date, series[71].hour),
            (monday() + chrono::Days::new(2), 23)
        );
    }

    #[test]
    fn bookings_never_exceed_the_hourly_capacity() {
        let params = DemandParams {
            capacity_per_hour: 25,
            ..DemandParams::cars()
        };

        let series = synthetic_hourly_demand(&params, monday(), 56, 3);

        assert!(series.iter().all(|hour| hour.bookings <= 25));
        assert!(
            series.iter().any(|hour| hour.bookings == 25),
            "the cap should bind at peaks"
        );
    }

    #[test]
    fn cars_are_busier_on_friday_than_on_tuesday() {
        let series = synthetic_hourly_demand(&DemandParams::cars(), monday(), 12 * 7, 4);

        assert!(mean_on(&series, Weekday::Fri) > mean_on(&series, Weekday::Tue));
    }

    #[test]
    fn trucks_are_quieter_at_weekends_than_mid_week() {
        let series = synthetic_hourly_demand(&DemandParams::trucks(), monday(), 12 * 7, 5);

        assert!(mean_on(&series, Weekday::Sun) < mean_on(&series, Weekday::Wed));
        assert!(mean_on(&series, Weekday::Sat) < mean_on(&series, Weekday::Wed));
    }

    #[test]
    fn nights_are_quieter_than_the_afternoon_peak() {
        let series = synthetic_hourly_demand(&DemandParams::cars(), monday(), 28, 6);

        let night = mean_bookings(series.iter().filter(|hour| hour.hour == 3));
        let peak = mean_bookings(series.iter().filter(|hour| hour.hour == 17));

        assert!(night * 5.0 < peak, "night {night}, peak {peak}");
    }

    #[test]
    fn holidays_drop_demand_and_their_eves_raise_it() {
        // 1 May 2025 is a Thursday, so its eve is a Wednesday. Quiet day-to-day noise keeps a
        // single holiday from being lost in it.
        let params = DemandParams {
            daily_noise_sigma: 0.03,
            ..DemandParams::cars().with_holidays(fixed_date_holidays(2025))
        };
        let series = synthetic_hourly_demand(&params, monday(), 26 * 7, 7);
        let holiday = NaiveDate::from_ymd_opt(2025, 5, 1).unwrap();
        let eve = NaiveDate::from_ymd_opt(2025, 4, 30).unwrap();
        let ordinary = |weekday: Weekday| {
            mean_bookings(series.iter().filter(|hour| {
                hour.date.weekday() == weekday && hour.date != holiday && hour.date != eve
            }))
        };

        let on_holiday = mean_bookings(series.iter().filter(|hour| hour.date == holiday));
        let on_eve = mean_bookings(series.iter().filter(|hour| hour.date == eve));

        assert!(on_holiday < 0.8 * ordinary(Weekday::Thu), "{on_holiday}");
        assert!(on_eve > 1.2 * ordinary(Weekday::Wed), "{on_eve}");
    }

    #[test]
    fn demand_grows_with_the_trend() {
        let params = DemandParams {
            annual_growth: 0.5,
            daily_noise_sigma: 0.0,
            ..DemandParams::trucks()
        };

        let series = synthetic_hourly_demand(&params, monday(), 371, 8);

        let first_week: f64 = series[..168].iter().map(|hour| hour.expected).sum();
        let last_week: f64 = series[series.len() - 168..]
            .iter()
            .map(|hour| hour.expected)
            .sum();
        assert!(
            (last_week / first_week - 1.5).abs() < 0.01,
            "{}",
            last_week / first_week
        );
    }

    #[test]
    fn fixed_date_holidays_fall_on_their_dates() {
        let dates = fixed_date_holidays(2026);

        assert!(dates.contains(&NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()));
        assert!(dates.contains(&NaiveDate::from_ymd_opt(2026, 5, 1).unwrap()));
        assert!(dates.contains(&NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()));
    }
}

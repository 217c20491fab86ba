//! The best time to cross: a demand forecast read the way a driver reads it — per local day,
//! the expected bookings of each hour, with the quiet hours marked.
//!
//! Pure: it reshapes a [`DemandForecast`] and adds nothing to it, so every expected value here
//! is the forecast's own. An hour is quiet when its expected demand is at most
//! [`QUIET_SHARE_OF_MEAN`] of the mean hour of its day; a day expected to see nobody at all has
//! no quiet hours, since nothing sets one hour apart from another.

use chrono::NaiveDate;
use serde::Serialize;

use super::forecast::DemandForecast;

/// How far below the day's mean hour an hour's expected demand must stay to count as quiet.
pub const QUIET_SHARE_OF_MEAN: f64 = 0.5;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct HourDemand {
    /// Local hour, 0 to 23.
    #[schema(maximum = 23)]
    pub hour: u8,
    /// Expected confirmations, as the forecast has them.
    #[schema(minimum = 0)]
    pub expected: f64,
    pub quiet: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DayDemand {
    pub date: NaiveDate,
    #[schema(minimum = 0)]
    pub expected: f64,
    /// The hours marked quiet, in order.
    #[schema(schema_with = local_hours)]
    pub quiet_hours: Vec<u8>,
    /// Every hour the day has (a daylight-saving day has 23 or 24).
    pub hours: Vec<HourDemand>,
}

/// Local hours, each 0 to 23, as the API document describes them.
fn local_hours() -> utoipa::openapi::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    let hour = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(0))
        .maximum(Some(23));
    ArrayBuilder::new().items(hour).build()
}

impl DayDemand {
    pub fn is_quiet(&self, hour: u8) -> bool {
        self.quiet_hours.contains(&hour)
    }
}

/// The forecast's days, each with its hours and the quiet ones marked.
pub fn best_times(forecast: &DemandForecast) -> Vec<DayDemand> {
    forecast
        .days
        .iter()
        .map(|day| {
            let of_day: Vec<(u8, f64)> = forecast
                .hours
                .iter()
                .filter(|h| h.date == day.date)
                .map(|h| (h.hour, h.expected))
                .collect();
            let total: f64 = of_day.iter().map(|(_, expected)| expected).sum();
            let threshold =
                (total > 0.0).then(|| QUIET_SHARE_OF_MEAN * total / of_day.len().max(1) as f64);
            let hours: Vec<HourDemand> = of_day
                .into_iter()
                .map(|(hour, expected)| HourDemand {
                    hour,
                    expected,
                    quiet: threshold.is_some_and(|threshold| expected <= threshold),
                })
                .collect();
            DayDemand {
                date: day.date,
                expected: day.expected,
                quiet_hours: hours.iter().filter(|h| h.quiet).map(|h| h.hour).collect(),
                hours,
            }
        })
        .collect()
}

/// Runs of consecutive hours, as `(first, last)` pairs, for saying "02:00–06:00" rather than
/// five hours one by one.
pub fn hour_runs(hours: &[u8]) -> Vec<(u8, u8)> {
    let mut runs: Vec<(u8, u8)> = Vec::new();
    for &hour in hours {
        match runs.last_mut() {
            Some((_, last)) if last.checked_add(1) == Some(hour) => *last = hour,
            _ => runs.push((hour, hour)),
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::ModelKind;
    use crate::reports::forecast::{ExpectedDay, ExpectedHour};

    fn date(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    fn forecast(days: &[(NaiveDate, Vec<f64>)]) -> DemandForecast {
        let mut hours = Vec::new();
        let mut totals = Vec::new();
        for (day, values) in days {
            for (hour, &expected) in (0u8..).zip(values) {
                hours.push(ExpectedHour {
                    date: *day,
                    hour,
                    expected,
                });
            }
            totals.push(ExpectedDay {
                date: *day,
                expected: values.iter().sum(),
            });
        }
        DemandForecast {
            model: ModelKind::Mean,
            backtest: None,
            history: None,
            days: totals,
            hours,
        }
    }

    #[test]
    fn hours_at_most_half_the_mean_hour_are_quiet() {
        // The mean hour is 263 / 24 ≈ 10.96: 5 and 0 are quiet, 6 is not.
        let mut values = vec![12.0; 24];
        values[2] = 5.0;
        values[3] = 0.0;
        values[4] = 6.0;

        let days = best_times(&forecast(&[(date(20), values.clone())]));

        assert_eq!(days[0].quiet_hours, vec![2, 3]);
        assert_eq!(days[0].hours.len(), 24);
        assert!(days[0].hours[3].quiet && !days[0].hours[4].quiet);
        for (hour, value) in days[0].hours.iter().zip(&values) {
            assert_eq!(hour.expected, *value);
        }
    }

    #[test]
    fn a_day_expected_empty_or_flat_has_no_quiet_hours() {
        let days = best_times(&forecast(&[
            (date(20), vec![0.0; 24]),
            (date(21), vec![3.0; 24]),
        ]));

        assert!(days.iter().all(|day| day.quiet_hours.is_empty()));
        assert_eq!(days[1].expected, 72.0);
    }

    #[test]
    fn each_day_is_judged_on_its_own_mean() {
        // A busy day's quiet hour would be an ordinary hour on a calm day.
        let mut busy = vec![100.0; 24];
        busy[5] = 20.0;
        let mut calm = vec![20.0; 24];
        calm[5] = 1.0;

        let days = best_times(&forecast(&[(date(20), busy), (date(21), calm)]));

        assert_eq!(days[0].quiet_hours, vec![5]);
        assert_eq!(days[1].quiet_hours, vec![5]);
    }

    #[test]
    fn consecutive_hours_make_one_run() {
        assert_eq!(
            hour_runs(&[0, 1, 2, 5, 7, 8, 23]),
            vec![(0, 2), (5, 5), (7, 8), (23, 23)]
        );
        assert!(hour_runs(&[]).is_empty());
    }
}

//! Expected bookings of a checkpoint per local hour, learned from the confirmations counted in
//! earlier days (summed over categories, or of one).
//!
//! Pure: the caller reads confirmations per local day and hour ([`HourlyCount`]) for the days
//! [`history_bounds`] names and passes them in. The history is laid out the way
//! [`forecast_hourly`] reads it: 24 values per local day, the first value Monday 00:00, hours
//! without a row read as 0. It starts at the first Monday on or after the first day with a row,
//! so that the days before the counting began are not read as days without bookings; only when
//! that leaves nothing does it start at the Monday before.
//!
//! The history ends on the last day whose windows are all past (yesterday) or, for a forecast
//! of days already gone, the day before the first of them. Days between the history and the
//! forecast are forecast too, and left out of the answer.
//!
//! Invariants: every expected value is finite and at least 0; a day's total is the sum of its
//! hours. Hours that a daylight-saving change skips are left out; the repeated hour of a
//! fall-back day is one hour, as in the statistics.

use chrono::{Datelike, Days, NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Tz;
use serde::Serialize;

use crate::analytics::{Backtest, ModelKind, forecast_hourly};
use crate::domain::statistics::HourlyCount;

/// The most days one forecast covers.
pub const DAYS_MAX: u32 = 14;

/// How far back the history reaches at most: a year of weeks.
pub const HISTORY_DAYS_MAX: u64 = 52 * 7;

const HOURS_PER_DAY: usize = 24;

/// The days of history used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct HistorySpan {
    /// A Monday.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: u64,
    pub hours: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ExpectedHour {
    pub date: NaiveDate,
    /// Local hour, 0 to 23.
    #[schema(maximum = 23)]
    pub hour: u8,
    /// Expected confirmations, to two decimals.
    pub expected: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ExpectedDay {
    pub date: NaiveDate,
    pub expected: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemandForecast {
    pub model: ModelKind,
    pub backtest: Option<Backtest>,
    /// `None` when there was no history at all (the forecast is then 0 everywhere).
    pub history: Option<HistorySpan>,
    /// Per-day totals, in date order.
    pub days: Vec<ExpectedDay>,
    /// In date and hour order.
    pub hours: Vec<ExpectedHour>,
}

/// The first and last day of history to read for a forecast starting on `from` at a checkpoint
/// whose local date is `today`.
pub fn history_bounds(from: NaiveDate, today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let to = from.min(today).pred_opt().unwrap_or(NaiveDate::MIN);
    let first = to
        .checked_sub_days(Days::new(HISTORY_DAYS_MAX - 1))
        .unwrap_or(NaiveDate::MIN);
    (first, to)
}

/// A gap-free hourly series through `to` (see the module doc), with where it starts.
pub fn hourly_history(rows: &[HourlyCount], to: NaiveDate) -> Option<(NaiveDate, Vec<f64>)> {
    let first_day = rows.iter().map(|row| row.day).filter(|&d| d <= to).min()?;
    let back_to_monday = u64::from(first_day.weekday().num_days_from_monday());
    let previous_monday = first_day.checked_sub_days(Days::new(back_to_monday))?;
    // The next Monday unless counting began on a Monday or the next one is after `to`.
    let start = previous_monday
        .checked_add_days(Days::new(7))
        .filter(|_| back_to_monday > 0)
        .filter(|&next_monday| next_monday <= to)
        .unwrap_or(previous_monday);
    let days = usize::try_from((to - start).num_days() + 1).ok()?;
    let mut values = vec![0.0; days * HOURS_PER_DAY];
    for row in rows {
        let Ok(offset) = usize::try_from((row.day - start).num_days()) else {
            continue;
        };
        let hour = usize::from(row.hour);
        if offset < days && hour < HOURS_PER_DAY {
            values[offset * HOURS_PER_DAY + hour] += row.count as f64;
        }
    }
    Some((start, values))
}

/// Forecasts `days` local days from `from`, learning from `rows` up to `history_to` (the second
/// of [`history_bounds`]); rows after it are ignored. `from` must come after `history_to`.
pub fn forecast_demand(
    rows: &[HourlyCount],
    history_to: NaiveDate,
    from: NaiveDate,
    days: u32,
    time_zone: Tz,
) -> DemandForecast {
    let (history, span) = match hourly_history(rows, history_to) {
        Some((start, values)) => {
            let span = HistorySpan {
                from: start,
                to: history_to,
                days: (values.len() / HOURS_PER_DAY) as u64,
                hours: values.len(),
            };
            (values, Some(span))
        }
        None => (Vec::new(), None),
    };
    let first_forecast_day = history_to.succ_opt().unwrap_or(history_to);
    let skipped_days = usize::try_from((from - first_forecast_day).num_days()).unwrap_or(0);
    let days = days as usize;
    let forecast = forecast_hourly(&history, (skipped_days + days) * HOURS_PER_DAY);

    let mut hours = Vec::with_capacity(days * HOURS_PER_DAY);
    let mut totals = Vec::with_capacity(days);
    for (date, values) in from
        .iter_days()
        .zip(forecast.values.chunks(HOURS_PER_DAY).skip(skipped_days))
    {
        let mut total = 0.0;
        for (hour, &value) in (0u8..).zip(values) {
            if !local_hour_exists(time_zone, date, hour) {
                continue;
            }
            total += value;
            hours.push(ExpectedHour {
                date,
                hour,
                expected: round2(value),
            });
        }
        totals.push(ExpectedDay {
            date,
            expected: round2(total),
        });
    }
    DemandForecast {
        model: forecast.model,
        backtest: forecast.backtest.map(round_backtest),
        history: span,
        days: totals,
        hours,
    }
}

fn local_hour_exists(time_zone: Tz, date: NaiveDate, hour: u8) -> bool {
    NaiveTime::from_hms_opt(u32::from(hour), 0, 0).is_some_and(|time| {
        time_zone
            .from_local_datetime(&date.and_time(time))
            .earliest()
            .is_some()
    })
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

fn round_backtest(backtest: Backtest) -> Backtest {
    Backtest {
        smape_percent: round2(backtest.smape_percent),
        mae: round2(backtest.mae),
        naive_smape_percent: round2(backtest.naive_smape_percent),
        naive_mae: round2(backtest.naive_mae),
        hours: backtest.hours,
    }
}

#[cfg(test)]
mod tests {
    use chrono::Weekday;

    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// Rows for every hour of `days` days from `from`, `count(day_index, hour)` each.
    fn rows(from: NaiveDate, days: u64, count: impl Fn(u64, u8) -> i64) -> Vec<HourlyCount> {
        (0..days)
            .flat_map(|d| {
                let day = from + Days::new(d);
                let count = &count;
                (0..24).map(move |hour| HourlyCount {
                    day,
                    hour,
                    count: count(d, hour),
                })
            })
            .collect()
    }

    #[test]
    fn history_ends_yesterday_or_before_a_past_forecast() {
        let today = date(2026, 3, 20);

        assert_eq!(
            history_bounds(date(2026, 3, 25), today).1,
            date(2026, 3, 19)
        );
        assert_eq!(history_bounds(date(2026, 3, 1), today).1, date(2026, 2, 28));
        let (first, to) = history_bounds(date(2026, 3, 21), today);
        assert_eq!((to - first).num_days() + 1, HISTORY_DAYS_MAX as i64);
    }

    #[test]
    fn history_starts_on_the_first_monday_after_counting_began_and_fills_gaps_with_zero() {
        // 2026-03-04 is a Wednesday; the next Monday is 2026-03-09.
        let mut counted = rows(date(2026, 3, 4), 12, |_, _| 1);
        counted.retain(|row| !(row.day == date(2026, 3, 10) && row.hour == 5));

        let (start, values) = hourly_history(&counted, date(2026, 3, 15)).unwrap();

        assert_eq!(start, date(2026, 3, 9));
        assert_eq!(start.weekday(), Weekday::Mon);
        assert_eq!(values.len(), 7 * 24);
        assert_eq!(values[24 + 5], 0.0);
        assert_eq!(values.iter().filter(|&&v| v == 1.0).count(), 7 * 24 - 1);
    }

    #[test]
    fn a_history_shorter_than_a_week_starts_on_the_monday_before() {
        // Thursday to Saturday.
        let counted = rows(date(2026, 3, 5), 3, |_, _| 2);

        let (start, values) = hourly_history(&counted, date(2026, 3, 7)).unwrap();

        assert_eq!(start, date(2026, 3, 2));
        assert_eq!(values.len(), 6 * 24);
        assert_eq!(values[..3 * 24], [0.0; 72]);
    }

    #[test]
    fn no_rows_means_no_history_and_a_zero_forecast() {
        let forecast =
            forecast_demand(&[], date(2026, 3, 19), date(2026, 3, 21), 2, chrono_tz::UTC);

        assert_eq!(forecast.history, None);
        assert_eq!(forecast.model, ModelKind::Mean);
        assert_eq!(forecast.hours.len(), 48);
        assert!(forecast.hours.iter().all(|h| h.expected == 0.0));
        assert_eq!(forecast.days.len(), 2);
    }

    #[test]
    fn a_weekly_pattern_is_forecast_for_the_requested_days_after_the_gap() {
        // Ten weeks from Monday 2026-01-05; busy hour = 10 + hour of day, Sundays empty.
        let monday = date(2026, 1, 5);
        let pattern = |d: u64, hour: u8| if d % 7 == 6 { 0 } else { 10 + i64::from(hour) };
        let history_to = monday + Days::new(69);
        let counted = rows(monday, 70, pattern);

        // The history ends on a Sunday; the forecast asks for Tuesday and Wednesday after it.
        let from = history_to + Days::new(2);
        let forecast = forecast_demand(&counted, history_to, from, 2, chrono_tz::UTC);

        assert!(matches!(forecast.model, ModelKind::HoltWinters { .. }));
        assert!(forecast.backtest.is_some());
        let span = forecast.history.unwrap();
        assert_eq!((span.from, span.to, span.days), (monday, history_to, 70));
        assert_eq!(forecast.hours.len(), 48);
        assert_eq!(forecast.hours[0].date, from);
        for hour in &forecast.hours {
            let expected = 10.0 + f64::from(hour.hour);
            assert!((hour.expected - expected).abs() < 0.05, "{hour:?}");
        }
        let first_day: f64 = forecast.hours[..24].iter().map(|h| h.expected).sum();
        assert!((forecast.days[0].expected - first_day).abs() < 0.05);
    }

    #[test]
    fn hours_skipped_by_daylight_saving_are_left_out() {
        // Tallinn moves from 03:00 to 04:00 on 2026-03-29.
        let forecast = forecast_demand(
            &[],
            date(2026, 3, 27),
            date(2026, 3, 28),
            3,
            chrono_tz::Europe::Tallinn,
        );

        let on = |day: NaiveDate| forecast.hours.iter().filter(|h| h.date == day).count();
        assert_eq!(on(date(2026, 3, 28)), 24);
        assert_eq!(on(date(2026, 3, 29)), 23);
        assert!(
            !forecast
                .hours
                .iter()
                .any(|h| h.date == date(2026, 3, 29) && h.hour == 3)
        );
    }

    #[test]
    fn rows_after_the_history_are_ignored() {
        let counted = rows(date(2026, 3, 16), 7, |_, _| 5);
        let mut later = rows(date(2026, 3, 23), 1, |_, _| 500);
        later.extend(counted);

        let forecast = forecast_demand(
            &later,
            date(2026, 3, 22),
            date(2026, 3, 23),
            1,
            chrono_tz::UTC,
        );

        assert!(forecast.hours.iter().all(|h| h.expected == 5.0));
    }
}

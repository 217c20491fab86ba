//! Demo checkpoints, so that a fresh `cargo run` has something to book, the schedule
//! generation that creates the windows of every day in the booking horizon, and synthetic
//! booking statistics for past days, so that forecasts have a history to learn from.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, Utc};
use indicatif::ProgressBar;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::analytics::{DemandParams, fixed_date_holidays, synthetic_hourly_demand};
use crate::domain::checkpoint::Calendar;
use crate::domain::statistics::{BookingCounts, StatisticsDelta, StatisticsKey};
use crate::domain::window::{generate_windows, local_date};
use crate::domain::{Category, CategoryCapacity, Checkpoint, CheckpointId, Direction};
use crate::store::{SlotStore, StoreError};

/// The longest synthetic history `seed --history-days` writes: ten years.
pub const HISTORY_DAYS_MAX: u32 = 3660;

fn places(capacity: u32, reserved: u32) -> CategoryCapacity {
    CategoryCapacity { capacity, reserved }
}

/// Three crossings in three time zones: Estonia–Russia, Poland–Ukraine and Turkey–Georgia.
pub fn demo_checkpoints() -> Vec<Checkpoint> {
    let checkpoint = |id: &str, name: &str, (tz, neighbour), window_minutes, capacity| Checkpoint {
        id: CheckpointId::parse(id).expect("demo ids are valid"),
        name: name.to_owned(),
        time_zone: tz,
        neighbour_time_zone: Some(neighbour),
        directions: vec![Direction::Entry, Direction::Exit],
        window_minutes,
        capacity,
        calendar: Calendar::default(),
        opening: None,
    };
    vec![
        checkpoint(
            "narva",
            "Narva – Ivangorod",
            (chrono_tz::Europe::Tallinn, chrono_tz::Europe::Moscow),
            60,
            BTreeMap::from([
                (Category::Car, places(40, 4)),
                (Category::Truck, places(12, 2)),
                (Category::Bus, places(4, 1)),
                (Category::Motorcycle, places(6, 0)),
            ]),
        ),
        checkpoint(
            "medyka",
            "Medyka – Shehyni",
            (chrono_tz::Europe::Warsaw, chrono_tz::Europe::Kyiv),
            60,
            BTreeMap::from([
                (Category::Car, places(30, 3)),
                (Category::Truck, places(20, 2)),
                (Category::Bus, places(6, 1)),
                (Category::Motorcycle, places(6, 0)),
            ]),
        ),
        checkpoint(
            "sarp",
            "Sarp – Sarpi",
            (chrono_tz::Europe::Istanbul, chrono_tz::Asia::Tbilisi),
            30,
            BTreeMap::from([
                (Category::Car, places(20, 2)),
                (Category::Truck, places(10, 1)),
                (Category::Bus, places(3, 0)),
                (Category::Motorcycle, places(4, 0)),
            ]),
        ),
    ]
}

/// A checkpoint for load tests: every window holds far more cars than a test can book, so a
/// `rush` measures the allocator rather than the moment a day sells out.
pub fn bench_checkpoint() -> Checkpoint {
    Checkpoint {
        id: CheckpointId::parse("bench").expect("a valid id"),
        name: "Load test crossing".to_owned(),
        time_zone: chrono_tz::UTC,
        neighbour_time_zone: None,
        directions: vec![Direction::Entry, Direction::Exit],
        window_minutes: 60,
        capacity: BTreeMap::from([(Category::Car, places(1_000_000, 0))]),
        calendar: Calendar::default(),
        opening: None,
    }
}

/// Stores the demo checkpoints unless the store already has checkpoints.
pub async fn seed_demo_if_empty(store: &dyn SlotStore) -> Result<bool, StoreError> {
    if !store.checkpoints().await?.is_empty() {
        return Ok(false);
    }
    for checkpoint in demo_checkpoints() {
        store.upsert_checkpoint(&checkpoint).await?;
    }
    Ok(true)
}

/// Creates the windows of every day from today to the horizon for every checkpoint; days
/// that already have windows are left alone. Returns how many days were looked at.
pub async fn generate_schedule(
    store: &dyn SlotStore,
    now: DateTime<Utc>,
    horizon_days: u32,
) -> Result<usize, StoreError> {
    let mut days = 0;
    for checkpoint in store.checkpoints().await? {
        days += generate_schedule_of(store, &checkpoint, now, horizon_days).await?;
    }
    Ok(days)
}

/// The same for one checkpoint.
pub async fn generate_schedule_of(
    store: &dyn SlotStore,
    checkpoint: &Checkpoint,
    now: DateTime<Utc>,
    horizon_days: u32,
) -> Result<usize, StoreError> {
    let today = local_date(checkpoint.time_zone, now);
    for offset in 0..=i64::from(horizon_days) {
        let day = today + Duration::days(offset);
        let windows = generate_windows(checkpoint, day);
        store.ensure_windows(&checkpoint.id, day, &windows).await?;
    }
    Ok(horizon_days as usize + 1)
}

/// Fills the booking statistics of every checkpoint for the `days` local days before its
/// today with [`synthetic_statistics`], one write per checkpoint day (`progress` counts them).
/// Every hour of every category is written, zeros included, replacing what was there, so a
/// second run over the same days leaves the same rows instead of adding to them. Returns the
/// rows written.
pub async fn seed_history(
    store: &dyn SlotStore,
    now: DateTime<Utc>,
    days: u32,
    progress: &ProgressBar,
) -> Result<u64, StoreError> {
    let days = days.min(HISTORY_DAYS_MAX);
    let checkpoints = store.checkpoints().await?;
    progress.set_length(checkpoints.len() as u64 * u64::from(days));
    let mut written = 0;
    for checkpoint in &checkpoints {
        progress.set_message(checkpoint.id.to_string());
        let today = local_date(checkpoint.time_zone, now);
        let Some(from) = today.checked_sub_days(Days::new(u64::from(days))) else {
            continue;
        };
        let mut rows = synthetic_statistics(checkpoint, from, days);
        rows.sort_by(|a, b| a.key.cmp(&b.key));
        for day in rows.chunk_by(|a, b| a.key.day == b.key.day) {
            store.upsert_statistics(day).await?;
            written += day.len() as u64;
            progress.inc(1);
        }
    }
    Ok(written)
}

/// Statistics rows of `checkpoint` for `days` local days from `from`: every hour of every
/// category it serves. Confirmations follow [`synthetic_hourly_demand`] (cars and trucks with
/// their own parameters, buses and motorcycles as a small share of cars), capped at what the
/// checkpoint can take in an hour; holds, expiries, cancellations, reschedules, arrivals,
/// no-shows and lead times are drawn around them. The same checkpoint, dates and categories
/// always give the same rows.
///
/// Invariants per row: `holds = confirmations + expiries`, and cancellations, reschedules,
/// arrivals + no-shows + cancellations never exceed confirmations.
pub fn synthetic_statistics(
    checkpoint: &Checkpoint,
    from: NaiveDate,
    days: u32,
) -> Vec<StatisticsDelta> {
    let mut rows = Vec::new();
    for (&category, places) in &checkpoint.capacity {
        let seed = history_seed(&checkpoint.id, category, from);
        let params = demand_params(category, hourly_capacity(checkpoint, places.capacity))
            .with_holidays(holidays_between(from, days));
        let mut rng = StdRng::seed_from_u64(seed.rotate_left(17) ^ 0x5EED);
        for hour in synthetic_hourly_demand(&params, from, days, seed) {
            rows.push(StatisticsDelta {
                key: StatisticsKey {
                    checkpoint: checkpoint.id.clone(),
                    day: hour.date,
                    hour: u8::try_from(hour.hour).unwrap_or(0),
                    category,
                },
                counts: booking_counts(&mut rng, category, i64::from(hour.bookings)),
            });
        }
    }
    rows
}

/// What the checkpoint can take of one category in an hour: the places of every window that
/// starts in it, in every direction (the statistics keep no direction).
fn hourly_capacity(checkpoint: &Checkpoint, capacity_per_window: u32) -> u32 {
    let windows_per_hour = 60_u32.div_ceil(checkpoint.window_minutes.max(1));
    let directions = u32::try_from(checkpoint.directions.len()).unwrap_or(u32::MAX);
    capacity_per_window
        .saturating_mul(windows_per_hour)
        .saturating_mul(directions)
}

fn demand_params(category: Category, capacity_per_hour: u32) -> DemandParams {
    let share_of_cars = |share: f64| {
        let cars = DemandParams::cars();
        DemandParams {
            base_hourly: cars.base_hourly * share,
            ..cars
        }
    };
    let params = match category {
        Category::Car => DemandParams::cars(),
        Category::Truck => DemandParams::trucks(),
        // Coaches and motorcycles keep the cars' rhythm at a fraction of their number.
        Category::Bus => share_of_cars(0.1),
        Category::Motorcycle => share_of_cars(0.08),
    };
    DemandParams {
        capacity_per_hour,
        ..params
    }
}

fn holidays_between(from: NaiveDate, days: u32) -> Vec<NaiveDate> {
    let last = from
        .checked_add_days(Days::new(u64::from(days)))
        .unwrap_or(from);
    (from.year()..=last.year())
        .flat_map(fixed_date_holidays)
        .collect()
}

/// Mean hours from confirmation to the window: freight is planned further ahead than a trip.
fn mean_lead_time_hours(category: Category) -> f64 {
    match category {
        Category::Car => 30.0,
        Category::Truck => 54.0,
        Category::Bus => 96.0,
        Category::Motorcycle => 20.0,
    }
}

fn booking_counts(rng: &mut StdRng, category: Category, confirmations: i64) -> BookingCounts {
    let mut draw = |n: i64, p: f64| (0..n).filter(|_| rng.random_bool(p)).count() as i64;
    let expiries = draw(confirmations, 0.12);
    let cancellations = draw(confirmations, 0.06);
    let reschedules = draw(confirmations, 0.04);
    let no_shows = draw(confirmations - cancellations, 0.03);
    let lead_time_hours = mean_lead_time_hours(category) * (0.75 + 0.5 * rng.random::<f64>());
    BookingCounts {
        holds: confirmations + expiries,
        confirmations,
        cancellations,
        expiries,
        reschedules,
        arrivals: confirmations - cancellations - no_shows,
        no_shows,
        lead_time_seconds: (confirmations as f64 * lead_time_hours * 3600.0).round() as i64,
        lead_times: confirmations,
        ..BookingCounts::default()
    }
}

/// A seed that depends only on what it names (FNV-1a; std's hasher may change between
/// releases, which would change the history a seed produces).
fn history_seed(checkpoint: &CheckpointId, category: Category, from: NaiveDate) -> u64 {
    let text = format!("{checkpoint}/{}/{from}", category.as_str());
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn monday() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()
    }

    #[test]
    fn synthetic_statistics_cover_every_hour_of_every_category() {
        let narva = demo_checkpoints().remove(0);

        let rows = synthetic_statistics(&narva, monday(), 3);

        assert_eq!(rows.len(), 3 * 24 * narva.capacity.len());
        let keys: std::collections::BTreeSet<_> = rows.iter().map(|r| r.key.clone()).collect();
        assert_eq!(keys.len(), rows.len(), "one row per key");
    }

    #[test]
    fn synthetic_counts_are_consistent_and_within_the_hourly_capacity() {
        for checkpoint in demo_checkpoints() {
            let rows = synthetic_statistics(&checkpoint, monday(), 28);
            for row in &rows {
                let c = &row.counts;
                let capacity = checkpoint.capacity[&row.key.category].capacity;
                assert!(c.confirmations <= i64::from(hourly_capacity(&checkpoint, capacity)));
                assert_eq!(c.holds, c.confirmations + c.expiries);
                assert!(c.cancellations <= c.confirmations && c.reschedules <= c.confirmations);
                assert_eq!(c.arrivals + c.no_shows + c.cancellations, c.confirmations);
                assert_eq!(c.lead_times, c.confirmations);
                assert!(c.lead_time_seconds >= 0);
            }
            let confirmations: i64 = rows.iter().map(|r| r.counts.confirmations).sum();
            assert!(confirmations > 0, "{}", checkpoint.id);
        }
    }

    #[test]
    fn the_same_days_give_the_same_rows() {
        let narva = demo_checkpoints().remove(0);

        assert_eq!(
            synthetic_statistics(&narva, monday(), 7),
            synthetic_statistics(&narva, monday(), 7)
        );
    }

    #[test]
    fn cars_outnumber_buses() {
        let narva = demo_checkpoints().remove(0);
        let rows = synthetic_statistics(&narva, monday(), 14);
        let total = |category: Category| -> i64 {
            rows.iter()
                .filter(|r| r.key.category == category)
                .map(|r| r.counts.confirmations)
                .sum()
        };

        assert!(total(Category::Car) > 5 * total(Category::Bus));
    }

    #[test]
    fn hourly_capacity_counts_every_window_and_direction_starting_in_the_hour() {
        let sarp = demo_checkpoints().remove(2);

        // 30-minute windows, two directions, 20 cars a window.
        assert_eq!(hourly_capacity(&sarp, 20), 80);
    }
}

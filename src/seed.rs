//! Demo checkpoints, so that a fresh `cargo run` has something to book, and the schedule
//! generation that creates the windows of every day in the booking horizon.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use crate::domain::window::{generate_windows, local_date};
use crate::domain::{Category, CategoryCapacity, Checkpoint, CheckpointId, Direction};
use crate::store::{SlotStore, StoreError};

fn places(capacity: u32, reserved: u32) -> CategoryCapacity {
    CategoryCapacity { capacity, reserved }
}

/// Three crossings in three time zones: Estonia–Russia, Poland–Ukraine and Turkey–Georgia.
pub fn demo_checkpoints() -> Vec<Checkpoint> {
    let checkpoint = |id: &str, name: &str, tz, window_minutes, capacity| Checkpoint {
        id: CheckpointId::parse(id).expect("demo ids are valid"),
        name: name.to_owned(),
        time_zone: tz,
        directions: vec![Direction::Entry, Direction::Exit],
        window_minutes,
        capacity,
    };
    vec![
        checkpoint(
            "narva",
            "Narva – Ivangorod",
            chrono_tz::Europe::Tallinn,
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
            chrono_tz::Europe::Warsaw,
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
            chrono_tz::Europe::Istanbul,
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
        directions: vec![Direction::Entry, Direction::Exit],
        window_minutes: 60,
        capacity: BTreeMap::from([(Category::Car, places(1_000_000, 0))]),
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
        let today = local_date(checkpoint.time_zone, now);
        for offset in 0..=i64::from(horizon_days) {
            let day = today + Duration::days(offset);
            let windows = generate_windows(&checkpoint, day);
            store.ensure_windows(&checkpoint.id, day, &windows).await?;
            days += 1;
        }
    }
    Ok(days)
}

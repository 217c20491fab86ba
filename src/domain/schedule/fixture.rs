//! A day to try schedule decisions on: hourly car windows of one entry lane, in UTC, and
//! confirmed bookings made in them.

use std::collections::BTreeMap;

use chrono::{Duration, TimeZone};

use super::*;
use crate::domain::checkpoint::{CategoryCapacity, Checkpoint};
use crate::domain::window::generate_windows;

pub fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 21).unwrap()
}

pub fn at(hour: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date().and_hms_opt(hour, 0, 0).unwrap())
}

/// A day of hourly car windows of `capacity` places, `reserved` of them for priority.
pub fn day(capacity: u32, reserved: u32) -> DaySchedule {
    let checkpoint = Checkpoint {
        id: CheckpointId::parse("tiny").unwrap(),
        name: "Tiny".to_owned(),
        time_zone: chrono_tz::UTC,
        neighbour_time_zone: None,
        directions: vec![Direction::Entry],
        window_minutes: 60,
        capacity: BTreeMap::from([(Category::Car, CategoryCapacity { capacity, reserved })]),
        calendar: Default::default(),
        opening: None,
    };
    let windows = generate_windows(&checkpoint, date());
    DaySchedule::from_parts(checkpoint.id, chrono_tz::UTC, date(), windows, Vec::new()).unwrap()
}

pub fn key(hour: u32) -> WindowKey {
    WindowKey {
        direction: Direction::Entry,
        category: Category::Car,
        start: at(hour),
    }
}

/// A day before the schedule's date, so every window is open to bookings.
pub fn now() -> DateTime<Utc> {
    at(0) - Duration::days(1)
}

/// Books a confirmed place at `hour` for `plate`, `seconds` after [`now`].
pub fn book(
    day: &mut DaySchedule,
    hour: u32,
    plate: &str,
    priority: PriorityClass,
    seconds: i64,
) -> Booking {
    let request = HoldRequest {
        priority,
        ..confirmed_hold(hour, plate)
    };
    let at = now() + Duration::seconds(seconds);
    day.hold(request, &Policy::default(), at).unwrap().0
}

/// A request for a place at `hour` for `plate`, confirmed at once.
pub fn confirmed_hold(hour: u32, plate: &str) -> HoldRequest {
    HoldRequest {
        id: BookingId::generate(),
        code: BookingCode::generate(&mut rand::rng()),
        manage_token_digest: String::new(),
        window: key(hour),
        plate: Some(Plate::parse(plate).unwrap()),
        contact: Some(Contact::parse(&format!("{plate}@example.com")).unwrap()),
        priority: PriorityClass::Normal,
        confirm: true,
        carrier: None,
        owner: None,
    }
}

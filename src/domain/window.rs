//! Windows `[start, end)` of one schedule day and how they are generated.
//!
//! Windows are cut from the day's local midnight to the next local midnight in steps of the
//! template's length measured in elapsed time, so a day with a spring-forward change has one
//! window fewer and a fall-back day one more, and no two windows ever overlap.
//! Invariant, checked after every change: `held + confirmed <= capacity`.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::booking::PriorityClass;
use super::checkpoint::{Category, Checkpoint, Direction};

/// Identifies one window within a checkpoint: who it is for and when it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct WindowKey {
    pub direction: Direction,
    pub category: Category,
    pub start: DateTime<Utc>,
}

/// One window's capacity and occupancy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotWindow {
    pub key: WindowKey,
    pub end: DateTime<Utc>,
    pub capacity: u32,
    pub reserved: u32,
    pub held: u32,
    pub confirmed: u32,
    /// Places taken by priority classes; they use the reserved share first.
    pub priority_taken: u32,
    pub blocked: Option<String>,
}

impl SlotWindow {
    pub fn taken(&self) -> u32 {
        self.held + self.confirmed
    }

    /// Reserved places not yet used by a priority booking; the public never gets them.
    fn reserved_unused(&self) -> u32 {
        self.reserved.saturating_sub(self.priority_taken)
    }

    pub fn available_to(&self, priority: PriorityClass) -> u32 {
        let free = self.capacity.saturating_sub(self.taken());
        if priority.is_priority() {
            free
        } else {
            free.saturating_sub(self.reserved_unused())
        }
    }

    pub fn assert_invariants(&self) {
        assert!(
            self.taken() <= self.capacity,
            "window {:?} holds {} + {} over capacity {}",
            self.key,
            self.held,
            self.confirmed,
            self.capacity
        );
        assert!(self.priority_taken <= self.taken());
    }
}

/// The instant a local calendar day begins. Where midnight itself is skipped by a DST change,
/// the day begins at the first local time that exists.
pub fn local_day_start(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    for hour in 0..24 {
        let local = date.and_time(NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or_default());
        if let Some(instant) = tz.from_local_datetime(&local).earliest() {
            return instant.with_timezone(&Utc);
        }
    }
    // No zone skips a whole day's worth of hours except by skipping the date entirely
    // (Samoa 2011); such a day simply has no windows.
    let fallback = date.and_time(NaiveTime::MIN);
    Utc.from_utc_datetime(&fallback)
}

/// The local date an instant falls on at the checkpoint.
pub fn local_date(tz: Tz, instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&tz).date_naive()
}

/// All windows of one local day for every direction and category the checkpoint serves.
pub fn generate_windows(checkpoint: &Checkpoint, date: NaiveDate) -> Vec<SlotWindow> {
    let Some(next_date) = date.succ_opt() else {
        return Vec::new();
    };
    let day_start = local_day_start(checkpoint.time_zone, date);
    let day_end = local_day_start(checkpoint.time_zone, next_date);
    let step = Duration::minutes(i64::from(checkpoint.window_minutes.max(1)));
    let mut windows = Vec::new();
    let mut start = day_start;
    while start < day_end {
        let end = (start + step).min(day_end);
        let local = start.with_timezone(&checkpoint.time_zone);
        let (weekday, hour) = (
            local.weekday().number_from_monday() as u8,
            local.hour() as u8,
        );
        for &direction in &checkpoint.directions {
            for &category in checkpoint.capacity.keys() {
                let Some(places) = checkpoint.places_at(category, date, weekday, hour) else {
                    continue;
                };
                windows.push(SlotWindow {
                    key: WindowKey {
                        direction,
                        category,
                        start,
                    },
                    end,
                    capacity: places.capacity,
                    reserved: places.reserved.min(places.capacity),
                    held: 0,
                    confirmed: 0,
                    priority_taken: 0,
                    blocked: None,
                });
            }
        }
        start = end;
    }
    windows
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::domain::checkpoint::{CategoryCapacity, CheckpointId};

    #[test]
    fn the_calendar_shapes_capacity_by_weekday_hour_and_holiday() {
        use crate::domain::checkpoint::{Calendar, CapacityRule, Holiday};
        let mut checkpoint = hourly(chrono_tz::UTC);
        checkpoint.calendar = Calendar {
            rules: vec![CapacityRule {
                category: Category::Car,
                weekdays: vec![6, 7],
                from_hour: 8,
                to_hour: 12,
                capacity: 20,
                reserved: 4,
            }],
            holidays: vec![Holiday {
                date: NaiveDate::from_ymd_opt(2026, 12, 25).unwrap(),
                capacity_percent: 50,
            }],
        };
        let capacity_at = |date: NaiveDate, hour: usize| {
            let window = &generate_windows(&checkpoint, date)[hour];
            (window.capacity, window.reserved)
        };
        // Saturday 2026-03-21: the weekend rule in the morning only.
        let saturday = NaiveDate::from_ymd_opt(2026, 3, 21).unwrap();
        assert_eq!(capacity_at(saturday, 9), (20, 4));
        assert_eq!(capacity_at(saturday, 13), (10, 2));
        // A Friday: the template.
        assert_eq!(
            capacity_at(NaiveDate::from_ymd_opt(2026, 3, 20).unwrap(), 9),
            (10, 2)
        );
        // Christmas (a Friday): half of the places.
        assert_eq!(
            capacity_at(NaiveDate::from_ymd_opt(2026, 12, 25).unwrap(), 9),
            (5, 1)
        );
    }

    fn hourly(tz: Tz) -> Checkpoint {
        Checkpoint {
            id: CheckpointId::parse("test").unwrap(),
            name: "Test".into(),
            time_zone: tz,
            neighbour_time_zone: None,
            directions: vec![Direction::Entry],
            window_minutes: 60,
            capacity: BTreeMap::from([(
                Category::Car,
                CategoryCapacity {
                    capacity: 10,
                    reserved: 2,
                },
            )]),
            calendar: Default::default(),
            opening: None,
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn an_ordinary_day_has_24_hourly_windows() {
        let windows = generate_windows(&hourly(chrono_tz::Europe::Tallinn), date(2026, 6, 1));
        assert_eq!(windows.len(), 24);
    }

    #[test]
    fn spring_forward_day_has_23_windows_that_skip_the_missing_hour() {
        let windows = generate_windows(&hourly(chrono_tz::Europe::Tallinn), date(2026, 3, 29));
        assert_eq!(windows.len(), 23);
        let local_hours: Vec<u32> = windows
            .iter()
            .map(|w| {
                use chrono::Timelike;
                w.key
                    .start
                    .with_timezone(&chrono_tz::Europe::Tallinn)
                    .hour()
            })
            .collect();
        assert!(!local_hours.contains(&3), "03:00 does not exist that night");
        assert_eq!(local_hours[..4], [0, 1, 2, 4]);
    }

    #[test]
    fn fall_back_day_has_25_windows_with_the_repeated_hour_twice() {
        let windows = generate_windows(&hourly(chrono_tz::Europe::Tallinn), date(2026, 10, 25));
        assert_eq!(windows.len(), 25);
        let threes = windows
            .iter()
            .filter(|w| {
                use chrono::Timelike;
                w.key
                    .start
                    .with_timezone(&chrono_tz::Europe::Tallinn)
                    .hour()
                    == 3
            })
            .count();
        assert_eq!(threes, 2);
    }

    #[test]
    fn windows_tile_the_day_without_gaps_or_overlaps() {
        for d in [date(2026, 3, 29), date(2026, 10, 25), date(2026, 7, 7)] {
            let cp = hourly(chrono_tz::Europe::Warsaw);
            let windows = generate_windows(&cp, d);
            assert_eq!(windows[0].key.start, local_day_start(cp.time_zone, d));
            for pair in windows.windows(2) {
                assert_eq!(pair[0].end, pair[1].key.start);
            }
            assert_eq!(
                windows.last().unwrap().end,
                local_day_start(cp.time_zone, d.succ_opt().unwrap())
            );
        }
    }

    #[test]
    fn a_day_whose_midnight_is_skipped_starts_at_the_first_existing_hour() {
        // Santiago moved clocks from 00:00 to 01:00 on 2026-09-06.
        let tz = chrono_tz::America::Santiago;
        let start = local_day_start(tz, date(2026, 9, 6)).with_timezone(&tz);
        use chrono::Timelike;
        assert_eq!(start.hour(), 1);
        assert_eq!(generate_windows(&hourly(tz), date(2026, 9, 6)).len(), 23);
    }

    #[test]
    fn reserved_places_are_offered_only_to_priority_classes() {
        let mut w = generate_windows(&hourly(chrono_tz::UTC), date(2026, 6, 1)).remove(0);
        assert_eq!(w.available_to(PriorityClass::Normal), 8);
        assert_eq!(w.available_to(PriorityClass::Humanitarian), 10);
        w.held = 8;
        assert_eq!(w.available_to(PriorityClass::Normal), 0);
        assert_eq!(w.available_to(PriorityClass::Perishable), 2);
        w.held = 9;
        w.priority_taken = 1;
        assert_eq!(w.available_to(PriorityClass::Normal), 0);
        w.held = 7;
        w.priority_taken = 3;
        // Three priority bookings used the two reserved places and one public one.
        assert_eq!(w.available_to(PriorityClass::Normal), 3);
    }
}

//! The live queue view of a checkpoint — how full today's and tomorrow's windows are per
//! lane, how many vehicles have checked in and are still expected today, and the next window
//! each lane can still book — for the status page and its API route.

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::Serialize;

use super::AppState;
use super::error::ApiError;
use super::local_times::WindowTimes;
use crate::actors::schedule::{DayQueue, QueryQueue};
use crate::domain::{Category, Checkpoint, CheckpointId, Direction, PriorityClass, SlotWindow};

#[derive(Debug, Serialize)]
pub struct CheckpointStatus {
    pub checkpoint: String,
    pub name: String,
    pub time_zone: String,
    pub neighbour_time_zone: Option<String>,
    pub as_of: DateTime<Utc>,
    pub lanes: Vec<LaneStatus>,
}

#[derive(Debug, Serialize)]
pub struct LaneStatus {
    pub direction: Direction,
    pub category: Category,
    pub today: DayFullness,
    pub tomorrow: DayFullness,
    /// Vehicles checked in today.
    pub checked_in: u32,
    /// Confirmed bookings of today whose window has not ended and who have not checked in.
    pub expected: u32,
    pub next_free_window: Option<FreeWindow>,
}

#[derive(Debug, Serialize)]
pub struct DayFullness {
    pub date: NaiveDate,
    /// Places the public can book over the day (reserved places excluded); today, over the
    /// windows that are not over yet.
    pub capacity: u32,
    pub booked: u32,
    pub available: u32,
    pub percent_full: u32,
}

#[derive(Debug, Serialize)]
pub struct FreeWindow {
    #[serde(flatten)]
    pub times: WindowTimes,
    pub available: u32,
}

pub async fn checkpoint_status(
    state: &AppState,
    checkpoint: &Checkpoint,
) -> Result<CheckpointStatus, ApiError> {
    let now = state.now();
    let today = state.today_at(checkpoint);
    let tomorrow = today + Days::new(1);
    // Two day actors, asked at once.
    let (today_queue, tomorrow_queue) = futures_util::future::try_join(
        day_queue(state, &checkpoint.id, today, today),
        day_queue(state, &checkpoint.id, tomorrow, today),
    )
    .await?;
    let policy = *state.policy();
    let mut lanes = Vec::new();
    for &direction in &checkpoint.directions {
        for &category in checkpoint.capacity.keys() {
            let in_lane =
                |w: &&SlotWindow| w.key.direction == direction && w.key.category == category;
            let queue = today_queue
                .lanes
                .get(&(direction, category))
                .copied()
                .unwrap_or_default();
            let next_free_window = today_queue
                .windows
                .iter()
                .chain(tomorrow_queue.windows.iter())
                .filter(in_lane)
                .find(|w| {
                    w.blocked.is_none()
                        && w.available_to(PriorityClass::Normal) > 0
                        && policy.check_window_open(w.key.start, now).is_ok()
                })
                .map(|w| FreeWindow {
                    times: WindowTimes::new(w.key.start, w.end, checkpoint.time_zone),
                    available: w.available_to(PriorityClass::Normal),
                });
            lanes.push(LaneStatus {
                direction,
                category,
                // What is over cannot fill any more: today is the rest of the day.
                today: fullness(
                    today,
                    today_queue
                        .windows
                        .iter()
                        .filter(in_lane)
                        .filter(|w| w.end > now),
                ),
                tomorrow: fullness(tomorrow, tomorrow_queue.windows.iter().filter(in_lane)),
                checked_in: queue.checked_in,
                expected: queue.expected,
                next_free_window,
            });
        }
    }
    Ok(CheckpointStatus {
        checkpoint: checkpoint.id.to_string(),
        name: checkpoint.name.clone(),
        time_zone: checkpoint.time_zone.name().to_owned(),
        neighbour_time_zone: checkpoint
            .neighbour_time_zone
            .map(|tz| tz.name().to_owned()),
        as_of: now,
        lanes,
    })
}

/// A day beyond the schedule's horizon (tomorrow at the edge) has no windows yet: empty.
async fn day_queue(
    state: &AppState,
    checkpoint: &CheckpointId,
    date: NaiveDate,
    today: NaiveDate,
) -> Result<DayQueue, ApiError> {
    if state.policy().check_day(date, today).is_err() {
        return Ok(DayQueue {
            windows: Vec::new(),
            lanes: Default::default(),
        });
    }
    Ok(state.registry.ask(checkpoint, date, QueryQueue).await?)
}

fn fullness<'a>(date: NaiveDate, windows: impl Iterator<Item = &'a SlotWindow>) -> DayFullness {
    let (mut capacity, mut booked, mut available) = (0, 0, 0);
    for window in windows {
        let public = window.capacity.saturating_sub(window.reserved);
        capacity += public;
        available += if window.blocked.is_some() {
            0
        } else {
            window.available_to(PriorityClass::Normal)
        };
        booked += window.taken().min(public);
    }
    // A day with no public places at all is as full as a day can be.
    let percent_full = (u64::from(capacity - available.min(capacity)) * 100)
        .checked_div(u64::from(capacity))
        .map_or(100, |percent| percent as u32);
    DayFullness {
        date,
        capacity,
        booked,
        available,
        percent_full,
    }
}

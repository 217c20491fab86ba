//! The waitlist: drivers who wait for a place in windows that are full.
//!
//! An entry names a lane of one checkpoint day and the windows it would take (some windows, or
//! every window starting in a time range), with the vehicle's plate and a contact. When a place
//! frees up in that range, the day's schedule offers it to the first waiting entry — priority
//! classes first, then the order they joined in — as a short hold. Accepted in time, the hold
//! becomes the driver's booking (or, for an entry made from an existing booking, the booking
//! moves into it and gives its old place back); unconfirmed, the offer expires and the place
//! goes to the next entry.
//!
//! `waiting → offered → accepted`, or `expired` (the offer ran out), `declined`, `left`.
//! Only `waiting` and `offered` entries are active: one per plate, checkpoint, direction and day.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::booking::{BookingId, PriorityClass};
use super::checkpoint::{Category, CheckpointId, Direction};
use super::code::BookingCode;
use super::contact::Contact;
use super::error::InputError;
use super::plate::Plate;
use super::window::SlotWindow;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct WaitlistId(pub Uuid);

impl WaitlistId {
    pub fn new_random() -> Self {
        Self(super::random_id())
    }
}

impl fmt::Display for WaitlistId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitlistStatus {
    Waiting,
    Offered,
    Accepted,
    Expired,
    Declined,
    Left,
}

impl WaitlistStatus {
    pub const ALL: [WaitlistStatus; 6] = [
        WaitlistStatus::Waiting,
        WaitlistStatus::Offered,
        WaitlistStatus::Accepted,
        WaitlistStatus::Expired,
        WaitlistStatus::Declined,
        WaitlistStatus::Left,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WaitlistStatus::Waiting => "waiting",
            WaitlistStatus::Offered => "offered",
            WaitlistStatus::Accepted => "accepted",
            WaitlistStatus::Expired => "expired",
            WaitlistStatus::Declined => "declined",
            WaitlistStatus::Left => "left",
        }
    }

    /// Whether the entry still waits for a place or holds an offer.
    pub fn is_active(self) -> bool {
        matches!(self, WaitlistStatus::Waiting | WaitlistStatus::Offered)
    }
}

impl FromStr for WaitlistStatus {
    type Err = InputError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        WaitlistStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| InputError::new("status", format!("unknown waitlist status {s}")))
    }
}

/// The windows an entry would take: those of its lane starting in `[from, to)`, and of those
/// only the ones `starts` names when it names any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitRange {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub starts: Vec<DateTime<Utc>>,
}

impl WaitRange {
    /// Exactly the windows starting at `starts` (at least one).
    pub fn windows(mut starts: Vec<DateTime<Utc>>) -> Result<Self, InputError> {
        starts.sort();
        starts.dedup();
        let (Some(&from), Some(&last)) = (starts.first(), starts.last()) else {
            return Err(InputError::new("window_starts", "name at least one window"));
        };
        Ok(Self {
            from,
            to: last + chrono::Duration::seconds(1),
            starts,
        })
    }

    /// Every window starting in `[from, to)`.
    pub fn between(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Self, InputError> {
        if from >= to {
            return Err(InputError::new("to", "the range must end after it starts"));
        }
        Ok(Self {
            from,
            to,
            starts: Vec::new(),
        })
    }

    pub fn contains(&self, start: DateTime<Utc>) -> bool {
        start >= self.from
            && start < self.to
            && (self.starts.is_empty() || self.starts.contains(&start))
    }
}

/// The place held for an entry, waiting for the driver's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    /// The hold that keeps the place: a held booking under the entry's code.
    pub booking: BookingId,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub offered_at: DateTime<Utc>,
}

/// One driver waiting for a place on one checkpoint day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitlistEntry {
    pub id: WaitlistId,
    pub checkpoint: CheckpointId,
    pub day: NaiveDate,
    pub direction: Direction,
    pub category: Category,
    pub range: WaitRange,
    pub plate: Plate,
    pub contact: Contact,
    pub priority: PriorityClass,
    /// The order of joining within the day: the first come is the first served.
    pub seq: i64,
    pub status: WaitlistStatus,
    /// Bumped by every change; a write that expects another version is refused by the store.
    pub version: i64,
    /// The code of the booking offered to this entry, once one was.
    #[serde(default)]
    pub code: Option<BookingCode>,
    #[serde(skip_serializing, default)]
    pub token_digest: String,
    /// The driver's booking to move into an earlier window, for an entry made from one.
    #[serde(default)]
    pub booking: Option<BookingId>,
    #[serde(default)]
    pub offer: Option<Offer>,
    /// How many places were offered to this entry (one, unless it was offered again after a
    /// failed write reloaded the day).
    #[serde(default)]
    pub offers: u32,
    /// The carrier API key that made the entry; the booking it makes is that carrier's.
    #[serde(default)]
    pub carrier: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl WaitlistEntry {
    /// Whether `window` is one this entry would take.
    pub fn wants(&self, window: &SlotWindow) -> bool {
        window.key.direction == self.direction
            && window.key.category == self.category
            && self.range.contains(window.key.start)
    }

    /// The order entries are served in: priority classes first, then who came first.
    pub fn order_key(&self) -> (bool, i64, Uuid) {
        (!self.priority.is_priority(), self.seq, self.id.0)
    }
}

/// A request to join a day's waitlist.
#[derive(Debug, Clone)]
pub struct JoinRequest {
    pub id: WaitlistId,
    pub token_digest: String,
    pub direction: Direction,
    pub category: Category,
    pub range: WaitRange,
    pub plate: Plate,
    pub contact: Contact,
    pub priority: PriorityClass,
    /// The booking to move to an earlier window, when the driver has one already.
    pub booking: Option<BookingId>,
    /// The carrier API key making the entry, if any.
    pub carrier: Option<Uuid>,
}

/// An entry as its driver sees it: where it stands, and the offer if there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitlistStanding {
    pub entry: WaitlistEntry,
    /// 1 for the entry served next; `None` unless the entry is waiting.
    pub position: Option<usize>,
    /// Entries of the day waiting or offered now.
    pub active: usize,
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 21, hour, 0, 0).unwrap()
    }

    #[test]
    fn a_range_of_named_windows_contains_only_those() {
        let range = WaitRange::windows(vec![at(10), at(8)]).unwrap();
        assert!(range.contains(at(8)) && range.contains(at(10)));
        assert!(!range.contains(at(9)) && !range.contains(at(11)));
        assert!(WaitRange::windows(Vec::new()).is_err());
    }

    #[test]
    fn a_time_range_contains_the_windows_starting_in_it() {
        let range = WaitRange::between(at(8), at(11)).unwrap();
        assert!(range.contains(at(8)) && range.contains(at(10)));
        assert!(!range.contains(at(11)) && !range.contains(at(7)));
        assert!(WaitRange::between(at(9), at(9)).is_err());
    }

    #[test]
    fn statuses_read_back_and_only_waiting_and_offered_are_active() {
        for status in WaitlistStatus::ALL {
            assert_eq!(status.as_str().parse::<WaitlistStatus>().unwrap(), status);
        }
        let active: Vec<_> = WaitlistStatus::ALL
            .into_iter()
            .filter(|s| s.is_active())
            .collect();
        assert_eq!(active, [WaitlistStatus::Waiting, WaitlistStatus::Offered]);
    }
}

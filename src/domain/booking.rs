//! Bookings and their life cycle.
//!
//! `held → confirmed → arrived → completed`, or `cancelled`, `expired` (hold not confirmed in
//! time), `no_show` (window and grace passed without arrival). Only `held`, `confirmed` and
//! `arrived` occupy a place in their window.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::checkpoint::{Category, CheckpointId, Direction};
use super::code::BookingCode;
use super::contact::Contact;
use super::error::InputError;
use super::plate::Plate;
use super::window::WindowKey;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BookingId(pub Uuid);

impl BookingId {
    pub fn generate() -> Self {
        Self(super::time_ordered_id())
    }
}

impl fmt::Display for BookingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookingStatus {
    Held,
    Confirmed,
    Arrived,
    Completed,
    Cancelled,
    Expired,
    NoShow,
}

impl BookingStatus {
    pub const ALL: [BookingStatus; 7] = [
        BookingStatus::Held,
        BookingStatus::Confirmed,
        BookingStatus::Arrived,
        BookingStatus::Completed,
        BookingStatus::Cancelled,
        BookingStatus::Expired,
        BookingStatus::NoShow,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BookingStatus::Held => "held",
            BookingStatus::Confirmed => "confirmed",
            BookingStatus::Arrived => "arrived",
            BookingStatus::Completed => "completed",
            BookingStatus::Cancelled => "cancelled",
            BookingStatus::Expired => "expired",
            BookingStatus::NoShow => "no_show",
        }
    }

    /// Whether the booking occupies a place in its window.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            BookingStatus::Held | BookingStatus::Confirmed | BookingStatus::Arrived
        )
    }

    pub fn can_become(self, next: BookingStatus) -> bool {
        use BookingStatus::*;
        matches!(
            (self, next),
            (Held, Confirmed | Cancelled | Expired)
                | (Confirmed, Arrived | Cancelled | NoShow)
                | (Arrived, Completed)
        )
    }
}

impl FromStr for BookingStatus {
    type Err = InputError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BookingStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| InputError::new("status", format!("unknown status {s}")))
    }
}

/// Who a place is for. Every class but `normal` may use the capacity a window keeps reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriorityClass {
    #[default]
    Normal,
    Humanitarian,
    Perishable,
    Diplomatic,
    Emergency,
}

impl PriorityClass {
    pub const ALL: [PriorityClass; 5] = [
        PriorityClass::Normal,
        PriorityClass::Humanitarian,
        PriorityClass::Perishable,
        PriorityClass::Diplomatic,
        PriorityClass::Emergency,
    ];

    pub fn is_priority(self) -> bool {
        self != PriorityClass::Normal
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PriorityClass::Normal => "normal",
            PriorityClass::Humanitarian => "humanitarian",
            PriorityClass::Perishable => "perishable",
            PriorityClass::Diplomatic => "diplomatic",
            PriorityClass::Emergency => "emergency",
        }
    }
}

impl FromStr for PriorityClass {
    type Err = InputError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PriorityClass::ALL
            .into_iter()
            .find(|class| class.as_str() == s)
            .ok_or_else(|| InputError::new("priority", format!("unknown priority class {s}")))
    }
}

/// A place in one window for one vehicle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    pub id: BookingId,
    pub code: BookingCode,
    pub checkpoint: CheckpointId,
    pub day: NaiveDate,
    pub direction: Direction,
    pub category: Category,
    #[serde(serialize_with = "crate::domain::json_time::serialize")]
    pub window_start: DateTime<Utc>,
    #[serde(serialize_with = "crate::domain::json_time::serialize")]
    pub window_end: DateTime<Utc>,
    pub plate: Option<Plate>,
    pub contact: Option<Contact>,
    pub priority: PriorityClass,
    pub status: BookingStatus,
    /// Bumped by every change; a write that expects another version is refused by the store.
    pub version: i64,
    #[serde(skip_serializing, default)]
    pub manage_token_digest: String,
    #[serde(serialize_with = "crate::domain::json_time::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::domain::json_time::serialize")]
    pub updated_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::domain::json_time::option")]
    pub hold_expires_at: Option<DateTime<Utc>>,
    /// Set on a booking made to move another one from a different day; while set, this booking
    /// is a transfer hold that becomes the driver's booking once the source gives up its place.
    pub moved_from: Option<BookingId>,
    /// The status a transfer hold takes once the move completes.
    pub status_after_move: Option<BookingStatus>,
    /// Set on a booking that was moved to another day.
    pub moved_to: Option<BookingId>,
    /// The carrier API key that made the booking; that carrier may manage it without the
    /// manage token, and no other carrier sees it.
    #[serde(default)]
    pub carrier: Option<Uuid>,
    /// How often the booking has been moved to another window.
    #[serde(default)]
    pub reschedules: u32,
    /// Set while the checkpoint has moved the booking out of a window it closed and the driver
    /// has not yet accepted the new one: the start of the window it was in.
    #[serde(default, serialize_with = "crate::domain::json_time::option")]
    pub reslotted_from: Option<DateTime<Utc>>,
}

impl Booking {
    pub fn window_key(&self) -> WindowKey {
        WindowKey {
            direction: self.direction,
            category: self.category,
            start: self.window_start,
        }
    }

    /// A place taken for a move that has not completed yet.
    pub fn is_transfer_hold(&self) -> bool {
        self.status_after_move.is_some() && self.status == BookingStatus::Held
    }
}

/// The account a booking belongs to, written with the booking so that a booking made while
/// signed in is never left without its owner: the provider's `sub`, and the carrier
/// organisation whose staff see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountOwner {
    pub subject: String,
    pub organisation: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::BookingStatus::*;

    #[test]
    fn the_status_machine_allows_only_forward_transitions() {
        assert!(Held.can_become(Confirmed));
        assert!(Held.can_become(Expired));
        assert!(Confirmed.can_become(Arrived));
        assert!(Confirmed.can_become(NoShow));
        assert!(Arrived.can_become(Completed));
        assert!(!Confirmed.can_become(Held));
        assert!(!Expired.can_become(Confirmed));
        assert!(!Cancelled.can_become(Confirmed));
        assert!(!Held.can_become(Arrived));
        assert!(!Completed.can_become(Cancelled));
    }

    #[test]
    fn only_held_confirmed_and_arrived_occupy_a_place() {
        let active: Vec<_> = [
            Held, Confirmed, Arrived, Completed, Cancelled, Expired, NoShow,
        ]
        .into_iter()
        .filter(|s| s.is_active())
        .collect();
        assert_eq!(active, [Held, Confirmed, Arrived]);
    }
}

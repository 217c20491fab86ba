//! Events: one for every state change, written to the outbox in the same transaction as the
//! change itself. Their JSON shape is documented in `docs/events.md`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::booking::Booking;
use super::checkpoint::CheckpointId;
use super::draw::{Admission, DrawClose, DrawEntry};
use super::payload::EventPayload;
use super::waitlist::WaitlistEntry;
use super::window::SlotWindow;

pub const EVENT_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelledBy {
    Holder,
    Staff,
    /// The holder, turning down the window the checkpoint moved the booking to: the
    /// checkpoint's doing, so it is not held against the plate.
    HolderRefusingReslot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    #[serde(rename = "booking.held")]
    BookingHeld,
    #[serde(rename = "booking.confirmed")]
    BookingConfirmed,
    #[serde(rename = "booking.cancelled")]
    BookingCancelled,
    #[serde(rename = "booking.rescheduled")]
    BookingRescheduled,
    #[serde(rename = "booking.expired")]
    BookingExpired,
    #[serde(rename = "booking.arrived")]
    BookingArrived,
    #[serde(rename = "booking.no_show")]
    BookingNoShow,
    #[serde(rename = "booking.reslotted")]
    BookingReslotted,
    #[serde(rename = "booking.reslot_accepted")]
    BookingReslotAccepted,
    #[serde(rename = "window.blocked")]
    WindowBlocked,
    #[serde(rename = "window.unblocked")]
    WindowUnblocked,
    #[serde(rename = "window.reserved")]
    WindowReserved,
    #[serde(rename = "draw.entered")]
    DrawEntered,
    #[serde(rename = "draw.closed")]
    DrawClosed,
    #[serde(rename = "window.capacity_set")]
    WindowCapacitySet,
    #[serde(rename = "waitlist.joined")]
    WaitlistJoined,
    #[serde(rename = "waitlist.offered")]
    WaitlistOffered,
    #[serde(rename = "waitlist.accepted")]
    WaitlistAccepted,
    #[serde(rename = "waitlist.expired")]
    WaitlistExpired,
    #[serde(rename = "waitlist.left")]
    WaitlistLeft,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::BookingHeld => "booking.held",
            EventType::BookingConfirmed => "booking.confirmed",
            EventType::BookingCancelled => "booking.cancelled",
            EventType::BookingRescheduled => "booking.rescheduled",
            EventType::BookingExpired => "booking.expired",
            EventType::BookingArrived => "booking.arrived",
            EventType::BookingNoShow => "booking.no_show",
            EventType::BookingReslotted => "booking.reslotted",
            EventType::BookingReslotAccepted => "booking.reslot_accepted",
            EventType::WindowBlocked => "window.blocked",
            EventType::WindowUnblocked => "window.unblocked",
            EventType::WindowReserved => "window.reserved",
            EventType::DrawEntered => "draw.entered",
            EventType::DrawClosed => "draw.closed",
            EventType::WindowCapacitySet => "window.capacity_set",
            EventType::WaitlistJoined => "waitlist.joined",
            EventType::WaitlistOffered => "waitlist.offered",
            EventType::WaitlistAccepted => "waitlist.accepted",
            EventType::WaitlistExpired => "waitlist.expired",
            EventType::WaitlistLeft => "waitlist.left",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainEvent {
    pub id: Uuid,
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub version: u32,
    #[serde(serialize_with = "crate::domain::json_time::serialize")]
    pub occurred_at: DateTime<Utc>,
    pub checkpoint: CheckpointId,
    pub day: NaiveDate,
    pub payload: EventPayload,
    /// The id of the HTTP request that caused the change, to follow it from logs to events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// `{"booking": …}`, written straight from the booking: two of these go with every booking.
#[derive(Serialize)]
struct BookingPayload<'a> {
    booking: &'a Booking,
    #[serde(skip_serializing_if = "Option::is_none")]
    cancelled_by: Option<CancelledBy>,
}

fn booking_payload(booking: &Booking) -> EventPayload {
    EventPayload::of(&BookingPayload {
        booking,
        cancelled_by: None,
    })
}

impl DomainEvent {
    pub fn for_booking(event_type: EventType, booking: &Booking, now: DateTime<Utc>) -> Self {
        Self::with_payload(
            event_type,
            booking.checkpoint.clone(),
            booking.day,
            booking_payload(booking),
            now,
        )
    }

    /// Events of `event_types`, in that order, about one `booking` as it is now: its payload
    /// is written once and copied, as each event says the same of it.
    pub fn for_booking_each(
        event_types: impl IntoIterator<Item = EventType>,
        booking: &Booking,
        now: DateTime<Utc>,
    ) -> impl Iterator<Item = Self> {
        let payload = booking_payload(booking);
        let (checkpoint, day) = (booking.checkpoint.clone(), booking.day);
        event_types.into_iter().map(move |event_type| {
            Self::with_payload(event_type, checkpoint.clone(), day, payload.clone(), now)
        })
    }

    /// A cancellation, saying who cancelled: the booking's holder (driver or carrier) or staff
    /// (a window closed by an admin). Only a holder's cancellations count against the plate.
    pub fn for_cancellation(booking: &Booking, by: CancelledBy, now: DateTime<Utc>) -> Self {
        Self::with_payload(
            EventType::BookingCancelled,
            booking.checkpoint.clone(),
            booking.day,
            EventPayload::of(&BookingPayload {
                booking,
                cancelled_by: Some(by),
            }),
            now,
        )
    }

    /// A cancellation because staff closed the window, with the nearest windows that still
    /// have room (their starts), to offer the driver.
    pub fn for_staff_cancellation(
        booking: &Booking,
        alternatives: &[DateTime<Utc>],
        now: DateTime<Utc>,
    ) -> Self {
        Self::new(
            EventType::BookingCancelled,
            booking.checkpoint.clone(),
            booking.day,
            serde_json::json!({
                "booking": booking,
                "cancelled_by": CancelledBy::Staff,
                "alternatives": alternatives,
            }),
            now,
        )
    }

    pub fn for_move(from: &Booking, to: &Booking, now: DateTime<Utc>) -> Self {
        Self::new(
            EventType::BookingRescheduled,
            to.checkpoint.clone(),
            to.day,
            serde_json::json!({
                "booking": to,
                "from": { "id": from.id, "day": from.day, "window_start": from.window_start },
            }),
            now,
        )
    }

    /// A booking the checkpoint moved out of a window it closed, with why, for the driver to
    /// accept, move again or cancel.
    pub fn for_reslot(from: &Booking, to: &Booking, reason: &str, now: DateTime<Utc>) -> Self {
        Self::new(
            EventType::BookingReslotted,
            to.checkpoint.clone(),
            to.day,
            serde_json::json!({
                "booking": to,
                "from": { "id": from.id, "day": from.day, "window_start": from.window_start },
                "reason": reason,
            }),
            now,
        )
    }

    pub fn for_window(
        event_type: EventType,
        checkpoint: &CheckpointId,
        day: NaiveDate,
        window: &SlotWindow,
        now: DateTime<Utc>,
    ) -> Self {
        Self::new(
            event_type,
            checkpoint.clone(),
            day,
            serde_json::json!({ "window": window }),
            now,
        )
    }

    /// A request entered the day's opening draw. The payload names the entrant only by its
    /// pseudonymous id: no plate, no contact. The store adds `entrants`, the draw's count with
    /// this entry, in the transaction that stores it.
    pub fn for_draw_entry(entry: &DrawEntry) -> Self {
        Self::new(
            EventType::DrawEntered,
            entry.checkpoint.clone(),
            entry.day,
            serde_json::json!({
                "entry": {
                    "id": entry.id,
                    "direction": entry.window.direction,
                    "category": entry.window.category,
                    "window_start": entry.window.start,
                    "entered_at": entry.entered_at,
                },
            }),
            entry.entered_at,
        )
    }

    /// A day's opening draw ran: its seed and how many entered, got a place and did not.
    pub fn for_draw_close(close: &DrawClose, now: DateTime<Utc>) -> Self {
        let admitted = close
            .outcomes
            .iter()
            .filter(|(_, outcome)| matches!(outcome.admission, Admission::Admitted { .. }))
            .count();
        Self::new(
            EventType::DrawClosed,
            close.checkpoint.clone(),
            close.day,
            serde_json::json!({
                "draw": {
                    "draw_opens_at": close.times.draw_opens_at,
                    "opens_at": close.times.opens_at,
                    "closes_at": close.times.closes_at,
                    "closed_at": close.closed.closed_at,
                    "seed": close.closed.seed,
                    "entrants": close.entrants,
                    "admitted": admitted,
                    "refused": close.outcomes.len() - admitted,
                },
            }),
            now,
        )
    }

    /// A change of a waitlist entry; `booking` is the booking it made or moved, on acceptance,
    /// and `reason` why it left (`left`, `declined`, `booking_gone`).
    pub fn for_waitlist(
        event_type: EventType,
        entry: &WaitlistEntry,
        booking: Option<&Booking>,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Self {
        let mut payload = serde_json::json!({ "entry": entry });
        if let Some(booking) = booking {
            payload["booking"] = serde_json::json!(booking);
        }
        if let Some(reason) = reason {
            payload["reason"] = serde_json::json!(reason);
        }
        Self::new(
            event_type,
            entry.checkpoint.clone(),
            entry.day,
            payload,
            now,
        )
    }

    /// An event of `event_type` about `checkpoint` on `day`, with a fresh id and no request id.
    pub fn new(
        event_type: EventType,
        checkpoint: CheckpointId,
        day: NaiveDate,
        payload: serde_json::Value,
        now: DateTime<Utc>,
    ) -> Self {
        Self::with_payload(event_type, checkpoint, day, payload.into(), now)
    }

    fn with_payload(
        event_type: EventType,
        checkpoint: CheckpointId,
        day: NaiveDate,
        payload: EventPayload,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id: super::time_ordered_id(),
            event_type,
            version: EVENT_VERSION,
            occurred_at: now,
            checkpoint,
            day,
            payload,
            request_id: None,
        }
    }
}

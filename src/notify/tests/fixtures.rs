//! Bookings, events and settings shared by the notification tests.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use crate::domain::{
    Booking, BookingCode, BookingId, BookingStatus, Category, CheckpointId, Contact, Direction,
    DomainEvent, EventType, Plate, PriorityClass,
};
use crate::notify::{Notification, RetryPolicy, render_event};

pub const SENDER: &str = "noreply@borderslot.test";

pub fn event_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 20, 12, 0, 0).unwrap()
}

/// Booking `ABCD-2345`: a truck entering at Narva, 08:00-09:00 UTC on 2026-06-01.
pub fn booking(status: BookingStatus, contact: &str) -> Booking {
    Booking {
        id: BookingId::generate(),
        code: BookingCode::parse("ABCD-2345").unwrap(),
        checkpoint: CheckpointId::parse("narva").unwrap(),
        day: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
        direction: Direction::Entry,
        category: Category::Truck,
        window_start: Utc.with_ymd_and_hms(2026, 6, 1, 8, 0, 0).unwrap(),
        window_end: Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap(),
        plate: Some(Plate::parse("123 ABC").unwrap()),
        contact: Some(Contact::parse(contact).unwrap()),
        priority: PriorityClass::Normal,
        status,
        version: 2,
        manage_token_digest: String::new(),
        created_at: event_time(),
        updated_at: event_time(),
        hold_expires_at: None,
        moved_from: None,
        status_after_move: None,
        moved_to: None,
        carrier: None,
        reschedules: 0,
        reslotted_from: None,
    }
}

/// The confirmation for a booking whose contact is `contact`.
pub fn confirmation_for(contact: &str) -> Notification {
    let booking = booking(BookingStatus::Confirmed, contact);
    let event = DomainEvent::for_booking(EventType::BookingConfirmed, &booking, event_time());
    render_event(&event).unwrap().unwrap()
}

/// Retries that finish in milliseconds.
pub fn quick_retry(attempts_max: u32) -> RetryPolicy {
    RetryPolicy {
        attempts_max,
        backoff_initial: Duration::from_millis(1),
        backoff_max: Duration::from_millis(4),
    }
}

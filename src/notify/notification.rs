//! What to tell someone, independent of the channel that carries it.

use lettre::Address;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::BookingCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    BookingConfirmed,
    Reminder,
    BookingCancelled,
    BookingRescheduled,
    BookingReslotted,
    WindowBlocked,
    WaitlistOffered,
}

impl NotificationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::BookingConfirmed => "booking_confirmed",
            NotificationKind::Reminder => "reminder",
            NotificationKind::BookingCancelled => "booking_cancelled",
            NotificationKind::BookingRescheduled => "booking_rescheduled",
            NotificationKind::BookingReslotted => "booking_reslotted",
            NotificationKind::WindowBlocked => "window_blocked",
            NotificationKind::WaitlistOffered => "waitlist_offered",
        }
    }
}

/// One message about one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The event this message reports; receivers use it to drop repeated deliveries.
    pub event_id: Uuid,
    pub kind: NotificationKind,
    /// Set only when the booking's contact is an e-mail address; a phone number gets nothing
    /// by e-mail, and a blocked window has no single person to write to.
    pub email_to: Option<Address>,
    pub booking_code: Option<BookingCode>,
    pub subject: String,
    /// Plain text, lines separated by `\n`.
    pub text: String,
}

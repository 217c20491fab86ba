//! The expected ways a request can be refused. These are outcomes, not bugs: the HTTP layer
//! maps each to a status and a stable problem type.

use thiserror::Error;

/// A field of the request that cannot be accepted as given.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field}: {reason}")]
pub struct InputError {
    pub field: &'static str,
    pub reason: String,
}

impl InputError {
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}

/// Why the schedule refused a hold, confirm, cancel, reschedule or block.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AllocationError {
    #[error("the window has no free place left")]
    WindowFull,
    #[error("the window is blocked: {0}")]
    WindowBlocked(String),
    #[error("no such checkpoint")]
    UnknownCheckpoint,
    #[error("no such window in this schedule")]
    UnknownWindow,
    #[error("the window can no longer be booked: {0}")]
    WindowClosed(&'static str),
    #[error("the hold has expired")]
    HoldExpired,
    #[error("no such booking")]
    UnknownBooking,
    #[error("this vehicle already has an active booking at this checkpoint, direction and day")]
    PlateAlreadyBooked,
    #[error("a booking that is {0} cannot be changed this way")]
    InvalidTransition(&'static str),
    #[error(
        "this contact already holds {0} unconfirmed windows this day; confirm or cancel one first"
    )]
    TooManyHolds(u32),
    #[error("this booking has been moved {0} times, the limit; cancel it and book anew")]
    TooManyReschedules(u32),
    /// A window of the range still has a free place: the driver books it instead of waiting.
    #[error("a window you would wait for has a free place: book it instead of waiting")]
    WindowHasRoom,
    /// The plate already waits for a place on this checkpoint, direction and day.
    #[error("this vehicle already waits for a place at this checkpoint, direction and day")]
    AlreadyWaiting,
    #[error("no such waitlist entry")]
    UnknownWaitlistEntry,
    /// The entry is not waiting or offered in the way the request needs.
    #[error("a waitlist entry that is {0} cannot be changed this way")]
    WaitlistEntryNot(&'static str),
    #[error("the offered place was not accepted in time and went to the next driver")]
    OfferExpired,
    #[error("{0}")]
    Invalid(InputError),
}

impl AllocationError {
    /// The stable problem type (`/problems/{type}`) the API answers this refusal with; the
    /// draw records it for the entrants it cannot serve.
    pub fn problem_type(&self) -> &'static str {
        match self {
            AllocationError::WindowFull => "window-full",
            AllocationError::WindowBlocked(_) => "window-blocked",
            AllocationError::UnknownCheckpoint => "unknown-checkpoint",
            AllocationError::UnknownWindow => "unknown-window",
            AllocationError::WindowClosed(_) => "window-closed",
            AllocationError::HoldExpired => "hold-expired",
            AllocationError::UnknownBooking => "not-found",
            AllocationError::PlateAlreadyBooked => "plate-already-booked",
            AllocationError::InvalidTransition(_) => "invalid-transition",
            AllocationError::TooManyHolds(_) => "too-many-holds",
            AllocationError::TooManyReschedules(_) => "too-many-reschedules",
            AllocationError::WindowHasRoom => "window-has-room",
            AllocationError::AlreadyWaiting => "already-waiting",
            AllocationError::UnknownWaitlistEntry => "not-found",
            AllocationError::WaitlistEntryNot(_) => "invalid-transition",
            AllocationError::OfferExpired => "offer-expired",
            AllocationError::Invalid(_) => "invalid-input",
        }
    }
}

impl From<InputError> for AllocationError {
    fn from(value: InputError) -> Self {
        AllocationError::Invalid(value)
    }
}

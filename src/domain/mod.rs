//! Pure types and allocation rules: no I/O, no actors, no HTTP, no SQL.

pub mod booking;
pub mod checkpoint;
pub mod code;
pub mod contact;
pub mod draw;
pub mod error;
pub mod event;
pub mod payload;
pub mod plate;
pub mod rules;
pub mod schedule;
pub mod statistics;
pub mod strikes;
pub mod token;
pub mod waitlist;
pub mod window;

pub use booking::{AccountOwner, Booking, BookingId, BookingStatus, PriorityClass};
pub use checkpoint::{Category, CategoryCapacity, Checkpoint, CheckpointId, Direction};
pub use code::BookingCode;
pub use contact::Contact;
pub use error::{AllocationError, InputError};
pub use event::{DomainEvent, EventType};
pub use payload::EventPayload;
pub use plate::Plate;
pub use rules::Policy;
pub use schedule::{
    BlockMoved, CapacityCut, ChangeSet, DaySchedule, HoldRequest, LaneQueue, ScheduleChange,
    WindowSelection,
};
pub use waitlist::{
    JoinRequest, Offer, WaitRange, WaitlistEntry, WaitlistId, WaitlistStanding, WaitlistStatus,
};
pub use window::{SlotWindow, WindowKey};

/// A random (v4) id from the thread's generator, a CSPRNG seeded by the kernel: ids are made
/// several times per booking (the booking, its events, the write), and `Uuid::new_v4` asks
/// the kernel each time, a system call on the hottest path.
pub fn random_id() -> uuid::Uuid {
    uuid::Builder::from_random_bytes(rand::random()).into_uuid()
}

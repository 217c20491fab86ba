//! Pure types and allocation rules: no I/O, no actors, no HTTP, no SQL.

pub mod booking;
pub mod checkpoint;
pub mod code;
pub mod contact;
pub mod draw;
pub mod error;
pub mod event;
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

//! Pure types and allocation rules: no I/O, no actors, no HTTP, no SQL.

pub mod booking;
pub mod checkpoint;
pub mod code;
pub mod contact;
pub mod draw;
pub mod error;
pub mod event;
pub mod json_time;
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

/// A random (v4) id from the thread's generator, a CSPRNG seeded by the kernel:
/// `Uuid::new_v4` asks the kernel each time, a system call for every id.
pub fn random_id() -> uuid::Uuid {
    uuid::Builder::from_random_bytes(rand::random()).into_uuid()
}

/// An id that sorts by the millisecond it was made in (a v7 UUID: milliseconds since the Unix
/// epoch, then 74 random bits; within a millisecond the order is random), for what is stored
/// in great numbers (bookings, events, writes). A random key lands on a random page of its
/// index: as the index grows that page is read in, and the first change to it after each
/// checkpoint writes the whole page to the WAL. Keys made in order land on the few pages at
/// the index's right edge instead.
pub fn time_ordered_id() -> uuid::Uuid {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        });
    uuid::Builder::from_unix_timestamp_millis(millis, &rand::random()).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::time_ordered_id;

    #[test]
    fn time_ordered_ids_sort_by_when_they_were_made_and_differ_within_a_millisecond() {
        let earlier = time_ordered_id();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let later = time_ordered_id();
        assert!(earlier < later, "{earlier} {later}");
        assert_eq!(later.get_version_num(), 7);
        let together: std::collections::HashSet<_> = (0..1000).map(|_| time_ordered_id()).collect();
        assert_eq!(together.len(), 1000);
    }
}

//! `DaySchedule`: the windows and bookings of one checkpoint on one local day, and every
//! decision about them.
//!
//! Each method checks the request against memory, applies it, and returns the `ChangeSet` the
//! store must make durable. Nothing here does I/O; the caller (a `ScheduleActor`) is the only
//! writer of a day and serialises calls.
//!
//! Invariants after every call: for every window `held + confirmed <= capacity`, the counts
//! equal the active bookings in the window, and a plate has at most one active booking per
//! direction on the day.

mod arrivals;
mod draws;
#[cfg(test)]
mod fixture;
mod requests;
mod reslot;
mod transfers;
mod waitlist;
mod windows;

pub use draws::DrawInput;
pub use reslot::{BlockMoved, CapacityCut};

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::booking::{AccountOwner, Booking, BookingId, BookingStatus, PriorityClass};
use super::checkpoint::{Category, CheckpointId, Direction};
use super::code::BookingCode;
use super::contact::Contact;
use super::error::{AllocationError, InputError};
use super::event::{CancelledBy, DomainEvent, EventType};
use super::plate::Plate;
use super::rules::Policy;
use super::waitlist::{WaitlistEntry, WaitlistId};
use super::window::{SlotWindow, WindowKey};

/// One durable change decided by a schedule.
#[derive(Debug, Clone, PartialEq)]
pub enum ScheduleChange {
    /// A new booking; unless it is a transfer hold, its code is registered with it and must
    /// be unique.
    InsertBooking(Booking),
    /// The store refuses it unless the stored row has version `booking.version - 1`.
    UpdateBooking(Booking),
    AdjustWindow {
        key: WindowKey,
        held_delta: i32,
        confirmed_delta: i32,
    },
    SetBlocked {
        key: WindowKey,
        reason: Option<String>,
    },
    /// Places of the window kept for priority classes.
    SetReserved { key: WindowKey, reserved: u32 },
    /// The window's places, set by an admin for a day already scheduled.
    SetCapacity { key: WindowKey, capacity: u32 },
    /// Gives back the place of a transfer hold whose move did not happen. The store refuses
    /// it if the source already handed the code over: then the move has happened after all.
    AbandonTransfer(Booking),
    /// Makes an existing `code` resolve to `booking`, a transfer hold: a booking moved to
    /// another day keeps its code. The store refuses it unless `booking` is still held.
    PointCode {
        code: BookingCode,
        booking: BookingId,
    },
    /// Makes a new booking `owner`'s; written after the booking itself.
    RecordOwner {
        booking: BookingId,
        owner: AccountOwner,
        at: DateTime<Utc>,
    },
    /// Closes the day's opening draw with every entrant's outcome. The store refuses it unless
    /// the draw is still open and has exactly the entrants decided on.
    CloseDraw(super::draw::DrawClose),
    /// A driver joined the day's waitlist.
    InsertWaitlist(WaitlistEntry),
    /// The store refuses it unless the stored entry has version `entry.version - 1`.
    UpdateWaitlist(WaitlistEntry),
}

/// Everything one decision asks the store to make durable, events included.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChangeSet {
    pub changes: Vec<ScheduleChange>,
    pub events: Vec<DomainEvent>,
}

impl ChangeSet {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.events.is_empty()
    }

    pub fn append(&mut self, mut other: ChangeSet) {
        self.changes.append(&mut other.changes);
        self.events.append(&mut other.events);
    }
}

/// A request for a new place.
#[derive(Debug, Clone)]
pub struct HoldRequest {
    pub id: BookingId,
    pub code: BookingCode,
    pub manage_token_digest: String,
    pub window: WindowKey,
    pub plate: Option<Plate>,
    pub contact: Option<Contact>,
    pub priority: PriorityClass,
    /// Confirm at once; needs plate and contact.
    pub confirm: bool,
    /// The carrier API key making the booking, if any.
    pub carrier: Option<uuid::Uuid>,
    /// The account of whoever made it signed in, if anyone did.
    pub owner: Option<AccountOwner>,
}

/// Which windows a block or unblock covers: those overlapping `[from, to)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowSelection {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub direction: Option<Direction>,
    pub categories: Vec<Category>,
}

impl WindowSelection {
    fn covers(&self, window: &SlotWindow) -> bool {
        window.key.start < self.to
            && window.end > self.from
            && self.direction.is_none_or(|d| d == window.key.direction)
            && (self.categories.is_empty() || self.categories.contains(&window.key.category))
    }
}

/// One lane's queue of the day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LaneQueue {
    pub checked_in: u32,
    pub expected: u32,
}

#[derive(Debug, Clone)]
pub struct DaySchedule {
    checkpoint: CheckpointId,
    time_zone: Tz,
    date: NaiveDate,
    windows: BTreeMap<WindowKey, SlotWindow>,
    bookings: HashMap<BookingId, Booking>,
    active_plates: HashMap<(Plate, Direction), BookingId>,
    /// Holds by the moment they run out, so expiry never scans the whole day.
    hold_expiries: BTreeSet<(DateTime<Utc>, BookingId)>,
    /// The drivers waiting for a place this day, every entry the day has had.
    waitlist: BTreeMap<WaitlistId, WaitlistEntry>,
    /// The holds that keep places offered to waiting drivers, and whose entry each is.
    offers: HashMap<BookingId, WaitlistId>,
    /// The last joining order given out.
    waitlist_seq: i64,
}

impl DaySchedule {
    /// Builds a schedule from stored windows and bookings, checking that the stored counts
    /// agree with the bookings: a disagreement means the store was written by something that
    /// broke the rules, and the day must not be served from it.
    pub fn from_parts(
        checkpoint: CheckpointId,
        time_zone: Tz,
        date: NaiveDate,
        windows: Vec<SlotWindow>,
        bookings: Vec<Booking>,
    ) -> Result<Self, String> {
        let stored: BTreeMap<WindowKey, SlotWindow> =
            windows.into_iter().map(|w| (w.key, w)).collect();
        let mut recounted = stored.clone();
        for window in recounted.values_mut() {
            window.held = 0;
            window.confirmed = 0;
            window.priority_taken = 0;
        }
        let mut active_plates = HashMap::new();
        for booking in bookings.iter().filter(|b| b.status.is_active()) {
            let window = recounted.get_mut(&booking.window_key()).ok_or_else(|| {
                format!(
                    "booking {} is in a window the day does not have",
                    booking.id
                )
            })?;
            occupy(window, booking.status, booking.priority, 1);
            if let Some(plate) = &booking.plate
                && active_plates
                    .insert((plate.clone(), booking.direction), booking.id)
                    .is_some()
            {
                return Err(format!("plate {plate} has two active bookings"));
            }
        }
        for (key, window) in &recounted {
            let stored = &stored[key];
            if (stored.held, stored.confirmed) != (window.held, window.confirmed) {
                return Err(format!(
                    "window {key:?} stores {}+{} but its bookings count {}+{}",
                    stored.held, stored.confirmed, window.held, window.confirmed
                ));
            }
            if window.taken() > window.capacity {
                return Err(format!("window {key:?} is over capacity"));
            }
        }
        let hold_expiries = bookings.iter().filter_map(hold_expiry_entry).collect();
        Ok(Self {
            checkpoint,
            time_zone,
            date,
            windows: recounted,
            bookings: bookings.into_iter().map(|b| (b.id, b)).collect(),
            active_plates,
            hold_expiries,
            waitlist: BTreeMap::new(),
            offers: HashMap::new(),
            waitlist_seq: 0,
        })
    }

    pub fn checkpoint(&self) -> &CheckpointId {
        &self.checkpoint
    }

    pub fn date(&self) -> NaiveDate {
        self.date
    }

    pub fn time_zone(&self) -> Tz {
        self.time_zone
    }

    pub fn windows(&self) -> impl Iterator<Item = &SlotWindow> {
        self.windows.values()
    }

    pub fn window(&self, key: &WindowKey) -> Option<&SlotWindow> {
        self.windows.get(key)
    }

    pub fn booking(&self, id: BookingId) -> Option<&Booking> {
        self.bookings.get(&id)
    }

    pub fn bookings(&self) -> impl Iterator<Item = &Booking> {
        self.bookings.values()
    }

    /// Per lane, the vehicles that have checked in and the confirmed ones still to come (their
    /// window has not ended yet): the queue a status page shows.
    pub fn queue(&self, now: DateTime<Utc>) -> BTreeMap<(Direction, Category), LaneQueue> {
        let mut lanes: BTreeMap<(Direction, Category), LaneQueue> = BTreeMap::new();
        for booking in self.bookings.values() {
            let lane = lanes
                .entry((booking.direction, booking.category))
                .or_default();
            match booking.status {
                BookingStatus::Arrived | BookingStatus::Completed => lane.checked_in += 1,
                BookingStatus::Confirmed if booking.window_end > now => lane.expected += 1,
                _ => {}
            }
        }
        lanes
    }

    /// The earliest moment a hold of this day runs out, for the actor's timer.
    pub fn next_hold_expiry(&self) -> Option<DateTime<Utc>> {
        self.hold_expiries.first().map(|(at, _)| *at)
    }

    /// Records a booking's new state, keeping the expiry index in step.
    fn put_booking(&mut self, booking: Booking) {
        if let Some(entry) = self.bookings.get(&booking.id).and_then(hold_expiry_entry) {
            self.hold_expiries.remove(&entry);
        }
        if let Some(entry) = hold_expiry_entry(&booking) {
            self.hold_expiries.insert(entry);
        }
        self.bookings.insert(booking.id, booking);
    }

    /// The window `key` if it still takes new bookings at `now`.
    fn bookable_window(
        &self,
        key: &WindowKey,
        policy: &Policy,
        now: DateTime<Utc>,
    ) -> Result<&SlotWindow, AllocationError> {
        let window = self
            .windows
            .get(key)
            .ok_or(AllocationError::UnknownWindow)?;
        policy.check_window_open(window.key.start, now)?;
        match &window.blocked {
            Some(reason) => Err(AllocationError::WindowBlocked(reason.clone())),
            None => Ok(window),
        }
    }

    fn active_booking(&self, id: BookingId) -> Result<&Booking, AllocationError> {
        let booking = self
            .bookings
            .get(&id)
            .ok_or(AllocationError::UnknownBooking)?;
        match booking.status {
            BookingStatus::Expired => Err(AllocationError::HoldExpired),
            status if !status.is_active() => {
                Err(AllocationError::InvalidTransition(status.as_str()))
            }
            _ => Ok(booking),
        }
    }

    /// Refuses a change of a place offered to a waiting driver: only the offer's answers change
    /// it.
    fn check_not_offer(&self, id: BookingId) -> Result<(), AllocationError> {
        if self.offers.contains_key(&id) {
            return Err(AllocationError::InvalidTransition(
                "offered to a waiting driver",
            ));
        }
        Ok(())
    }

    fn check_movable(&self, booking: &Booking, now: DateTime<Utc>) -> Result<(), AllocationError> {
        self.check_not_offer(booking.id)?;
        if !matches!(
            booking.status,
            BookingStatus::Held | BookingStatus::Confirmed
        ) || booking.is_transfer_hold()
        {
            return Err(AllocationError::InvalidTransition(booking.status.as_str()));
        }
        if booking.status == BookingStatus::Held
            && booking.hold_expires_at.is_some_and(|at| at <= now)
        {
            return Err(AllocationError::HoldExpired);
        }
        Ok(())
    }

    fn check_plate_free(
        &self,
        plate: &Plate,
        direction: Direction,
        except: Option<BookingId>,
    ) -> Result<(), AllocationError> {
        match self.active_plates.get(&(plate.clone(), direction)) {
            Some(&holder) if Some(holder) != except => Err(AllocationError::PlateAlreadyBooked),
            _ => Ok(()),
        }
    }

    /// A new booking of `request` in the window `key` (looked up by the caller), with its
    /// events: held, then confirmed or arrived as `status` says.
    fn insert_booking(
        &mut self,
        request: HoldRequest,
        key: WindowKey,
        status: BookingStatus,
        hold_expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> (Booking, ChangeSet) {
        let end = self.windows.get(&key).map_or(key.start, |w| w.end);
        let owner = request.owner;
        let booking = Booking {
            id: request.id,
            code: request.code,
            checkpoint: self.checkpoint.clone(),
            day: self.date,
            direction: key.direction,
            category: key.category,
            window_start: key.start,
            window_end: end,
            plate: request.plate,
            contact: request.contact,
            priority: request.priority,
            status,
            version: 1,
            manage_token_digest: request.manage_token_digest,
            created_at: now,
            updated_at: now,
            hold_expires_at,
            moved_from: None,
            status_after_move: None,
            moved_to: None,
            carrier: request.carrier,
            reschedules: 0,
            reslotted_from: None,
        };
        let mut changes = ChangeSet::default();
        self.take_place(&booking, &mut changes);
        changes
            .changes
            .push(ScheduleChange::InsertBooking(booking.clone()));
        if let Some(owner) = owner {
            changes.changes.push(ScheduleChange::RecordOwner {
                booking: booking.id,
                owner,
                at: now,
            });
        }
        let follow_up = match status {
            BookingStatus::Confirmed => Some(EventType::BookingConfirmed),
            BookingStatus::Arrived => Some(EventType::BookingArrived),
            _ => None,
        };
        changes.events.extend(DomainEvent::for_booking_each(
            std::iter::once(EventType::BookingHeld).chain(follow_up),
            &booking,
            now,
        ));
        self.put_booking(booking.clone());
        self.assert_invariants(&booking.window_key());
        (booking, changes)
    }

    /// Counts `booking` into its window and claims its plate.
    fn take_place(&mut self, booking: &Booking, changes: &mut ChangeSet) {
        let window = self
            .windows
            .get_mut(&booking.window_key())
            .expect("callers look the window up before taking a place");
        occupy(window, booking.status, booking.priority, 1);
        if let Some(plate) = &booking.plate {
            self.active_plates
                .insert((plate.clone(), booking.direction), booking.id);
        }
        changes.changes.push(adjustment(booking, 1));
    }

    /// Counts `booking` out of its window and frees its plate.
    fn give_place(&mut self, booking: &Booking, changes: &mut ChangeSet) {
        let window = self
            .windows
            .get_mut(&booking.window_key())
            .expect("an active booking's window is part of its day");
        occupy(window, booking.status, booking.priority, -1);
        if let Some(plate) = &booking.plate
            && self.active_plates.get(&(plate.clone(), booking.direction)) == Some(&booking.id)
        {
            self.active_plates
                .remove(&(plate.clone(), booking.direction));
        }
        changes.changes.push(adjustment(booking, -1));
    }

    /// Moves `booking` to `next`, keeping window counts right, and records the update.
    fn set_status(
        &mut self,
        booking: &mut Booking,
        next: BookingStatus,
        now: DateTime<Utc>,
        changes: &mut ChangeSet,
    ) {
        assert!(
            booking.status.can_become(next),
            "{} cannot become {}",
            booking.status.as_str(),
            next.as_str()
        );
        let before = booking.clone();
        self.give_place(&before, changes);
        booking.status = next;
        booking.version += 1;
        booking.updated_at = now;
        if next != BookingStatus::Held {
            booking.hold_expires_at = None;
        }
        if next.is_active() {
            self.take_place(booking, changes);
        }
        changes
            .changes
            .push(ScheduleChange::UpdateBooking(booking.clone()));
        self.put_booking(booking.clone());
        self.assert_invariants(&booking.window_key());
    }

    fn assert_invariants(&self, key: &WindowKey) {
        if let Some(window) = self.windows.get(key) {
            window.assert_invariants();
        }
    }
}

fn check_reschedules_left(booking: &Booking, policy: &Policy) -> Result<(), AllocationError> {
    if booking.reschedules >= policy.reschedules_per_booking_max {
        return Err(AllocationError::TooManyReschedules(
            policy.reschedules_per_booking_max,
        ));
    }
    Ok(())
}

fn hold_expiry_entry(booking: &Booking) -> Option<(DateTime<Utc>, BookingId)> {
    match (booking.status, booking.hold_expires_at) {
        (BookingStatus::Held, Some(at)) => Some((at, booking.id)),
        _ => None,
    }
}

/// A booking moves only within its own direction and category.
fn check_same_lane(booking: &Booking, target: &WindowKey) -> Result<(), AllocationError> {
    if target.direction != booking.direction || target.category != booking.category {
        return Err(InputError::new(
            "window_start",
            "a booking moves to a window of its own direction and category",
        )
        .into());
    }
    Ok(())
}

fn occupy(window: &mut SlotWindow, status: BookingStatus, priority: PriorityClass, sign: i32) {
    let apply = |count: &mut u32| {
        *count = count
            .checked_add_signed(sign)
            .expect("window counts never go below zero");
    };
    match status {
        BookingStatus::Held => apply(&mut window.held),
        BookingStatus::Confirmed | BookingStatus::Arrived => apply(&mut window.confirmed),
        _ => return,
    }
    if priority.is_priority() {
        apply(&mut window.priority_taken);
    }
}

fn adjustment(booking: &Booking, sign: i32) -> ScheduleChange {
    let (held_delta, confirmed_delta) = match booking.status {
        BookingStatus::Held => (sign, 0),
        _ => (0, sign),
    };
    ScheduleChange::AdjustWindow {
        key: booking.window_key(),
        held_delta,
        confirmed_delta,
    }
}

#[cfg(test)]
mod tests {
    use super::fixture::{confirmed_hold, day, now};
    use super::*;

    #[test]
    fn a_booking_confirmed_at_once_is_told_held_then_confirmed_with_one_payload() {
        let mut day = day(2, 0);
        let (booking, changes) = day
            .hold(confirmed_hold(9, "AB123CD"), &Policy::default(), now())
            .unwrap();
        let types: Vec<_> = changes.events.iter().map(|e| e.event_type).collect();
        assert_eq!(types, [EventType::BookingHeld, EventType::BookingConfirmed]);
        let alone = DomainEvent::for_booking(EventType::BookingConfirmed, &booking, now());
        for event in &changes.events {
            assert_eq!(event.payload.as_json(), alone.payload.as_json());
            assert_eq!((event.occurred_at, event.day), (now(), booking.day));
        }
        assert_ne!(changes.events[0].id, changes.events[1].id);
    }
}

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

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::booking::{Booking, BookingId, BookingStatus, PriorityClass};
use super::checkpoint::{Category, CheckpointId, Direction};
use super::code::BookingCode;
use super::contact::Contact;
use super::error::{AllocationError, InputError};
use super::event::{CancelledBy, DomainEvent, EventType};
use super::plate::Plate;
use super::rules::Policy;
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
    /// Gives back the place of a transfer hold whose move did not happen. The store refuses
    /// it if the source already handed the code over: then the move has happened after all.
    AbandonTransfer(Booking),
    /// Makes an existing `code` resolve to `booking`, a transfer hold: a booking moved to
    /// another day keeps its code. The store refuses it unless `booking` is still held.
    PointCode {
        code: BookingCode,
        booking: BookingId,
    },
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

    /// Takes a place in a window: a hold, or a confirmed booking when asked and complete.
    pub fn hold(
        &mut self,
        request: HoldRequest,
        policy: &Policy,
        now: DateTime<Utc>,
    ) -> Result<(Booking, ChangeSet), AllocationError> {
        let window = self.bookable_window(&request.window, policy, now)?;
        if request.confirm && (request.plate.is_none() || request.contact.is_none()) {
            return Err(InputError::new(
                "confirm",
                "a booking is confirmed with the vehicle's plate and a contact",
            )
            .into());
        }
        if let Some(plate) = &request.plate {
            self.check_plate_free(plate, request.window.direction, None)?;
        }
        if let (Some(contact), false) = (&request.contact, request.confirm) {
            let holding = self
                .bookings
                .values()
                .filter(|b| b.status == BookingStatus::Held && b.contact.as_ref() == Some(contact))
                .count();
            if holding >= policy.holds_per_contact_max as usize {
                return Err(AllocationError::TooManyHolds(policy.holds_per_contact_max));
            }
        }
        if window.available_to(request.priority) == 0 {
            return Err(AllocationError::WindowFull);
        }
        let status = if request.confirm {
            BookingStatus::Confirmed
        } else {
            BookingStatus::Held
        };
        let expires = (status == BookingStatus::Held).then(|| policy.hold_expiry(now));
        let key = window.key;
        let (booking, changes) = self.insert_booking(request, key, status, expires, now);
        Ok((booking, changes))
    }

    /// Turns a hold into a confirmed booking, filling in plate and contact if given.
    pub fn confirm(
        &mut self,
        id: BookingId,
        plate: Option<Plate>,
        contact: Option<Contact>,
        now: DateTime<Utc>,
    ) -> Result<(Booking, ChangeSet), AllocationError> {
        let current = self.active_booking(id)?;
        if current.status != BookingStatus::Held || current.is_transfer_hold() {
            return Err(AllocationError::InvalidTransition(current.status.as_str()));
        }
        if current.hold_expires_at.is_some_and(|at| at <= now) {
            return Err(AllocationError::HoldExpired);
        }
        let plate = plate
            .or_else(|| current.plate.clone())
            .ok_or_else(|| InputError::new("plate", "the vehicle's plate is needed to confirm"))?;
        let contact = contact
            .or_else(|| current.contact.clone())
            .ok_or_else(|| InputError::new("contact", "a contact is needed to confirm"))?;
        self.check_plate_free(&plate, current.direction, Some(id))?;
        let mut updated = current.clone();
        updated.plate = Some(plate);
        updated.contact = Some(contact);
        updated.hold_expires_at = None;
        let mut changes = ChangeSet::default();
        self.set_status(&mut updated, BookingStatus::Confirmed, now, &mut changes);
        changes.events.push(DomainEvent::for_booking(
            EventType::BookingConfirmed,
            &updated,
            now,
        ));
        Ok((updated, changes))
    }

    /// Gives the place back. A held or confirmed booking can be cancelled.
    pub fn cancel(
        &mut self,
        id: BookingId,
        now: DateTime<Utc>,
    ) -> Result<(Booking, ChangeSet), AllocationError> {
        let current = self.active_booking(id)?;
        if !current.status.can_become(BookingStatus::Cancelled) || current.is_transfer_hold() {
            return Err(AllocationError::InvalidTransition(current.status.as_str()));
        }
        let mut updated = current.clone();
        let mut changes = ChangeSet::default();
        self.set_status(&mut updated, BookingStatus::Cancelled, now, &mut changes);
        changes.events.push(DomainEvent::for_cancellation(
            &updated,
            CancelledBy::Holder,
            now,
        ));
        Ok((updated, changes))
    }

    /// Moves a booking to another window of the same day in one step: the driver holds either
    /// the old window or the new one, never neither.
    pub fn move_within_day(
        &mut self,
        id: BookingId,
        target: WindowKey,
        policy: &Policy,
        now: DateTime<Utc>,
    ) -> Result<(Booking, ChangeSet), AllocationError> {
        let current = self.active_booking(id)?.clone();
        self.check_movable(&current, now)?;
        if target == current.window_key() {
            return Err(
                InputError::new("window_start", "the booking is already in that window").into(),
            );
        }
        check_same_lane(&current, &target)?;
        check_reschedules_left(&current, policy)?;
        let window = self.bookable_window(&target, policy, now)?;
        if window.available_to(current.priority) == 0 {
            return Err(AllocationError::WindowFull);
        }
        let target_end = window.end;
        let mut changes = ChangeSet::default();
        self.give_place(&current, &mut changes);
        let mut updated = current.clone();
        updated.window_start = target.start;
        updated.window_end = target_end;
        updated.reschedules += 1;
        updated.version += 1;
        updated.updated_at = now;
        if updated.status == BookingStatus::Held {
            updated.hold_expires_at = Some(policy.hold_expiry(now));
        }
        self.take_place(&updated, &mut changes);
        changes
            .changes
            .push(ScheduleChange::UpdateBooking(updated.clone()));
        changes
            .events
            .push(DomainEvent::for_move(&current, &updated, now));
        self.put_booking(updated.clone());
        self.assert_invariants(&current.window_key());
        self.assert_invariants(&target);
        Ok((updated, changes))
    }

    /// First step of a move from another day: takes a place for `source` in `target` as a
    /// transfer hold. The source day keeps its booking until it agrees to let go.
    pub fn hold_for_transfer(
        &mut self,
        source: &Booking,
        new_id: BookingId,
        target: WindowKey,
        policy: &Policy,
        now: DateTime<Utc>,
    ) -> Result<(Booking, ChangeSet), AllocationError> {
        check_same_lane(source, &target)?;
        check_reschedules_left(source, policy)?;
        let window = self.bookable_window(&target, policy, now)?;
        if let Some(plate) = &source.plate {
            self.check_plate_free(plate, source.direction, None)?;
        }
        if window.available_to(source.priority) == 0 {
            return Err(AllocationError::WindowFull);
        }
        let transfer = Booking {
            id: new_id,
            checkpoint: self.checkpoint.clone(),
            day: self.date,
            window_start: target.start,
            window_end: window.end,
            status: BookingStatus::Held,
            version: 1,
            updated_at: now,
            hold_expires_at: Some(policy.hold_expiry(now)),
            moved_from: Some(source.id),
            status_after_move: Some(source.status),
            moved_to: None,
            reschedules: source.reschedules + 1,
            ..source.clone()
        };
        let mut changes = ChangeSet::default();
        self.take_place(&transfer, &mut changes);
        changes
            .changes
            .push(ScheduleChange::InsertBooking(transfer.clone()));
        self.put_booking(transfer.clone());
        self.assert_invariants(&target);
        Ok((transfer, changes))
    }

    /// Second step of a move, on the source day: gives up the place and hands the booking's
    /// code to the transfer hold, in one change set. Refused if the booking changed since the
    /// move began.
    pub fn release_for_transfer(
        &mut self,
        id: BookingId,
        expected_version: i64,
        transfer: &Booking,
        now: DateTime<Utc>,
    ) -> Result<(Booking, ChangeSet), AllocationError> {
        let current = self.active_booking(id)?;
        if current.version != expected_version {
            return Err(AllocationError::InvalidTransition("changed meanwhile"));
        }
        self.check_movable(current, now)?;
        let mut updated = current.clone();
        updated.moved_to = Some(transfer.id);
        let mut changes = ChangeSet::default();
        self.set_status(&mut updated, BookingStatus::Cancelled, now, &mut changes);
        changes.changes.push(ScheduleChange::PointCode {
            code: updated.code.clone(),
            booking: transfer.id,
        });
        let mut arrived = transfer.clone();
        arrived.status = transfer.status_after_move.unwrap_or(BookingStatus::Held);
        changes
            .events
            .push(DomainEvent::for_move(&updated, &arrived, now));
        Ok((updated, changes))
    }

    /// Last step of a move, on the target day: the transfer hold becomes the booking.
    pub fn complete_transfer(
        &mut self,
        id: BookingId,
        policy: &Policy,
        now: DateTime<Utc>,
    ) -> Result<(Booking, ChangeSet), AllocationError> {
        let current = self.active_booking(id)?.clone();
        if !current.is_transfer_hold() {
            return Err(AllocationError::InvalidTransition(current.status.as_str()));
        }
        let mut updated = current.clone();
        let final_status = current.status_after_move.unwrap_or(BookingStatus::Held);
        updated.moved_from = current.moved_from;
        updated.status_after_move = None;
        updated.hold_expires_at =
            (final_status == BookingStatus::Held).then(|| policy.hold_expiry(now));
        let mut changes = ChangeSet::default();
        self.give_place(&current, &mut changes);
        updated.status = final_status;
        updated.version += 1;
        updated.updated_at = now;
        self.take_place(&updated, &mut changes);
        changes
            .changes
            .push(ScheduleChange::UpdateBooking(updated.clone()));
        self.put_booking(updated.clone());
        self.assert_invariants(&updated.window_key());
        Ok((updated, changes))
    }

    /// Gives back the place of a transfer hold whose move did not happen.
    pub fn abandon_transfer(
        &mut self,
        id: BookingId,
        now: DateTime<Utc>,
    ) -> Result<ChangeSet, AllocationError> {
        let current = self.active_booking(id)?;
        if !current.is_transfer_hold() {
            return Err(AllocationError::InvalidTransition(current.status.as_str()));
        }
        let mut updated = current.clone();
        let mut changes = ChangeSet::default();
        self.set_status(&mut updated, BookingStatus::Cancelled, now, &mut changes);
        for change in &mut changes.changes {
            if matches!(change, ScheduleChange::UpdateBooking(b) if b.id == id) {
                *change = ScheduleChange::AbandonTransfer(updated.clone());
            }
        }
        Ok(changes)
    }

    /// Expires every ordinary hold whose time has run out. Transfer holds are left alone and
    /// returned: whether their move completed is known only to the store.
    pub fn expire_due(&mut self, now: DateTime<Utc>) -> (ChangeSet, Vec<BookingId>) {
        let due: Vec<&Booking> = self
            .hold_expiries
            .iter()
            .take_while(|(at, _)| *at <= now)
            .filter_map(|(_, id)| self.bookings.get(id))
            .collect();
        let (transfers, ordinary): (Vec<&Booking>, Vec<&Booking>) =
            due.into_iter().partition(|b| b.is_transfer_hold());
        let transfers = transfers.into_iter().map(|b| b.id).collect();
        let ordinary: Vec<Booking> = ordinary.into_iter().cloned().collect();
        let mut changes = ChangeSet::default();
        for mut booking in ordinary {
            self.set_status(&mut booking, BookingStatus::Expired, now, &mut changes);
            changes.events.push(DomainEvent::for_booking(
                EventType::BookingExpired,
                &booking,
                now,
            ));
        }
        (changes, transfers)
    }

    /// Checks a confirmed booking in at the checkpoint, inside the arrival tolerance around its
    /// window.
    pub fn check_in(
        &mut self,
        id: BookingId,
        policy: &Policy,
        now: DateTime<Utc>,
    ) -> Result<(Booking, ChangeSet), AllocationError> {
        let current = self.active_booking(id)?;
        if current.status != BookingStatus::Confirmed {
            return Err(AllocationError::InvalidTransition(current.status.as_str()));
        }
        if now < current.window_start - policy.arrival_early {
            return Err(AllocationError::InvalidTransition("too early for check-in"));
        }
        if now > current.window_end + policy.arrival_grace {
            return Err(AllocationError::InvalidTransition("too late for check-in"));
        }
        let mut updated = current.clone();
        let mut changes = ChangeSet::default();
        self.set_status(&mut updated, BookingStatus::Arrived, now, &mut changes);
        changes.events.push(DomainEvent::for_booking(
            EventType::BookingArrived,
            &updated,
            now,
        ));
        Ok((updated, changes))
    }

    /// Blocks the selected windows and cancels the active bookings in them (transfer holds
    /// included: their moves then fail and the drivers keep their original booking).
    pub fn block_cancelling(
        &mut self,
        selection: &WindowSelection,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(Vec<WindowKey>, ChangeSet), AllocationError> {
        let (touched, mut changes) = self.block(selection, reason, now)?;
        let affected: Vec<Booking> = self
            .bookings
            .values()
            .filter(|b| matches!(b.status, BookingStatus::Held | BookingStatus::Confirmed))
            .filter(|b| {
                self.windows
                    .get(&b.window_key())
                    .is_some_and(|w| selection.covers(w))
            })
            .cloned()
            .collect();
        for mut booking in affected {
            self.set_status(&mut booking, BookingStatus::Cancelled, now, &mut changes);
            let alternatives = self.nearest_free_windows(&booking, now);
            changes.events.push(DomainEvent::for_staff_cancellation(
                &booking,
                &alternatives,
                now,
            ));
        }
        Ok((touched, changes))
    }

    /// Registers a vehicle that came without a booking (the "living queue") into the first
    /// window of its direction and category that has not ended and has a free place, and
    /// checks it in at once. The cut-off for new bookings does not apply: it is here.
    pub fn walk_up(
        &mut self,
        request: HoldRequest,
        now: DateTime<Utc>,
    ) -> Result<(Booking, ChangeSet), AllocationError> {
        let Some(plate) = &request.plate else {
            return Err(InputError::new("plate", "the arriving vehicle's plate").into());
        };
        self.check_plate_free(plate, request.window.direction, None)?;
        let key = self
            .windows
            .values()
            .filter(|w| {
                w.key.direction == request.window.direction
                    && w.key.category == request.window.category
                    && w.end > now
                    && w.blocked.is_none()
                    && w.available_to(request.priority) > 0
            })
            .map(|w| w.key)
            .min_by_key(|key| key.start)
            .ok_or(AllocationError::WindowFull)?;
        Ok(self.insert_booking(request, key, BookingStatus::Arrived, None, now))
    }

    /// Up to three windows of the booking's lane that have not started, are open and have a
    /// place for it, nearest to its window first: what to offer a driver whose window closed.
    fn nearest_free_windows(&self, booking: &Booking, now: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        let mut free: Vec<DateTime<Utc>> = self
            .windows
            .values()
            .filter(|w| {
                w.key.direction == booking.direction
                    && w.key.category == booking.category
                    && w.key.start > now
                    && w.blocked.is_none()
                    && w.available_to(booking.priority) > 0
            })
            .map(|w| w.key.start)
            .collect();
        free.sort_by_key(|start| (*start - booking.window_start).abs());
        free.truncate(3);
        free.sort();
        free
    }

    /// The plate's active booking of this day, in `direction` or (if none is given) in the one
    /// direction it has a booking in.
    pub fn active_booking_of(
        &self,
        plate: &Plate,
        direction: Option<Direction>,
    ) -> Option<&Booking> {
        let mut found = self
            .active_plates
            .iter()
            .filter(|((p, d), _)| p == plate && direction.is_none_or(|wanted| wanted == *d))
            .filter_map(|(_, id)| self.bookings.get(id));
        let first = found.next()?;
        // Booked both ways and asked without a direction: which one is meant is not ours to say.
        found.next().is_none().then_some(first)
    }

    /// Marks as no-shows the confirmed bookings whose window ended more than the arrival grace
    /// ago without a check-in.
    pub fn mark_no_shows(&mut self, policy: &Policy, now: DateTime<Utc>) -> ChangeSet {
        let missed: Vec<Booking> = self
            .bookings
            .values()
            .filter(|b| b.status == BookingStatus::Confirmed)
            .filter(|b| b.window_end + policy.arrival_grace <= now)
            .cloned()
            .collect();
        let mut changes = ChangeSet::default();
        for mut booking in missed {
            self.set_status(&mut booking, BookingStatus::NoShow, now, &mut changes);
            changes.events.push(DomainEvent::for_booking(
                EventType::BookingNoShow,
                &booking,
                now,
            ));
        }
        changes
    }

    /// Keeps `reserved` places of each selected window for priority classes (humanitarian,
    /// perishable, diplomatic…); bookings already made stay.
    pub fn set_reserved(
        &mut self,
        selection: &WindowSelection,
        reserved: u32,
        now: DateTime<Utc>,
    ) -> Result<(Vec<WindowKey>, ChangeSet), AllocationError> {
        if selection.from >= selection.to {
            return Err(InputError::new("to", "the range must end after it starts").into());
        }
        if let Some(window) = self
            .windows
            .values()
            .find(|w| selection.covers(w) && reserved > w.capacity)
        {
            return Err(InputError::new(
                "reserved",
                format!("at most the window's capacity ({})", window.capacity),
            )
            .into());
        }
        let mut touched = Vec::new();
        let mut changes = ChangeSet::default();
        for window in self.windows.values_mut().filter(|w| selection.covers(w)) {
            if window.reserved == reserved {
                continue;
            }
            window.reserved = reserved;
            touched.push(window.key);
            changes.changes.push(ScheduleChange::SetReserved {
                key: window.key,
                reserved,
            });
            changes.events.push(DomainEvent::for_window(
                EventType::WindowReserved,
                &self.checkpoint,
                self.date,
                window,
                now,
            ));
        }
        Ok((touched, changes))
    }

    /// Closes the selected windows to new bookings; existing bookings stay.
    pub fn block(
        &mut self,
        selection: &WindowSelection,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(Vec<WindowKey>, ChangeSet), AllocationError> {
        let reason = reason.trim();
        if reason.is_empty() || reason.len() > 500 {
            return Err(InputError::new("reason", "give a reason of 1 to 500 characters").into());
        }
        self.set_blocked(selection, Some(reason.to_owned()), now)
    }

    pub fn unblock(
        &mut self,
        selection: &WindowSelection,
        now: DateTime<Utc>,
    ) -> Result<(Vec<WindowKey>, ChangeSet), AllocationError> {
        self.set_blocked(selection, None, now)
    }

    fn set_blocked(
        &mut self,
        selection: &WindowSelection,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<(Vec<WindowKey>, ChangeSet), AllocationError> {
        if selection.from >= selection.to {
            return Err(InputError::new("to", "the range must end after it starts").into());
        }
        let mut touched = Vec::new();
        let mut changes = ChangeSet::default();
        let event_type = if reason.is_some() {
            EventType::WindowBlocked
        } else {
            EventType::WindowUnblocked
        };
        for window in self.windows.values_mut().filter(|w| selection.covers(w)) {
            if window.blocked == reason {
                continue;
            }
            window.blocked.clone_from(&reason);
            touched.push(window.key);
            changes.changes.push(ScheduleChange::SetBlocked {
                key: window.key,
                reason: reason.clone(),
            });
            changes.events.push(DomainEvent::for_window(
                event_type,
                &self.checkpoint,
                self.date,
                window,
                now,
            ));
        }
        Ok((touched, changes))
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

    fn check_movable(&self, booking: &Booking, now: DateTime<Utc>) -> Result<(), AllocationError> {
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

    /// Counts `booking` into its window and claims its plate.
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
        };
        let mut changes = ChangeSet::default();
        self.take_place(&booking, &mut changes);
        changes
            .changes
            .push(ScheduleChange::InsertBooking(booking.clone()));
        let follow_up = match status {
            BookingStatus::Confirmed => Some(EventType::BookingConfirmed),
            BookingStatus::Arrived => Some(EventType::BookingArrived),
            _ => None,
        };
        for event_type in std::iter::once(EventType::BookingHeld).chain(follow_up) {
            changes
                .events
                .push(DomainEvent::for_booking(event_type, &booking, now));
        }
        self.put_booking(booking.clone());
        self.assert_invariants(&booking.window_key());
        (booking, changes)
    }

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

//! A driver's requests on the day: hold a window (or book it outright), confirm, cancel, move
//! within the day, and holds running out.

use super::*;

impl DaySchedule {
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
        self.check_not_offer(id)?;
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
        self.check_not_offer(id)?;
        if !current.status.can_become(BookingStatus::Cancelled) || current.is_transfer_hold() {
            return Err(AllocationError::InvalidTransition(current.status.as_str()));
        }
        let by = if current.reslotted_from.is_some() {
            CancelledBy::HolderRefusingReslot
        } else {
            CancelledBy::Holder
        };
        let mut updated = current.clone();
        let mut changes = ChangeSet::default();
        self.set_status(&mut updated, BookingStatus::Cancelled, now, &mut changes);
        changes
            .events
            .push(DomainEvent::for_cancellation(&updated, by, now));
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
        let (updated, changes) = self.shift_window(
            &current,
            target,
            policy,
            now,
            |updated| {
                updated.reschedules += 1;
                // The driver chose this window: a move the checkpoint made needs no answer any more.
                updated.reslotted_from = None;
            },
            |before, after| DomainEvent::for_move(before, after, now),
        );
        Ok((updated, changes))
    }

    /// Moves `current` to `target` of the same day in one change: its old place is given back
    /// and the new one taken together. `adjust` makes what else the move changes, `event` names
    /// it. A hold gets its full time again from the move.
    pub(super) fn shift_window(
        &mut self,
        current: &Booking,
        target: WindowKey,
        policy: &Policy,
        now: DateTime<Utc>,
        adjust: impl FnOnce(&mut Booking),
        event: impl FnOnce(&Booking, &Booking) -> DomainEvent,
    ) -> (Booking, ChangeSet) {
        let target_end = self.windows.get(&target).map_or(target.start, |w| w.end);
        let mut changes = ChangeSet::default();
        self.give_place(current, &mut changes);
        let mut updated = current.clone();
        updated.window_start = target.start;
        updated.window_end = target_end;
        adjust(&mut updated);
        updated.version += 1;
        updated.updated_at = now;
        if updated.status == BookingStatus::Held {
            updated.hold_expires_at = Some(policy.hold_expiry(now));
        }
        self.take_place(&updated, &mut changes);
        changes
            .changes
            .push(ScheduleChange::UpdateBooking(updated.clone()));
        changes.events.push(event(current, &updated));
        self.put_booking(updated.clone());
        self.assert_invariants(&current.window_key());
        self.assert_invariants(&target);
        (updated, changes)
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
            if self.is_offer(booking.id) {
                self.expire_offer(booking, now, &mut changes);
                continue;
            }
            self.set_status(&mut booking, BookingStatus::Expired, now, &mut changes);
            changes.events.push(DomainEvent::for_booking(
                EventType::BookingExpired,
                &booking,
                now,
            ));
        }
        (changes, transfers)
    }
}

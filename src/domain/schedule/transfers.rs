//! Moving a booking to another day: the target day holds a place, the source hands the code
//! over, the target completes it; the original booking stays until the hand-over commits.

use super::*;

impl DaySchedule {
    /// First step of a move the checkpoint makes from a closed window of another day: a
    /// transfer hold in the window of this day nearest to `near` that takes `source`.
    pub fn hold_for_reslot(
        &mut self,
        source: &Booking,
        new_id: BookingId,
        near: DateTime<Utc>,
        policy: &Policy,
        now: DateTime<Utc>,
    ) -> Result<(Booking, ChangeSet), AllocationError> {
        let target = self
            .nearest_room(source, near, policy, now)
            .ok_or(AllocationError::WindowFull)?;
        self.hold_for_transfer(source, new_id, target, true, policy, now)
    }

    /// First step of a move from another day: takes a place for `source` in `target` as a
    /// transfer hold. The source day keeps its booking until it agrees to let go. A move the
    /// checkpoint makes (`reslot`) counts no reschedule against the driver and remembers the
    /// window the booking leaves; a driver's own move forgets it.
    pub fn hold_for_transfer(
        &mut self,
        source: &Booking,
        new_id: BookingId,
        target: WindowKey,
        reslot: bool,
        policy: &Policy,
        now: DateTime<Utc>,
    ) -> Result<(Booking, ChangeSet), AllocationError> {
        check_same_lane(source, &target)?;
        if !reslot {
            check_reschedules_left(source, policy)?;
        }
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
            reschedules: source.reschedules + u32::from(!reslot),
            reslotted_from: reslot.then(|| reslot::reslotted_from(source)),
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
        reslot_reason: Option<&str>,
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
        changes.events.push(match reslot_reason {
            Some(reason) => DomainEvent::for_reslot(&updated, &arrived, reason, now),
            None => DomainEvent::for_move(&updated, &arrived, now),
        });
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
}

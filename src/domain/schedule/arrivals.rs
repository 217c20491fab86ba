//! At the checkpoint: checking a booked vehicle in, registering a walk-up into the next window
//! with room, and marking the confirmed bookings nobody came for.

use super::*;

impl DaySchedule {
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
    pub(super) fn nearest_free_windows(
        &self,
        booking: &Booking,
        now: DateTime<Utc>,
    ) -> Vec<DateTime<Utc>> {
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
}

//! Re-slotting instead of cancelling: when an admin closes windows in `move_affected` mode, the
//! active bookings in them move to the nearest windows of their lane that still take them, and
//! their drivers are told where, with why.
//!
//! Bookings are placed in the order they keep everywhere else: the priority classes first (they
//! may use the places kept for them), then in the order they were booked, so that an earlier
//! booking is never pushed further than a later one. A booking the day has no room for stays in
//! its closed window, counted as before, and is returned for the next day to take
//! ([`DaySchedule::hold_for_transfer`] with `reslot`); one no day can take is cancelled by staff
//! ([`DaySchedule::cancel_reslot`]). A moved booking keeps its code, plate, contact, priority
//! and status; it remembers the window it was moved out of (`reslotted_from`) until the driver
//! accepts the new one, moves it or cancels it. Transfer holds are left alone: their moves are
//! in flight and end in their own way.
//!
//! Invariants: the same as every change of a day — no window over capacity, counts equal the
//! active bookings — and no booking is ever without a place: it leaves a window only in the step
//! that gives it another, or is cancelled.

use super::*;

/// What closing windows and moving their bookings did.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockMoved {
    pub blocked: Vec<WindowKey>,
    /// Bookings moved to another window of this day, as they are now.
    pub moved: Vec<Booking>,
    /// Bookings this day has no room for, still in their closed windows, in the order they
    /// are to be placed on the next day.
    pub unplaced: Vec<Booking>,
}

impl DaySchedule {
    /// Closes the selected windows and moves their active bookings to the nearest windows of
    /// the same lane with room; see the module doc.
    pub fn block_moving(
        &mut self,
        selection: &WindowSelection,
        reason: &str,
        policy: &Policy,
        now: DateTime<Utc>,
    ) -> Result<(BlockMoved, ChangeSet), AllocationError> {
        let (blocked, mut changes) = self.block(selection, reason, now)?;
        self.withdraw_offers(selection, now, &mut changes);
        let reason = reason.trim();
        let mut moved = Vec::new();
        let mut unplaced = Vec::new();
        for booking in self.affected_in_order(selection) {
            match self.nearest_room(&booking, booking.window_start, policy, now) {
                Some(target) => {
                    let (updated, change) =
                        self.reslot_within_day(&booking, target, reason, policy, now);
                    changes.append(change);
                    moved.push(updated);
                }
                None => unplaced.push(booking),
            }
        }
        Ok((
            BlockMoved {
                blocked,
                moved,
                unplaced,
            },
            changes,
        ))
    }

    /// The active bookings in the closed windows of `selection`, in the order they are placed.
    fn affected_in_order(&self, selection: &WindowSelection) -> Vec<Booking> {
        let mut affected: Vec<Booking> = self
            .bookings
            .values()
            .filter(|b| matches!(b.status, BookingStatus::Held | BookingStatus::Confirmed))
            .filter(|b| !b.is_transfer_hold())
            .filter(|b| {
                self.windows
                    .get(&b.window_key())
                    .is_some_and(|w| w.blocked.is_some() && selection.covers(w))
            })
            .cloned()
            .collect();
        affected.sort_by_key(|b| (!b.priority.is_priority(), b.created_at, b.id.0));
        affected
    }

    /// The window of `booking`'s lane nearest to `near` that takes it now: open to bookings,
    /// not closed, with a place for its priority class. Of two as near, the earlier.
    pub fn nearest_room(
        &self,
        booking: &Booking,
        near: DateTime<Utc>,
        policy: &Policy,
        now: DateTime<Utc>,
    ) -> Option<WindowKey> {
        self.windows
            .values()
            .filter(|w| w.key.direction == booking.direction && w.key.category == booking.category)
            .filter(|w| w.key != booking.window_key())
            .filter(|w| w.blocked.is_none() && policy.check_window_open(w.key.start, now).is_ok())
            .filter(|w| w.available_to(booking.priority) > 0)
            .min_by_key(|w| ((w.key.start - near).abs(), w.key.start))
            .map(|w| w.key)
    }

    /// Moves `current` to `target` (looked up by [`Self::nearest_room`]) for the checkpoint:
    /// no reschedule is counted against the driver.
    fn reslot_within_day(
        &mut self,
        current: &Booking,
        target: WindowKey,
        reason: &str,
        policy: &Policy,
        now: DateTime<Utc>,
    ) -> (Booking, ChangeSet) {
        // The driver learns of the move now, and a hold's time starts again with it: running
        // out meanwhile would be unfair.
        self.shift_window(
            current,
            target,
            policy,
            now,
            |updated| updated.reslotted_from = Some(reslotted_from(current)),
            |before, after| DomainEvent::for_reslot(before, after, reason, now),
        )
    }

    /// The driver keeps the window the checkpoint moved the booking to.
    pub fn accept_reslot(
        &mut self,
        id: BookingId,
        now: DateTime<Utc>,
    ) -> Result<(Booking, ChangeSet), AllocationError> {
        let current = self.active_booking(id)?;
        if current.reslotted_from.is_none() || current.is_transfer_hold() {
            return Err(AllocationError::InvalidTransition(
                "not moved by the checkpoint",
            ));
        }
        let mut updated = current.clone();
        updated.reslotted_from = None;
        updated.version += 1;
        updated.updated_at = now;
        let mut changes = ChangeSet::default();
        changes
            .changes
            .push(ScheduleChange::UpdateBooking(updated.clone()));
        changes.events.push(DomainEvent::for_booking(
            EventType::BookingReslotAccepted,
            &updated,
            now,
        ));
        self.put_booking(updated.clone());
        Ok((updated, changes))
    }

    /// Cancels, for the checkpoint, a booking no day could take after its window closed,
    /// offering the nearest windows that still have room. Refused unless the booking is still
    /// active in a closed window: one its driver moved or cancelled meanwhile is theirs.
    pub fn cancel_reslot(
        &mut self,
        id: BookingId,
        now: DateTime<Utc>,
    ) -> Result<(Booking, ChangeSet), AllocationError> {
        let current = self.active_booking(id)?;
        let closed = self
            .windows
            .get(&current.window_key())
            .is_some_and(|w| w.blocked.is_some());
        if !closed
            || current.is_transfer_hold()
            || !current.status.can_become(BookingStatus::Cancelled)
        {
            return Err(AllocationError::InvalidTransition(current.status.as_str()));
        }
        let mut updated = current.clone();
        let mut changes = ChangeSet::default();
        self.set_status(&mut updated, BookingStatus::Cancelled, now, &mut changes);
        let alternatives = self.nearest_free_windows(&updated, now);
        changes.events.push(DomainEvent::for_staff_cancellation(
            &updated,
            &alternatives,
            now,
        ));
        Ok((updated, changes))
    }
}

/// The window a booking the checkpoint moves was last chosen in: a booking moved twice before
/// its driver answered still names the one the driver chose.
pub(super) fn reslotted_from(booking: &Booking) -> DateTime<Utc> {
    booking.reslotted_from.unwrap_or(booking.window_start)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::domain::checkpoint::{Category, CategoryCapacity, Checkpoint};
    use crate::domain::window::generate_windows;

    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 21).unwrap()
    }

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.from_utc_datetime(&date().and_hms_opt(hour, 0, 0).unwrap())
    }

    /// A day of hourly car windows of `capacity` places, `reserved` of them for priority.
    fn day(capacity: u32, reserved: u32) -> DaySchedule {
        let checkpoint = Checkpoint {
            id: CheckpointId::parse("tiny").unwrap(),
            name: "Tiny".to_owned(),
            time_zone: chrono_tz::UTC,
            neighbour_time_zone: None,
            directions: vec![Direction::Entry],
            window_minutes: 60,
            capacity: BTreeMap::from([(Category::Car, CategoryCapacity { capacity, reserved })]),
            calendar: Default::default(),
            opening: None,
        };
        let windows = generate_windows(&checkpoint, date());
        DaySchedule::from_parts(checkpoint.id, chrono_tz::UTC, date(), windows, Vec::new()).unwrap()
    }

    fn key(hour: u32) -> WindowKey {
        WindowKey {
            direction: Direction::Entry,
            category: Category::Car,
            start: at(hour),
        }
    }

    /// A day before the schedule's date, so every window is open to bookings.
    fn now() -> DateTime<Utc> {
        at(0) - Duration::days(1)
    }

    /// Books a confirmed place at `hour`, `seconds` after [`now`].
    fn book(
        day: &mut DaySchedule,
        hour: u32,
        plate: &str,
        priority: PriorityClass,
        seconds: i64,
    ) -> Booking {
        let request = HoldRequest {
            id: BookingId::new_random(),
            code: BookingCode::generate(&mut rand::rng()),
            manage_token_digest: String::new(),
            window: key(hour),
            plate: Some(Plate::parse(plate).unwrap()),
            contact: Some(Contact::parse("driver@example.com").unwrap()),
            priority,
            confirm: true,
            carrier: None,
            owner: None,
        };
        let at = now() + Duration::seconds(seconds);
        day.hold(request, &Policy::default(), at).unwrap().0
    }

    fn close(day: &mut DaySchedule, from: u32, to: u32) -> (BlockMoved, ChangeSet) {
        let selection = WindowSelection {
            from: at(from),
            to: at(to),
            direction: None,
            categories: Vec::new(),
        };
        day.block_moving(&selection, "lane repairs", &Policy::default(), now())
            .unwrap()
    }

    #[test]
    fn priority_goes_first_then_booking_order_each_to_the_nearest_room() {
        // Two places a window, one kept for priority classes. 09:00 is full; 11:00 has only
        // its kept place left.
        let mut day = day(2, 1);
        book(&mut day, 9, "NINE1", PriorityClass::Normal, 0);
        book(&mut day, 9, "NINE2", PriorityClass::Humanitarian, 1);
        book(&mut day, 11, "ELEVEN1", PriorityClass::Normal, 2);
        let early = book(&mut day, 10, "EARLY1", PriorityClass::Normal, 3);
        let urgent = book(&mut day, 10, "URGENT1", PriorityClass::Humanitarian, 4);

        let (moved, changes) = close(&mut day, 10, 11);

        let placed: Vec<(BookingId, DateTime<Utc>)> =
            moved.moved.iter().map(|b| (b.id, b.window_start)).collect();
        // The priority booking takes 11:00's kept place; the other, as near, the earlier of
        // 08:00 and 12:00.
        assert_eq!(placed, vec![(urgent.id, at(11)), (early.id, at(8))]);
        assert!(moved.unplaced.is_empty());
        for booking in &moved.moved {
            assert_eq!(booking.reslotted_from, Some(at(10)));
            assert_eq!(booking.status, BookingStatus::Confirmed);
            assert_eq!(
                booking.reschedules, 0,
                "the checkpoint's move is not the driver's"
            );
        }
        assert_eq!(day.window(&key(10)).unwrap().taken(), 0);
        assert_eq!(day.window(&key(11)).unwrap().taken(), 2);
        let reslotted = changes
            .events
            .iter()
            .filter(|e| e.event_type == EventType::BookingReslotted)
            .count();
        assert_eq!(reslotted, 2, "one event per moved booking");
    }

    #[test]
    fn a_day_without_room_keeps_its_bookings_in_place_for_the_next_day() {
        let mut day = day(1, 0);
        let first = book(&mut day, 10, "FIRST1", PriorityClass::Normal, 0);
        let second = book(&mut day, 14, "SECOND1", PriorityClass::Normal, 1);

        let (moved, changes) = close(&mut day, 0, 23);

        // 23:00 is the one window left open, and the earlier booking takes it.
        assert_eq!(moved.moved.len(), 1);
        assert_eq!(moved.moved[0].id, first.id);
        assert_eq!(moved.moved[0].window_start, at(23));
        assert_eq!(
            moved.unplaced.iter().map(|b| b.id).collect::<Vec<_>>(),
            vec![second.id]
        );
        assert_eq!(
            day.window(&key(14)).unwrap().taken(),
            1,
            "still counted where it was"
        );
        assert_eq!(day.booking(second.id).unwrap().window_start, at(14));
        assert_eq!(
            changes
                .events
                .iter()
                .filter(|e| e.event_type == EventType::BookingReslotted)
                .count(),
            1
        );
    }

    #[test]
    fn only_a_moved_booking_has_a_move_to_keep_or_a_closed_window_to_be_cancelled_from() {
        let mut day = day(2, 0);
        let moved = book(&mut day, 10, "MOVED1", PriorityClass::Normal, 0);
        let other = book(&mut day, 15, "OTHER1", PriorityClass::Normal, 1);
        close(&mut day, 10, 11);

        assert!(matches!(
            day.accept_reslot(other.id, now()),
            Err(AllocationError::InvalidTransition(_))
        ));
        assert!(matches!(
            day.cancel_reslot(other.id, now()),
            Err(AllocationError::InvalidTransition(_))
        ));
        let (kept, _) = day.accept_reslot(moved.id, now()).unwrap();
        assert_eq!(kept.reslotted_from, None);
        assert!(day.accept_reslot(moved.id, now()).is_err(), "once");
    }
}

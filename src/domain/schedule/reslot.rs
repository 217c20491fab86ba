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
        self.nearest_room_avoiding(booking, near, &BTreeSet::new(), policy, now)
    }

    /// [`Self::nearest_room`], but never one of `avoided`.
    fn nearest_room_avoiding(
        &self,
        booking: &Booking,
        near: DateTime<Utc>,
        avoided: &BTreeSet<WindowKey>,
        policy: &Policy,
        now: DateTime<Utc>,
    ) -> Option<WindowKey> {
        self.windows
            .values()
            .filter(|w| w.key.direction == booking.direction && w.key.category == booking.category)
            .filter(|w| w.key != booking.window_key() && !avoided.contains(&w.key))
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

/// What lowering the places of windows did to the bookings they had too many of.
#[derive(Debug, Clone, PartialEq)]
pub struct CapacityCut {
    /// The windows whose places changed.
    pub windows: Vec<WindowKey>,
    /// Bookings moved to another window of this day, as they are now.
    pub moved: Vec<Booking>,
    /// Bookings this day has no room for, still in their windows (which keep a place for each
    /// until they go), in the order they are to be placed on the next day.
    pub unplaced: Vec<Booking>,
}

impl DaySchedule {
    /// Lowers the places of the selected windows to `capacity`, moving the bookings a window
    /// then has too many of to the nearest windows of their lane with room: those booked last
    /// leave, the priority classes last of all, and the earliest of those leaving is placed
    /// first. A window keeps a place for each booking this day has no room for (`unplaced`):
    /// lowering it again once they have gone elsewhere brings it down to `capacity`.
    pub fn cut_capacity_moving(
        &mut self,
        selection: &WindowSelection,
        capacity: u32,
        reason: &str,
        policy: &Policy,
        now: DateTime<Utc>,
    ) -> Result<(CapacityCut, ChangeSet), AllocationError> {
        self.check_capacity(selection, capacity)?;
        let reason = reason.trim();
        if reason.is_empty() || reason.len() > 500 {
            return Err(InputError::new("reason", "1-500 characters").into());
        }
        let covered: Vec<WindowKey> = self
            .windows
            .values()
            .filter(|w| selection.covers(w))
            .map(|w| w.key)
            .collect();
        // A window losing bookings is no place to move another's to.
        let crowded: BTreeSet<WindowKey> = covered
            .iter()
            .filter(|key| self.windows[*key].taken() > capacity)
            .copied()
            .collect();
        let mut changes = ChangeSet::default();
        let mut cut = CapacityCut {
            windows: Vec::new(),
            moved: Vec::new(),
            unplaced: Vec::new(),
        };
        // Places go first where nothing has to move, so that no booking is moved into them.
        for key in covered.iter().filter(|key| !crowded.contains(key)) {
            self.put_capacity(*key, capacity, now, &mut changes, &mut cut.windows);
        }
        for key in &crowded {
            for booking in self.leaving(key, capacity) {
                let near = booking.window_start;
                match self.nearest_room_avoiding(&booking, near, &crowded, policy, now) {
                    Some(target) => {
                        let (updated, change) =
                            self.reslot_within_day(&booking, target, reason, policy, now);
                        changes.append(change);
                        cut.moved.push(updated);
                    }
                    None => cut.unplaced.push(booking),
                }
            }
            let keeping = self.windows[key].taken().max(capacity);
            self.put_capacity(*key, keeping, now, &mut changes, &mut cut.windows);
        }
        Ok((cut, changes))
    }

    /// The bookings of window `key` that leave when it has `capacity` places, in the order
    /// they are placed elsewhere: a transfer hold (its move is in flight) and a vehicle that has
    /// arrived stay, and of the others those that keep their place everywhere else keep it
    /// here too.
    fn leaving(&self, key: &WindowKey, capacity: u32) -> Vec<Booking> {
        let mut in_window: Vec<&Booking> = self
            .bookings
            .values()
            .filter(|b| b.window_key() == *key && b.status.is_active())
            .collect();
        let movable = |b: &Booking| {
            matches!(b.status, BookingStatus::Held | BookingStatus::Confirmed)
                && !b.is_transfer_hold()
        };
        let staying = in_window.iter().filter(|b| !movable(b)).count();
        in_window.retain(|b| movable(b));
        in_window.sort_by_key(|b| (!b.priority.is_priority(), b.created_at, b.id.0));
        let room = usize::try_from(capacity)
            .unwrap_or(usize::MAX)
            .saturating_sub(staying);
        in_window.into_iter().skip(room).cloned().collect()
    }
}

/// The window a booking the checkpoint moves was last chosen in: a booking moved twice before
/// its driver answered still names the one the driver chose.
pub(super) fn reslotted_from(booking: &Booking) -> DateTime<Utc> {
    booking.reslotted_from.unwrap_or(booking.window_start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::schedule::fixture::{at, book, day, key, now};

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

    fn cut(day: &mut DaySchedule, from: u32, to: u32, capacity: u32) -> (CapacityCut, ChangeSet) {
        let selection = WindowSelection {
            from: at(from),
            to: at(to),
            direction: None,
            categories: Vec::new(),
        };
        day.cut_capacity_moving(
            &selection,
            capacity,
            "one lane closed",
            &Policy::default(),
            now(),
        )
        .unwrap()
    }

    #[test]
    fn fewer_places_move_the_last_booked_out_the_priority_classes_last() {
        // Three places at 10:00, cut to one: the humanitarian booking stays though it came
        // last, and of the two others the later leaves first, for the farther window.
        let mut day = day(3, 0);
        let first = book(&mut day, 10, "FIRST1", PriorityClass::Normal, 0);
        let second = book(&mut day, 10, "SECOND1", PriorityClass::Normal, 1);
        let urgent = book(&mut day, 10, "URGENT1", PriorityClass::Humanitarian, 2);
        book(&mut day, 9, "NINE1", PriorityClass::Normal, 3);
        book(&mut day, 9, "NINE2", PriorityClass::Normal, 4);

        let (cut, changes) = cut(&mut day, 10, 12, 1);

        // 11:00 is cut to one place too, and has room for one; 09:00 has one left.
        let placed: Vec<(BookingId, DateTime<Utc>)> =
            cut.moved.iter().map(|b| (b.id, b.window_start)).collect();
        assert_eq!(placed, vec![(first.id, at(9)), (second.id, at(11))]);
        assert!(cut.unplaced.is_empty());
        assert_eq!(day.booking(urgent.id).unwrap().window_start, at(10));
        assert_eq!(day.window(&key(10)).unwrap().capacity, 1);
        assert_eq!(day.window(&key(11)).unwrap().capacity, 1);
        assert_eq!(day.window(&key(10)).unwrap().taken(), 1);
        assert_eq!(cut.windows, vec![key(11), key(10)]);
        let reslotted = changes
            .events
            .iter()
            .filter(|e| e.event_type == EventType::BookingReslotted)
            .count();
        assert_eq!(reslotted, 2, "each moved driver is told once");
    }

    #[test]
    fn a_booking_the_day_has_no_room_for_keeps_a_place_until_it_goes() {
        let mut day = day(1, 0);
        for hour in 0..24 {
            book(
                &mut day,
                hour,
                &format!("PL{hour:02}X"),
                PriorityClass::Normal,
                i64::from(hour),
            );
        }

        let (cut, _) = cut(&mut day, 10, 11, 0);

        assert!(cut.moved.is_empty());
        assert_eq!(cut.unplaced.len(), 1);
        assert_eq!(
            day.window(&key(10)).unwrap().capacity,
            1,
            "a place kept for the booking left for the next day"
        );
        assert!(cut.windows.is_empty());
    }

    #[test]
    fn free_only_refuses_to_go_below_the_places_taken() {
        let mut day = day(2, 0);
        book(&mut day, 10, "FIRST1", PriorityClass::Normal, 0);
        book(&mut day, 10, "SECOND1", PriorityClass::Normal, 1);
        let selection = WindowSelection {
            from: at(10),
            to: at(11),
            direction: None,
            categories: Vec::new(),
        };

        let refused = day.set_capacity(&selection, 1, now());

        assert!(
            matches!(refused, Err(AllocationError::Invalid(_))),
            "{refused:?}"
        );
        assert_eq!(day.window(&key(10)).unwrap().capacity, 2);
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

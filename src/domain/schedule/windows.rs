//! An admin's changes to a day's windows: closing them (keeping or cancelling their bookings),
//! opening them again, and keeping places for priority classes.

use super::*;

/// The most places a window may have, as for a checkpoint's template.
const CAPACITY_MAX: u32 = 100_000;

impl DaySchedule {
    /// Blocks the selected windows and cancels the active bookings in them (transfer holds
    /// included: their moves then fail and the drivers keep their original booking).
    pub fn block_cancelling(
        &mut self,
        selection: &WindowSelection,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(Vec<WindowKey>, ChangeSet), AllocationError> {
        let (touched, mut changes) = self.block(selection, reason, now)?;
        self.withdraw_offers(selection, now, &mut changes);
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

    /// Sets the places of each selected window of this day (a template change applies only to
    /// days scheduled later). A window keeps at least the places taken and kept for priority
    /// classes; places it gains go to the waitlist first.
    pub fn set_capacity(
        &mut self,
        selection: &WindowSelection,
        capacity: u32,
        now: DateTime<Utc>,
    ) -> Result<(Vec<WindowKey>, ChangeSet), AllocationError> {
        self.check_capacity(selection, capacity)?;
        if let Some(window) = self
            .windows
            .values()
            .find(|w| selection.covers(w) && capacity < w.taken())
        {
            return Err(InputError::new(
                "capacity",
                format!(
                    "at least the places taken ({}), or move the bookings (mode move_affected)",
                    window.taken(),
                ),
            )
            .into());
        }
        let mut touched = Vec::new();
        let mut changes = ChangeSet::default();
        let covered: Vec<WindowKey> = self
            .windows
            .values()
            .filter(|w| selection.covers(w))
            .map(|w| w.key)
            .collect();
        for key in covered {
            self.put_capacity(key, capacity, now, &mut changes, &mut touched);
        }
        Ok((touched, changes))
    }

    /// Refuses a range or a number of places no window can have; a window keeps at least the
    /// places kept for priority classes.
    pub(super) fn check_capacity(
        &self,
        selection: &WindowSelection,
        capacity: u32,
    ) -> Result<(), AllocationError> {
        if selection.from >= selection.to {
            return Err(InputError::new("to", "the range must end after it starts").into());
        }
        if capacity > CAPACITY_MAX {
            return Err(
                InputError::new("capacity", format!("at most {CAPACITY_MAX} places")).into(),
            );
        }
        if let Some(window) = self
            .windows
            .values()
            .find(|w| selection.covers(w) && capacity < w.reserved)
        {
            return Err(InputError::new(
                "capacity",
                format!(
                    "at least the places kept for priority classes ({})",
                    window.reserved
                ),
            )
            .into());
        }
        Ok(())
    }

    /// Gives window `key` `capacity` places, unless it has them already; `touched` names it
    /// then.
    pub(super) fn put_capacity(
        &mut self,
        key: WindowKey,
        capacity: u32,
        now: DateTime<Utc>,
        changes: &mut ChangeSet,
        touched: &mut Vec<WindowKey>,
    ) {
        let Some(window) = self.windows.get_mut(&key) else {
            return;
        };
        if window.capacity == capacity {
            return;
        }
        window.capacity = capacity;
        touched.push(key);
        changes
            .changes
            .push(ScheduleChange::SetCapacity { key, capacity });
        changes.events.push(DomainEvent::for_window(
            EventType::WindowCapacitySet,
            &self.checkpoint,
            self.date,
            window,
            now,
        ));
        self.assert_invariants(&key);
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
}

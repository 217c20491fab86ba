//! The day's waitlist: joining it, offering freed places to it, and the answers to an offer.
//!
//! An offer is a hold like any other — a held booking that counts in its window — taken in the
//! same decision that freed the place, so a direct booking made meanwhile either got the place
//! first or finds it held; it runs out through the same expiry index as every hold. Its booking
//! has no plate until it is accepted (a driver asking for an earlier window still holds their
//! booking meanwhile) and is managed with the entry's token. Its own life — taken, withdrawn,
//! expired — is told by `waitlist.*` events, not `booking.*` ones: nobody booked or cancelled
//! anything until the driver accepts.

use uuid::Uuid;

use super::*;
use crate::domain::waitlist::{
    JoinRequest, Offer, WaitlistEntry, WaitlistId, WaitlistStanding, WaitlistStatus,
};

impl DaySchedule {
    /// Adds the stored entries of the day's waitlist, checking each offered one against the
    /// hold that keeps its place.
    pub fn with_waitlist(mut self, entries: Vec<WaitlistEntry>) -> Result<Self, String> {
        for entry in entries {
            if entry.status == WaitlistStatus::Offered {
                let offer = entry
                    .offer
                    .as_ref()
                    .ok_or_else(|| format!("waitlist entry {} is offered nothing", entry.id))?;
                match self.bookings.get(&offer.booking) {
                    Some(hold) if hold.status == BookingStatus::Held => {
                        self.offers.insert(offer.booking, entry.id);
                    }
                    _ => {
                        return Err(format!(
                            "waitlist entry {} is offered a place no hold keeps",
                            entry.id
                        ));
                    }
                }
            }
            self.waitlist_seq = self.waitlist_seq.max(entry.seq);
            self.waitlist.insert(entry.id, entry);
        }
        Ok(self)
    }

    pub fn waitlist_entry(&self, id: WaitlistId) -> Option<&WaitlistEntry> {
        self.waitlist.get(&id)
    }

    pub fn waitlist(&self) -> impl Iterator<Item = &WaitlistEntry> {
        self.waitlist.values()
    }

    /// Entries waiting or holding an offer now.
    pub fn waitlist_active(&self) -> usize {
        self.waitlist
            .values()
            .filter(|e| e.status.is_active())
            .count()
    }

    /// Whether the booking `id` is a place offered to a waiting driver.
    pub fn is_offer(&self, id: BookingId) -> bool {
        self.offers.contains_key(&id)
    }

    /// Where an entry stands: its place among the entries of its lane still waiting.
    pub fn standing(&self, id: WaitlistId) -> Option<WaitlistStanding> {
        let entry = self.waitlist.get(&id)?;
        let position = (entry.status == WaitlistStatus::Waiting).then(|| {
            self.waitlist
                .values()
                .filter(|e| e.status == WaitlistStatus::Waiting)
                .filter(|e| e.direction == entry.direction && e.category == entry.category)
                .filter(|e| e.order_key() < entry.order_key())
                .count()
                + 1
        });
        Some(WaitlistStanding {
            entry: entry.clone(),
            position,
            active: self.waitlist_active(),
        })
    }

    /// Puts a driver on the waitlist for the windows `request` names. Refused when one of
    /// them has a place now (book it instead), when the plate already waits or is booked this
    /// day (unless the entry is made from that booking, for an earlier window), and when the
    /// contact already waits as often as it may hold.
    pub fn join_waitlist(
        &mut self,
        request: JoinRequest,
        policy: &Policy,
        now: DateTime<Utc>,
    ) -> Result<(WaitlistStanding, ChangeSet), AllocationError> {
        let booked = match request.booking {
            Some(id) => {
                let booking = self.active_booking(id)?;
                if booking.status != BookingStatus::Confirmed
                    || booking.is_transfer_hold()
                    || self.is_offer(id)
                {
                    return Err(AllocationError::InvalidTransition(booking.status.as_str()));
                }
                if booking.direction != request.direction || booking.category != request.category {
                    return Err(InputError::new(
                        "category",
                        "a booking waits for a window of its own direction and category",
                    )
                    .into());
                }
                Some(booking.window_start)
            }
            None => None,
        };
        let lane: Vec<&SlotWindow> = self
            .windows
            .values()
            .filter(|w| w.key.direction == request.direction && w.key.category == request.category)
            .filter(|w| request.range.contains(w.key.start))
            .collect();
        if lane.is_empty() {
            return Err(AllocationError::UnknownWindow);
        }
        let open: Vec<&SlotWindow> = lane
            .into_iter()
            .filter(|w| policy.check_window_open(w.key.start, now).is_ok())
            .collect();
        if open.is_empty() {
            return Err(AllocationError::WindowClosed(
                "every window you would wait for has started or starts too soon",
            ));
        }
        let candidates: Vec<&SlotWindow> = open
            .into_iter()
            .filter(|w| booked.is_none_or(|start| w.key.start < start))
            .collect();
        if candidates.is_empty() {
            return Err(InputError::new(
                "window_starts",
                "a booking waits only for windows earlier than its own",
            )
            .into());
        }
        if candidates
            .iter()
            .any(|w| w.blocked.is_none() && w.available_to(request.priority) > 0)
        {
            return Err(AllocationError::WindowHasRoom);
        }
        let waiting_already = self.waitlist.values().any(|e| {
            e.status.is_active() && e.plate == request.plate && e.direction == request.direction
        });
        if waiting_already {
            return Err(AllocationError::AlreadyWaiting);
        }
        if request.booking.is_none() {
            self.check_plate_free(&request.plate, request.direction, None)?;
        }
        let waiting_by_contact = self
            .waitlist
            .values()
            .filter(|e| e.status.is_active() && e.contact == request.contact)
            .count();
        if waiting_by_contact >= policy.holds_per_contact_max as usize {
            return Err(AllocationError::TooManyHolds(policy.holds_per_contact_max));
        }
        self.waitlist_seq += 1;
        let entry = WaitlistEntry {
            id: request.id,
            checkpoint: self.checkpoint.clone(),
            day: self.date,
            direction: request.direction,
            category: request.category,
            range: request.range,
            plate: request.plate,
            contact: request.contact,
            priority: request.priority,
            seq: self.waitlist_seq,
            status: WaitlistStatus::Waiting,
            version: 1,
            code: None,
            token_digest: request.token_digest,
            booking: request.booking,
            offer: None,
            offers: 0,
            carrier: request.carrier,
            created_at: now,
            updated_at: now,
        };
        let mut changes = ChangeSet::default();
        changes
            .changes
            .push(ScheduleChange::InsertWaitlist(entry.clone()));
        changes.events.push(DomainEvent::for_waitlist(
            EventType::WaitlistJoined,
            &entry,
            None,
            None,
            now,
        ));
        let id = entry.id;
        self.waitlist.insert(id, entry);
        let standing = self.standing(id).expect("the entry was just added");
        Ok((standing, changes))
    }

    /// The entry `id` as the driver's request finds it: an entry whose offer ran out says so.
    fn entry_for_answer(&self, id: WaitlistId) -> Result<&WaitlistEntry, AllocationError> {
        let entry = self
            .waitlist
            .get(&id)
            .ok_or(AllocationError::UnknownWaitlistEntry)?;
        match entry.status {
            WaitlistStatus::Expired => Err(AllocationError::OfferExpired),
            _ => Ok(entry),
        }
    }

    /// The driver takes the place offered: it becomes their booking, confirmed; or, for an
    /// entry made from a booking, the booking moves into it and its old place is given back —
    /// and offered to the next waiting driver — in the same decision.
    pub fn accept_offer(
        &mut self,
        id: WaitlistId,
        policy: &Policy,
        now: DateTime<Utc>,
    ) -> Result<((WaitlistEntry, Booking), ChangeSet), AllocationError> {
        let entry = self.entry_for_answer(id)?;
        let offer = match (&entry.status, &entry.offer) {
            (WaitlistStatus::Offered, Some(offer)) => offer.clone(),
            (status, _) => return Err(AllocationError::WaitlistEntryNot(status.as_str())),
        };
        if offer.expires_at <= now {
            return Err(AllocationError::OfferExpired);
        }
        let hold = self
            .bookings
            .get(&offer.booking)
            .cloned()
            .ok_or(AllocationError::UnknownBooking)?;
        let mut entry = entry.clone();
        let mut changes = ChangeSet::default();
        let booking = match entry.booking {
            None => {
                self.check_plate_free(&entry.plate, entry.direction, None)?;
                self.offers.remove(&hold.id);
                let mut booking = hold;
                booking.plate = Some(entry.plate.clone());
                booking.contact = Some(entry.contact.clone());
                self.set_status(&mut booking, BookingStatus::Confirmed, now, &mut changes);
                for event_type in [EventType::BookingHeld, EventType::BookingConfirmed] {
                    changes
                        .events
                        .push(DomainEvent::for_booking(event_type, &booking, now));
                }
                booking
            }
            Some(booked) => {
                let current = self.active_booking(booked)?.clone();
                self.check_movable(&current, now)?;
                if current.status != BookingStatus::Confirmed {
                    return Err(AllocationError::InvalidTransition(current.status.as_str()));
                }
                if current.window_start <= hold.window_start {
                    // Moved meanwhile to a window as early: the offer is no earlier one.
                    return Err(AllocationError::InvalidTransition(
                        "in a window as early as the one offered",
                    ));
                }
                self.offers.remove(&hold.id);
                let mut released = hold;
                self.set_status(&mut released, BookingStatus::Cancelled, now, &mut changes);
                let target = released.window_key();
                let (moved, shifted) = self.shift_window(
                    &current,
                    target,
                    policy,
                    now,
                    // The driver chose this window: a move the checkpoint made needs no answer.
                    |updated| updated.reslotted_from = None,
                    |before, after| DomainEvent::for_move(before, after, now),
                );
                changes.append(shifted);
                moved
            }
        };
        entry.status = WaitlistStatus::Accepted;
        entry.code = Some(booking.code.clone());
        self.put_entry(entry.clone(), now, &mut changes);
        let entry = self.waitlist[&id].clone();
        changes.events.push(DomainEvent::for_waitlist(
            EventType::WaitlistAccepted,
            &entry,
            Some(&booking),
            None,
            now,
        ));
        self.offer_places_freed_by(&mut changes, policy, now);
        Ok(((entry, booking), changes))
    }

    /// The driver turns the offer down: the place goes to the next waiting driver, and the
    /// entry ends.
    pub fn decline_offer(
        &mut self,
        id: WaitlistId,
        policy: &Policy,
        now: DateTime<Utc>,
    ) -> Result<(WaitlistEntry, ChangeSet), AllocationError> {
        let entry = self.entry_for_answer(id)?;
        if entry.status != WaitlistStatus::Offered {
            return Err(AllocationError::WaitlistEntryNot(entry.status.as_str()));
        }
        self.end_entry(id, WaitlistStatus::Declined, policy, now)
    }

    /// The driver stops waiting; an offer they hold goes to the next waiting driver.
    pub fn leave_waitlist(
        &mut self,
        id: WaitlistId,
        policy: &Policy,
        now: DateTime<Utc>,
    ) -> Result<(WaitlistEntry, ChangeSet), AllocationError> {
        let entry = self.entry_for_answer(id)?;
        if !entry.status.is_active() {
            return Err(AllocationError::WaitlistEntryNot(entry.status.as_str()));
        }
        self.end_entry(id, WaitlistStatus::Left, policy, now)
    }

    fn end_entry(
        &mut self,
        id: WaitlistId,
        status: WaitlistStatus,
        policy: &Policy,
        now: DateTime<Utc>,
    ) -> Result<(WaitlistEntry, ChangeSet), AllocationError> {
        let mut entry = self.waitlist[&id].clone();
        let mut changes = ChangeSet::default();
        if let Some(offer) = entry
            .offer
            .as_ref()
            .filter(|_| entry.status == WaitlistStatus::Offered)
        {
            self.release_offer_hold(offer.booking, now, &mut changes);
        }
        entry.status = status;
        self.put_entry(entry, now, &mut changes);
        let entry = self.waitlist[&id].clone();
        changes.events.push(DomainEvent::for_waitlist(
            EventType::WaitlistLeft,
            &entry,
            None,
            Some(status.as_str()),
            now,
        ));
        self.offer_places_freed_by(&mut changes, policy, now);
        Ok((entry, changes))
    }

    /// Gives back the place an offer held, telling no one: nobody had booked it.
    fn release_offer_hold(&mut self, hold: BookingId, now: DateTime<Utc>, changes: &mut ChangeSet) {
        self.offers.remove(&hold);
        if let Some(mut booking) = self
            .bookings
            .get(&hold)
            .filter(|b| b.status == BookingStatus::Held)
            .cloned()
        {
            self.set_status(&mut booking, BookingStatus::Cancelled, now, changes);
        }
    }

    /// An offer's hold ran out: the entry ends as expired (the place is offered on by
    /// [`Self::offer_places_freed_by`]).
    pub(super) fn expire_offer(
        &mut self,
        mut hold: Booking,
        now: DateTime<Utc>,
        changes: &mut ChangeSet,
    ) {
        let entry = self.offers.remove(&hold.id);
        self.set_status(&mut hold, BookingStatus::Expired, now, changes);
        if let Some(mut entry) = entry.and_then(|id| self.waitlist.get(&id).cloned()) {
            entry.status = WaitlistStatus::Expired;
            self.put_entry(entry.clone(), now, changes);
            changes.events.push(DomainEvent::for_waitlist(
                EventType::WaitlistExpired,
                &self.waitlist[&entry.id],
                None,
                None,
                now,
            ));
        }
    }

    /// Offers taken back because their windows were closed: their entries wait again, for the
    /// windows still open.
    pub(super) fn withdraw_offers(
        &mut self,
        selection: &WindowSelection,
        now: DateTime<Utc>,
        changes: &mut ChangeSet,
    ) {
        let closed: Vec<(BookingId, WaitlistId)> = self
            .offers
            .iter()
            .filter(|(hold, _)| {
                self.bookings.get(hold).is_some_and(|b| {
                    self.windows
                        .get(&b.window_key())
                        .is_some_and(|w| selection.covers(w))
                })
            })
            .map(|(hold, entry)| (*hold, *entry))
            .collect();
        for (hold, id) in closed {
            self.release_offer_hold(hold, now, changes);
            if let Some(mut entry) = self.waitlist.get(&id).cloned() {
                entry.status = WaitlistStatus::Waiting;
                entry.offer = None;
                self.put_entry(entry, now, changes);
            }
        }
    }

    /// Offers the places `changes` gave back to the waitlist, in the same decision, so that no
    /// one else sees them free first.
    pub fn offer_places_freed_by(
        &mut self,
        changes: &mut ChangeSet,
        policy: &Policy,
        now: DateTime<Utc>,
    ) {
        // Most decisions of most days have nobody waiting: that is asked first, cheaply.
        let waiting = self
            .waitlist
            .values()
            .any(|e| e.status == WaitlistStatus::Waiting);
        if waiting && frees_places(changes) {
            let offers = self.offer_free_places(policy, now);
            changes.append(offers);
        }
    }

    /// Offers every place a waiting entry would take, the entries in their order: each entry
    /// the earliest window of its range with a place for it.
    pub fn offer_free_places(&mut self, policy: &Policy, now: DateTime<Utc>) -> ChangeSet {
        let mut changes = ChangeSet::default();
        let mut waiting: Vec<&WaitlistEntry> = self
            .waitlist
            .values()
            .filter(|e| e.status == WaitlistStatus::Waiting)
            .collect();
        if waiting.is_empty() {
            return changes;
        }
        waiting.sort_by_key(|e| e.order_key());
        let waiting: Vec<WaitlistId> = waiting.into_iter().map(|e| e.id).collect();
        for id in waiting {
            let entry = self.waitlist[&id].clone();
            let before = match entry.booking {
                None => None,
                Some(booked) => match self.bookings.get(&booked) {
                    Some(b) if b.status == BookingStatus::Confirmed && !b.is_transfer_hold() => {
                        Some(b.window_start)
                    }
                    // The booking it would move is gone or changed beyond moving.
                    _ => {
                        let mut ended = entry;
                        ended.status = WaitlistStatus::Left;
                        self.put_entry(ended, now, &mut changes);
                        changes.events.push(DomainEvent::for_waitlist(
                            EventType::WaitlistLeft,
                            &self.waitlist[&id],
                            None,
                            Some("booking_gone"),
                            now,
                        ));
                        continue;
                    }
                },
            };
            let target = self
                .windows
                .values()
                .filter(|w| entry.wants(w))
                .filter(|w| before.is_none_or(|start| w.key.start < start))
                .filter(|w| {
                    w.blocked.is_none() && policy.check_window_open(w.key.start, now).is_ok()
                })
                .find(|w| w.available_to(entry.priority) > 0)
                .map(|w| (w.key, w.end));
            if let Some((key, end)) = target {
                self.make_offer(entry, key, end, policy, now, &mut changes);
            }
        }
        changes
    }

    /// Holds the place in `key` for `entry` and tells them.
    fn make_offer(
        &mut self,
        mut entry: WaitlistEntry,
        key: WindowKey,
        end: DateTime<Utc>,
        policy: &Policy,
        now: DateTime<Utc>,
        changes: &mut ChangeSet,
    ) {
        let expires_at = policy.offer_expiry(now);
        let hold = Booking {
            id: BookingId(Uuid::new_v4()),
            code: BookingCode::generate(&mut rand::rng()),
            checkpoint: self.checkpoint.clone(),
            day: self.date,
            direction: key.direction,
            category: key.category,
            window_start: key.start,
            window_end: end,
            // The plate is the booking's once accepted; until then it may still hold another.
            plate: None,
            contact: Some(entry.contact.clone()),
            priority: entry.priority,
            status: BookingStatus::Held,
            version: 1,
            manage_token_digest: entry.token_digest.clone(),
            created_at: now,
            updated_at: now,
            hold_expires_at: Some(expires_at),
            moved_from: None,
            status_after_move: None,
            moved_to: None,
            carrier: entry.carrier,
            reschedules: 0,
            reslotted_from: None,
        };
        self.take_place(&hold, changes);
        changes
            .changes
            .push(ScheduleChange::InsertBooking(hold.clone()));
        self.offers.insert(hold.id, entry.id);
        self.put_booking(hold.clone());
        self.assert_invariants(&key);
        entry.status = WaitlistStatus::Offered;
        entry.code = Some(hold.code.clone());
        entry.offers += 1;
        entry.offer = Some(Offer {
            booking: hold.id,
            window_start: key.start,
            window_end: end,
            expires_at,
            offered_at: now,
        });
        let id = entry.id;
        self.put_entry(entry, now, changes);
        changes.events.push(DomainEvent::for_waitlist(
            EventType::WaitlistOffered,
            &self.waitlist[&id],
            None,
            None,
            now,
        ));
    }

    /// Records an entry's new state as a versioned update.
    fn put_entry(&mut self, mut entry: WaitlistEntry, now: DateTime<Utc>, changes: &mut ChangeSet) {
        entry.version += 1;
        entry.updated_at = now;
        changes
            .changes
            .push(ScheduleChange::UpdateWaitlist(entry.clone()));
        self.waitlist.insert(entry.id, entry);
    }
}

/// Whether `changes` leave some window with fewer places taken, or open places to bookings
/// (a window reopened, fewer places kept for priority classes).
fn frees_places(changes: &ChangeSet) -> bool {
    let mut net: HashMap<WindowKey, i32> = HashMap::new();
    for change in &changes.changes {
        match change {
            ScheduleChange::AdjustWindow {
                key,
                held_delta,
                confirmed_delta,
            } => *net.entry(*key).or_default() += held_delta + confirmed_delta,
            ScheduleChange::SetBlocked { reason: None, .. }
            | ScheduleChange::SetReserved { .. }
            | ScheduleChange::SetCapacity { .. } => {
                return true;
            }
            _ => {}
        }
    }
    net.values().any(|delta| *delta < 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::schedule::fixture::{at, day, key, now};
    use crate::domain::waitlist::WaitRange;

    fn book(day: &mut DaySchedule, hour: u32, plate: &str) -> Booking {
        crate::domain::schedule::fixture::book(day, hour, plate, PriorityClass::Normal, 0)
    }

    fn join(day: &mut DaySchedule, plate: &str, hours: &[u32]) -> WaitlistId {
        join_from(day, plate, hours, None, PriorityClass::Normal).unwrap()
    }

    fn request(
        plate: &str,
        hours: &[u32],
        booking: Option<BookingId>,
        priority: PriorityClass,
    ) -> JoinRequest {
        JoinRequest {
            id: WaitlistId::new_random(),
            token_digest: String::new(),
            direction: Direction::Entry,
            category: Category::Car,
            range: WaitRange::windows(hours.iter().map(|h| at(*h)).collect()).unwrap(),
            plate: Plate::parse(plate).unwrap(),
            contact: Contact::parse(&format!("{plate}@example.com")).unwrap(),
            priority,
            booking,
            carrier: None,
        }
    }

    fn join_from(
        day: &mut DaySchedule,
        plate: &str,
        hours: &[u32],
        booking: Option<BookingId>,
        priority: PriorityClass,
    ) -> Result<WaitlistId, AllocationError> {
        let request = request(plate, hours, booking, priority);
        let (standing, _) = day.join_waitlist(request, &Policy::default(), now())?;
        Ok(standing.entry.id)
    }

    fn status(day: &DaySchedule, id: WaitlistId) -> WaitlistStatus {
        day.waitlist_entry(id).unwrap().status
    }

    fn event_types(changes: &ChangeSet) -> Vec<&'static str> {
        changes
            .events
            .iter()
            .map(|e| e.event_type.as_str())
            .collect()
    }

    #[test]
    fn a_cancelled_place_is_held_for_the_first_waiting_driver_in_the_same_decision() {
        let mut day = day(1, 0);
        let held = book(&mut day, 8, "HOLD1");
        let first = join(&mut day, "WAIT1", &[8]);
        let second = join(&mut day, "WAIT2", &[8]);

        let (_, mut changes) = day.cancel(held.id, now()).unwrap();
        day.offer_places_freed_by(&mut changes, &Policy::default(), now());

        assert_eq!(status(&day, first), WaitlistStatus::Offered);
        assert_eq!(status(&day, second), WaitlistStatus::Waiting);
        assert_eq!(day.window(&key(8)).unwrap().held, 1);
        assert_eq!(
            event_types(&changes),
            ["booking.cancelled", "waitlist.offered"]
        );
        assert_eq!(day.standing(second).unwrap().position, Some(1));
    }

    #[test]
    fn an_offer_that_runs_out_passes_to_the_next_driver_and_the_last_place_stays_free() {
        let mut day = day(1, 0);
        let policy = Policy::default();
        let held = book(&mut day, 8, "HOLD1");
        let first = join(&mut day, "WAIT1", &[8]);
        let second = join(&mut day, "WAIT2", &[8]);
        let (_, mut changes) = day.cancel(held.id, now()).unwrap();
        day.offer_places_freed_by(&mut changes, &policy, now());

        let later = now() + policy.offer_ttl;
        let (mut expired, _) = day.expire_due(later);
        day.offer_places_freed_by(&mut expired, &policy, later);

        assert_eq!(status(&day, first), WaitlistStatus::Expired);
        assert_eq!(status(&day, second), WaitlistStatus::Offered);
        assert_eq!(
            event_types(&expired),
            ["waitlist.expired", "waitlist.offered"],
            "an offer's hold expires without a booking event"
        );
        assert_eq!(
            day.accept_offer(first, &policy, later).unwrap_err(),
            AllocationError::OfferExpired
        );

        let last = later + policy.offer_ttl;
        let (mut expired, _) = day.expire_due(last);
        day.offer_places_freed_by(&mut expired, &policy, last);
        assert_eq!(status(&day, second), WaitlistStatus::Expired);
        assert_eq!(day.window(&key(8)).unwrap().taken(), 0);
    }

    #[test]
    fn priority_classes_are_offered_first_then_who_came_first() {
        let mut day = day(1, 0);
        let held = book(&mut day, 8, "HOLD1");
        let normal = join(&mut day, "WAIT1", &[8]);
        let urgent = join_from(&mut day, "MED1", &[8], None, PriorityClass::Humanitarian).unwrap();

        let (_, mut changes) = day.cancel(held.id, now()).unwrap();
        day.offer_places_freed_by(&mut changes, &Policy::default(), now());

        assert_eq!(status(&day, urgent), WaitlistStatus::Offered);
        assert_eq!(status(&day, normal), WaitlistStatus::Waiting);
    }

    #[test]
    fn accepting_confirms_the_hold_as_the_driver_s_booking() {
        let mut day = day(1, 0);
        let policy = Policy::default();
        let held = book(&mut day, 8, "HOLD1");
        let id = join(&mut day, "WAIT1", &[8]);
        day.cancel(held.id, now()).unwrap();
        day.offer_free_places(&policy, now());

        let ((entry, booking), changes) = day.accept_offer(id, &policy, now()).unwrap();

        assert_eq!(entry.status, WaitlistStatus::Accepted);
        assert_eq!(booking.status, BookingStatus::Confirmed);
        assert_eq!(booking.plate, Some(Plate::parse("WAIT1").unwrap()));
        assert_eq!(entry.code.as_ref(), Some(&booking.code));
        assert_eq!(
            event_types(&changes),
            ["booking.held", "booking.confirmed", "waitlist.accepted"]
        );
        let window = day.window(&key(8)).unwrap();
        assert_eq!((window.held, window.confirmed), (0, 1));
        assert!(!day.is_offer(booking.id));
    }

    #[test]
    fn an_earlier_window_moves_the_booking_only_on_acceptance_and_offers_its_old_place_on() {
        let mut day = day(1, 0);
        let policy = Policy::default();
        let early = book(&mut day, 8, "EARLY1");
        let mine = book(&mut day, 12, "MOVER1");
        let asked = join_from(
            &mut day,
            "MOVER1",
            &[8],
            Some(mine.id),
            PriorityClass::Normal,
        )
        .unwrap();
        let other = join(&mut day, "OTHER1", &[12]);

        day.cancel(early.id, now()).unwrap();
        day.offer_free_places(&policy, now());
        assert_eq!(status(&day, asked), WaitlistStatus::Offered);
        assert_eq!(day.booking(mine.id).unwrap().window_start, at(12));

        let ((_, moved), changes) = day.accept_offer(asked, &policy, now()).unwrap();

        assert_eq!(moved.id, mine.id);
        assert_eq!(moved.window_start, at(8));
        assert_eq!(moved.code, mine.code);
        assert_eq!(status(&day, other), WaitlistStatus::Offered);
        assert_eq!(
            event_types(&changes),
            [
                "booking.rescheduled",
                "waitlist.accepted",
                "waitlist.offered"
            ]
        );
        for hour in [8, 12] {
            assert_eq!(day.window(&key(hour)).unwrap().taken(), 1);
        }
    }

    #[test]
    fn joining_is_refused_where_there_is_room_and_twice_for_a_plate() {
        let mut day = day(1, 0);
        book(&mut day, 8, "HOLD1");
        assert_eq!(
            join_from(&mut day, "WAIT1", &[8, 9], None, PriorityClass::Normal).unwrap_err(),
            AllocationError::WindowHasRoom
        );
        join(&mut day, "WAIT1", &[8]);
        assert_eq!(
            join_from(&mut day, "WAIT1", &[8], None, PriorityClass::Normal).unwrap_err(),
            AllocationError::AlreadyWaiting
        );
        assert_eq!(
            join_from(&mut day, "HOLD1", &[8], None, PriorityClass::Normal).unwrap_err(),
            AllocationError::PlateAlreadyBooked
        );
    }

    #[test]
    fn an_offer_is_not_confirmed_or_cancelled_as_a_booking() {
        let mut day = day(1, 0);
        let held = book(&mut day, 8, "HOLD1");
        let id = join(&mut day, "WAIT1", &[8]);
        day.cancel(held.id, now()).unwrap();
        day.offer_free_places(&Policy::default(), now());
        let hold = day
            .waitlist_entry(id)
            .unwrap()
            .offer
            .clone()
            .unwrap()
            .booking;

        assert!(matches!(
            day.cancel(hold, now()),
            Err(AllocationError::InvalidTransition(_))
        ));
        assert!(matches!(
            day.confirm(hold, None, None, now()),
            Err(AllocationError::InvalidTransition(_))
        ));
    }

    #[test]
    fn a_reopened_window_and_a_closed_one_reach_the_waitlist() {
        let mut day = day(1, 0);
        let policy = Policy::default();
        book(&mut day, 9, "HOLD9");
        let selection = WindowSelection {
            from: at(8),
            to: at(9),
            direction: None,
            categories: Vec::new(),
        };
        day.block(&selection, "works", now()).unwrap();
        let id = join(&mut day, "WAIT1", &[8, 9]);

        let (_, mut changes) = day.unblock(&selection, now()).unwrap();
        day.offer_places_freed_by(&mut changes, &policy, now());
        assert_eq!(status(&day, id), WaitlistStatus::Offered);

        // Closed again, with its bookings cancelled: the offer is taken back and the entry
        // waits again.
        let (_, changes) = day.block_cancelling(&selection, "works", now()).unwrap();
        assert_eq!(status(&day, id), WaitlistStatus::Waiting);
        assert!(
            !event_types(&changes).contains(&"booking.cancelled"),
            "nobody had booked the offered place"
        );
        assert_eq!(day.window(&key(8)).unwrap().taken(), 0);
    }
}

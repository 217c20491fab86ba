//! The write of decided schedule changes, planned once and without a database.
//!
//! Both stores commit batches by executing a [`WritePlan`] and nothing else, each in its own
//! dialect (array parameters on PostgreSQL, cached statements on SQLite), so the rules that keep
//! a window from being oversold are stated here once. The plan of one or more batches is
//! executed in one transaction, in the order of its fields:
//!
//! 0. `draws`: opening draws closed with their entrants' outcomes, first, so that two replicas
//!    deciding the same draw meet on its row before anything else and one of them is refused;
//! 1. `releasing`: booking updates that give up a place, first, so that a plate or a place they
//!    free can be taken by another booking of the same plan without tripping a unique index;
//! 2. `updates`: the other booking updates;
//! 3. `inserts`, then `new_codes`: new bookings, and the codes of those that are not transfer
//!    holds (a transfer hold shares its source's code); then `owners` and `carried_owners`: the
//!    accounts new bookings belong to, and a moved booking's account passed on to the booking
//!    it moves to;
//! 4. `waitlist_updates`, then `waitlist_inserts`: the day's waitlist entries (an entry that
//!    ends frees its plate's place on the waitlist before another entry takes it);
//! 5. `window_settings`: blocked reasons, reserved places and capacities, in decision order;
//!    a capacity only grows here (it is `MAX(capacity, new)`), and takes its new value only
//!    once the deltas are written (`lowered_capacities`, last of all), so that a window gains
//!    places before a booking takes one and loses them only after its bookings moved out;
//! 6. `code_handovers`: a code made to resolve to a transfer hold;
//! 7. `window_deltas`: one net change of `held` and `confirmed` per window;
//! 8. `answers`, then `events`;
//! 9. `lowered_capacities`: every capacity set, to its exact value.
//!
//! Every booking write is conditional: an update applies only to the stored version the actor
//! decided from (and, for a guarded one, only while the transfer hold has not received its
//! code); a window delta that takes places applies only to a window that is not blocked, unless
//! the plan itself blocks it (the actor decided the hold and the block in one order). A
//! condition that fails refuses the whole transaction with the [`StoreError::Conflict`] that
//! this module words, the same from either store.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::{AnswerRecord, CommitBatch, StoreError};
use crate::domain::draw::DrawClose;
use crate::domain::{
    AccountOwner, Booking, BookingCode, BookingId, CheckpointId, DomainEvent, ScheduleChange,
    WaitlistEntry, WaitlistId, WindowKey,
};

/// Everything one transaction writes for one or more batches.
#[derive(Debug, Default)]
pub struct WritePlan<'a> {
    pub draws: Vec<&'a DrawClose>,
    pub releasing: Vec<BookingUpdate<'a>>,
    pub updates: Vec<BookingUpdate<'a>>,
    pub inserts: Vec<&'a Booking>,
    pub new_codes: Vec<(&'a BookingCode, BookingId)>,
    pub owners: Vec<OwnerRecord<'a>>,
    /// `(from, to)`: `to`, a transfer hold, belongs to whoever `from` belongs to.
    pub carried_owners: Vec<(BookingId, BookingId)>,
    pub waitlist_updates: Vec<WaitlistUpdate<'a>>,
    pub waitlist_inserts: Vec<&'a WaitlistEntry>,
    pub window_settings: Vec<WindowSetting<'a>>,
    /// The capacities of `window_settings` again, written exactly after the deltas.
    pub lowered_capacities: Vec<WindowSetting<'a>>,
    pub code_handovers: Vec<CodeHandover<'a>>,
    pub window_deltas: Vec<WindowDelta<'a>>,
    pub answers: Vec<&'a AnswerRecord>,
    pub events: Vec<&'a DomainEvent>,
}

/// The last state of a stored booking that the plan changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookingUpdate<'a> {
    pub booking: &'a Booking,
    /// The stored version the write applies to; any other refuses the plan.
    pub expected_version: i64,
    /// Refused if the booking (a transfer hold) has received its code meanwhile: the move it
    /// was made for happened after all.
    pub unless_code_received: bool,
}

/// A new booking made by someone signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnerRecord<'a> {
    pub booking: BookingId,
    pub owner: &'a AccountOwner,
    pub at: DateTime<Utc>,
}

/// The last state of a stored waitlist entry that the plan changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitlistUpdate<'a> {
    pub entry: &'a WaitlistEntry,
    /// The stored version the write applies to; any other refuses the plan.
    pub expected_version: i64,
}

/// A window column an admin's action sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowSetting<'a> {
    pub checkpoint: &'a CheckpointId,
    pub key: WindowKey,
    pub value: WindowValue<'a>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowValue<'a> {
    BlockedReason(Option<&'a str>),
    Reserved(u32),
    Capacity(u32),
}

/// `code` is to resolve to `booking`, which must still be a held transfer hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeHandover<'a> {
    pub code: &'a BookingCode,
    pub booking: BookingId,
}

/// The net change of one window's counts over the whole plan (never zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowDelta<'a> {
    pub checkpoint: &'a CheckpointId,
    pub key: WindowKey,
    pub held: i32,
    pub confirmed: i32,
    /// Whether the delta must find the window unblocked: only when it takes places and the
    /// plan does not block the window itself.
    pub requires_open: bool,
}

impl<'a> WritePlan<'a> {
    pub fn new(batches: &'a [CommitBatch]) -> Self {
        let mut plan = WritePlan::default();
        let mut deltas: BTreeMap<(&CheckpointId, WindowKey), (i32, i32)> = BTreeMap::new();
        let mut blocked_here: HashSet<(&CheckpointId, WindowKey)> = HashSet::new();
        for batch in batches {
            let checkpoint = &batch.checkpoint;
            for write in fold_booking_writes(&batch.changes) {
                match write {
                    BookingWrite::Insert(booking) => {
                        plan.inserts.push(booking);
                        match booking.moved_from {
                            None => plan.new_codes.push((&booking.code, booking.id)),
                            Some(from) => plan.carried_owners.push((from, booking.id)),
                        }
                    }
                    BookingWrite::Update(update) if !update.booking.status.is_active() => {
                        plan.releasing.push(update)
                    }
                    BookingWrite::Update(update) => plan.updates.push(update),
                }
            }
            fold_waitlist_writes(&batch.changes, &mut plan);
            for change in &batch.changes {
                match change {
                    ScheduleChange::AdjustWindow {
                        key,
                        held_delta,
                        confirmed_delta,
                    } => {
                        let entry = deltas.entry((checkpoint, *key)).or_default();
                        entry.0 += held_delta;
                        entry.1 += confirmed_delta;
                    }
                    ScheduleChange::SetBlocked { key, reason } => {
                        blocked_here.insert((checkpoint, *key));
                        plan.window_settings.push(WindowSetting {
                            checkpoint,
                            key: *key,
                            value: WindowValue::BlockedReason(reason.as_deref()),
                        });
                    }
                    ScheduleChange::SetReserved { key, reserved } => {
                        plan.window_settings.push(WindowSetting {
                            checkpoint,
                            key: *key,
                            value: WindowValue::Reserved(*reserved),
                        })
                    }
                    ScheduleChange::SetCapacity { key, capacity } => {
                        let setting = WindowSetting {
                            checkpoint,
                            key: *key,
                            value: WindowValue::Capacity(*capacity),
                        };
                        plan.window_settings.push(setting);
                        plan.lowered_capacities.push(setting);
                    }
                    ScheduleChange::PointCode { code, booking } => {
                        plan.code_handovers.push(CodeHandover {
                            code,
                            booking: *booking,
                        })
                    }
                    ScheduleChange::RecordOwner { booking, owner, at } => {
                        plan.owners.push(OwnerRecord {
                            booking: *booking,
                            owner,
                            at: *at,
                        })
                    }
                    ScheduleChange::CloseDraw(close) => plan.draws.push(close),
                    ScheduleChange::InsertBooking(_)
                    | ScheduleChange::UpdateBooking(_)
                    | ScheduleChange::AbandonTransfer(_)
                    | ScheduleChange::InsertWaitlist(_)
                    | ScheduleChange::UpdateWaitlist(_) => {}
                }
            }
            plan.answers.extend(&batch.answers);
            plan.events.extend(&batch.events);
        }
        plan.window_deltas = deltas
            .into_iter()
            .filter(|(_, delta)| *delta != (0, 0))
            .map(|((checkpoint, key), (held, confirmed))| WindowDelta {
                checkpoint,
                key,
                held,
                confirmed,
                requires_open: held + confirmed > 0 && !blocked_here.contains(&(checkpoint, key)),
            })
            .collect();
        plan
    }
}

enum BookingWrite<'a> {
    Insert(&'a Booking),
    Update(BookingUpdate<'a>),
}

/// One write per booking a batch touches, in the order each was first touched: an insert
/// followed by updates becomes one insert of the final state, consecutive updates become one
/// update from the version the batch started from.
fn fold_booking_writes(changes: &[ScheduleChange]) -> Vec<BookingWrite<'_>> {
    let mut order: Vec<BookingId> = Vec::new();
    let mut writes: HashMap<BookingId, BookingWrite<'_>> = HashMap::new();
    for change in changes {
        let (booking, inserted, guarded) = match change {
            ScheduleChange::InsertBooking(b) => (b, true, false),
            ScheduleChange::UpdateBooking(b) => (b, false, false),
            ScheduleChange::AbandonTransfer(b) => (b, false, true),
            ScheduleChange::AdjustWindow { .. }
            | ScheduleChange::SetBlocked { .. }
            | ScheduleChange::SetReserved { .. }
            | ScheduleChange::SetCapacity { .. }
            | ScheduleChange::PointCode { .. }
            | ScheduleChange::RecordOwner { .. }
            | ScheduleChange::CloseDraw(_)
            | ScheduleChange::InsertWaitlist(_)
            | ScheduleChange::UpdateWaitlist(_) => continue,
        };
        match writes.get_mut(&booking.id) {
            Some(BookingWrite::Insert(last)) => *last = booking,
            Some(BookingWrite::Update(update)) => {
                update.booking = booking;
                update.unless_code_received |= guarded;
            }
            None => {
                order.push(booking.id);
                let write = if inserted {
                    BookingWrite::Insert(booking)
                } else {
                    BookingWrite::Update(BookingUpdate {
                        booking,
                        expected_version: booking.version - 1,
                        unless_code_received: guarded,
                    })
                };
                writes.insert(booking.id, write);
            }
        }
    }
    order
        .into_iter()
        .filter_map(|id| writes.remove(&id))
        .collect()
}

/// One write per waitlist entry a batch touches, as for bookings: an insert followed by updates
/// is one insert of the final state, consecutive updates one update from the version the batch
/// started from.
fn fold_waitlist_writes<'a>(changes: &'a [ScheduleChange], plan: &mut WritePlan<'a>) {
    let mut order: Vec<WaitlistId> = Vec::new();
    let mut writes: HashMap<WaitlistId, (bool, &'a WaitlistEntry, i64)> = HashMap::new();
    for change in changes {
        let (entry, inserted) = match change {
            ScheduleChange::InsertWaitlist(e) => (e, true),
            ScheduleChange::UpdateWaitlist(e) => (e, false),
            _ => continue,
        };
        match writes.get_mut(&entry.id) {
            Some((_, last, _)) => *last = entry,
            None => {
                order.push(entry.id);
                writes.insert(entry.id, (inserted, entry, entry.version - 1));
            }
        }
    }
    for id in order {
        match writes.remove(&id) {
            Some((true, entry, _)) => plan.waitlist_inserts.push(entry),
            Some((false, entry, expected_version)) => plan.waitlist_updates.push(WaitlistUpdate {
                entry,
                expected_version,
            }),
            None => {}
        }
    }
}

/// The refusal when `refused` of `planned` waitlist updates found another version stored.
pub fn stale_waitlist(refused: usize, planned: usize) -> StoreError {
    StoreError::Conflict(format!(
        "{refused} of {planned} waitlist entries were not at the expected version"
    ))
}

/// The refusal when `refused` of `planned` booking updates found another version stored (or
/// a transfer hold that had received its code).
pub fn stale_bookings(refused: usize, planned: usize) -> StoreError {
    StoreError::Conflict(format!(
        "{refused} of {planned} bookings were not at the expected version"
    ))
}

/// The refusal when a window delta found no window to apply to: the window is missing, or a
/// delta that takes places found it blocked meanwhile.
pub fn window_refused() -> StoreError {
    StoreError::Conflict("a window is missing or was blocked meanwhile".to_owned())
}

/// The refusal when a draw was closed already (by another replica) or took another entry since
/// it was decided: deciding it again on a fresh read gives the right answer.
pub fn draw_refused(draw: &DrawClose) -> StoreError {
    StoreError::Conflict(format!(
        "the draw of {} on {} is closed already or no longer has {} entrants",
        draw.checkpoint, draw.day, draw.entrants
    ))
}

/// The refusal when a code could not be handed to its transfer hold.
pub fn handover_refused(handover: &CodeHandover<'_>) -> StoreError {
    StoreError::Conflict(format!(
        "code {} cannot move to booking {}",
        handover.code, handover.booking
    ))
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, NaiveDate, TimeZone, Utc};
    use uuid::Uuid;

    use super::*;
    use crate::domain::{BookingStatus, Category, Direction, PriorityClass};

    fn key(hour: u32) -> WindowKey {
        WindowKey {
            direction: Direction::Entry,
            category: Category::Car,
            start: Utc.with_ymd_and_hms(2026, 12, 10, hour, 0, 0).unwrap(),
        }
    }

    fn booking(code: &str, status: BookingStatus, version: i64) -> Booking {
        let start = key(8).start;
        Booking {
            id: BookingId(Uuid::new_v4()),
            code: BookingCode::parse(code).unwrap(),
            checkpoint: CheckpointId::parse("narva").unwrap(),
            day: NaiveDate::from_ymd_opt(2026, 12, 10).unwrap(),
            direction: Direction::Entry,
            category: Category::Car,
            window_start: start,
            window_end: start + Duration::minutes(30),
            plate: None,
            contact: None,
            priority: PriorityClass::Normal,
            status,
            version,
            manage_token_digest: String::new(),
            created_at: start,
            updated_at: start,
            hold_expires_at: None,
            moved_from: None,
            status_after_move: None,
            moved_to: None,
            carrier: None,
            reschedules: 0,
            reslotted_from: None,
        }
    }

    fn batch(changes: Vec<ScheduleChange>) -> CommitBatch {
        let mut batch = CommitBatch::new(
            CheckpointId::parse("narva").unwrap(),
            NaiveDate::from_ymd_opt(2026, 12, 10).unwrap(),
        );
        batch.changes = changes;
        batch
    }

    fn adjust(hour: u32, held_delta: i32, confirmed_delta: i32) -> ScheduleChange {
        ScheduleChange::AdjustWindow {
            key: key(hour),
            held_delta,
            confirmed_delta,
        }
    }

    fn next(mut booking: Booking, status: BookingStatus) -> Booking {
        booking.status = status;
        booking.version += 1;
        booking
    }

    #[test]
    fn a_booking_inserted_and_then_changed_is_inserted_once_in_its_final_state() {
        let held = booking("ABCD-2345", BookingStatus::Held, 1);
        let confirmed = next(held.clone(), BookingStatus::Confirmed);
        let batches = [batch(vec![
            ScheduleChange::InsertBooking(held.clone()),
            ScheduleChange::UpdateBooking(confirmed.clone()),
        ])];

        let plan = WritePlan::new(&batches);

        assert_eq!(plan.inserts, vec![&confirmed]);
        assert_eq!(plan.new_codes, vec![(&confirmed.code, confirmed.id)]);
        assert!(plan.updates.is_empty() && plan.releasing.is_empty());
    }

    #[test]
    fn consecutive_updates_expect_the_version_the_batch_started_from() {
        let stored = booking("ABCD-2345", BookingStatus::Held, 3);
        let confirmed = next(stored.clone(), BookingStatus::Confirmed);
        let arrived = next(confirmed.clone(), BookingStatus::Arrived);
        let batches = [batch(vec![
            ScheduleChange::UpdateBooking(confirmed),
            ScheduleChange::UpdateBooking(arrived.clone()),
        ])];

        let plan = WritePlan::new(&batches);

        assert_eq!(
            plan.updates,
            vec![BookingUpdate {
                booking: &arrived,
                expected_version: 3,
                unless_code_received: false,
            }]
        );
    }

    #[test]
    fn updates_that_give_up_a_place_come_before_the_others_whatever_the_decision_order() {
        let kept = booking("ABCD-2345", BookingStatus::Held, 1);
        let confirmed = next(kept, BookingStatus::Confirmed);
        let cancelled = next(
            booking("BCDE-3456", BookingStatus::Confirmed, 1),
            BookingStatus::Cancelled,
        );
        let batches = [batch(vec![
            ScheduleChange::UpdateBooking(confirmed.clone()),
            ScheduleChange::UpdateBooking(cancelled.clone()),
        ])];

        let plan = WritePlan::new(&batches);

        assert_eq!(plan.releasing.len(), 1);
        assert_eq!(plan.releasing[0].booking, &cancelled);
        assert_eq!(plan.updates[0].booking, &confirmed);
    }

    #[test]
    fn an_abandoned_transfer_is_a_versioned_update_refused_once_its_code_was_received() {
        let mut hold = booking("ABCD-2345", BookingStatus::Held, 1);
        hold.moved_from = Some(BookingId(Uuid::new_v4()));
        hold.status_after_move = Some(BookingStatus::Confirmed);
        let abandoned = next(hold, BookingStatus::Cancelled);
        let batches = [batch(vec![ScheduleChange::AbandonTransfer(
            abandoned.clone(),
        )])];

        let plan = WritePlan::new(&batches);

        assert_eq!(
            plan.releasing,
            vec![BookingUpdate {
                booking: &abandoned,
                expected_version: 1,
                unless_code_received: true,
            }]
        );
    }

    #[test]
    fn a_transfer_hold_registers_no_code_of_its_own() {
        let mut hold = booking("ABCD-2345", BookingStatus::Held, 1);
        hold.moved_from = Some(BookingId(Uuid::new_v4()));
        let batches = [batch(vec![ScheduleChange::InsertBooking(hold)])];

        let plan = WritePlan::new(&batches);

        assert_eq!(plan.inserts.len(), 1);
        assert!(plan.new_codes.is_empty());
    }

    #[test]
    fn a_transfer_hold_belongs_to_the_account_of_the_booking_it_moves() {
        let source = BookingId(Uuid::new_v4());
        let mut hold = booking("ABCD-2345", BookingStatus::Held, 1);
        hold.moved_from = Some(source);
        let batches = [batch(vec![ScheduleChange::InsertBooking(hold.clone())])];

        let plan = WritePlan::new(&batches);

        assert_eq!(plan.carried_owners, vec![(source, hold.id)]);
        assert!(plan.owners.is_empty());
    }

    #[test]
    fn a_booking_made_signed_in_records_its_owner_in_the_same_plan() {
        let held = booking("ABCD-2345", BookingStatus::Held, 1);
        let owner = AccountOwner {
            subject: "driver-1".to_owned(),
            organisation: None,
        };
        let at = held.created_at;
        let batches = [batch(vec![
            ScheduleChange::InsertBooking(held.clone()),
            ScheduleChange::RecordOwner {
                booking: held.id,
                owner: owner.clone(),
                at,
            },
        ])];

        let plan = WritePlan::new(&batches);

        assert_eq!(plan.inserts, vec![&held]);
        assert_eq!(
            plan.owners,
            vec![OwnerRecord {
                booking: held.id,
                owner: &owner,
                at,
            }]
        );
        assert!(plan.carried_owners.is_empty());
    }

    #[test]
    fn window_deltas_are_netted_per_window_and_those_that_cancel_out_are_left_out() {
        let batches = [batch(vec![
            adjust(8, 1, 0),
            adjust(8, -1, 1),
            adjust(9, 1, 0),
            adjust(9, -1, 0),
        ])];

        let plan = WritePlan::new(&batches);

        assert_eq!(
            plan.window_deltas,
            vec![WindowDelta {
                checkpoint: &batches[0].checkpoint,
                key: key(8),
                held: 0,
                confirmed: 1,
                requires_open: true,
            }]
        );
    }

    #[test]
    fn only_a_delta_that_takes_places_in_a_window_the_plan_does_not_block_requires_it_open() {
        let batches = [batch(vec![
            adjust(8, 1, 0),
            ScheduleChange::SetBlocked {
                key: key(8),
                reason: Some("works".into()),
            },
            adjust(9, 0, -1),
            adjust(10, 1, 0),
        ])];

        let plan = WritePlan::new(&batches);

        let requires_open: Vec<(WindowKey, bool)> = plan
            .window_deltas
            .iter()
            .map(|d| (d.key, d.requires_open))
            .collect();
        assert_eq!(
            requires_open,
            vec![(key(8), false), (key(9), false), (key(10), true)]
        );
        assert_eq!(
            plan.window_settings,
            vec![WindowSetting {
                checkpoint: &batches[0].checkpoint,
                key: key(8),
                value: WindowValue::BlockedReason(Some("works")),
            }]
        );
    }

    #[test]
    fn the_same_window_key_of_two_checkpoints_gets_two_deltas() {
        let mut other = batch(vec![adjust(8, 1, 0)]);
        other.checkpoint = CheckpointId::parse("medyka").unwrap();
        let batches = [batch(vec![adjust(8, 1, 0)]), other];

        let plan = WritePlan::new(&batches);

        assert_eq!(plan.window_deltas.len(), 2);
    }

    #[test]
    fn a_capacity_is_set_again_exactly_after_the_deltas() {
        let key = WindowKey {
            direction: crate::domain::Direction::Entry,
            category: crate::domain::Category::Car,
            start: chrono::Utc::now(),
        };
        let batches = [batch(vec![ScheduleChange::SetCapacity {
            key,
            capacity: 1,
        }])];

        let plan = WritePlan::new(&batches);

        assert_eq!(plan.window_settings.len(), 1);
        assert_eq!(plan.lowered_capacities, plan.window_settings);
        assert_eq!(plan.lowered_capacities[0].value, WindowValue::Capacity(1));
    }

    #[test]
    fn code_handovers_and_window_settings_keep_decision_order() {
        let first = BookingId(Uuid::new_v4());
        let second = BookingId(Uuid::new_v4());
        let code = BookingCode::parse("ABCD-2345").unwrap();
        let batches = [batch(vec![
            ScheduleChange::SetReserved {
                key: key(9),
                reserved: 2,
            },
            ScheduleChange::PointCode {
                code: code.clone(),
                booking: first,
            },
            ScheduleChange::SetReserved {
                key: key(8),
                reserved: 1,
            },
            ScheduleChange::PointCode {
                code: code.clone(),
                booking: second,
            },
        ])];

        let plan = WritePlan::new(&batches);

        let handed: Vec<BookingId> = plan.code_handovers.iter().map(|h| h.booking).collect();
        assert_eq!(handed, vec![first, second]);
        let set: Vec<WindowKey> = plan.window_settings.iter().map(|s| s.key).collect();
        assert_eq!(set, vec![key(9), key(8)]);
    }
}

//! Random sequences of hold / confirm / cancel / move / expire / block / block-and-move (the
//! bookings of a closed window re-slotted to the nearest windows with room) driven through a real
//! `ScheduleActor` and through a plain reference model must never diverge, and the store must
//! end up holding exactly what the model says.
//!
//! The same ops run a second time against a store that fails on a seeded schedule. A request
//! answered with an error that leaves its outcome open (not durable, unavailable) is settled
//! the way a client would settle it, by reading what is stored: the store must hold the model
//! either with the op applied or without it, and the model follows the store.

use std::sync::Arc;

use borderslot::actors::schedule::{
    Block, BlockMoving, Cancel, Confirm, ExpireDue, Hold, MoveWithinDay, QueryAvailability, Unblock,
};
use borderslot::actors::{ActorSettings, ScheduleError, ScheduleRegistry};
use borderslot::clock::{Clock, ManualClock};
use borderslot::domain::token::ManageToken;
use borderslot::domain::window::generate_windows;
use borderslot::domain::{
    AllocationError, BookingCode, BookingId, BookingStatus, Checkpoint, CheckpointId, Contact,
    Direction, HoldRequest, Plate, Policy, PriorityClass, SlotWindow, WindowKey, WindowSelection,
};
use borderslot::store::embedded::EmbeddedStore;
use borderslot::store::{DayRecord, SlotStore};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use proptest::prelude::*;

use crate::faulty_store::{FaultRates, FaultyStore};
use crate::helpers::{counting_checkpoint, test_start, tomorrow};
use borderslot::store::ScheduleStore;

/// The windows ops name; bookings re-slotted out of them may land anywhere in the lane.
const WINDOWS: usize = 3;
/// The day's windows of the lane (60-minute windows, UTC): what re-slotting chooses from.
const LANE: usize = 24;
const CAPACITY: u32 = 2;
const PLATES: usize = 5;

#[derive(Debug, Clone)]
enum Op {
    Hold {
        window: usize,
        plate: usize,
        confirm: bool,
    },
    Confirm {
        booking: usize,
    },
    Cancel {
        booking: usize,
    },
    Move {
        booking: usize,
        window: usize,
    },
    Advance {
        minutes: i64,
    },
    Block {
        window: usize,
    },
    BlockMoving {
        window: usize,
    },
    Unblock {
        window: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..WINDOWS, 0..PLATES, any::<bool>()).prop_map(|(window, plate, confirm)| Op::Hold { window, plate, confirm }),
        2 => (0..16usize).prop_map(|booking| Op::Confirm { booking }),
        1 => (0..16usize).prop_map(|booking| Op::Cancel { booking }),
        2 => (0..16usize, 0..WINDOWS).prop_map(|(booking, window)| Op::Move { booking, window }),
        1 => (1..12i64).prop_map(|minutes| Op::Advance { minutes }),
        1 => (0..WINDOWS).prop_map(|window| Op::Block { window }),
        1 => (0..WINDOWS).prop_map(|window| Op::BlockMoving { window }),
        1 => (0..WINDOWS).prop_map(|window| Op::Unblock { window }),
    ]
}

/// What happened, coarse enough to compare the actor with the model.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Done,
    Expired(usize),
    Full,
    Blocked,
    PlateTaken,
    HoldExpired,
    WrongState,
    BadInput,
}

fn classify(result: Result<Outcome, ScheduleError>) -> Outcome {
    match result {
        Ok(outcome) => outcome,
        Err(ScheduleError::Allocation(error)) => match error {
            AllocationError::WindowFull => Outcome::Full,
            AllocationError::WindowBlocked(_) => Outcome::Blocked,
            AllocationError::PlateAlreadyBooked => Outcome::PlateTaken,
            AllocationError::HoldExpired => Outcome::HoldExpired,
            AllocationError::InvalidTransition(_) => Outcome::WrongState,
            AllocationError::Invalid(_) => Outcome::BadInput,
            other => panic!("unexpected refusal {other:?}"),
        },
        Err(other) => panic!("the actor failed: {other:?}"),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Held,
    Confirmed,
    Cancelled,
    Expired,
}

#[derive(Debug, Clone)]
struct ModelBooking {
    /// With when it was made, the order re-slotting places bookings in.
    id: BookingId,
    made_at: DateTime<Utc>,
    window: usize,
    plate: usize,
    status: Status,
    expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
struct Model {
    blocked: [bool; LANE],
    bookings: Vec<ModelBooking>,
}

impl Default for Model {
    fn default() -> Self {
        Self {
            blocked: [false; LANE],
            bookings: Vec::new(),
        }
    }
}

impl Model {
    fn active(status: Status) -> bool {
        matches!(status, Status::Held | Status::Confirmed)
    }

    fn taken(&self, window: usize) -> (u32, u32) {
        let count = |s| {
            self.bookings
                .iter()
                .filter(|b| b.window == window && b.status == s)
                .count() as u32
        };
        (count(Status::Held), count(Status::Confirmed))
    }

    fn expire(&mut self, now: DateTime<Utc>) -> usize {
        let mut expired = 0;
        for b in &mut self.bookings {
            if b.status == Status::Held && b.expires_at <= now {
                b.status = Status::Expired;
                expired += 1;
            }
        }
        expired
    }

    fn room(&self, window: usize) -> bool {
        let (held, confirmed) = self.taken(window);
        held + confirmed < CAPACITY
    }

    fn plate_taken(&self, plate: usize, except: Option<usize>) -> bool {
        self.bookings
            .iter()
            .enumerate()
            .any(|(i, b)| b.plate == plate && Self::active(b.status) && Some(i) != except)
    }

    fn usable(&self, booking: usize) -> Result<&ModelBooking, Outcome> {
        let b = &self.bookings[booking];
        match b.status {
            Status::Expired => Err(Outcome::HoldExpired),
            Status::Cancelled => Err(Outcome::WrongState),
            _ => Ok(b),
        }
    }

    /// Closes `window` and moves each of its active bookings, earliest made first, to the
    /// nearest window of the lane with room (of two as near, the earlier); one with nowhere to
    /// go stays where it is, for the next day to take.
    fn block_moving(&mut self, window: usize, now: DateTime<Utc>, ttl: Duration) {
        self.blocked[window] = true;
        let mut affected: Vec<usize> = (0..self.bookings.len())
            .filter(|&i| self.bookings[i].window == window && Self::active(self.bookings[i].status))
            .collect();
        affected.sort_by_key(|&i| (self.bookings[i].made_at, self.bookings[i].id.0));
        for i in affected {
            let target = (0..LANE)
                .filter(|&j| j != window && !self.blocked[j] && self.room(j))
                .min_by_key(|&j| (j.abs_diff(window), j));
            if let Some(target) = target {
                let moved = &mut self.bookings[i];
                moved.window = target;
                if moved.status == Status::Held {
                    moved.expires_at = now + ttl;
                }
            }
        }
    }

    fn apply(&mut self, op: &Op, now: DateTime<Utc>, ttl: Duration, new_id: BookingId) -> Outcome {
        match *op {
            Op::Advance { .. } => Outcome::Expired(self.expire(now)),
            Op::Block { window } => {
                self.expire(now);
                self.blocked[window] = true;
                Outcome::Done
            }
            Op::BlockMoving { window } => {
                self.expire(now);
                self.block_moving(window, now, ttl);
                Outcome::Done
            }
            Op::Unblock { window } => {
                self.expire(now);
                self.blocked[window] = false;
                Outcome::Done
            }
            Op::Hold {
                window,
                plate,
                confirm,
            } => {
                self.expire(now);
                if self.blocked[window] {
                    return Outcome::Blocked;
                }
                if self.plate_taken(plate, None) {
                    return Outcome::PlateTaken;
                }
                if !self.room(window) {
                    return Outcome::Full;
                }
                let status = if confirm {
                    Status::Confirmed
                } else {
                    Status::Held
                };
                self.bookings.push(ModelBooking {
                    id: new_id,
                    made_at: now,
                    window,
                    plate,
                    status,
                    expires_at: now + ttl,
                });
                Outcome::Done
            }
            Op::Confirm { booking } => {
                self.expire(now);
                let booking = booking % self.bookings.len();
                if let Err(outcome) = self.usable(booking) {
                    return outcome;
                }
                if self.bookings[booking].status != Status::Held {
                    return Outcome::WrongState;
                }
                self.bookings[booking].status = Status::Confirmed;
                Outcome::Done
            }
            Op::Cancel { booking } => {
                self.expire(now);
                let booking = booking % self.bookings.len();
                if let Err(outcome) = self.usable(booking) {
                    return outcome;
                }
                self.bookings[booking].status = Status::Cancelled;
                Outcome::Done
            }
            Op::Move { booking, window } => {
                self.expire(now);
                let booking = booking % self.bookings.len();
                let current = match self.usable(booking) {
                    Ok(b) => b.clone(),
                    Err(outcome) => return outcome,
                };
                if current.window == window {
                    return Outcome::BadInput;
                }
                if self.blocked[window] {
                    return Outcome::Blocked;
                }
                if !self.room(window) {
                    return Outcome::Full;
                }
                let moved = &mut self.bookings[booking];
                moved.window = window;
                if moved.status == Status::Held {
                    moved.expires_at = now + ttl;
                }
                Outcome::Done
            }
        }
    }
}

/// One checkpoint day behind a registry, and the entry windows the ops name by index.
struct Harness {
    registry: ScheduleRegistry,
    checkpoint: CheckpointId,
    day: NaiveDate,
    windows: Vec<WindowKey>,
}

impl Harness {
    fn new(
        checkpoint: &Checkpoint,
        store: Arc<dyn SlotStore>,
        clock: Arc<ManualClock>,
        policy: Policy,
        settings: ActorSettings,
    ) -> Self {
        let registry =
            ScheduleRegistry::new(vec![checkpoint.clone()], store, clock, policy, settings);
        let day = tomorrow();
        let windows = generate_windows(checkpoint, day)
            .iter()
            .filter(|w| w.key.direction == Direction::Entry)
            .take(LANE)
            .map(|w| w.key)
            .collect::<Vec<_>>();
        assert_eq!(windows.len(), LANE, "the lane re-slotting chooses from");
        Self {
            registry,
            checkpoint: checkpoint.id.clone(),
            day,
            windows,
        }
    }

    fn selection(&self, window: usize) -> WindowSelection {
        WindowSelection {
            from: self.windows[window].start,
            to: self.windows[window].start + Duration::minutes(1),
            direction: Some(Direction::Entry),
            categories: vec![],
        }
    }

    /// The actor's answer to `op`, whose booking indexes point into `ids`; a new hold is made
    /// as `new_id`.
    async fn send(
        &self,
        op: &Op,
        ids: &[BookingId],
        new_id: BookingId,
    ) -> Result<Outcome, ScheduleError> {
        let (registry, cp, day) = (&self.registry, &self.checkpoint, self.day);
        let booking = |i: usize| ids[i % ids.len()];
        match *op {
            Op::Hold {
                window,
                plate,
                confirm,
            } => registry
                .ask(
                    cp,
                    day,
                    Hold(HoldRequest {
                        id: new_id,
                        code: BookingCode::generate(&mut rand::rng()),
                        manage_token_digest: ManageToken::digest("t"),
                        window: self.windows[window],
                        plate: Some(Plate::parse(&format!("PL{plate}")).unwrap()),
                        // A contact per vehicle: the per-contact holds cap is not part of
                        // this model.
                        contact: Some(Contact::parse(&format!("pl{plate}@example.com")).unwrap()),
                        priority: PriorityClass::Normal,
                        confirm,
                        carrier: None,
                        owner: None,
                    }),
                )
                .await
                .map(|_| Outcome::Done),
            Op::Confirm { booking: i } => registry
                .ask(
                    cp,
                    day,
                    Confirm {
                        id: booking(i),
                        plate: None,
                        contact: None,
                    },
                )
                .await
                .map(|_| Outcome::Done),
            Op::Cancel { booking: i } => registry
                .ask(cp, day, Cancel { id: booking(i) })
                .await
                .map(|_| Outcome::Done),
            Op::Move { booking: i, window } => registry
                .ask(
                    cp,
                    day,
                    MoveWithinDay {
                        id: booking(i),
                        target: self.windows[window],
                    },
                )
                .await
                .map(|_| Outcome::Done),
            Op::Advance { .. } => registry.ask(cp, day, ExpireDue).await.map(Outcome::Expired),
            Op::Block { window } => registry
                .ask(
                    cp,
                    day,
                    Block {
                        selection: self.selection(window),
                        reason: "maintenance".into(),
                        cancel_affected: false,
                    },
                )
                .await
                .map(|_| Outcome::Done),
            Op::BlockMoving { window } => registry
                .ask(
                    cp,
                    day,
                    BlockMoving {
                        selection: self.selection(window),
                        reason: "maintenance".into(),
                    },
                )
                .await
                .map(|_| Outcome::Done),
            Op::Unblock { window } => registry
                .ask(
                    cp,
                    day,
                    Unblock {
                        selection: self.selection(window),
                    },
                )
                .await
                .map(|_| Outcome::Done),
        }
    }

    /// The stored windows hold the places the model has taken.
    fn check_stored_counts(
        &self,
        stored: &[SlotWindow],
        model: &Model,
    ) -> Result<(), TestCaseError> {
        for (i, key) in self.windows.iter().enumerate() {
            let window = stored.iter().find(|w| w.key == *key).unwrap();
            prop_assert_eq!((window.held, window.confirmed), model.taken(i));
        }
        Ok(())
    }

    /// The actor's windows agree with the model's counts and blocks.
    fn check_memory(
        &self,
        memory: &[SlotWindow],
        model: &Model,
        op: &Op,
    ) -> Result<(), TestCaseError> {
        for (i, key) in self.windows.iter().enumerate() {
            let window = memory.iter().find(|w| w.key == *key).unwrap();
            prop_assert_eq!(
                (window.held, window.confirmed),
                model.taken(i),
                "window {} after {:?}",
                i,
                op
            );
            prop_assert_eq!(window.blocked.is_some(), model.blocked[i]);
        }
        Ok(())
    }
}

/// The moment `op` runs at, once the clock has moved for an `Advance`; `None` for an op that
/// names a booking while there is none yet, which waits.
fn moment_of(op: &Op, ids: &[BookingId], clock: &ManualClock) -> Option<DateTime<Utc>> {
    let needs_booking = matches!(op, Op::Confirm { .. } | Op::Cancel { .. } | Op::Move { .. });
    if needs_booking && ids.is_empty() {
        return None;
    }
    if let Op::Advance { minutes } = op {
        clock.advance(Duration::minutes(*minutes));
    }
    Some(clock.now())
}

/// The policy of the reference model, which knows capacity, plates, holds and blocks, not the
/// move limit.
fn model_policy() -> Policy {
    Policy {
        reschedules_per_booking_max: u32::MAX,
        ..Policy::default()
    }
}

async fn run_case(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let store = Arc::new(EmbeddedStore::in_memory().unwrap());
    let checkpoint = counting_checkpoint("model", CAPACITY, 0);
    store.upsert_checkpoint(&checkpoint).await.unwrap();
    let clock = Arc::new(ManualClock::new(test_start()));
    let policy = model_policy();
    let harness = Harness::new(
        &checkpoint,
        store.clone(),
        clock.clone(),
        policy,
        ActorSettings::default(),
    );
    let (registry, cp, day) = (&harness.registry, &harness.checkpoint, harness.day);
    let mut model = Model::default();
    let mut ids: Vec<BookingId> = Vec::new();

    for op in &ops {
        let Some(now) = moment_of(op, &ids, &clock) else {
            continue;
        };
        let id = BookingId::generate();
        let expected = model.apply(op, now, policy.hold_ttl, id);
        let actual = classify(harness.send(op, &ids, id).await);
        if matches!(op, Op::Hold { .. }) && actual == Outcome::Done {
            ids.push(id);
        }
        prop_assert_eq!(&actual, &expected, "op {:?}", op);
        let memory = registry.ask(cp, day, QueryAvailability).await.unwrap();
        harness.check_memory(&memory, &model, op)?;
    }

    // Everything answered is durable: the store holds what the model holds.
    registry.ask(cp, day, ExpireDue).await.unwrap();
    model.expire(clock.now());
    let stored = store.load_day(cp, day).await.unwrap();
    harness.check_stored_counts(&stored.windows, &model)?;
    prop_assert_eq!(store.audit().await.unwrap().violations(), 0);
    registry.shutdown(std::time::Duration::from_secs(5)).await;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn the_actor_and_the_reference_model_never_diverge(ops in prop::collection::vec(op(), 1..60)) {
        actix::System::new().block_on(run_case(ops))?;
    }
}

/// How the stored day differs from `model`, whose bookings were made as `ids`, seen at `now`.
/// A hold whose time has run out counts as expired even while the store still has it held:
/// its expiry may be in a write that failed, and the actor expires it again after reloading.
fn store_differs(
    model: &Model,
    ids: &[BookingId],
    stored: &DayRecord,
    windows: &[WindowKey],
    now: DateTime<Utc>,
) -> Option<String> {
    if stored.bookings.len() != ids.len() {
        return Some(format!(
            "{} bookings stored, {} in the model",
            stored.bookings.len(),
            ids.len()
        ));
    }
    for (id, expected) in ids.iter().zip(&model.bookings) {
        let Some(booking) = stored.bookings.iter().find(|b| b.id == *id) else {
            return Some(format!("booking {id} is not stored"));
        };
        let status = match booking.status {
            BookingStatus::Held if booking.hold_expires_at.is_some_and(|at| at <= now) => {
                Status::Expired
            }
            BookingStatus::Held => Status::Held,
            BookingStatus::Confirmed => Status::Confirmed,
            BookingStatus::Cancelled => Status::Cancelled,
            BookingStatus::Expired => Status::Expired,
            other => return Some(format!("booking {id} is {other:?}")),
        };
        if status != expected.status {
            return Some(format!(
                "booking {id} is stored {status:?}, the model has it {:?}",
                expected.status
            ));
        }
        if booking.window_key() != windows[expected.window] {
            return Some(format!("booking {id} is stored in another window"));
        }
        if status == Status::Held && booking.hold_expires_at != Some(expected.expires_at) {
            return Some(format!("booking {id} is stored with another hold expiry"));
        }
    }
    for (i, key) in windows.iter().enumerate() {
        let Some(window) = stored.windows.iter().find(|w| w.key == *key) else {
            return Some(format!("window {i} is not stored"));
        };
        if window.blocked.is_some() != model.blocked[i] {
            return Some(format!(
                "window {i} is stored blocked: {:?}",
                window.blocked
            ));
        }
    }
    None
}

/// The invariants the store keeps whatever happened to the requests: its own audit finds
/// nothing, and no window holds more than its capacity.
async fn check_store_invariants(
    store: &EmbeddedStore,
    stored: &DayRecord,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(store.audit().await.unwrap().violations(), 0);
    for window in &stored.windows {
        prop_assert!(
            window.held + window.confirmed <= window.capacity,
            "window {:?} holds {} + {} of {}",
            window.key,
            window.held,
            window.confirmed,
            window.capacity
        );
    }
    Ok(())
}

/// The stored day. A day whose every load failed has no windows stored yet: it is the
/// template's windows, untouched.
async fn stored_day(store: &EmbeddedStore, checkpoint: &Checkpoint, day: NaiveDate) -> DayRecord {
    let mut stored = store.load_day(&checkpoint.id, day).await.unwrap();
    if stored.windows.is_empty() {
        stored.windows = generate_windows(checkpoint, day);
    }
    stored
}

/// How often a read or an idempotent message is asked again while the day's actor cannot
/// answer: a day that fails to load stops its actor, and the registry starts a new one for the
/// next message.
const ASKS_MAX: usize = 100;

async fn ask_until_answered<T, F, Fut>(mut ask: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ScheduleError>>,
{
    for _ in 0..ASKS_MAX {
        match ask().await {
            Err(ScheduleError::Unavailable | ScheduleError::NotDurable) => continue,
            answer => return answer.expect("a read or an expiry is never refused"),
        }
    }
    panic!("the day's actor did not answer in {ASKS_MAX} asks");
}

async fn run_case_with_faults(seed: u64, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let store = Arc::new(FaultyStore::new(
        EmbeddedStore::in_memory().unwrap(),
        seed,
        FaultRates::default(),
    ));
    let checkpoint = counting_checkpoint("model", CAPACITY, 0);
    store.upsert_checkpoint(&checkpoint).await.unwrap();
    let clock = Arc::new(ManualClock::new(test_start()));
    let policy = model_policy();
    // One arbiter: a case starts and stops its own, and there are thousands of cases.
    let settings = ActorSettings {
        arbiters: 1,
        ..ActorSettings::default()
    };
    let harness = Harness::new(&checkpoint, store.clone(), clock.clone(), policy, settings);
    let (registry, cp, day) = (&harness.registry, &harness.checkpoint, harness.day);
    let truth = store.inner();
    let mut model = Model::default();
    let mut ids: Vec<BookingId> = Vec::new();

    for op in &ops {
        let Some(now) = moment_of(op, &ids, &clock) else {
            continue;
        };
        let before = model.clone();
        let id = BookingId::generate();
        let expected = model.apply(op, now, policy.hold_ttl, id);
        let mut made = ids.clone();
        if matches!(op, Op::Hold { .. }) && expected == Outcome::Done {
            made.push(id);
        }
        match harness.send(op, &ids, id).await {
            Err(ScheduleError::NotDurable | ScheduleError::Unavailable) => {
                // Like a client told 503, find out from what is stored whether the op took
                // effect: the store must hold the model either with the op applied or
                // without it.
                let stored = stored_day(truth, &checkpoint, day).await;
                let mut skipped = before;
                skipped.expire(now);
                match (
                    store_differs(&model, &made, &stored, &harness.windows, now),
                    store_differs(&skipped, &ids, &stored, &harness.windows, now),
                ) {
                    (None, _) => ids = made,
                    (Some(_), None) => model = skipped,
                    (Some(applied), Some(not_applied)) => prop_assert!(
                        false,
                        "after {:?} failed, the store holds neither outcome: applied, {}; \
                         not applied, {}",
                        op,
                        applied,
                        not_applied
                    ),
                }
            }
            answer => {
                let actual = classify(answer);
                if matches!(op, Op::Hold { .. }) && actual == Outcome::Done {
                    ids = made;
                }
                match (&actual, &expected) {
                    // Expiries stored by a commit whose acknowledgement was lost, or redone by
                    // the reload after a failed write, are not counted by this op again.
                    (Outcome::Expired(counted), Outcome::Expired(due)) => {
                        prop_assert!(counted <= due, "{} expired, {} were due", counted, due)
                    }
                    _ => prop_assert_eq!(&actual, &expected, "op {:?}", op),
                }
            }
        }
        let memory = ask_until_answered(|| registry.ask(cp, day, QueryAvailability)).await;
        harness.check_memory(&memory, &model, op)?;
        let stored = stored_day(truth, &checkpoint, day).await;
        if let Some(difference) = store_differs(&model, &ids, &stored, &harness.windows, now) {
            prop_assert!(false, "after {:?}: {}", op, difference);
        }
        check_store_invariants(truth, &stored).await?;
    }

    // Once the store is healthy again, every expiry due is stored and the store holds what
    // the model holds.
    store.heal();
    ask_until_answered(|| registry.ask(cp, day, ExpireDue)).await;
    let now = clock.now();
    model.expire(now);
    let stored = stored_day(truth, &checkpoint, day).await;
    if let Some(difference) = store_differs(&model, &ids, &stored, &harness.windows, now) {
        prop_assert!(false, "at the end: {}", difference);
    }
    harness.check_stored_counts(&stored.windows, &model)?;
    check_store_invariants(truth, &stored).await?;
    registry.shutdown(std::time::Duration::from_secs(5)).await;
    prop_assert_eq!(registry.live_actors(), 0);
    Ok(())
}

/// Cases of the fault-injecting run: `MODEL_FAULT_CASES` if set, a CI-sized number otherwise.
fn fault_cases() -> u32 {
    std::env::var("MODEL_FAULT_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(48)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: fault_cases(), ..ProptestConfig::default() })]

    #[test]
    fn the_actor_agrees_with_the_model_and_the_store_while_the_store_fails(
        seed in any::<u64>(),
        ops in prop::collection::vec(op(), 1..60),
    ) {
        actix::System::new().block_on(run_case_with_faults(seed, ops))?;
    }
}

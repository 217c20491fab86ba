//! Random sequences of hold / confirm / cancel / move / expire / block driven through a real
//! `ScheduleActor` and through a plain reference model must never diverge, and the store must
//! end up holding exactly what the model says.

use std::sync::Arc;

use borderslot::actors::schedule::{
    Block, Cancel, Confirm, ExpireDue, Hold, MoveWithinDay, QueryAvailability, Unblock,
};
use borderslot::actors::{ActorSettings, ScheduleError, ScheduleRegistry};
use borderslot::clock::{Clock, ManualClock};
use borderslot::domain::token::ManageToken;
use borderslot::domain::window::generate_windows;
use borderslot::domain::{
    AllocationError, BookingCode, BookingId, Contact, Direction, HoldRequest, Plate, Policy,
    PriorityClass, WindowKey, WindowSelection,
};
use borderslot::store::SlotStore;
use borderslot::store::embedded::EmbeddedStore;
use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;

use crate::helpers::{counting_checkpoint, test_start, tomorrow};

const WINDOWS: usize = 3;
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

fn classify<T>(result: Result<T, ScheduleError>) -> Outcome {
    match result {
        Ok(_) => Outcome::Done,
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
    window: usize,
    plate: usize,
    status: Status,
    expires_at: DateTime<Utc>,
}

#[derive(Debug, Default)]
struct Model {
    blocked: [bool; WINDOWS],
    bookings: Vec<ModelBooking>,
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

    fn apply(&mut self, op: &Op, now: DateTime<Utc>, ttl: Duration) -> Outcome {
        match *op {
            Op::Advance { .. } => Outcome::Expired(self.expire(now)),
            Op::Block { window } => {
                self.expire(now);
                self.blocked[window] = true;
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

async fn run_case(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let store = Arc::new(EmbeddedStore::in_memory().unwrap());
    let checkpoint = counting_checkpoint("model", CAPACITY, 0);
    store.upsert_checkpoint(&checkpoint).await.unwrap();
    let clock = Arc::new(ManualClock::new(test_start()));
    // The reference model knows capacity, plates, holds and blocks, not the move limit.
    let policy = Policy {
        reschedules_per_booking_max: u32::MAX,
        ..Policy::default()
    };
    let registry = ScheduleRegistry::new(
        vec![checkpoint.clone()],
        store.clone(),
        clock.clone(),
        policy,
        ActorSettings::default(),
    );
    let day = tomorrow();
    let windows: Vec<WindowKey> = generate_windows(&checkpoint, day)
        .iter()
        .filter(|w| w.key.direction == Direction::Entry)
        .take(WINDOWS)
        .map(|w| w.key)
        .collect();
    let selection = |w: usize| WindowSelection {
        from: windows[w].start,
        to: windows[w].start + Duration::minutes(1),
        direction: Some(Direction::Entry),
        categories: vec![],
    };
    let mut model = Model::default();
    let mut ids: Vec<BookingId> = Vec::new();
    let cp = &checkpoint.id;

    for op in &ops {
        if matches!(op, Op::Confirm { .. } | Op::Cancel { .. } | Op::Move { .. }) && ids.is_empty()
        {
            continue;
        }
        if let Op::Advance { minutes } = op {
            clock.advance(Duration::minutes(*minutes));
        }
        let now = clock.now();
        let expected = model.apply(op, now, policy.hold_ttl);
        let actual = match *op {
            Op::Hold {
                window,
                plate,
                confirm,
            } => {
                let id = BookingId::new_random();
                let outcome = classify(
                    registry
                        .ask(
                            cp,
                            day,
                            Hold(HoldRequest {
                                id,
                                code: BookingCode::generate(&mut rand::rng()),
                                manage_token_digest: ManageToken::digest("t"),
                                window: windows[window],
                                plate: Some(Plate::parse(&format!("PL{plate}")).unwrap()),
                                // A contact per vehicle: the per-contact holds cap is
                                // not part of this model.
                                contact: Some(
                                    Contact::parse(&format!("pl{plate}@example.com")).unwrap(),
                                ),
                                priority: PriorityClass::Normal,
                                confirm,
                                carrier: None,
                            }),
                        )
                        .await,
                );
                if outcome == Outcome::Done {
                    ids.push(id);
                }
                outcome
            }
            Op::Confirm { booking } => classify(
                registry
                    .ask(
                        cp,
                        day,
                        Confirm {
                            id: ids[booking % ids.len()],
                            plate: None,
                            contact: None,
                        },
                    )
                    .await,
            ),
            Op::Cancel { booking } => classify(
                registry
                    .ask(
                        cp,
                        day,
                        Cancel {
                            id: ids[booking % ids.len()],
                        },
                    )
                    .await,
            ),
            Op::Move { booking, window } => classify(
                registry
                    .ask(
                        cp,
                        day,
                        MoveWithinDay {
                            id: ids[booking % ids.len()],
                            target: windows[window],
                        },
                    )
                    .await,
            ),
            Op::Advance { .. } => Outcome::Expired(registry.ask(cp, day, ExpireDue).await.unwrap()),
            Op::Block { window } => classify(
                registry
                    .ask(
                        cp,
                        day,
                        Block {
                            selection: selection(window),
                            reason: "maintenance".into(),
                            cancel_affected: false,
                        },
                    )
                    .await,
            ),
            Op::Unblock { window } => classify(
                registry
                    .ask(
                        cp,
                        day,
                        Unblock {
                            selection: selection(window),
                        },
                    )
                    .await,
            ),
        };
        prop_assert_eq!(&actual, &expected, "op {:?}", op);
        let memory = registry.ask(cp, day, QueryAvailability).await.unwrap();
        for (i, key) in windows.iter().enumerate() {
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
    }

    // Everything answered is durable: the store holds what the model holds.
    registry.ask(cp, day, ExpireDue).await.unwrap();
    model.expire(clock.now());
    let stored = store.load_day(cp, day).await.unwrap();
    for (i, key) in windows.iter().enumerate() {
        let window = stored.windows.iter().find(|w| w.key == *key).unwrap();
        prop_assert_eq!((window.held, window.confirmed), model.taken(i));
    }
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

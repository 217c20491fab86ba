//! What a schedule is asked to change — hold, confirm, cancel, move, transfer, block, reserve,
//! walk up, check in, expire, mark no-shows — and how the actor decides each: at once against
//! memory, the changes joining the open batch.

use super::*;

/// Stop once everything decided is durable.
#[derive(Message, Clone)]
#[rtype(result = "()")]
pub struct Shutdown;

impl Handler<Shutdown> for ScheduleActor {
    type Result = ();

    fn handle(&mut self, _: Shutdown, ctx: &mut Self::Context) {
        ctx.stop();
    }
}

/// Take a place in a window.
#[derive(Message, Clone)]
#[rtype(result = "Result<Booking, ScheduleError>")]
pub struct Hold(pub HoldRequest);

/// Confirm a hold, with plate and contact if the hold lacked them.
#[derive(Message, Clone)]
#[rtype(result = "Result<Booking, ScheduleError>")]
pub struct Confirm {
    pub id: BookingId,
    pub plate: Option<crate::domain::Plate>,
    pub contact: Option<crate::domain::Contact>,
}

/// Cancel a booking and free its place.
#[derive(Message, Clone)]
#[rtype(result = "Result<Booking, ScheduleError>")]
pub struct Cancel {
    pub id: BookingId,
}

/// Move a booking to another window of the same day, atomically.
#[derive(Message, Clone)]
#[rtype(result = "Result<Booking, ScheduleError>")]
pub struct MoveWithinDay {
    pub id: BookingId,
    pub target: WindowKey,
}

/// Take a place for a booking of another day that is being moved here.
#[derive(Message, Clone)]
#[rtype(result = "Result<Booking, ScheduleError>")]
pub struct HoldForTransfer {
    pub source: Booking,
    pub new_id: BookingId,
    pub target: WindowKey,
}

/// Give up a booking's place because its transfer hold on another day is ready.
#[derive(Message, Clone)]
#[rtype(result = "Result<Booking, ScheduleError>")]
pub struct ReleaseForTransfer {
    pub id: BookingId,
    pub expected_version: i64,
    pub transfer: Booking,
}

/// Turn a transfer hold whose source let go into the booking.
#[derive(Message, Clone)]
#[rtype(result = "Result<Booking, ScheduleError>")]
pub struct CompleteTransfer {
    pub id: BookingId,
}

/// Drop a transfer hold whose move failed.
#[derive(Message, Clone)]
#[rtype(result = "Result<(), ScheduleError>")]
pub struct AbandonTransfer {
    pub id: BookingId,
}

/// Close windows to new bookings.
#[derive(Message, Clone)]
#[rtype(result = "Result<Vec<WindowKey>, ScheduleError>")]
pub struct Block {
    pub selection: WindowSelection,
    pub reason: String,
    /// Cancel the active bookings in the blocked windows; otherwise they stay.
    pub cancel_affected: bool,
}

/// Keep places of the selected windows for priority classes.
#[derive(Message, Clone)]
#[rtype(result = "Result<Vec<WindowKey>, ScheduleError>")]
pub struct Reserve {
    pub selection: WindowSelection,
    pub reserved: u32,
}

impl Handler<Reserve> for ScheduleActor {
    type Result = ResponseFuture<Result<Vec<WindowKey>, ScheduleError>>;

    fn handle(&mut self, msg: Reserve, ctx: &mut Self::Context) -> Self::Result {
        self.decide(ctx, |day, _, now| {
            day.set_reserved(&msg.selection, msg.reserved, now)
        })
    }
}

/// Set the places of the selected windows (of a day already scheduled).
#[derive(Message, Clone)]
#[rtype(result = "Result<Vec<WindowKey>, ScheduleError>")]
pub struct SetCapacity {
    pub selection: WindowSelection,
    pub capacity: u32,
}

impl Handler<SetCapacity> for ScheduleActor {
    type Result = ResponseFuture<Result<Vec<WindowKey>, ScheduleError>>;

    fn handle(&mut self, msg: SetCapacity, ctx: &mut Self::Context) -> Self::Result {
        self.decide(ctx, |day, _, now| {
            day.set_capacity(&msg.selection, msg.capacity, now)
        })
    }
}

/// Register a vehicle that arrived without a booking into the next free window, checked in.
#[derive(Message, Clone)]
#[rtype(result = "Result<Booking, ScheduleError>")]
pub struct WalkUp(pub HoldRequest);

/// Check a confirmed booking in at the checkpoint.
#[derive(Message, Clone)]
#[rtype(result = "Result<Booking, ScheduleError>")]
pub struct CheckIn {
    pub id: BookingId,
}

/// Reopen windows.
#[derive(Message, Clone)]
#[rtype(result = "Result<Vec<WindowKey>, ScheduleError>")]
pub struct Unblock {
    pub selection: WindowSelection,
}

/// Expire every hold that has run out by the clock now; answered once the expiries are durable.
#[derive(Message, Clone)]
#[rtype(result = "Result<usize, ScheduleError>")]
pub struct ExpireDue;

/// Marks the day's missed confirmed bookings as no-shows; answers how many, once stored.
#[derive(Message, Clone)]
#[rtype(result = "Result<usize, ScheduleError>")]
pub struct MarkNoShows;

impl Handler<Hold> for ScheduleActor {
    type Result = ResponseFuture<Result<Booking, ScheduleError>>;

    fn handle(&mut self, Hold(request): Hold, ctx: &mut Self::Context) -> Self::Result {
        self.decide(ctx, |day, policy, now| day.hold(request, policy, now))
    }
}

impl Handler<Confirm> for ScheduleActor {
    type Result = ResponseFuture<Result<Booking, ScheduleError>>;

    fn handle(&mut self, msg: Confirm, ctx: &mut Self::Context) -> Self::Result {
        self.decide(ctx, |day, _, now| {
            day.confirm(msg.id, msg.plate, msg.contact, now)
        })
    }
}

impl Handler<Cancel> for ScheduleActor {
    type Result = ResponseFuture<Result<Booking, ScheduleError>>;

    fn handle(&mut self, msg: Cancel, ctx: &mut Self::Context) -> Self::Result {
        self.decide(ctx, |day, _, now| day.cancel(msg.id, now))
    }
}

impl Handler<MoveWithinDay> for ScheduleActor {
    type Result = ResponseFuture<Result<Booking, ScheduleError>>;

    fn handle(&mut self, msg: MoveWithinDay, ctx: &mut Self::Context) -> Self::Result {
        self.decide(ctx, |day, policy, now| {
            day.move_within_day(msg.id, msg.target, policy, now)
        })
    }
}

impl Handler<HoldForTransfer> for ScheduleActor {
    type Result = ResponseFuture<Result<Booking, ScheduleError>>;

    fn handle(&mut self, msg: HoldForTransfer, ctx: &mut Self::Context) -> Self::Result {
        self.decide(ctx, |day, policy, now| {
            day.hold_for_transfer(&msg.source, msg.new_id, msg.target, false, policy, now)
        })
    }
}

impl Handler<ReleaseForTransfer> for ScheduleActor {
    type Result = ResponseFuture<Result<Booking, ScheduleError>>;

    fn handle(&mut self, msg: ReleaseForTransfer, ctx: &mut Self::Context) -> Self::Result {
        self.decide(ctx, |day, _, now| {
            day.release_for_transfer(msg.id, msg.expected_version, &msg.transfer, None, now)
        })
    }
}

impl Handler<CompleteTransfer> for ScheduleActor {
    type Result = ResponseFuture<Result<Booking, ScheduleError>>;

    fn handle(&mut self, msg: CompleteTransfer, ctx: &mut Self::Context) -> Self::Result {
        self.decide(ctx, |day, policy, now| {
            day.complete_transfer(msg.id, policy, now)
        })
    }
}

impl Handler<AbandonTransfer> for ScheduleActor {
    type Result = ResponseFuture<Result<(), ScheduleError>>;

    fn handle(&mut self, msg: AbandonTransfer, ctx: &mut Self::Context) -> Self::Result {
        self.decide(ctx, |day, _, now| {
            Ok(((), day.abandon_transfer(msg.id, now)?))
        })
    }
}

impl Handler<Block> for ScheduleActor {
    type Result = ResponseFuture<Result<Vec<WindowKey>, ScheduleError>>;

    fn handle(&mut self, msg: Block, ctx: &mut Self::Context) -> Self::Result {
        self.decide(ctx, |day, _, now| {
            if msg.cancel_affected {
                day.block_cancelling(&msg.selection, &msg.reason, now)
            } else {
                day.block(&msg.selection, &msg.reason, now)
            }
        })
    }
}

impl Handler<WalkUp> for ScheduleActor {
    type Result = ResponseFuture<Result<Booking, ScheduleError>>;

    fn handle(&mut self, WalkUp(request): WalkUp, ctx: &mut Self::Context) -> Self::Result {
        self.decide(ctx, |day, _, now| day.walk_up(request, now))
    }
}

impl Handler<CheckIn> for ScheduleActor {
    type Result = ResponseFuture<Result<Booking, ScheduleError>>;

    fn handle(&mut self, msg: CheckIn, ctx: &mut Self::Context) -> Self::Result {
        self.decide(ctx, |day, policy, now| day.check_in(msg.id, policy, now))
    }
}

impl Handler<Unblock> for ScheduleActor {
    type Result = ResponseFuture<Result<Vec<WindowKey>, ScheduleError>>;

    fn handle(&mut self, msg: Unblock, ctx: &mut Self::Context) -> Self::Result {
        self.decide(ctx, |day, _, now| day.unblock(&msg.selection, now))
    }
}

impl Handler<ExpireDue> for ScheduleActor {
    type Result = ResponseFuture<Result<usize, ScheduleError>>;

    fn handle(&mut self, _: ExpireDue, ctx: &mut Self::Context) -> Self::Result {
        let expired = self.run_expiry(ctx);
        // An empty change set still waits behind everything queued before it.
        self.enqueue(ctx, ChangeSet::default(), expired)
    }
}

impl Handler<MarkNoShows> for ScheduleActor {
    type Result = ResponseFuture<Result<usize, ScheduleError>>;

    fn handle(&mut self, _: MarkNoShows, ctx: &mut Self::Context) -> Self::Result {
        self.last_activity = Instant::now();
        let now = self.services.clock.now();
        let policy = self.services.policy;
        let Some(day) = self.day.as_mut() else {
            return Box::pin(async { Err(ScheduleError::Unavailable) });
        };
        let changes = day.mark_no_shows(&policy, now);
        let marked = changes.events.len();
        self.enqueue(ctx, changes, marked)
    }
}

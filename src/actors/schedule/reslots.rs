//! What re-slotting asks of a schedule: close windows (or lower their places) and move their
//! bookings within the day, take a booking the day before could not keep, let one go to the
//! next day, cancel one no day could take, and the driver's acceptance of the new window.

use super::*;
use crate::domain::{BlockMoved, CapacityCut};

/// Close windows to new bookings and move their bookings to the nearest windows with room.
#[derive(Message, Clone)]
#[rtype(result = "Result<BlockMoved, ScheduleError>")]
pub struct BlockMoving {
    pub selection: WindowSelection,
    pub reason: String,
}

/// Lower the places of windows, moving the bookings a window then has too many of to the
/// nearest windows with room.
#[derive(Message, Clone)]
#[rtype(result = "Result<CapacityCut, ScheduleError>")]
pub struct CutCapacityMoving {
    pub selection: WindowSelection,
    pub capacity: u32,
    pub reason: String,
}

/// Take a place, in the window nearest to `near`, for a booking the checkpoint moves here from
/// a closed window of another day: a transfer hold, as for any move across days.
#[derive(Message, Clone)]
#[rtype(result = "Result<Booking, ScheduleError>")]
pub struct HoldForReslot {
    pub source: Booking,
    pub new_id: BookingId,
    pub near: DateTime<Utc>,
}

/// Give up a booking's place in a closed window because the checkpoint found it one on
/// another day.
#[derive(Message, Clone)]
#[rtype(result = "Result<Booking, ScheduleError>")]
pub struct ReleaseForReslot {
    pub id: BookingId,
    pub expected_version: i64,
    pub transfer: Booking,
    pub reason: String,
}

/// Cancel, for the checkpoint, a booking in a closed window that no day could take.
#[derive(Message, Clone)]
#[rtype(result = "Result<Booking, ScheduleError>")]
pub struct CancelReslot {
    pub id: BookingId,
}

/// Keep the window the checkpoint moved the booking to.
#[derive(Message, Clone)]
#[rtype(result = "Result<Booking, ScheduleError>")]
pub struct AcceptReslot {
    pub id: BookingId,
}

impl Handler<BlockMoving> for ScheduleActor {
    type Result = ResponseFuture<Result<BlockMoved, ScheduleError>>;

    fn handle(&mut self, msg: BlockMoving, ctx: &mut Self::Context) -> Self::Result {
        self.decide(ctx, |day, policy, now| {
            day.block_moving(&msg.selection, &msg.reason, policy, now)
        })
    }
}

impl Handler<CutCapacityMoving> for ScheduleActor {
    type Result = ResponseFuture<Result<CapacityCut, ScheduleError>>;

    fn handle(&mut self, msg: CutCapacityMoving, ctx: &mut Self::Context) -> Self::Result {
        self.decide(ctx, |day, policy, now| {
            day.cut_capacity_moving(&msg.selection, msg.capacity, &msg.reason, policy, now)
        })
    }
}

impl Handler<HoldForReslot> for ScheduleActor {
    type Result = ResponseFuture<Result<Booking, ScheduleError>>;

    fn handle(&mut self, msg: HoldForReslot, ctx: &mut Self::Context) -> Self::Result {
        self.decide(ctx, |day, policy, now| {
            day.hold_for_reslot(&msg.source, msg.new_id, msg.near, policy, now)
        })
    }
}

impl Handler<ReleaseForReslot> for ScheduleActor {
    type Result = ResponseFuture<Result<Booking, ScheduleError>>;

    fn handle(&mut self, msg: ReleaseForReslot, ctx: &mut Self::Context) -> Self::Result {
        self.decide(ctx, |day, _, now| {
            day.release_for_transfer(
                msg.id,
                msg.expected_version,
                &msg.transfer,
                Some(&msg.reason),
                now,
            )
        })
    }
}

impl Handler<CancelReslot> for ScheduleActor {
    type Result = ResponseFuture<Result<Booking, ScheduleError>>;

    fn handle(&mut self, msg: CancelReslot, ctx: &mut Self::Context) -> Self::Result {
        self.decide(ctx, |day, _, now| day.cancel_reslot(msg.id, now))
    }
}

impl Handler<AcceptReslot> for ScheduleActor {
    type Result = ResponseFuture<Result<Booking, ScheduleError>>;

    fn handle(&mut self, msg: AcceptReslot, ctx: &mut Self::Context) -> Self::Result {
        self.decide(ctx, |day, _, now| day.accept_reslot(msg.id, now))
    }
}

//! What a schedule is asked about its waitlist: join it, read an entry, and answer an offer —
//! each decided in the day's one serial order with every hold, confirm, cancel and block.

use super::*;
use crate::domain::{JoinRequest, WaitlistEntry, WaitlistId, WaitlistStanding};

/// Put a driver on the day's waitlist.
#[derive(Message, Clone)]
#[rtype(result = "Result<WaitlistStanding, ScheduleError>")]
pub struct JoinWaitlist(pub JoinRequest);

/// Take the place offered to an entry: the booking it made or moved, with the entry.
#[derive(Message, Clone)]
#[rtype(result = "Result<(WaitlistEntry, Booking), ScheduleError>")]
pub struct AcceptOffer {
    pub id: WaitlistId,
}

/// Turn the offer down; the place goes to the next waiting driver.
#[derive(Message, Clone)]
#[rtype(result = "Result<WaitlistEntry, ScheduleError>")]
pub struct DeclineOffer {
    pub id: WaitlistId,
}

/// Stop waiting (an offer held goes to the next waiting driver).
#[derive(Message, Clone)]
#[rtype(result = "Result<WaitlistEntry, ScheduleError>")]
pub struct LeaveWaitlist {
    pub id: WaitlistId,
}

/// An entry and where it stands now, after expiring what ran out.
#[derive(Message, Clone)]
#[rtype(result = "Result<Option<WaitlistStanding>, ScheduleError>")]
pub struct GetWaitlistEntry {
    pub id: WaitlistId,
}

impl Handler<JoinWaitlist> for ScheduleActor {
    type Result = ResponseFuture<Result<WaitlistStanding, ScheduleError>>;

    fn handle(
        &mut self,
        JoinWaitlist(request): JoinWaitlist,
        ctx: &mut Self::Context,
    ) -> Self::Result {
        self.decide(ctx, |day, policy, now| {
            day.join_waitlist(request, policy, now)
        })
    }
}

impl Handler<AcceptOffer> for ScheduleActor {
    type Result = ResponseFuture<Result<(WaitlistEntry, Booking), ScheduleError>>;

    fn handle(&mut self, msg: AcceptOffer, ctx: &mut Self::Context) -> Self::Result {
        self.decide(ctx, |day, policy, now| {
            day.accept_offer(msg.id, policy, now)
        })
    }
}

impl Handler<DeclineOffer> for ScheduleActor {
    type Result = ResponseFuture<Result<WaitlistEntry, ScheduleError>>;

    fn handle(&mut self, msg: DeclineOffer, ctx: &mut Self::Context) -> Self::Result {
        self.decide(ctx, |day, policy, now| {
            day.decline_offer(msg.id, policy, now)
        })
    }
}

impl Handler<LeaveWaitlist> for ScheduleActor {
    type Result = ResponseFuture<Result<WaitlistEntry, ScheduleError>>;

    fn handle(&mut self, msg: LeaveWaitlist, ctx: &mut Self::Context) -> Self::Result {
        self.decide(ctx, |day, policy, now| {
            day.leave_waitlist(msg.id, policy, now)
        })
    }
}

impl Handler<GetWaitlistEntry> for ScheduleActor {
    type Result = ResponseFuture<Result<Option<WaitlistStanding>, ScheduleError>>;

    fn handle(&mut self, msg: GetWaitlistEntry, ctx: &mut Self::Context) -> Self::Result {
        // An offer whose time ran out is shown as expired, not as still offered.
        self.run_expiry(ctx);
        let standing = self
            .day
            .as_ref()
            .ok_or(ScheduleError::Unavailable)
            .map(|day| day.standing(msg.id));
        Box::pin(async move { standing })
    }
}

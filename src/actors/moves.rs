//! Moving a booking to another day crosses two actors. The order is what keeps the driver
//! safe: first a transfer hold in the target day, then the source gives up its place and hands
//! the booking's code to the transfer hold in one durable step, then the target turns the
//! transfer hold into the booking. Until the hand-over commits, the original booking is intact;
//! if anything fails before it, the transfer hold is dropped. If the last step is interrupted,
//! the target day completes it when it next loads or when the transfer hold's timer fires.
//! The checkpoint moves a booking out of a closed window to the next day the same way.

use actix::{Handler, Message};
use chrono::NaiveDate;

use crate::domain::{AllocationError, Booking, BookingId, WindowKey};

use super::answer::AnswerTicket;
use super::registry::ScheduleRegistry;
use super::schedule::{
    AbandonTransfer, CompleteTransfer, ForRequest, HoldForReslot, HoldForTransfer, MoveWithinDay,
    ReleaseForReslot, ReleaseForTransfer, ScheduleActor, ScheduleError,
};

/// Moves `booking` (as last read from the store) to `target` on `target_day`. An idempotent
/// request's answer is stored with the step that makes the move durable: the move itself on
/// the same day, the hand-over across days.
pub async fn move_booking(
    registry: &ScheduleRegistry,
    booking: &Booking,
    target_day: NaiveDate,
    target: WindowKey,
    answer: Option<AnswerTicket>,
) -> Result<Booking, ScheduleError> {
    let checkpoint = &booking.checkpoint;
    if target_day == booking.day {
        return registry
            .ask_answered(
                checkpoint,
                booking.day,
                MoveWithinDay {
                    id: booking.id,
                    target,
                },
                answer,
            )
            .await;
    }
    let transfer = registry
        .ask(
            checkpoint,
            target_day,
            HoldForTransfer {
                source: booking.clone(),
                new_id: BookingId::generate(),
                target,
            },
        )
        .await?;
    let release = ReleaseForTransfer {
        id: booking.id,
        expected_version: booking.version,
        transfer: transfer.clone(),
    };
    hand_over(registry, booking, target_day, transfer, release, answer).await
}

/// Moves `booking`, left in a closed window of its day because the day had no room, to the
/// window of the next day nearest to the same time, for the checkpoint: in the same order as a
/// driver's move, so the booking keeps its place until the next day has one for it.
pub async fn reslot_to_next_day(
    registry: &ScheduleRegistry,
    booking: &Booking,
    reason: &str,
) -> Result<Booking, ScheduleError> {
    let target_day = booking
        .day
        .succ_opt()
        .ok_or(ScheduleError::Allocation(AllocationError::WindowFull))?;
    let transfer = registry
        .ask(
            &booking.checkpoint,
            target_day,
            HoldForReslot {
                source: booking.clone(),
                new_id: BookingId::generate(),
                near: booking.window_start + chrono::Duration::days(1),
            },
        )
        .await?;
    let release = ReleaseForReslot {
        id: booking.id,
        expected_version: booking.version,
        transfer: transfer.clone(),
        reason: reason.to_owned(),
    };
    hand_over(registry, booking, target_day, transfer, release, None).await
}

/// The rest of a move across days once `transfer` holds a place on `target_day`: the source
/// lets go with `release`, then the transfer hold becomes the booking.
async fn hand_over<M>(
    registry: &ScheduleRegistry,
    booking: &Booking,
    target_day: NaiveDate,
    transfer: Booking,
    release: M,
    answer: Option<AnswerTicket>,
) -> Result<Booking, ScheduleError>
where
    M: Message<Result = Result<Booking, ScheduleError>> + Send + Clone + 'static,
    ScheduleActor: Handler<ForRequest<M>>,
{
    let checkpoint = &booking.checkpoint;
    let handed_over = moved_booking(transfer.clone());
    let answer = answer.map(|ticket| {
        let handed_over = handed_over.clone();
        ticket.adapt(move |_released: &Booking| handed_over.clone())
    });
    let released = registry
        .ask_answered(checkpoint, booking.day, release, answer)
        .await;
    if let Err(error) = released {
        // The store refuses to drop a transfer hold that already received the code, so this
        // is safe even when the release did commit but its answer was lost.
        let _ = registry
            .ask::<AbandonTransfer, ()>(checkpoint, target_day, AbandonTransfer { id: transfer.id })
            .await;
        return Err(error);
    }
    match registry
        .ask::<CompleteTransfer, Booking>(
            checkpoint,
            target_day,
            CompleteTransfer { id: transfer.id },
        )
        .await
    {
        Ok(moved) => Ok(moved),
        Err(error) => {
            // The move is durable from the hand-over on; the target day completes it later.
            tracing::warn!(error = %error, booking = %transfer.id, "move handed over but not yet completed");
            Ok(handed_over)
        }
    }
}

/// A transfer hold as the booking it becomes once its move completes.
fn moved_booking(mut transfer: Booking) -> Booking {
    transfer.status = transfer.status_after_move.take().unwrap_or(transfer.status);
    transfer
}

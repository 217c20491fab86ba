//! Moving a booking to another day crosses two actors. The order is what keeps the driver
//! safe: first a transfer hold in the target day, then the source gives up its place and hands
//! the booking's code to the transfer hold in one durable step, then the target turns the
//! transfer hold into the booking. Until the hand-over commits, the original booking is intact;
//! if anything fails before it, the transfer hold is dropped. If the last step is interrupted,
//! the target day completes it when it next loads or when the transfer hold's timer fires.

use chrono::NaiveDate;

use crate::domain::{Booking, BookingId, WindowKey};

use super::answer::AnswerTicket;
use super::registry::ScheduleRegistry;
use super::schedule::{
    AbandonTransfer, CompleteTransfer, HoldForTransfer, MoveWithinDay, ReleaseForTransfer,
    ScheduleError,
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
                new_id: BookingId::new_random(),
                target,
            },
        )
        .await?;
    let handed_over = moved_booking(transfer.clone());
    let answer = answer.map(|ticket| {
        let handed_over = handed_over.clone();
        ticket.adapt(move |_released: &Booking| handed_over.clone())
    });
    let released = registry
        .ask_answered(
            checkpoint,
            booking.day,
            ReleaseForTransfer {
                id: booking.id,
                expected_version: booking.version,
                transfer: transfer.clone(),
            },
            answer,
        )
        .await;
    if let Err(error) = released {
        // The store refuses to drop a transfer hold that already received the code, so this
        // is safe even when the release did commit but its answer was lost.
        let _ = registry
            .ask(checkpoint, target_day, AbandonTransfer { id: transfer.id })
            .await;
        return Err(error);
    }
    match registry
        .ask(checkpoint, target_day, CompleteTransfer { id: transfer.id })
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

//! Re-slotting instead of cancelling (mode `move_affected`): an admin closes windows, or lowers
//! their places, and their bookings (those a window then has too many of) move to the nearest
//! windows with room — the same day first, decided with the block or the cut in one step by the
//! day's actor, then the next day, one booking at a time in the order the day gave them, each
//! in the same two steps as any move across days. A booking no day can take is cancelled for
//! the checkpoint when its window closed, with the nearest windows that still have room; when
//! its window only lost places, it stays, and the window keeps a place for it. Each driver
//! hears once: where the booking went, or that it is cancelled. The driver then keeps the new
//! window ([`accept_reslot`]), picks another (a reschedule) or cancels.
//!
//! The answer to the admin names what was decided at once (same-day moves, and the bookings
//! left for the next day); the audit log adds where those went. Until the next-day step has
//! run, a booking left for it stays counted in its window, as `free_only` would keep it; if the
//! process stops in between, doing the same again moves them.

use chrono::{Days, NaiveDate};
use serde_json::{Value, json};

use super::AppState;
use super::bookings::change_booking;
use super::error::ApiError;
use crate::actors::answer::AnswerTicket;
use crate::actors::moves::reslot_to_next_day;
use crate::actors::schedule::{AcceptReslot, BlockMoving, CancelReslot};
use crate::domain::{BlockMoved, Booking, CapacityCut, CheckpointId, WindowSelection};

/// Where a booking of a closed window went.
fn moved_entry(booking: &Booking) -> Value {
    json!({
        "code": booking.code,
        "from": booking.reslotted_from,
        "to": booking.window_start,
        "day": booking.day,
    })
}

/// What the block decided, as the admin's answer and the audit log tell it.
pub fn block_moved_outcome(blocked: &Value, reason: &str, decided: &BlockMoved) -> Value {
    json!({
        "blocked": blocked,
        "reason": reason,
        "mode": "move_affected",
        "moved": decided.moved.iter().map(moved_entry).collect::<Vec<_>>(),
        "to_next_day": decided.unplaced.iter().map(|b| b.code.to_string()).collect::<Vec<_>>(),
    })
}

/// What lowering the places of windows decided, as the admin's answer and the audit log tell it.
pub fn capacity_cut_outcome(
    windows: &Value,
    capacity: u32,
    reason: &str,
    decided: &CapacityCut,
) -> Value {
    json!({
        "windows": windows,
        "capacity": capacity,
        "reason": reason,
        "mode": "move_affected",
        "moved": decided.moved.iter().map(moved_entry).collect::<Vec<_>>(),
        "to_next_day": decided.unplaced.iter().map(|b| b.code.to_string()).collect::<Vec<_>>(),
    })
}

/// Closes the windows of `selection` on `day` and moves their bookings within the day; answers
/// with what was decided, once it is durable.
pub async fn block_moving(
    state: &AppState,
    checkpoint: &CheckpointId,
    day: NaiveDate,
    selection: WindowSelection,
    reason: String,
    answer: Option<AnswerTicket>,
) -> Result<BlockMoved, ApiError> {
    Ok(state
        .registry
        .ask_answered(checkpoint, day, BlockMoving { selection, reason }, answer)
        .await?)
}

/// What becomes of a booking no day can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unplaceable {
    /// Cancelled for the checkpoint: its window is closed.
    Cancel,
    /// Kept where it is: its window keeps a place for it.
    Keep,
}

/// Places on the next day, in order, the bookings a day had no room for; those no day can take
/// are cancelled for the checkpoint or kept, as `unplaceable` says. Returns what became of
/// each, for the audit log.
pub async fn place_on_next_day(
    state: &AppState,
    unplaced: &[Booking],
    reason: &str,
    unplaceable: Unplaceable,
) -> Vec<Value> {
    let mut outcomes = Vec::with_capacity(unplaced.len());
    for booking in unplaced {
        let outcome = match place_one(state, booking, reason).await {
            Ok(moved) => json!({ "code": booking.code, "moved": moved_entry(&moved) }),
            Err(error) => {
                tracing::info!(booking = %booking.id, error = %error, "no next-day window for a booking its day had no room for");
                match unplaceable {
                    Unplaceable::Cancel => cancel_one(state, booking).await,
                    Unplaceable::Keep => json!({ "code": booking.code, "kept": true }),
                }
            }
        };
        outcomes.push(outcome);
    }
    outcomes
}

async fn place_one(state: &AppState, booking: &Booking, reason: &str) -> Result<Booking, ApiError> {
    let checkpoint = state.checkpoint(&booking.checkpoint)?;
    let next_day = booking.day.checked_add_days(Days::new(1));
    // A day past the horizon has no windows to offer yet.
    let within = next_day.is_some_and(|next| {
        state
            .policy()
            .check_day(next, state.today_at(&checkpoint))
            .is_ok()
    });
    if !within {
        return Err(crate::domain::AllocationError::WindowFull.into());
    }
    Ok(reslot_to_next_day(&state.registry, booking, reason).await?)
}

async fn cancel_one(state: &AppState, booking: &Booking) -> Value {
    let cancelled = state
        .registry
        .ask(
            &booking.checkpoint,
            booking.day,
            CancelReslot { id: booking.id },
        )
        .await;
    match cancelled {
        Ok(_) => json!({ "code": booking.code, "cancelled": true }),
        // The driver moved or cancelled it meanwhile, or the day could not be reached: the
        // booking stays as it is, counted where it is.
        Err(error) => {
            json!({ "code": booking.code, "cancelled": false, "kept": error.to_string() })
        }
    }
}

/// The driver keeps the window the checkpoint moved the booking to.
pub async fn accept_reslot(
    state: &AppState,
    booking: &Booking,
    answer: Option<AnswerTicket>,
) -> Result<Booking, ApiError> {
    change_booking(state, booking, AcceptReslot { id: booking.id }, answer).await
}

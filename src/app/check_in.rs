//! Operators at the checkpoint: check a booked vehicle in, and register one that came without
//! a booking into the next window with room. Both are decided by the day's schedule actor and
//! audited.

use serde_json::json;

use super::AppState;
use super::bookings::{
    LaneKey, MadeBooking, booking_code, change_booking, made_booking_answer, new_hold,
};
use super::error::ApiError;
use super::staff::{Staff, audit};
use crate::actors::answer::AnswerTicket;
use crate::actors::schedule::{CheckIn, FindByPlate, WalkUp};
use crate::auth::StaffRole;
use crate::domain::token::ManageToken;
use crate::domain::{
    AllocationError, Booking, BookingCode, CheckpointId, Contact, Direction, HoldRequest,
    InputError, Plate, PriorityClass,
};

/// The booking a check-in names: by its code, or — as a number-plate camera at the waiting
/// area reports it — by the checkpoint and the plate (and the direction when the vehicle is
/// booked both ways).
#[derive(Debug, Clone)]
pub enum CheckInTarget {
    /// `at` is the checkpoint the operator stands at, when they say.
    Code {
        code: BookingCode,
        at: Option<CheckpointId>,
    },
    Plate {
        checkpoint: CheckpointId,
        plate: Plate,
        direction: Option<Direction>,
    },
}

impl CheckInTarget {
    pub fn parse(
        code: Option<&str>,
        checkpoint: Option<&str>,
        plate: Option<&str>,
        direction: Option<&str>,
    ) -> Result<Self, ApiError> {
        if let Some(code) = code {
            return Ok(CheckInTarget::Code {
                code: booking_code(code)?,
                at: checkpoint.map(CheckpointId::parse).transpose()?,
            });
        }
        let (Some(checkpoint), Some(plate)) = (checkpoint, plate) else {
            return Err(InputError::new(
                "code",
                "the booking code, or the checkpoint and the plate",
            )
            .into());
        };
        Ok(CheckInTarget::Plate {
            checkpoint: CheckpointId::parse(checkpoint)?,
            plate: Plate::parse(plate)?,
            direction: direction.map(str::parse::<Direction>).transpose()?,
        })
    }
}

/// The booking a check-in names.
pub async fn booking_to_check_in(
    state: &AppState,
    target: &CheckInTarget,
) -> Result<Booking, ApiError> {
    let (checkpoint_id, plate, direction) = match target {
        CheckInTarget::Code { code, at } => {
            let booking = state
                .store
                .find_booking(code)
                .await?
                .ok_or(ApiError::NotFound("booking"))?;
            // An operator names the checkpoint they stand at: a booking for another one is not
            // theirs to check in.
            if at.as_ref().is_some_and(|at| *at != booking.checkpoint) {
                return Err(
                    InputError::new("checkpoint", "the booking is for another checkpoint").into(),
                );
            }
            return Ok(booking);
        }
        CheckInTarget::Plate {
            checkpoint,
            plate,
            direction,
        } => (checkpoint, plate, *direction),
    };
    let checkpoint = state
        .checkpoint(checkpoint_id)
        .map_err(|_| ApiError::NotFound("checkpoint"))?;
    // Early arrivals come for tomorrow's first windows, late ones for yesterday's last.
    let today = state.today_at(&checkpoint);
    for day in [Some(today), today.succ_opt(), today.pred_opt()]
        .into_iter()
        .flatten()
    {
        let found = state
            .registry
            .ask(
                checkpoint_id,
                day,
                FindByPlate {
                    plate: plate.clone(),
                    direction,
                },
            )
            .await?;
        if let Some(booking) = found {
            return Ok(booking);
        }
    }
    Err(ApiError::NotFound("booking"))
}

/// Checks `booking` in at the checkpoint, as an operator or admin; audited.
pub async fn check_in_booking(
    state: &AppState,
    staff: &Staff,
    booking: &Booking,
    answer: Option<AnswerTicket>,
) -> Result<Booking, ApiError> {
    staff.require(&[StaffRole::Operator, StaffRole::Admin])?;
    let arrived = change_booking(state, booking, CheckIn { id: booking.id }, answer).await?;
    audit(
        state,
        staff,
        "booking.check_in",
        arrived.code.to_string(),
        json!({ "status": arrived.status.as_str(), "plate": arrived.plate }),
    )
    .await?;
    Ok(arrived)
}

/// A vehicle that came without a booking.
#[derive(Debug, Clone)]
pub struct WalkIn {
    pub lane: LaneKey,
    pub plate: Plate,
    pub contact: Option<Contact>,
    /// Operators may register priority vehicles: they have them in front of them.
    pub priority: PriorityClass,
}

/// Registers a vehicle that came without a booking into the next window with room, today or
/// tomorrow, confirmed and checked in; audited.
pub async fn register_walk_in(
    state: &AppState,
    staff: &Staff,
    walk_in: WalkIn,
    answer: Option<AnswerTicket>,
) -> Result<MadeBooking, ApiError> {
    staff.require(&[StaffRole::Operator, StaffRole::Admin])?;
    let checkpoint = state.lane(&walk_in.lane)?;
    let token = ManageToken::generate(&mut rand::rng());
    let request = |start| HoldRequest {
        plate: Some(walk_in.plate.clone()),
        contact: walk_in.contact.clone(),
        priority: walk_in.priority,
        confirm: true,
        ..new_hold(&walk_in.lane, start, &token)
    };
    let answer = made_booking_answer(answer, &checkpoint, &token);
    let now = state.now();
    let today = state.today_at(&checkpoint);
    // The queue goes on into tomorrow once today's windows are full or over.
    let mut registered = Err(ApiError::from(AllocationError::WindowFull));
    for day in [Some(today), today.succ_opt()].into_iter().flatten() {
        registered = state
            .registry
            .ask_with_answered(
                &walk_in.lane.checkpoint,
                day,
                || WalkUp(request(now)),
                answer.clone(),
            )
            .await
            .map_err(ApiError::from);
        if !matches!(
            registered,
            Err(ApiError::Allocation(AllocationError::WindowFull))
        ) {
            break;
        }
    }
    let booking = registered?;
    audit(
        state,
        staff,
        "booking.walk_in",
        booking.code.to_string(),
        json!({ "window_start": booking.window_start, "plate": booking.plate }),
    )
    .await?;
    Ok(MadeBooking {
        booking,
        checkpoint,
        manage_token: token,
    })
}

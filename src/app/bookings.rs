//! A driver's or carrier's booking: hold (or book outright), confirm, move, cancel, and find
//! one by its code and manage token. The API and the web pages both come here, so a booking
//! is made, refused and counted the same way whichever front end it came through.

use std::net::IpAddr;
use std::sync::Arc;

use actix::{Handler, Message};
use chrono::{DateTime, Utc};

use super::AppState;
use super::draws::{self, DayAccess, EnteredDraw};
use super::error::ApiError;
use super::input::parse_instant;
use crate::actors::answer::AnswerTicket;
use crate::actors::moves::move_booking;
use crate::actors::schedule::{Cancel, Confirm, ForRequest, Hold, ScheduleActor, ScheduleError};
use crate::auth::ApiKey;
use crate::domain::token::ManageToken;
use crate::domain::window::local_date;
use crate::domain::{
    AccountOwner, Booking, BookingCode, BookingId, Category, Checkpoint, CheckpointId, Contact,
    Direction, HoldRequest, InputError, Plate, PriorityClass, WindowKey,
};

/// A checkpoint's lane as a request names it: the checkpoint, the direction and the category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaneKey {
    pub checkpoint: CheckpointId,
    pub direction: Direction,
    pub category: Category,
}

impl LaneKey {
    pub fn parse(checkpoint: &str, direction: &str, category: &str) -> Result<Self, InputError> {
        Ok(Self {
            checkpoint: CheckpointId::parse(checkpoint)?,
            direction: direction.parse()?,
            category: category.parse()?,
        })
    }
}

/// A request for a window.
#[derive(Debug, Clone)]
pub struct NewBooking {
    pub lane: LaneKey,
    pub window_start: DateTime<Utc>,
    pub plate: Option<Plate>,
    pub contact: Option<Contact>,
    pub priority: PriorityClass,
    /// Book outright instead of holding for a later confirmation.
    pub confirm: bool,
}

impl NewBooking {
    /// A hold of the window starting at `window_start` in `lane`, with nothing else given yet.
    pub fn hold(lane: LaneKey, window_start: &str) -> Result<Self, InputError> {
        Ok(Self {
            lane,
            window_start: parse_instant("window_start", window_start)?,
            plate: None,
            contact: None,
            priority: PriorityClass::default(),
            confirm: false,
        })
    }
}

/// Who asks for a booking, for the limits that apply to them and the account it will be in.
#[derive(Debug, Clone, Default)]
pub struct Requester {
    pub address: Option<IpAddr>,
    pub carrier: Option<ApiKey>,
    pub owner: Option<AccountOwner>,
}

/// A booking just made, with the manage token that is shown only now.
pub struct MadeBooking {
    pub booking: Booking,
    pub checkpoint: Arc<Checkpoint>,
    pub manage_token: String,
}

/// What a request for a window came to: a booking, or (while the day's opening draw takes
/// requests) an entry of the draw, whose outcome comes when the draw has run.
pub enum Booked {
    Made(MadeBooking),
    Entered(EnteredDraw),
}

/// Counts the attempt for Prometheus by checkpoint and result.
pub fn record_booking_outcome<T>(checkpoint: String, outcome: &Result<T, ApiError>) {
    let result = match outcome {
        Ok(_) => "created",
        Err(error) => match error.status().as_u16() {
            409 | 410 => "refused",
            429 => "limited",
            500.. => "unavailable",
            _ => "invalid",
        },
    };
    metrics::counter!(crate::metrics::prometheus::BOOKINGS, "checkpoint" => checkpoint, "result" => result)
        .increment(1);
}

/// Counts a request for a window by checkpoint and result: `entered` when it entered a draw.
pub fn record_booked_outcome(checkpoint: String, outcome: &Result<Booked, ApiError>) {
    if let Ok(Booked::Entered(_)) = outcome {
        metrics::counter!(crate::metrics::prometheus::BOOKINGS, "checkpoint" => checkpoint, "result" => "entered")
            .increment(1);
        return;
    }
    record_booking_outcome(checkpoint, outcome);
}

/// Holds (or books outright, with `confirm`) the window a request names, under every limit
/// that applies to whoever asks; while the day's opening draw takes requests, enters the draw
/// with it instead. A day that opens later is refused, saying when it opens.
pub async fn create_booking(
    state: &AppState,
    input: NewBooking,
    requester: Requester,
    answer: Option<AnswerTicket>,
) -> Result<Booked, ApiError> {
    let checkpoint = state.lane(&input.lane)?;
    let start = input.window_start;
    let day = local_date(checkpoint.time_zone, start);
    let access = draws::day_access(state, &checkpoint, day)?;
    if let DayAccess::NotOpen(times) = access {
        return Err(draws::not_open(state, times));
    }
    if let Some(until) = input
        .plate
        .as_ref()
        .and_then(|plate| state.bars.barred_until(plate, state.now()))
    {
        return Err(ApiError::PlateBarred(until));
    }
    let carrier_key = requester.carrier;
    if input.priority.is_priority() && !carrier_key.as_ref().is_some_and(|key| key.privileged) {
        return Err(ApiError::Forbidden(
            "priority classes are booked by operators and authorised carriers",
        ));
    }
    // A carrier's bookings count against its key's cap; anyone else's against its address.
    let quota = match &carrier_key {
        Some(key) => Some(
            state
                .carrier_keys
                .reserve(state.store.as_ref(), key)
                .await?,
        ),
        None => {
            state.limits.check_new_booking(requester.address)?;
            None
        }
    };
    let token = ManageToken::generate(&mut rand::rng());
    let hold = HoldRequest {
        plate: input.plate,
        contact: input.contact,
        priority: input.priority,
        confirm: input.confirm,
        carrier: carrier_key.map(|key| key.id),
        owner: requester.owner,
        ..new_hold(&input.lane, start, &token)
    };
    if let DayAccess::Draw(times) = access {
        let entered =
            draws::enter(state, &checkpoint, &hold, &token, times, answer.as_ref()).await?;
        if let Some(entered) = entered {
            return Ok(Booked::Entered(entered));
        }
        // The draw ran meanwhile (another replica's clock is ahead): the day is first come.
        draws::settle(state, &checkpoint, day, times).await?;
    }
    draws::settle_access(state, &checkpoint, day, access).await?;
    let answer = answered_as(answer, &checkpoint, &token, Booked::Made);
    let booking = state
        .registry
        .ask_with_answered(
            &input.lane.checkpoint,
            day,
            || {
                Hold(HoldRequest {
                    code: BookingCode::generate(&mut rand::rng()),
                    ..hold.clone()
                })
            },
            answer,
        )
        .await?;
    if let Some(quota) = quota {
        quota.made();
    }
    Ok(Booked::Made(MadeBooking {
        booking,
        checkpoint,
        manage_token: token,
    }))
}

/// A hold of the window at `start` in `lane`, managed with `token`, with nothing else given yet.
pub(super) fn new_hold(lane: &LaneKey, start: DateTime<Utc>, token: &str) -> HoldRequest {
    HoldRequest {
        id: BookingId::generate(),
        code: BookingCode::generate(&mut rand::rng()),
        manage_token_digest: ManageToken::digest(token),
        window: WindowKey {
            direction: lane.direction,
            category: lane.category,
            start,
        },
        plate: None,
        contact: None,
        priority: PriorityClass::default(),
        confirm: false,
        carrier: None,
        owner: None,
    }
}

/// The ticket of a request that makes a booking, for the actor's step, which decides it.
pub(super) fn made_booking_answer(
    answer: Option<AnswerTicket>,
    checkpoint: &Arc<Checkpoint>,
    token: &str,
) -> Option<AnswerTicket> {
    answered_as(answer, checkpoint, token, |made| made)
}

/// [`made_booking_answer`] for a request whose answer is `wrap` of the booking made.
fn answered_as<T: 'static>(
    answer: Option<AnswerTicket>,
    checkpoint: &Arc<Checkpoint>,
    token: &str,
    wrap: fn(MadeBooking) -> T,
) -> Option<AnswerTicket> {
    answer.map(|ticket| {
        let (checkpoint, token) = (checkpoint.clone(), token.to_owned());
        ticket.adapt(move |booking: &Booking| {
            wrap(MadeBooking {
                booking: booking.clone(),
                checkpoint: checkpoint.clone(),
                manage_token: token.clone(),
            })
        })
    })
}

/// Confirms a hold, with the plate and contact when they were not given with it.
pub async fn confirm_booking(
    state: &AppState,
    booking: &Booking,
    plate: Option<Plate>,
    contact: Option<Contact>,
    answer: Option<AnswerTicket>,
) -> Result<Booking, ApiError> {
    let confirm = Confirm {
        id: booking.id,
        plate,
        contact,
    };
    change_booking(state, booking, confirm, answer).await
}

/// Moves a booking to the window starting at `start` in its own lane. The old place is kept
/// until the new one is confirmed, so a refused move leaves the booking as it was.
pub async fn reschedule_booking(
    state: &AppState,
    booking: &Booking,
    checkpoint: &Checkpoint,
    start: DateTime<Utc>,
    answer: Option<AnswerTicket>,
) -> Result<Booking, ApiError> {
    let day = local_date(checkpoint.time_zone, start);
    let access = draws::day_access(state, checkpoint, day)?;
    match access {
        DayAccess::NotOpen(times) => return Err(draws::not_open(state, times)),
        // Only new requests enter a draw: a booking moving in would jump the queue.
        DayAccess::Draw(times) => return Err(ApiError::InDraw(times.closes_at)),
        DayAccess::Horizon | DayAccess::Open(_) => {}
    }
    draws::settle_access(state, checkpoint, day, access).await?;
    let target = WindowKey {
        direction: booking.direction,
        category: booking.category,
        start,
    };
    Ok(move_booking(&state.registry, booking, day, target, answer).await?)
}

pub async fn cancel_booking(
    state: &AppState,
    booking: &Booking,
    answer: Option<AnswerTicket>,
) -> Result<Booking, ApiError> {
    change_booking(state, booking, Cancel { id: booking.id }, answer).await
}

/// Sends a change of `booking` to the actor of its day, which answers with the booking as it
/// is afterwards.
pub(super) async fn change_booking<M>(
    state: &AppState,
    booking: &Booking,
    message: M,
    answer: Option<AnswerTicket>,
) -> Result<Booking, ApiError>
where
    M: Message<Result = Result<Booking, ScheduleError>> + Send + Clone + 'static,
    ScheduleActor: Handler<ForRequest<M>>,
{
    Ok(state
        .registry
        .ask_answered(&booking.checkpoint, booking.day, message, answer)
        .await?)
}

/// A booking code as a link or a path gives it: one that cannot be a code is not found, like
/// one that names no booking, so codes cannot be probed.
pub fn booking_code(raw: &str) -> Result<BookingCode, ApiError> {
    BookingCode::parse(raw).map_err(|_| ApiError::NotFound("booking"))
}

/// The booking a code and its manage token open, as the store has it durably.
pub async fn find_managed(
    state: &AppState,
    code: &BookingCode,
    token: &str,
) -> Result<(Booking, Arc<Checkpoint>), ApiError> {
    find_booking_where(state, code, |b| {
        ManageToken::verify(token, &b.manage_token_digest)
    })
    .await
}

/// The booking `code` names if `may_open` lets the asker see it; any other looks unknown.
pub async fn find_booking_where(
    state: &AppState,
    code: &BookingCode,
    may_open: impl Fn(&Booking) -> bool,
) -> Result<(Booking, Arc<Checkpoint>), ApiError> {
    let booking = state
        .store
        .find_booking(code)
        .await?
        .filter(|b| may_open(b))
        .ok_or(ApiError::NotFound("booking"))?;
    let checkpoint = state
        .checkpoint(&booking.checkpoint)
        .map_err(|_| ApiError::NotFound("booking"))?;
    Ok((booking, checkpoint))
}

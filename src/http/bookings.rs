//! `/api/v1/bookings`: hold, confirm, read, move and cancel a booking.
//!
//! Managing a booking takes its code and the manage token returned when it was made (header
//! `X-Manage-Token`, `Authorization: Bearer`, or `?token=` in a link). A wrong token answers
//! exactly like an unknown code, so codes cannot be probed.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::carrier::{carrier, check_quota};
use super::error::ApiError;
use super::idempotency::{Reply, run_idempotent};
use super::input::{parse_instant, parse_json, parse_priority};
use super::state::AppState;
use super::views::BookingView;
use crate::actors::answer::AnswerTicket;
use crate::actors::moves::move_booking;
use crate::actors::schedule::{Cancel, Confirm, Hold};
use crate::auth::ApiKey;
use crate::domain::token::ManageToken;
use crate::domain::window::local_date;
use crate::domain::{
    Booking, BookingCode, BookingId, Checkpoint, CheckpointId, Contact, HoldRequest, Plate,
    WindowKey,
};

/// A request for a window, as the API and the web pages take it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBooking {
    pub checkpoint: String,
    pub direction: String,
    pub category: String,
    pub window_start: String,
    pub plate: Option<String>,
    pub contact: Option<String>,
    pub priority: Option<String>,
    #[serde(default)]
    pub confirm: bool,
}

/// A booking just made, with the manage token that is shown only now.
pub struct MadeBooking {
    pub booking: Booking,
    pub checkpoint: Arc<Checkpoint>,
    pub manage_token: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfirmBooking {
    plate: Option<String>,
    contact: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RescheduleBooking {
    window_start: String,
}

#[tracing::instrument(name = "Create booking", skip_all)]
pub async fn create(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    run_idempotent(
        &request,
        &state,
        &body,
        made_booking_reply,
        |answer| async {
            let client = request.peer_addr().map(|address| address.ip());
            let input: Result<CreateBooking, ApiError> = parse_json(&body);
            let checkpoint = checkpoint_label(&state, &body, input.as_ref().ok());
            let outcome = match (carrier(&request, &state).await, input) {
                (Err(error), _) | (Ok(_), Err(error)) => Err(error),
                (Ok(key), Ok(input)) => create_booking(&state, input, client, key, answer).await,
            };
            record_booking_outcome(checkpoint, &outcome);
            outcome
        },
    )
    .await
}

/// The answer to a booking just made: the booking with its manage token, shown only now.
pub fn made_booking_reply(made: &MadeBooking) -> Result<Reply, ApiError> {
    let mut view = BookingView::new(&made.booking, made.checkpoint.time_zone);
    view.manage_token = Some(made.manage_token.clone());
    Reply::json(StatusCode::CREATED, &view)
}

/// The answer to a change of a booking: the booking as it is now, in its checkpoint's time.
pub fn booking_reply(
    state: web::Data<AppState>,
    status: StatusCode,
) -> impl Fn(&Booking) -> Result<Reply, ApiError> + Send + Sync + 'static {
    move |booking| {
        let checkpoint = state
            .checkpoint(&booking.checkpoint)
            .map_err(|_| ApiError::NotFound("booking"))?;
        Reply::json(status, &BookingView::new(booking, checkpoint.time_zone))
    }
}

/// The checkpoint a booking attempt names, as a metrics label: a known one only (a label per
/// invented id would let anyone grow the metrics without bound). The body is read again only
/// when it was not a valid booking request.
fn checkpoint_label(state: &AppState, body: &[u8], input: Option<&CreateBooking>) -> String {
    #[derive(Deserialize)]
    struct NamesACheckpoint {
        checkpoint: Option<String>,
    }
    let raw = match input {
        Some(input) => Some(input.checkpoint.clone()),
        None => serde_json::from_slice::<NamesACheckpoint>(body)
            .ok()
            .and_then(|named| named.checkpoint),
    };
    raw.and_then(|raw| CheckpointId::parse(&raw).ok())
        .filter(|id| state.checkpoint(id).is_ok())
        .map_or_else(|| "unknown".to_owned(), |id| id.to_string())
}

/// Counts the attempt for Prometheus by checkpoint and result.
pub fn record_booking_outcome<T>(checkpoint: String, outcome: &Result<T, ApiError>) {
    let result = match outcome {
        Ok(_) => "created",
        Err(error) => match actix_web::ResponseError::status_code(error).as_u16() {
            409 | 410 => "refused",
            429 => "limited",
            500.. => "unavailable",
            _ => "invalid",
        },
    };
    metrics::counter!(crate::metrics::prometheus::BOOKINGS, "checkpoint" => checkpoint, "result" => result)
        .increment(1);
}

/// Holds (or books outright, with `confirm`) the window a request names, under every limit
/// that applies to whoever asks.
pub async fn create_booking(
    state: &AppState,
    input: CreateBooking,
    client: Option<std::net::IpAddr>,
    carrier_key: Option<ApiKey>,
    answer: Option<AnswerTicket>,
) -> Result<MadeBooking, ApiError> {
    let (checkpoint_id, checkpoint, direction, category) =
        state.lane(&input.checkpoint, &input.direction, &input.category)?;
    let start = parse_instant("window_start", &input.window_start)?;
    let day = local_date(checkpoint.time_zone, start);
    state.policy().check_day(day, state.today_at(&checkpoint))?;
    let plate = input.plate.as_deref().map(Plate::parse).transpose()?;
    if let Some(until) = plate
        .as_ref()
        .and_then(|plate| state.bars.barred_until(plate, state.now()))
    {
        return Err(ApiError::PlateBarred(until));
    }
    let contact = input.contact.as_deref().map(Contact::parse).transpose()?;
    let priority = parse_priority(input.priority.as_deref())?;
    if priority.is_priority() && !carrier_key.as_ref().is_some_and(|key| key.privileged) {
        return Err(ApiError::Forbidden(
            "priority classes are booked by operators and authorised carriers",
        ));
    }
    // A carrier's bookings count against its key's cap; anyone else's against its address.
    let _quota_turn = match &carrier_key {
        Some(key) => {
            let turn = state.limits.quota_turn(key.id).await;
            check_quota(state, key).await?;
            Some(turn)
        }
        None => {
            state.limits.check_new_booking(client)?;
            None
        }
    };
    let token = ManageToken::generate(&mut rand::rng());
    let hold = HoldRequest {
        id: BookingId::new_random(),
        code: BookingCode::generate(&mut rand::rng()),
        manage_token_digest: ManageToken::digest(&token),
        window: WindowKey {
            direction,
            category,
            start,
        },
        plate,
        contact,
        priority,
        confirm: input.confirm,
        carrier: carrier_key.map(|key| key.id),
    };
    let answer = answer.map(|ticket| {
        let (checkpoint, token) = (checkpoint.clone(), token.clone());
        ticket.adapt(move |booking: &Booking| MadeBooking {
            booking: booking.clone(),
            checkpoint: checkpoint.clone(),
            manage_token: token.clone(),
        })
    });
    let booking = state
        .registry
        .ask_with_answered(
            &checkpoint_id,
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
    Ok(MadeBooking {
        booking,
        checkpoint,
        manage_token: token,
    })
}

/// Confirms a hold, with the plate and contact when they were not given with it.
pub async fn confirm_booking(
    state: &AppState,
    booking: &Booking,
    plate: Option<&str>,
    contact: Option<&str>,
    answer: Option<AnswerTicket>,
) -> Result<Booking, ApiError> {
    let plate = plate.map(Plate::parse).transpose()?;
    let contact = contact.map(Contact::parse).transpose()?;
    Ok(state
        .registry
        .ask_answered(
            &booking.checkpoint,
            booking.day,
            Confirm {
                id: booking.id,
                plate,
                contact,
            },
            answer,
        )
        .await?)
}

/// Moves a booking to the window starting at `window_start` in its own lane. The old place
/// is kept until the new one is confirmed, so a refused move leaves the booking as it was.
pub async fn reschedule_booking(
    state: &AppState,
    booking: &Booking,
    checkpoint: &Checkpoint,
    window_start: &str,
    answer: Option<AnswerTicket>,
) -> Result<Booking, ApiError> {
    let start = parse_instant("window_start", window_start)?;
    let day = local_date(checkpoint.time_zone, start);
    state.policy().check_day(day, state.today_at(checkpoint))?;
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
    Ok(state
        .registry
        .ask_answered(
            &booking.checkpoint,
            booking.day,
            Cancel { id: booking.id },
            answer,
        )
        .await?)
}

#[tracing::instrument(name = "Confirm booking", skip_all)]
pub async fn confirm(
    request: HttpRequest,
    code: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let reply = booking_reply(state.clone(), StatusCode::OK);
    run_idempotent(&request, &state, &body, reply, |answer| async {
        let (booking, _) = load_managed(&request, &state, &code).await?;
        let input: ConfirmBooking = parse_json(&body)?;
        confirm_booking(
            &state,
            &booking,
            input.plate.as_deref(),
            input.contact.as_deref(),
            answer,
        )
        .await
    })
    .await
}

#[tracing::instrument(name = "Reschedule booking", skip_all)]
pub async fn reschedule(
    request: HttpRequest,
    code: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let reply = booking_reply(state.clone(), StatusCode::OK);
    run_idempotent(&request, &state, &body, reply, |answer| async {
        let (booking, checkpoint) = load_managed(&request, &state, &code).await?;
        let input: RescheduleBooking = parse_json(&body)?;
        reschedule_booking(&state, &booking, &checkpoint, &input.window_start, answer).await
    })
    .await
}

#[tracing::instrument(name = "Cancel booking", skip_all)]
pub async fn cancel(
    request: HttpRequest,
    code: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let reply = booking_reply(state.clone(), StatusCode::OK);
    run_idempotent(&request, &state, &[], reply, |answer| async {
        let (booking, _) = load_managed(&request, &state, &code).await?;
        cancel_booking(&state, &booking, answer).await
    })
    .await
}

/// `GET /bookings/{code}` as JSON, or as a calendar file when the code ends in `.ics`.
#[tracing::instrument(name = "Read booking", skip_all)]
pub async fn read(
    request: HttpRequest,
    code: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (code, calendar) = match code.strip_suffix(".ics") {
        Some(code) => (code, true),
        None => (code.as_str(), false),
    };
    let (booking, checkpoint) = load_managed(&request, &state, code).await?;
    if calendar {
        let body = super::ics::render(&booking, &checkpoint, state.policy(), state.now());
        return Ok(HttpResponse::Ok()
            .insert_header((
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/calendar; charset=utf-8"),
            ))
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"booking-{}.ics\"",
                    booking.code.as_str()
                ),
            ))
            .body(body));
    }
    Ok(HttpResponse::Ok().json(BookingView::new(&booking, checkpoint.time_zone)))
}

fn manage_token(request: &HttpRequest) -> Option<String> {
    let headers = request.headers();
    if let Some(token) = headers.get("x-manage-token").and_then(|v| v.to_str().ok()) {
        return Some(token.trim().to_owned());
    }
    if let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        return Some(token.trim().to_owned());
    }
    web::Query::<std::collections::HashMap<String, String>>::from_query(request.query_string())
        .ok()
        .and_then(|query| query.get("token").cloned())
}

/// The booking a code and manage token open, as the store has it durably.
async fn load_managed(
    request: &HttpRequest,
    state: &AppState,
    code: &str,
) -> Result<(Booking, Arc<Checkpoint>), ApiError> {
    let carrier_key = carrier(request, state).await?;
    let token = manage_token(request);
    if carrier_key.is_none() && token.is_none() {
        return Err(ApiError::TokenRequired);
    }
    // A carrier reaches its own bookings only; anyone else needs the booking's manage token.
    // Either way someone else's booking looks like an unknown code.
    find_booking_where(state, code, |b| match (&carrier_key, &token) {
        (Some(key), _) => b.carrier == Some(key.id),
        (None, Some(token)) => ManageToken::verify(token, &b.manage_token_digest),
        (None, None) => false,
    })
    .await
}

/// The booking a code and its manage token open, as the store has it durably.
pub async fn find_managed(
    state: &AppState,
    code: &str,
    token: &str,
) -> Result<(Booking, Arc<Checkpoint>), ApiError> {
    find_booking_where(state, code, |b| {
        ManageToken::verify(token, &b.manage_token_digest)
    })
    .await
}

async fn find_booking_where(
    state: &AppState,
    code: &str,
    may_open: impl Fn(&Booking) -> bool,
) -> Result<(Booking, Arc<Checkpoint>), ApiError> {
    let code = BookingCode::parse(code).map_err(|_| ApiError::NotFound("booking"))?;
    let booking = state
        .store
        .find_booking(&code)
        .await?
        .filter(|b| may_open(b))
        .ok_or(ApiError::NotFound("booking"))?;
    let checkpoint = state
        .checkpoint(&booking.checkpoint)
        .map_err(|_| ApiError::NotFound("booking"))?;
    Ok((booking, checkpoint))
}

//! `/api/v1/bookings`: hold, confirm, read, move and cancel a booking.
//!
//! Managing a booking takes its code and the manage token returned when it was made (header
//! `X-Manage-Token`, `Authorization: Bearer`, or `?token=` in a link), or the OpenID Connect
//! provider's access token of its owner (or of a carrier organisation that sees it). A wrong
//! token answers exactly like an unknown code, so codes cannot be probed. A booking made with
//! the provider's access token belongs to that person from the start.

use std::future::Future;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::account;
use super::carrier::carrier;
use super::draws::EntryView;
use super::idempotency::{Reply, run_idempotent};
use super::openapi::params::{BookingCodePath, IdempotencyHeader, ManageTokenHeader};
use super::views::BookingView;
use crate::actors::answer::AnswerTicket;
use crate::app::AppState;
use crate::app::accounts::find_owned;
use crate::app::bookings::{
    Booked, LaneKey, MadeBooking, NewBooking, Requester, booking_code, cancel_booking,
    confirm_booking, create_booking, find_booking_where, find_managed, record_booked_outcome,
    reschedule_booking,
};
use crate::app::error::{ApiError, Problem};
use crate::app::input::{parse_instant, parse_json, parse_priority};
use crate::domain::token::ManageToken;
use crate::domain::{
    Booking, Category, Checkpoint, CheckpointId, Contact, Direction, InputError, Plate,
    PriorityClass,
};

/// The body of `POST /bookings`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateBooking {
    #[schema(value_type = CheckpointId)]
    checkpoint: String,
    #[schema(value_type = Direction)]
    direction: String,
    #[schema(value_type = Category)]
    category: String,
    #[schema(format = DateTime)]
    window_start: String,
    #[schema(value_type = Option<Plate>)]
    plate: Option<String>,
    /// An e-mail address or a phone number.
    #[schema(examples("+372 5555 1234"))]
    contact: Option<String>,
    #[schema(value_type = Option<PriorityClass>)]
    priority: Option<String>,
    #[serde(default)]
    #[schema(default = false)]
    confirm: bool,
}

impl CreateBooking {
    fn parse(self) -> Result<NewBooking, InputError> {
        let lane = LaneKey::parse(&self.checkpoint, &self.direction, &self.category)?;
        Ok(NewBooking {
            plate: self.plate.as_deref().map(Plate::parse).transpose()?,
            contact: self.contact.as_deref().map(Contact::parse).transpose()?,
            priority: parse_priority(self.priority.as_deref())?,
            confirm: self.confirm,
            ..NewBooking::hold(lane, &self.window_start)?
        })
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ConfirmBooking {
    #[schema(value_type = Option<Plate>)]
    plate: Option<String>,
    /// An e-mail address or a phone number.
    contact: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RescheduleBooking {
    #[schema(format = DateTime)]
    window_start: String,
}

#[utoipa::path(post, path = "/api/v1/bookings", operation_id = "createBooking", tag = "bookings",
    summary = "Hold a window (and confirm at once with \"confirm\": true)",
    params(IdempotencyHeader),
    request_body = CreateBooking,
    responses(
        (status = 201, body = BookingView,
            description = "Held or confirmed; carries the manage token, shown only here"),
        (status = 202, body = EntryView,
            headers(("Location" = String, description = "Where the outcome is to be asked for")),
            description = "The day is opening: the request entered its draw (its Location, links.poll, answers the outcome once the draw has run); carries the manage token, shown only here"),
        (status = 401, response = Problem),
        (status = 403, response = Problem),
    ))]
#[tracing::instrument(name = "Create booking", skip_all)]
pub async fn create(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    run_idempotent(&request, &state, &body, booked_reply, |answer| async {
        let client = request.peer_addr().map(|address| address.ip());
        let input: Result<CreateBooking, ApiError> = parse_json(&body);
        let checkpoint = checkpoint_label(&state, &body, input.as_ref().ok());
        let outcome = async {
            // A key that is not a live one is said before anything about the body.
            let carrier = carrier(&request, &state).await?;
            let owner = account(&request, &state).await?;
            let input = input?.parse()?;
            let requester = Requester {
                address: client,
                carrier,
                owner: owner.map(|identity| identity.as_owner()),
            };
            create_booking(&state, input, requester, answer).await
        }
        .await;
        record_booked_outcome(checkpoint, &outcome);
        outcome
    })
    .await
}

/// `201` with the booking, or `202` with the draw entry to poll (its `Location`).
fn booked_reply(booked: &Booked) -> Result<Reply, ApiError> {
    match booked {
        Booked::Made(made) => made_booking_reply(made),
        Booked::Entered(entered) => {
            let mut view = EntryView::new(&entered.entry, &entered.checkpoint, entered.times, None);
            view.manage_token = Some(entered.manage_token.clone());
            Reply::json(StatusCode::ACCEPTED, &view)
        }
    }
}

/// Runs a request that makes a booking at most once per idempotency key, answered with the
/// booking and its manage token, which is shown only then.
pub async fn run_making_booking<F, Fut>(
    request: &HttpRequest,
    state: &AppState,
    body: &[u8],
    work: F,
) -> HttpResponse
where
    F: FnOnce(Option<AnswerTicket>) -> Fut,
    Fut: Future<Output = Result<MadeBooking, ApiError>>,
{
    run_idempotent(request, state, body, made_booking_reply, work).await
}

fn made_booking_reply(made: &MadeBooking) -> Result<Reply, ApiError> {
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

#[utoipa::path(post, path = "/api/v1/bookings/{code}/confirm", operation_id = "confirmBooking",
    tag = "bookings", summary = "Confirm a hold with plate and contact",
    params(BookingCodePath, ManageTokenHeader, IdempotencyHeader),
    request_body = Option<ConfirmBooking>,
    responses(
        (status = 200, body = BookingView, description = "Confirmed"),
        (status = 401, response = Problem),
        (status = 410, response = Problem),
    ))]
#[tracing::instrument(name = "Confirm booking", skip_all)]
pub async fn confirm(
    request: HttpRequest,
    code: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let confirm = async |booking, _, answer| {
        let input: ConfirmBooking = parse_json(&body)?;
        let plate = input.plate.as_deref().map(Plate::parse).transpose()?;
        let contact = input.contact.as_deref().map(Contact::parse).transpose()?;
        confirm_booking(&state, &booking, plate, contact, answer).await
    };
    change_managed(&request, &state, &code, &body, confirm).await
}

#[utoipa::path(post, path = "/api/v1/bookings/{code}/reschedule", operation_id = "rescheduleBooking",
    tag = "bookings",
    summary = "Move a booking to another window; the original stays if the move fails",
    params(BookingCodePath, ManageTokenHeader, IdempotencyHeader),
    request_body = RescheduleBooking,
    responses(
        (status = 200, body = BookingView, description = "Moved"),
        (status = 401, response = Problem),
        (status = 410, response = Problem),
    ))]
#[tracing::instrument(name = "Reschedule booking", skip_all)]
pub async fn reschedule(
    request: HttpRequest,
    code: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let reschedule = async |booking, checkpoint: Arc<Checkpoint>, answer| {
        let input: RescheduleBooking = parse_json(&body)?;
        let start = parse_instant("window_start", &input.window_start)?;
        reschedule_booking(&state, &booking, &checkpoint, start, answer).await
    };
    change_managed(&request, &state, &code, &body, reschedule).await
}

#[utoipa::path(post, path = "/api/v1/bookings/{code}/accept-move", operation_id = "acceptMove",
    tag = "bookings",
    summary = "Keep the window the checkpoint moved the booking to when it closed the booking's window (reslotted_from is set until then)",
    params(BookingCodePath, ManageTokenHeader, IdempotencyHeader),
    responses(
        (status = 200, body = BookingView, description = "Kept; reslotted_from is null"),
        (status = 401, response = Problem),
        (status = 410, response = Problem),
    ))]
#[tracing::instrument(name = "Keep the window the checkpoint moved a booking to", skip_all)]
pub async fn accept_move(
    request: HttpRequest,
    code: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    change_managed(&request, &state, &code, &[], async |booking, _, answer| {
        crate::app::reslot::accept_reslot(&state, &booking, answer).await
    })
    .await
}

#[utoipa::path(delete, path = "/api/v1/bookings/{code}", operation_id = "cancelBooking",
    tag = "bookings", summary = "Cancel a booking",
    params(BookingCodePath, ManageTokenHeader, IdempotencyHeader),
    responses(
        (status = 200, body = BookingView, description = "Cancelled"),
        (status = 401, response = Problem),
        (status = 410, response = Problem),
    ))]
#[tracing::instrument(name = "Cancel booking", skip_all)]
pub async fn cancel(
    request: HttpRequest,
    code: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    change_managed(&request, &state, &code, &[], async |booking, _, answer| {
        cancel_booking(&state, &booking, answer).await
    })
    .await
}

/// Changes the booking a code and manage token open and answers with the booking as it is
/// then. The booking is found before the body is read, so a stranger learns nothing about
/// what the body should hold.
async fn change_managed(
    request: &HttpRequest,
    state: &web::Data<AppState>,
    code: &str,
    body: &[u8],
    change: impl AsyncFnOnce(
        Booking,
        Arc<Checkpoint>,
        Option<AnswerTicket>,
    ) -> Result<Booking, ApiError>,
) -> HttpResponse {
    let reply = booking_reply(state.clone(), StatusCode::OK);
    run_idempotent(request, state, body, reply, |answer| async move {
        let (booking, checkpoint) = load_managed(request, state, code).await?;
        change(booking, checkpoint, answer).await
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/bookings/{code}", operation_id = "getBooking", tag = "bookings",
    summary = "Read a booking",
    params(BookingCodePath, ManageTokenHeader),
    responses(
        (status = 200, body = BookingView, description = "The booking"),
        (status = 401, response = Problem),
    ))]
#[tracing::instrument(name = "Read booking", skip_all)]
pub async fn read(
    request: HttpRequest,
    code: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (booking, checkpoint) = load_managed(&request, &state, &code).await?;
    Ok(HttpResponse::Ok().json(BookingView::new(&booking, checkpoint.time_zone)))
}

#[utoipa::path(get, path = "/api/v1/bookings/{code}.ics", operation_id = "bookingCalendar",
    tag = "bookings", summary = "The booking as an iCalendar file",
    params(BookingCodePath, ManageTokenHeader),
    responses(
        (status = 200, body = String, content_type = "text/calendar",
            description = "An attachment named booking-<code>.ics"),
        (status = 401, response = Problem),
    ))]
#[tracing::instrument(name = "Read booking as a calendar file", skip_all)]
pub async fn calendar(
    request: HttpRequest,
    code: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (booking, checkpoint) = load_managed(&request, &state, &code).await?;
    let body = super::ics::render(&booking, &checkpoint, state.policy(), state.now());
    Ok(HttpResponse::Ok()
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
        .body(body))
}

pub(super) fn manage_token(request: &HttpRequest) -> Option<String> {
    let headers = request.headers();
    if let Some(token) = headers.get("x-manage-token").and_then(|v| v.to_str().ok()) {
        return Some(token.trim().to_owned());
    }
    // A JWT or a carrier key is someone's credential, never a booking's manage token.
    if let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .filter(|token| !token.contains('.') && !token.starts_with("bsk_"))
    {
        return Some(token.trim().to_owned());
    }
    web::Query::<std::collections::HashMap<String, String>>::from_query(request.query_string())
        .ok()
        .and_then(|query| query.get("token").cloned())
}

/// The booking a code and manage token open, as the store has it durably.
pub(super) async fn load_managed(
    request: &HttpRequest,
    state: &AppState,
    code: &str,
) -> Result<(Booking, Arc<Checkpoint>), ApiError> {
    let carrier_key = carrier(request, state).await?;
    let token = manage_token(request);
    if let Some(owner) = account(request, state).await? {
        // The owner's token opens the booking; so does its manage token, sent as well.
        let owned = find_owned(state, &owner, code).await;
        return match (owned, &token) {
            (Err(ApiError::NotFound(_)), Some(token)) => {
                find_managed(state, &booking_code(code)?, token).await
            }
            (owned, _) => owned,
        };
    }
    if carrier_key.is_none() && token.is_none() {
        return Err(ApiError::TokenRequired);
    }
    // A carrier reaches its own bookings only; anyone else needs the booking's manage token.
    // Either way someone else's booking looks like an unknown code.
    find_booking_where(state, &booking_code(code)?, |b| {
        match (&carrier_key, &token) {
            (Some(key), _) => b.carrier == Some(key.id),
            (None, Some(token)) => ManageToken::verify(token, &b.manage_token_digest),
            (None, None) => false,
        }
    })
    .await
}

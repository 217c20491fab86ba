//! Opening draws in the API: an entry's state (`GET /api/v1/draw-entries/{id}`, the `Location`
//! of a `202` to `POST /bookings`), which answers `pending` until the draw has run and then the
//! booking or the refusal; and a draw's public log (`GET /api/v1/checkpoints/{id}/draws`), from
//! which anyone can recompute the order.

use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::bookings::manage_token;
use super::carrier::carrier;
use super::openapi::params::{CheckpointPath, ManageTokenHeader};
use super::views::BookingView;
use crate::app::AppState;
use crate::app::draws::DrawLogs;
use crate::app::draws::{DrawTimesView, draw_logs, find_entry, refusal_problem, window_end};
use crate::app::error::ApiError;
use crate::app::error::Problem;
use crate::app::input::{parse_date, parse_query};
use crate::app::local_times::WindowTimes;
use crate::domain::draw::{Admission, DrawEntry, DrawTimes};
use crate::domain::token::ManageToken;
use crate::domain::{Booking, Checkpoint, CheckpointId, InputError};
use crate::domain::{Category, Direction, PriorityClass};

/// The longest a poll waits for the outcome (`?wait=`).
pub const WAIT_SECONDS_MAX: u64 = 25;
const POLL_PAUSE: Duration = Duration::from_millis(250);

/// Where an entry stands, as `EntryView::status` spells it.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[expect(dead_code, reason = "describes the values of `EntryView::status`")]
enum EntryStatus {
    Pending,
    Admitted,
    Refused,
}

/// An entry of an opening draw: what it asked for, where the draw stands, and once drawn its
/// place in the order and the booking or the refusal it got.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DrawEntry)]
pub struct EntryView {
    /// The pseudonymous entrant id the draw log names.
    #[schema(value_type = String, format = "uuid")]
    pub id: Uuid,
    /// `pending` until the draw has run, then `admitted` or `refused`.
    #[schema(value_type = EntryStatus)]
    pub status: &'static str,
    #[schema(value_type = CheckpointId)]
    pub checkpoint: String,
    pub day: NaiveDate,
    #[schema(value_type = Direction)]
    pub direction: &'static str,
    #[schema(value_type = Category)]
    pub category: &'static str,
    pub window: WindowTimes,
    pub plate: Option<String>,
    pub contact: Option<String>,
    #[schema(value_type = PriorityClass)]
    pub priority: &'static str,
    pub confirm: bool,
    pub entered_at: DateTime<Utc>,
    pub draw: DrawTimesView,
    /// The entrant's place in the draw's order (1 first), once drawn.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub position: Option<u32>,
    /// The booking the entrant got (its manage token is the entry's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub booking: Option<BookingView>,
    /// Why the entrant got no booking: the problem a booking request would have got.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Problem>)]
    pub refusal: Option<Value>,
    pub links: EntryLinks,
    /// Shown once, when the entry is made: it manages the entry and the booking it may become.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manage_token: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DrawEntryLinks)]
pub struct EntryLinks {
    #[serde(rename = "self")]
    pub this: String,
    /// Where to ask for the outcome (the `Location` of the `202`).
    pub poll: String,
    /// The draw's public log.
    pub draw_log: String,
    /// The booking, once admitted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub booking: Option<String>,
}

pub fn entry_path(id: Uuid) -> String {
    format!("/api/v1/draw-entries/{id}")
}

pub fn log_path(checkpoint: &CheckpointId, day: NaiveDate) -> String {
    format!("/api/v1/checkpoints/{checkpoint}/draws?date={day}")
}

impl EntryView {
    pub fn new(
        entry: &DrawEntry,
        checkpoint: &Checkpoint,
        times: DrawTimes,
        booking: Option<&Booking>,
    ) -> Self {
        let (status, refusal) = match entry.outcome.as_ref().map(|o| &o.admission) {
            None => ("pending", None),
            Some(Admission::Admitted { .. }) => ("admitted", None),
            Some(Admission::Refused(refusal)) => ("refused", Some(refusal_problem(refusal))),
        };
        let path = entry_path(entry.id);
        let booking = booking.map(|b| BookingView::new(b, checkpoint.time_zone));
        Self {
            id: entry.id,
            status,
            checkpoint: entry.checkpoint.to_string(),
            day: entry.day,
            direction: entry.window.direction.as_str(),
            category: entry.window.category.as_str(),
            window: WindowTimes::new(
                entry.window.start,
                window_end(checkpoint, entry),
                checkpoint.time_zone,
            ),
            plate: entry.plate.as_ref().map(ToString::to_string),
            contact: entry.contact.as_ref().map(|c| c.as_str().to_owned()),
            priority: entry.priority.as_str(),
            confirm: entry.confirm,
            entered_at: entry.entered_at,
            draw: DrawTimesView::new(times, checkpoint),
            position: entry.outcome.as_ref().map(|o| o.position),
            links: EntryLinks {
                this: path.clone(),
                poll: path,
                draw_log: log_path(&entry.checkpoint, entry.day),
                booking: booking.as_ref().map(|b| b.links.this.clone()),
            },
            booking,
            refusal,
            manage_token: None,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct EntryQuery {
    /// Seconds to wait for the outcome while the entry is pending (long polling).
    #[param(value_type = Option<u32>, minimum = 0, maximum = 25)]
    wait: Option<String>,
    /// The manage token, as in a link.
    #[expect(
        dead_code,
        reason = "read by `manage_token` with the header and the bearer"
    )]
    token: Option<String>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[expect(dead_code, reason = "describes the `{id}` of an entry's path")]
struct EntryPath {
    #[param(value_type = String, format = "uuid")]
    id: String,
}

#[utoipa::path(get, path = "/api/v1/draw-entries/{id}", operation_id = "getDrawEntry",
    tag = "bookings",
    summary = "An entry of an opening draw: pending until the draw has run (a due draw is run first), then the booking it got or why not",
    params(EntryPath, ManageTokenHeader, EntryQuery),
    responses(
        (status = 200, body = EntryView, description = "The entry; Retry-After while pending"),
        (status = 401, response = Problem),
    ))]

/// `GET /api/v1/draw-entries/{id}`: the entry with its manage token (or the carrier's key that
/// made it). Pending until the draw has run; a draw whose period is over is run first. With
/// `?wait=N` a pending entry is answered when its outcome is known or after N seconds.
#[tracing::instrument(name = "Read a draw entry", skip_all)]
pub async fn entry(
    request: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query: EntryQuery = parse_query(request.query_string())?;
    let wait = match query.wait.as_deref().filter(|raw| !raw.is_empty()) {
        None => 0,
        Some(raw) => raw
            .parse::<u64>()
            .ok()
            .filter(|seconds| *seconds <= WAIT_SECONDS_MAX)
            .ok_or_else(|| InputError::new("wait", format!("0 to {WAIT_SECONDS_MAX} seconds")))?,
    };
    let carrier_key = carrier(&request, &state).await?;
    let token = manage_token(&request);
    if carrier_key.is_none() && token.is_none() {
        return Err(ApiError::TokenRequired);
    }
    let may_open = |entry: &DrawEntry| match (&carrier_key, &token) {
        (Some(key), _) => entry.carrier == Some(key.id),
        (None, Some(token)) => ManageToken::verify(token, &entry.manage_token_digest),
        (None, None) => false,
    };
    let until = tokio::time::Instant::now() + Duration::from_secs(wait);
    let (entry, draw, checkpoint) = loop {
        let found = find_entry(&state, &id, &may_open).await?;
        if found.0.outcome.is_some() || tokio::time::Instant::now() >= until {
            break found;
        }
        tokio::time::sleep(POLL_PAUSE.min(until - tokio::time::Instant::now())).await;
    };
    let booking = match entry.outcome.as_ref().map(|o| &o.admission) {
        Some(Admission::Admitted { code }) => state.store.find_booking(code).await?,
        _ => None,
    };
    let view = EntryView::new(&entry, &checkpoint, draw.times, booking.as_ref());
    let mut response = HttpResponse::Ok();
    response.insert_header((header::CACHE_CONTROL, "no-store"));
    if entry.outcome.is_none() {
        // Ask again when the draw closes (at once when it is running).
        let seconds = (draw.times.closes_at - state.now())
            .num_seconds()
            .clamp(1, 60);
        response.insert_header((header::RETRY_AFTER, seconds.to_string()));
    }
    Ok(response.json(view))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct LogQuery {
    /// The local day whose opening draw to show; without it, the latest draws that have run.
    #[param(value_type = Option<NaiveDate>)]
    date: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/checkpoints/{id}/draws", operation_id = "drawLogs",
    tag = "checkpoints",
    summary = "Public log of opening draws: seed, entrants (pseudonymous entry ids only) and the order, so anyone can recompute it (see rule)",
    params(CheckpointPath, LogQuery),
    responses((status = 200, body = DrawLogs, description = "Draw logs")))]

/// `GET /api/v1/checkpoints/{id}/draws`: the public log of the draw that opens `date`, or of
/// the latest draws that have run. Entrants appear by their pseudonymous entry ids only.
#[tracing::instrument(name = "Read draw logs", skip_all)]
pub async fn logs(
    request: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let checkpoint_id = CheckpointId::parse(&id).map_err(|_| ApiError::NotFound("checkpoint"))?;
    let checkpoint = state
        .checkpoint(&checkpoint_id)
        .map_err(|_| ApiError::NotFound("checkpoint"))?;
    let query: LogQuery = parse_query(request.query_string())?;
    let day = query
        .date
        .as_deref()
        .map(|raw| parse_date("date", raw))
        .transpose()?;
    let logs = draw_logs(&state, &checkpoint, day).await?;
    Ok(HttpResponse::Ok().json(logs))
}

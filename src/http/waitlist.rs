//! `/api/v1/waitlist`: wait for a place in windows that are full, see where one stands, accept
//! or decline a place offered, leave.
//!
//! An entry is opened with the token returned when it was made (header `X-Manage-Token`,
//! `Authorization: Bearer`, or `?token=` in a link, as for a booking); a wrong token answers
//! exactly like an unknown entry. Joining from a booking (for an earlier window) names the
//! booking's code in the body and sends the booking's manage token.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::bookings::{load_managed, manage_token};
use super::carrier::carrier;
use super::idempotency::{Reply, run_idempotent};
use super::openapi::params::IdempotencyHeader;
use super::views::BookingView;
use crate::actors::answer::AnswerTicket;
use crate::app::AppState;
use crate::app::bookings::{LaneKey, Requester};
use crate::app::error::ApiError;
use crate::app::error::Problem;
use crate::app::input::{parse_instant, parse_json, parse_priority};
use crate::app::local_times::WindowTimes;
use crate::app::waitlist::{
    AcceptedOffer, JoinedWaitlist, NewEntry, accept_offer, decline_offer, entry_id, find_entry,
    join_waitlist, leave_waitlist,
};
use crate::domain::{
    Category, Checkpoint, CheckpointId, Contact, Direction, InputError, Plate, PriorityClass,
    WaitRange, WaitlistEntry, WaitlistStanding,
};

/// The body of `POST /waitlist`: either checkpoint, direction, category, plate and contact, or
/// booking (a code, with the booking's manage token); and either window_starts or from and to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = JoinWaitlist)]
struct JoinBody {
    #[schema(value_type = Option<CheckpointId>)]
    checkpoint: Option<String>,
    #[schema(value_type = Option<Direction>)]
    direction: Option<String>,
    #[schema(value_type = Option<Category>)]
    category: Option<String>,
    /// The windows to wait for, by their starts…
    #[schema(value_type = Option<Vec<DateTime<Utc>>>, min_items = 1)]
    window_starts: Option<Vec<String>>,
    /// …or every window starting in `[from, to)`.
    #[schema(format = DateTime)]
    from: Option<String>,
    #[schema(format = DateTime)]
    to: Option<String>,
    #[schema(value_type = Option<Plate>)]
    plate: Option<String>,
    #[schema(examples("driver@example.com"))]
    contact: Option<String>,
    #[schema(value_type = Option<PriorityClass>)]
    priority: Option<String>,
    /// The code of the driver's booking, to wait for an earlier window (with its manage token).
    #[schema(examples("ABCD-2345"))]
    booking: Option<String>,
}

/// Where a waitlist entry stands, as `WaitlistView::status` spells it.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[expect(dead_code, reason = "describes the values of `WaitlistView::status`")]
enum EntryStatus {
    Waiting,
    Offered,
    Accepted,
    Expired,
    Declined,
    Left,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[expect(dead_code, reason = "describes the `{id}` of an entry's path")]
struct EntryPath {
    #[param(value_type = String, format = "uuid")]
    id: String,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[expect(dead_code, reason = "describes the header `manage_token` reads")]
struct EntryTokenHeader {
    /// The token returned when the entry was made (also in the link of an offer's
    /// notification); `Authorization: Bearer` or `?token=` work too.
    #[param(rename = "X-Manage-Token")]
    token: Option<String>,
}

fn required<'a>(value: &'a Option<String>, field: &'static str) -> Result<&'a str, InputError> {
    value
        .as_deref()
        .ok_or_else(|| InputError::new(field, "required"))
}

impl JoinBody {
    fn range(&self) -> Result<WaitRange, InputError> {
        match (&self.window_starts, &self.from, &self.to) {
            (Some(starts), None, None) => WaitRange::windows(
                starts
                    .iter()
                    .map(|s| parse_instant("window_starts", s))
                    .collect::<Result<_, _>>()?,
            ),
            (None, Some(from), Some(to)) => {
                WaitRange::between(parse_instant("from", from)?, parse_instant("to", to)?)
            }
            _ => Err(InputError::new(
                "window_starts",
                "name the windows (window_starts) or a time range (from and to)",
            )),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = WaitlistRange)]
pub struct RangeView {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub window_starts: Vec<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = WaitlistOffer)]
pub struct OfferView {
    pub window: WindowTimes,
    pub expires_at: DateTime<Utc>,
    pub offered_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = WaitlistLinks)]
pub struct WaitlistLinks {
    #[serde(rename = "self")]
    pub this: String,
    pub accept: String,
    pub decline: String,
    pub page: String,
}

/// An entry as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = WaitlistEntry)]
pub struct WaitlistView {
    #[schema(format = "uuid")]
    pub id: String,
    #[schema(value_type = EntryStatus)]
    pub status: &'static str,
    #[schema(value_type = CheckpointId)]
    pub checkpoint: String,
    #[schema(format = Date)]
    pub day: String,
    #[schema(value_type = Direction)]
    pub direction: &'static str,
    #[schema(value_type = Category)]
    pub category: &'static str,
    pub plate: String,
    pub contact: String,
    #[schema(value_type = PriorityClass)]
    pub priority: &'static str,
    pub range: RangeView,
    /// 1 for the entry served next among its lane's waiting entries; only while waiting.
    #[schema(value_type = Option<u32>, minimum = 1)]
    pub position: Option<usize>,
    /// Entries of the day waiting or holding an offer now (while the entry is active).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<u32>)]
    pub waiting: Option<usize>,
    pub offer: Option<OfferView>,
    /// The code of the booking offered or made (or, from a booking, its own code once moved).
    pub booking_code: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub links: WaitlistLinks,
    /// Shown when the entry is made; the offer's notification carries it in its link too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl WaitlistView {
    pub fn new(standing: &WaitlistStanding, tz: Tz) -> Self {
        let entry = &standing.entry;
        let base = format!("/api/v1/waitlist/{}", entry.id);
        Self {
            id: entry.id.to_string(),
            status: entry.status.as_str(),
            checkpoint: entry.checkpoint.to_string(),
            day: entry.day.to_string(),
            direction: entry.direction.as_str(),
            category: entry.category.as_str(),
            plate: entry.plate.to_string(),
            contact: entry.contact.as_str().to_owned(),
            priority: entry.priority.as_str(),
            range: RangeView {
                from: entry.range.from,
                to: entry.range.to,
                window_starts: entry.range.starts.clone(),
            },
            position: standing.position,
            waiting: entry.status.is_active().then_some(standing.active),
            offer: entry
                .offer
                .as_ref()
                .filter(|_| entry.status == crate::domain::WaitlistStatus::Offered)
                .map(|offer| OfferView {
                    window: WindowTimes::new(offer.window_start, offer.window_end, tz),
                    expires_at: offer.expires_at,
                    offered_at: offer.offered_at,
                }),
            booking_code: entry.code.as_ref().map(ToString::to_string),
            version: entry.version,
            created_at: entry.created_at,
            updated_at: entry.updated_at,
            links: WaitlistLinks {
                accept: format!("{base}/accept"),
                decline: format!("{base}/decline"),
                page: format!("/waitlist/{}", entry.id),
                this: base,
            },
            token: None,
        }
    }

    fn of_entry(entry: &WaitlistEntry, tz: Tz) -> Self {
        Self::new(
            &WaitlistStanding {
                entry: entry.clone(),
                position: None,
                active: 0,
            },
            tz,
        )
    }
}

/// The answer to an accepted offer: the entry and the booking.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AcceptedOffer)]
struct AcceptedView {
    entry: WaitlistView,
    booking: BookingView,
}

#[utoipa::path(post, path = "/api/v1/waitlist", operation_id = "joinWaitlist", tag = "waitlist",
    summary = "Wait for a place in windows that are full: named windows (window_starts) or every window starting in [from, to) of one day and lane. A place that frees up is offered to the first waiting driver as a short hold; from a booking (its code and manage token), an earlier window of its day, keeping the booking until the offer is accepted",
    params(IdempotencyHeader),
    request_body = JoinBody,
    responses(
        (status = 201, body = WaitlistView, description = "Waiting; carries the entry's token, which opens it"),
        (status = 401, response = Problem),
        (status = 403, response = Problem),
    ))]
#[tracing::instrument(name = "Join the waitlist", skip_all)]
pub async fn join(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    run_idempotent(&request, &state, &body, joined_reply, |answer| async {
        let carrier_key = carrier(&request, &state).await?;
        let input: JoinBody = parse_json(&body)?;
        let booking = match &input.booking {
            Some(code) => Some(load_managed(&request, &state, code).await?.0),
            None => None,
        };
        let range = input.range()?;
        let entry = match &booking {
            Some(booking) => NewEntry {
                lane: LaneKey {
                    checkpoint: booking.checkpoint.clone(),
                    direction: booking.direction,
                    category: booking.category,
                },
                range,
                plate: booking
                    .plate
                    .clone()
                    .ok_or_else(|| InputError::new("booking", "the booking has no plate"))?,
                contact: match input.contact.as_deref() {
                    Some(raw) => Contact::parse(raw)?,
                    None => booking
                        .contact
                        .clone()
                        .ok_or_else(|| InputError::new("contact", "required"))?,
                },
                priority: booking.priority,
                booking: Some(booking.clone()),
            },
            None => NewEntry {
                lane: LaneKey::parse(
                    required(&input.checkpoint, "checkpoint")?,
                    required(&input.direction, "direction")?,
                    required(&input.category, "category")?,
                )?,
                range,
                plate: Plate::parse(required(&input.plate, "plate")?)?,
                contact: Contact::parse(required(&input.contact, "contact")?)?,
                priority: parse_priority(input.priority.as_deref())?,
                booking: None,
            },
        };
        let requester = Requester {
            address: request.peer_addr().map(|address| address.ip()),
            carrier: carrier_key,
            // An entry keeps no account: its booking is claimed with its code and token.
            owner: None,
        };
        join_waitlist(&state, entry, requester, answer).await
    })
    .await
}

fn joined_reply(joined: &JoinedWaitlist) -> Result<Reply, ApiError> {
    let mut view = WaitlistView::new(&joined.standing, joined.checkpoint.time_zone);
    view.token = Some(joined.token.clone());
    Reply::json(StatusCode::CREATED, &view)
}

/// The entry a path and token open.
async fn load_entry(
    request: &HttpRequest,
    state: &AppState,
    id: &str,
) -> Result<(WaitlistStanding, std::sync::Arc<Checkpoint>), ApiError> {
    let token = manage_token(request).ok_or(ApiError::TokenRequired)?;
    find_entry(state, entry_id(id)?, &token).await
}

#[utoipa::path(get, path = "/api/v1/waitlist/{id}", operation_id = "getWaitlistEntry",
    tag = "waitlist",
    summary = "Read a waitlist entry: its status, position, and the offer while one is held",
    params(EntryPath, EntryTokenHeader),
    responses(
        (status = 200, body = WaitlistView, description = "The entry"),
        (status = 401, response = Problem),
    ))]
#[tracing::instrument(name = "Read waitlist entry", skip_all)]
pub async fn read(
    request: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (standing, checkpoint) = load_entry(&request, &state, &id).await?;
    Ok(HttpResponse::Ok().json(WaitlistView::new(&standing, checkpoint.time_zone)))
}

#[utoipa::path(post, path = "/api/v1/waitlist/{id}/accept", operation_id = "acceptWaitlistOffer",
    tag = "waitlist",
    summary = "Take the place offered: it becomes a confirmed booking managed with the entry's token, or the entry's booking moves into it and gives its old window back",
    params(EntryPath, EntryTokenHeader, IdempotencyHeader),
    responses(
        (status = 200, body = AcceptedView, description = "Accepted"),
        (status = 401, response = Problem),
        (status = 410, response = Problem),
    ))]
#[tracing::instrument(name = "Accept waitlist offer", skip_all)]
pub async fn accept(
    request: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let token = manage_token(&request);
    let reply = move |accepted: &AcceptedOffer| {
        let tz = accepted.checkpoint.time_zone;
        let mut booking = BookingView::new(&accepted.booking, tz);
        // A booking made from the entry is managed with the entry's token.
        if accepted.entry.booking.is_none() {
            booking.manage_token = token.clone();
        }
        Reply::json(
            StatusCode::OK,
            &AcceptedView {
                entry: WaitlistView::of_entry(&accepted.entry, tz),
                booking,
            },
        )
    };
    run_idempotent(&request, &state, &[], reply, |answer| async {
        let (standing, checkpoint) = load_entry(&request, &state, &id).await?;
        accept_offer(&state, &standing.entry, checkpoint, answer).await
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/waitlist/{id}/decline", operation_id = "declineWaitlistOffer",
    tag = "waitlist",
    summary = "Turn the place offered down; it goes to the next waiting driver and the entry ends",
    params(EntryPath, EntryTokenHeader, IdempotencyHeader),
    responses(
        (status = 200, body = WaitlistView, description = "Declined"),
        (status = 401, response = Problem),
        (status = 410, response = Problem),
    ))]
#[tracing::instrument(name = "Decline waitlist offer", skip_all)]
pub async fn decline(
    request: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    change_entry(&request, &state, &id, async |state, entry, answer| {
        decline_offer(state, entry, answer).await
    })
    .await
}

#[utoipa::path(delete, path = "/api/v1/waitlist/{id}", operation_id = "leaveWaitlist",
    tag = "waitlist",
    summary = "Leave the waitlist; an offer held goes to the next waiting driver",
    params(EntryPath, EntryTokenHeader, IdempotencyHeader),
    responses(
        (status = 200, body = WaitlistView, description = "Left"),
        (status = 401, response = Problem),
        (status = 410, response = Problem),
    ))]
#[tracing::instrument(name = "Leave the waitlist", skip_all)]
pub async fn leave(
    request: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    change_entry(&request, &state, &id, async |state, entry, answer| {
        leave_waitlist(state, entry, answer).await
    })
    .await
}

async fn change_entry(
    request: &HttpRequest,
    state: &web::Data<AppState>,
    id: &str,
    change: impl AsyncFnOnce(
        &AppState,
        &WaitlistEntry,
        Option<AnswerTicket>,
    ) -> Result<WaitlistEntry, ApiError>,
) -> HttpResponse {
    let zones = state.clone();
    let reply = move |entry: &WaitlistEntry| {
        let checkpoint = zones
            .checkpoint(&entry.checkpoint)
            .map_err(|_| ApiError::NotFound("waitlist entry"))?;
        Reply::json(
            StatusCode::OK,
            &WaitlistView::of_entry(entry, checkpoint.time_zone),
        )
    };
    run_idempotent(request, state, &[], reply, |answer| async move {
        let (standing, _) = load_entry(request, state, id).await?;
        change(state, &standing.entry, answer).await
    })
    .await
}

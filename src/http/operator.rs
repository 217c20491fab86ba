//! Operators' routes at the checkpoint: check a vehicle in, register a walk-in, and look a
//! plate's strikes up. The decisions are the use cases' in `app`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::bookings::{booking_reply, run_making_booking};
use super::idempotency::run_idempotent;
use super::openapi::params::{IdempotencyHeader, PlatePath};
use super::views::BookingView;
use crate::app::AppState;
use crate::app::bars::plate_record;
use crate::app::bookings::LaneKey;
use crate::app::check_in::{
    CheckInTarget, WalkIn, booking_to_check_in, check_in_booking, register_walk_in,
};
use crate::app::error::{ApiError, Problem};
use crate::app::input::{parse_json, parse_priority};
use crate::app::staff::Staff;
use crate::auth::StaffRole;
use crate::domain::{Category, CheckpointId, Contact, Direction, InputError, Plate, PriorityClass};

/// A check-in names the booking by its code, or by the checkpoint and the plate (and the
/// direction when the vehicle is booked both ways).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CheckIn)]
struct CheckInBody {
    #[schema(examples("ABCD-2345"))]
    code: Option<String>,
    #[schema(value_type = Option<CheckpointId>)]
    checkpoint: Option<String>,
    #[schema(value_type = Option<Plate>)]
    plate: Option<String>,
    #[schema(value_type = Option<Direction>)]
    direction: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/operator/check-ins", operation_id = "checkIn",
    tag = "operator", security(("bearer" = [])),
    summary = "Operator: check a confirmed booking in by its code, or by checkpoint and plate (a number-plate camera), within the arrival tolerance",
    params(IdempotencyHeader),
    request_body = CheckInBody,
    responses(
        (status = 200, body = BookingView, description = "The booking, arrived"),
        (status = 404, response = Problem),
    ))]
#[tracing::instrument(name = "Check in", skip_all)]
pub async fn check_in(
    request: HttpRequest,
    staff: Staff,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let reply = booking_reply(state.clone(), StatusCode::OK);
    run_idempotent(&request, &state, &body, reply, |answer| async {
        staff.require(&[StaffRole::Operator, StaffRole::Admin])?;
        let input: CheckInBody = parse_json(&body)?;
        let target = CheckInTarget::parse(
            input.code.as_deref(),
            input.checkpoint.as_deref(),
            input.plate.as_deref(),
            input.direction.as_deref(),
        )?;
        let booking = booking_to_check_in(&state, &target).await?;
        check_in_booking(&state, &staff, &booking, answer).await
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = WalkIn)]
struct WalkInBody {
    #[schema(value_type = CheckpointId)]
    checkpoint: String,
    #[schema(value_type = Direction)]
    direction: String,
    #[schema(value_type = Category)]
    category: String,
    #[schema(value_type = Plate)]
    plate: String,
    /// An e-mail address or a phone number.
    contact: Option<String>,
    #[schema(value_type = Option<PriorityClass>)]
    priority: Option<String>,
}

impl WalkInBody {
    fn parse(self) -> Result<WalkIn, InputError> {
        Ok(WalkIn {
            lane: LaneKey::parse(&self.checkpoint, &self.direction, &self.category)?,
            plate: Plate::parse(&self.plate)?,
            contact: self.contact.as_deref().map(Contact::parse).transpose()?,
            priority: parse_priority(self.priority.as_deref())?,
        })
    }
}

#[utoipa::path(post, path = "/api/v1/operator/walk-ins", operation_id = "walkIn",
    tag = "operator", security(("bearer" = [])),
    summary = "Operator: register a vehicle that came without a booking into the next window with a free place, checked in",
    params(IdempotencyHeader),
    request_body = WalkInBody,
    responses((status = 201, body = BookingView, description = "The booking, arrived")))]
#[tracing::instrument(name = "Register a walk-in", skip_all)]
pub async fn walk_in(
    request: HttpRequest,
    staff: Staff,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    run_making_booking(&request, &state, &body, |answer| async {
        staff.require(&[StaffRole::Operator, StaffRole::Admin])?;
        let walk_in = parse_json::<WalkInBody>(&body)?.parse()?;
        register_walk_in(&state, &staff, walk_in, answer).await
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/operator/plates/{plate}", operation_id = "plate",
    tag = "operator", security(("bearer" = [])),
    summary = "Operator: a plate's strikes (no-shows, own cancellations) and whether it is barred from booking",
    params(PlatePath),
    responses(
        (status = 200, description = "strikes and barred_until"),
        (status = 422, response = Problem),
    ))]
#[tracing::instrument(name = "Look a plate up", skip_all)]
pub async fn plate(
    staff: Staff,
    plate: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    staff.require(&[StaffRole::Operator, StaffRole::Admin])?;
    let record = plate_record(&state, &staff, Plate::parse(&plate)?).await?;
    Ok(HttpResponse::Ok().json(record))
}

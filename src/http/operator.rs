//! Operators' routes at the checkpoint: check a vehicle in, register a walk-in, and look a
//! plate's strikes up. The decisions are the use cases' in `app`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::bookings::{booking_reply, run_making_booking};
use super::idempotency::run_idempotent;
use crate::app::AppState;
use crate::app::bars::plate_record;
use crate::app::bookings::LaneKey;
use crate::app::check_in::{
    CheckInTarget, WalkIn, booking_to_check_in, check_in_booking, register_walk_in,
};
use crate::app::error::ApiError;
use crate::app::input::{parse_json, parse_priority};
use crate::app::staff::Staff;
use crate::auth::StaffRole;
use crate::domain::{Contact, InputError, Plate};

/// A check-in names the booking by its code, or by the checkpoint and the plate (and the
/// direction when the vehicle is booked both ways).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckInBody {
    code: Option<String>,
    checkpoint: Option<String>,
    plate: Option<String>,
    direction: Option<String>,
}

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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WalkInBody {
    checkpoint: String,
    direction: String,
    category: String,
    plate: String,
    contact: Option<String>,
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

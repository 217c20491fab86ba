//! Admins' routes: close, open and reserve a day's windows, lift a plate's bar, and read the
//! audit log. The decisions are the use cases' in `app`; here the requests are read and the
//! answers written.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::idempotency::{Reply, run_idempotent};
use crate::app::AppState;
use crate::app::bars::lift_bar as lift;
use crate::app::error::ApiError;
use crate::app::input::{parse_json, parse_query};
use crate::app::staff::{AUDIT_ENTRIES_MAX, Staff, read_audit_log};
use crate::app::windows::{WindowAction, WindowChange, WindowRange, WindowRequest, change_windows};
use crate::auth::StaffRole;
use crate::domain::{CheckpointId, InputError, Plate};

/// The checkpoint an admin's window request names, checked before its body is read so that a
/// role that may not change windows learns nothing about its input.
fn admin_checkpoint(staff: &Staff, id: &str) -> Result<CheckpointId, ApiError> {
    staff.require(&[StaffRole::Admin])?;
    CheckpointId::parse(id).map_err(|_| ApiError::NotFound("checkpoint"))
}

/// What every route that acts on a range of windows reads: the staff member, the checkpoint in
/// the path and the range in the body.
type WindowCall = (
    HttpRequest,
    Staff,
    web::Path<String>,
    web::Bytes,
    web::Data<AppState>,
);

/// The JSON side of every action on a range of windows: an admin, a checkpoint, the range in
/// the body, and the outcome as the answer.
async fn window_action(
    (request, staff, id, body, state): WindowCall,
    action_of: fn(WindowRequest) -> Result<(WindowRange, WindowAction), InputError>,
) -> HttpResponse {
    let reply = |change: &WindowChange| Reply::json(StatusCode::OK, &change.outcome);
    run_idempotent(&request, &state, &body, reply, |answer| async {
        let checkpoint_id = admin_checkpoint(&staff, &id)?;
        let (range, action) = action_of(parse_json(&body)?)?;
        change_windows(&state, &staff, &checkpoint_id, range, action, answer).await
    })
    .await
}

#[tracing::instrument(name = "Block windows", skip_all)]
pub async fn block(call: WindowCall) -> HttpResponse {
    window_action(call, WindowRequest::block).await
}

#[tracing::instrument(name = "Unblock windows", skip_all)]
pub async fn unblock(call: WindowCall) -> HttpResponse {
    window_action(call, WindowRequest::unblock).await
}

#[tracing::instrument(name = "Reserve places", skip_all)]
pub async fn reserve(call: WindowCall) -> HttpResponse {
    window_action(call, WindowRequest::reserve).await
}

#[tracing::instrument(name = "Set places", skip_all)]
pub async fn capacity(call: WindowCall) -> HttpResponse {
    window_action(call, WindowRequest::capacity).await
}

#[tracing::instrument(name = "Lift a bar", skip_all)]
pub async fn lift_bar(
    staff: Staff,
    plate: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    staff.require(&[StaffRole::Admin])?;
    lift(&state, &staff, Plate::parse(&plate)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize)]
struct AuditQuery {
    limit: Option<usize>,
}

#[tracing::instrument(name = "Read audit log", skip_all)]
pub async fn audit_log(
    staff: Staff,
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    staff.require(&[StaffRole::Admin])?;
    let query: AuditQuery = parse_query(request.query_string())?;
    // A program asking for an impossible count is told so; the staff page rounds instead.
    if query
        .limit
        .is_some_and(|limit| !(1..=AUDIT_ENTRIES_MAX).contains(&limit))
    {
        let wanted = format!("a whole number from 1 to {AUDIT_ENTRIES_MAX}");
        return Err(InputError::new("limit", wanted).into());
    }
    let entries = read_audit_log(&state, &staff, query.limit).await?;
    Ok(HttpResponse::Ok().json(json!({ "entries": entries })))
}

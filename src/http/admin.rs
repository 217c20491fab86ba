//! Admins' routes: close, open and reserve a day's windows, lift a plate's bar, and read the
//! audit log. The decisions are the use cases' in `app`; here the requests are read and the
//! answers written.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::idempotency::{Reply, run_idempotent};
use super::openapi::params::{CheckpointPath, IdempotencyHeader, PlatePath};
use crate::app::AppState;
use crate::app::bars::lift_bar as lift;
use crate::app::error::{ApiError, Problem};
use crate::app::input::{parse_json, parse_query};
use crate::app::staff::{AUDIT_ENTRIES_MAX, Staff, read_audit_log};
use crate::app::windows::{WindowAction, WindowChange, WindowRange, WindowRequest, change_windows};
use crate::auth::StaffRole;
use crate::domain::{Category, CheckpointId, Direction, InputError, Plate};

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

/// The body of `…/blocks`. `WindowRequest`, shared with the staff pages' forms, reads the
/// bodies of all three window routes, so the document says per route what each reads.
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "describes the body `WindowRequest` reads for a block"
)]
struct BlockWindows {
    #[schema(format = DateTime)]
    from: String,
    #[schema(format = DateTime)]
    to: String,
    direction: Option<Direction>,
    #[schema(required = false, default = json!([]))]
    categories: Vec<Category>,
    #[schema(min_length = 1, max_length = 500)]
    reason: String,
    #[schema(schema_with = block_modes)]
    mode: Option<String>,
}

/// `BlockMode`'s names; null, like a missing mode, is `free_only`.
fn block_modes() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some([
            json!("free_only"),
            json!("cancel_affected"),
            json!("move_affected"),
            json!(null),
        ]))
        .default(Some(json!("free_only")))
        .build()
}

/// The body of `…/unblocks`.
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "describes the body `WindowRequest` reads for an unblock"
)]
struct UnblockWindows {
    #[schema(format = DateTime)]
    from: String,
    #[schema(format = DateTime)]
    to: String,
    direction: Option<Direction>,
    #[schema(required = false, default = json!([]))]
    categories: Vec<Category>,
}

/// The body of `…/reserved`.
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "describes the body `WindowRequest` reads for reserved places"
)]
struct ReservePlaces {
    #[schema(format = DateTime)]
    from: String,
    #[schema(format = DateTime)]
    to: String,
    direction: Option<Direction>,
    #[schema(required = false, default = json!([]))]
    categories: Vec<Category>,
    /// Places of each window kept for priority classes.
    reserved: u32,
}

#[utoipa::path(post, path = "/api/v1/admin/checkpoints/{id}/blocks", operation_id = "blockWindows",
    tag = "admin", security(("bearer" = [])),
    summary = "Admin: block the windows of one local day in a time range, direction and categories; free_only keeps bookings, cancel_affected cancels them, move_affected moves them to the nearest windows with room (the same day first, then the next; a booking neither can take is cancelled)",
    params(CheckpointPath, IdempotencyHeader),
    request_body = BlockWindows,
    responses((status = 200, description = "The windows blocked")))]
#[tracing::instrument(name = "Block windows", skip_all)]
pub async fn block(call: WindowCall) -> HttpResponse {
    window_action(call, WindowRequest::block).await
}

#[utoipa::path(post, path = "/api/v1/admin/checkpoints/{id}/unblocks", operation_id = "unblockWindows",
    tag = "admin", security(("bearer" = [])),
    summary = "Admin: open blocked windows again",
    params(CheckpointPath, IdempotencyHeader),
    request_body = UnblockWindows,
    responses((status = 200, description = "The windows opened")))]
#[tracing::instrument(name = "Unblock windows", skip_all)]
pub async fn unblock(call: WindowCall) -> HttpResponse {
    window_action(call, WindowRequest::unblock).await
}

#[utoipa::path(post, path = "/api/v1/admin/checkpoints/{id}/reserved", operation_id = "reservePlaces",
    tag = "admin", security(("bearer" = [])),
    summary = "Admin: keep places of the windows of one local day in a time range for priority classes (humanitarian, perishable, diplomatic, emergency)",
    params(CheckpointPath, IdempotencyHeader),
    request_body = ReservePlaces,
    responses((status = 200, description = "The windows changed")))]
#[tracing::instrument(name = "Reserve places", skip_all)]
pub async fn reserve(call: WindowCall) -> HttpResponse {
    window_action(call, WindowRequest::reserve).await
}

/// The body of `…/capacity`.
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "describes the body `WindowRequest` reads for places"
)]
struct SetPlaces {
    #[schema(format = DateTime)]
    from: String,
    #[schema(format = DateTime)]
    to: String,
    direction: Option<Direction>,
    #[schema(required = false, default = json!([]))]
    categories: Vec<Category>,
    /// Places of each window; never below the places kept for priority classes, nor (mode
    /// free_only) below the places taken.
    #[schema(maximum = 100000)]
    capacity: u32,
    /// move_affected moves the bookings a window then has too many of (the last booked, the
    /// priority classes last) to the nearest windows with room, the same day first, then the
    /// next; one no day can take keeps its place.
    #[schema(schema_with = capacity_modes)]
    mode: Option<String>,
    /// Why the bookings move, for their drivers (move_affected).
    #[schema(min_length = 1, max_length = 500)]
    reason: Option<String>,
}

/// The modes a cut takes; null, like a missing mode, is `free_only`.
fn capacity_modes() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some([
            json!("free_only"),
            json!("move_affected"),
            json!(null),
        ]))
        .default(Some(json!("free_only")))
        .build()
}

#[utoipa::path(post, path = "/api/v1/admin/checkpoints/{id}/capacity", operation_id = "setCapacity",
    tag = "admin", security(("bearer" = [])),
    summary = "Admin: set the places of the windows of one local day in a time range, a day already scheduled (a template change applies to days scheduled later); never below the places reserved, and below the places taken only moving the bookings (move_affected). Places gained go to the waitlist first",
    params(CheckpointPath, IdempotencyHeader),
    request_body = SetPlaces,
    responses((status = 200, description = "The windows changed")))]
#[tracing::instrument(name = "Set places", skip_all)]
pub async fn capacity(call: WindowCall) -> HttpResponse {
    window_action(call, WindowRequest::capacity).await
}

#[utoipa::path(delete, path = "/api/v1/admin/bars/{plate}", operation_id = "liftBar",
    tag = "admin", security(("bearer" = [])),
    summary = "Admin: lift a plate's bar; earlier strikes no longer count",
    params(PlatePath),
    responses(
        (status = 204, description = "Lifted"),
        (status = 422, response = Problem),
    ))]
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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000, default = 100)]
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/admin/audit", operation_id = "auditLog",
    tag = "admin", security(("bearer" = [])),
    summary = "Admin: the latest admin and operator actions, newest first",
    params(AuditQuery),
    responses((status = 200, description = "Entries: at, actor, action, target, before, after")))]
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

//! Staff work on the schedule: admins block and unblock windows and read the audit log;
//! operators (and admins) check vehicles in at the checkpoint. Every change is decided by the
//! day's schedule actor, like a booking, and written to the audit log with who did it.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use actix_web::http::StatusCode;

use super::auth::Staff;
use super::bookings::{MadeBooking, booking_reply, made_booking_reply};
use super::error::ApiError;
use super::idempotency::{Reply, run_idempotent};
use super::input::{parse_instant, parse_json, parse_priority, parse_query};
use super::state::AppState;
use crate::actors::answer::AnswerTicket;
use crate::actors::schedule::{Block, CheckIn, FindByPlate, Reserve, Unblock, WalkUp};
use crate::auth::{AuditEntry, StaffRole};
use crate::domain::token::ManageToken;
use crate::domain::window::local_date;
use crate::domain::{
    AllocationError, BookingCode, BookingId, Category, CheckpointId, Contact, Direction,
    HoldRequest, InputError, Plate, WindowKey, WindowSelection,
};

/// A range of one day's windows as a request names it, before it is checked: the JSON body of
/// the admin window routes, or the fields of the staff pages' forms.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowRange {
    pub from: String,
    pub to: String,
    pub direction: Option<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    pub reason: Option<String>,
    pub mode: Option<String>,
    /// Places kept for priority classes, for `/reserved`.
    pub reserved: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BlockMode {
    /// Existing bookings stay; only new bookings are refused.
    FreeOnly,
    /// Existing bookings in the blocked windows are cancelled (their drivers are notified).
    CancelAffected,
}

impl BlockMode {
    fn parse(raw: Option<&str>) -> Result<Self, InputError> {
        match raw.unwrap_or("free_only") {
            "free_only" => Ok(BlockMode::FreeOnly),
            "cancel_affected" => Ok(BlockMode::CancelAffected),
            _ => Err(InputError::new("mode", "free_only or cancel_affected")),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            BlockMode::FreeOnly => "free_only",
            BlockMode::CancelAffected => "cancel_affected",
        }
    }
}

/// The selection of a request and the checkpoint day it lies in (one day per request, as one
/// schedule actor decides it).
fn selection(
    state: &AppState,
    checkpoint_id: &CheckpointId,
    range: &WindowRange,
) -> Result<(chrono::NaiveDate, WindowSelection), ApiError> {
    let checkpoint = state
        .checkpoint(checkpoint_id)
        .map_err(|_| ApiError::NotFound("checkpoint"))?;
    let from = parse_instant("from", &range.from)?;
    let to = parse_instant("to", &range.to)?;
    let day = local_date(checkpoint.time_zone, from);
    if to <= from {
        return Err(InputError::new("to", "the range must end after it starts").into());
    }
    if local_date(checkpoint.time_zone, to - chrono::Duration::seconds(1)) != day {
        return Err(InputError::new("to", "within the same local day as `from`").into());
    }
    let direction = range
        .direction
        .as_deref()
        .map(str::parse::<Direction>)
        .transpose()?;
    let categories = range
        .categories
        .iter()
        .map(|c| c.parse::<Category>())
        .collect::<Result<Vec<_>, _>>()?;
    Ok((
        day,
        WindowSelection {
            from,
            to,
            direction,
            categories,
        },
    ))
}

fn window_list(keys: &[WindowKey]) -> Vec<serde_json::Value> {
    keys.iter()
        .map(|k| json!({ "direction": k.direction, "category": k.category, "start": k.start }))
        .collect()
}

/// The checkpoint an admin's window request names, checked before its body is read so that a
/// role that may not change windows learns nothing about its input.
fn admin_checkpoint(staff: &Staff, id: &str) -> Result<CheckpointId, ApiError> {
    staff.require(&[StaffRole::Admin])?;
    CheckpointId::parse(id).map_err(|_| ApiError::NotFound("checkpoint"))
}

pub async fn audit(
    state: &AppState,
    staff: &Staff,
    action: &str,
    target: String,
    after: serde_json::Value,
) -> Result<(), ApiError> {
    audit_change(state, staff, action, target, None, after).await
}

/// An audit entry with the state before the action as well as after it.
pub async fn audit_change(
    state: &AppState,
    staff: &Staff,
    action: &str,
    target: String,
    before: Option<serde_json::Value>,
    after: serde_json::Value,
) -> Result<(), ApiError> {
    state
        .store
        .append_audit(&AuditEntry {
            at: state.now(),
            actor: staff.actor(),
            action: action.to_owned(),
            target,
            before,
            after: Some(after),
        })
        .await?;
    Ok(())
}

/// What changing a range of windows did: the windows it changed on which day, and the JSON
/// the API answers with and the audit log keeps.
#[derive(Debug)]
pub struct WindowChange {
    pub day: chrono::NaiveDate,
    pub windows: Vec<WindowKey>,
    pub outcome: serde_json::Value,
}

/// Records a change of a day's windows in the audit log, and gives it back as the change.
async fn audited_window_change(
    state: &AppState,
    staff: &Staff,
    action: &str,
    checkpoint_id: &CheckpointId,
    day: chrono::NaiveDate,
    windows: Vec<WindowKey>,
    outcome: serde_json::Value,
) -> Result<WindowChange, ApiError> {
    audit(
        state,
        staff,
        action,
        format!("{checkpoint_id}/{day}"),
        outcome.clone(),
    )
    .await?;
    Ok(WindowChange {
        day,
        windows,
        outcome,
    })
}

/// Closes the windows of `range` to new bookings (and with `cancel_affected` cancels theirs),
/// as an admin; audited.
pub async fn block_windows(
    state: &AppState,
    staff: &Staff,
    checkpoint_id: &CheckpointId,
    range: WindowRange,
    answer: Option<AnswerTicket>,
) -> Result<WindowChange, ApiError> {
    staff.require(&[StaffRole::Admin])?;
    let (day, selection) = selection(state, checkpoint_id, &range)?;
    let mode = BlockMode::parse(range.mode.as_deref())?;
    // The schedule checks the reason (1 to 500 characters, trimmed); a missing one is said here.
    let reason = range
        .reason
        .map(|reason| reason.trim().to_owned())
        .ok_or_else(|| InputError::new("reason", "why the windows close, for drivers and staff"))?;
    let outcome_of = {
        let reason = reason.clone();
        move |blocked: &[WindowKey]| json!({ "blocked": window_list(blocked), "reason": reason, "mode": mode.as_str() })
    };
    let blocked = state
        .registry
        .ask_answered(
            checkpoint_id,
            day,
            Block {
                selection,
                reason: reason.clone(),
                cancel_affected: mode == BlockMode::CancelAffected,
            },
            window_change_answer(answer, day, outcome_of.clone()),
        )
        .await?;
    let outcome = outcome_of(&blocked);
    audited_window_change(
        state,
        staff,
        "windows.block",
        checkpoint_id,
        day,
        blocked,
        outcome,
    )
    .await
}

/// Opens the windows of `range` again, as an admin; audited.
pub async fn unblock_windows(
    state: &AppState,
    staff: &Staff,
    checkpoint_id: &CheckpointId,
    range: WindowRange,
    answer: Option<AnswerTicket>,
) -> Result<WindowChange, ApiError> {
    staff.require(&[StaffRole::Admin])?;
    let (day, selection) = selection(state, checkpoint_id, &range)?;
    let outcome_of = |opened: &[WindowKey]| json!({ "unblocked": window_list(opened) });
    let opened = state
        .registry
        .ask_answered(
            checkpoint_id,
            day,
            Unblock { selection },
            window_change_answer(answer, day, outcome_of),
        )
        .await?;
    let outcome = outcome_of(&opened);
    audited_window_change(
        state,
        staff,
        "windows.unblock",
        checkpoint_id,
        day,
        opened,
        outcome,
    )
    .await
}

/// Keeps `range.reserved` places of each window of `range` for priority classes, as an admin;
/// audited.
pub async fn reserve_places(
    state: &AppState,
    staff: &Staff,
    checkpoint_id: &CheckpointId,
    range: WindowRange,
    answer: Option<AnswerTicket>,
) -> Result<WindowChange, ApiError> {
    staff.require(&[StaffRole::Admin])?;
    let (day, selection) = selection(state, checkpoint_id, &range)?;
    let reserved = range.reserved.ok_or_else(|| {
        InputError::new(
            "reserved",
            "places of each window kept for priority classes",
        )
    })?;
    let outcome_of = move |changed: &[WindowKey]| json!({ "windows": window_list(changed), "reserved": reserved });
    let changed = state
        .registry
        .ask_answered(
            checkpoint_id,
            day,
            Reserve {
                selection,
                reserved,
            },
            window_change_answer(answer, day, outcome_of),
        )
        .await?;
    let outcome = outcome_of(&changed);
    audited_window_change(
        state,
        staff,
        "windows.reserve",
        checkpoint_id,
        day,
        changed,
        outcome,
    )
    .await
}

/// The ticket of a window action for the actor's step, which decides the changed windows.
fn window_change_answer(
    answer: Option<AnswerTicket>,
    day: chrono::NaiveDate,
    outcome_of: impl Fn(&[WindowKey]) -> serde_json::Value + Send + Sync + 'static,
) -> Option<AnswerTicket> {
    answer.map(|ticket| {
        ticket.adapt(move |windows: &Vec<WindowKey>| WindowChange {
            day,
            windows: windows.clone(),
            outcome: outcome_of(windows),
        })
    })
}

/// The JSON side of every action on a range of windows: an admin, a checkpoint, the range in
/// the body, and the outcome as the answer.
async fn window_action(
    request: HttpRequest,
    staff: Staff,
    id: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
    act: impl AsyncFnOnce(
        &AppState,
        &Staff,
        &CheckpointId,
        WindowRange,
        Option<AnswerTicket>,
    ) -> Result<WindowChange, ApiError>,
) -> HttpResponse {
    let reply = |change: &WindowChange| Reply::json(StatusCode::OK, &change.outcome);
    run_idempotent(&request, &state, &body, reply, |answer| async {
        let checkpoint_id = admin_checkpoint(&staff, &id)?;
        let range: WindowRange = parse_json(&body)?;
        act(&state, &staff, &checkpoint_id, range, answer).await
    })
    .await
}

#[tracing::instrument(name = "Block windows", skip_all)]
pub async fn block(
    request: HttpRequest,
    staff: Staff,
    id: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    window_action(request, staff, id, body, state, block_windows).await
}

#[tracing::instrument(name = "Unblock windows", skip_all)]
pub async fn unblock(
    request: HttpRequest,
    staff: Staff,
    id: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    window_action(request, staff, id, body, state, unblock_windows).await
}

#[tracing::instrument(name = "Reserve places", skip_all)]
pub async fn reserve(
    request: HttpRequest,
    staff: Staff,
    id: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    window_action(request, staff, id, body, state, reserve_places).await
}

/// A check-in names the booking by its code, or — as a number-plate camera at the waiting
/// area reports it — by the checkpoint and the plate (and the direction when the vehicle is
/// booked both ways).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckInRequest {
    pub code: Option<String>,
    pub checkpoint: Option<String>,
    pub plate: Option<String>,
    pub direction: Option<String>,
}

/// The booking a check-in names.
pub async fn booking_to_check_in(
    state: &AppState,
    input: &CheckInRequest,
) -> Result<crate::domain::Booking, ApiError> {
    if let Some(code) = &input.code {
        let code = BookingCode::parse(code).map_err(|_| ApiError::NotFound("booking"))?;
        let booking = state
            .store
            .find_booking(&code)
            .await?
            .ok_or(ApiError::NotFound("booking"))?;
        // An operator names the checkpoint they stand at: a booking for another one is not
        // theirs to check in.
        if input
            .checkpoint
            .as_deref()
            .is_some_and(|checkpoint| checkpoint != booking.checkpoint.as_str())
        {
            return Err(
                InputError::new("checkpoint", "the booking is for another checkpoint").into(),
            );
        }
        return Ok(booking);
    }
    let (Some(checkpoint), Some(plate)) = (&input.checkpoint, &input.plate) else {
        return Err(
            InputError::new("code", "the booking code, or the checkpoint and the plate").into(),
        );
    };
    let checkpoint_id = CheckpointId::parse(checkpoint)?;
    let checkpoint = state
        .checkpoint(&checkpoint_id)
        .map_err(|_| ApiError::NotFound("checkpoint"))?;
    let plate = Plate::parse(plate)?;
    let direction = input
        .direction
        .as_deref()
        .map(str::parse::<Direction>)
        .transpose()?;
    // Early arrivals come for tomorrow's first windows, late ones for yesterday's last.
    let today = state.today_at(&checkpoint);
    for day in [Some(today), today.succ_opt(), today.pred_opt()]
        .into_iter()
        .flatten()
    {
        let found = state
            .registry
            .ask(
                &checkpoint_id,
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
    booking: &crate::domain::Booking,
    answer: Option<AnswerTicket>,
) -> Result<crate::domain::Booking, ApiError> {
    staff.require(&[StaffRole::Operator, StaffRole::Admin])?;
    let arrived = state
        .registry
        .ask_answered(
            &booking.checkpoint,
            booking.day,
            CheckIn { id: booking.id },
            answer,
        )
        .await?;
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
        let input: CheckInRequest = parse_json(&body)?;
        let booking = booking_to_check_in(&state, &input).await?;
        check_in_booking(&state, &staff, &booking, answer).await
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WalkIn {
    checkpoint: String,
    direction: String,
    category: String,
    plate: String,
    contact: Option<String>,
    priority: Option<String>,
}

#[tracing::instrument(name = "Register a walk-in", skip_all)]
pub async fn walk_in(
    request: HttpRequest,
    staff: Staff,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    run_idempotent(&request, &state, &body, made_booking_reply, |answer| {
        register_walk_in(&staff, &body, &state, answer)
    })
    .await
}

/// Registers a vehicle that came without a booking into the next window with room, today or
/// tomorrow, confirmed and checked in; audited.
async fn register_walk_in(
    staff: &Staff,
    body: &[u8],
    state: &AppState,
    answer: Option<AnswerTicket>,
) -> Result<MadeBooking, ApiError> {
    staff.require(&[StaffRole::Operator, StaffRole::Admin])?;
    let input: WalkIn = parse_json(body)?;
    let (checkpoint_id, checkpoint, direction, category) =
        state.lane(&input.checkpoint, &input.direction, &input.category)?;
    let plate = Plate::parse(&input.plate)?;
    let contact = input.contact.as_deref().map(Contact::parse).transpose()?;
    // Operators may register priority vehicles: they have them in front of them.
    let priority = parse_priority(input.priority.as_deref())?;
    let token = ManageToken::generate(&mut rand::rng());
    let request = |start| HoldRequest {
        id: BookingId::new_random(),
        code: BookingCode::generate(&mut rand::rng()),
        manage_token_digest: ManageToken::digest(&token),
        window: WindowKey {
            direction,
            category,
            start,
        },
        plate: Some(plate.clone()),
        contact: contact.clone(),
        priority,
        confirm: true,
        carrier: None,
    };
    let answer = answer.map(|ticket| {
        let (checkpoint, token) = (checkpoint.clone(), token.clone());
        ticket.adapt(move |booking: &crate::domain::Booking| MadeBooking {
            booking: booking.clone(),
            checkpoint: checkpoint.clone(),
            manage_token: token.clone(),
        })
    });
    let now = state.now();
    let today = state.today_at(&checkpoint);
    // The queue goes on into tomorrow once today's windows are full or over.
    let mut registered = Err(ApiError::from(AllocationError::WindowFull));
    for day in [Some(today), today.succ_opt()].into_iter().flatten() {
        registered = state
            .registry
            .ask_with_answered(&checkpoint_id, day, || WalkUp(request(now)), answer.clone())
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

#[tracing::instrument(name = "Look a plate up", skip_all)]
pub async fn plate(
    staff: Staff,
    plate: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    staff.require(&[StaffRole::Operator, StaffRole::Admin])?;
    let plate = Plate::parse(&plate)?;
    let now = state.now();
    let rules = state.bars.rules();
    let strikes: Vec<_> = state
        .store
        .strikes_since(now - rules.window - rules.bar)
        .await?
        .into_iter()
        .filter(|strike| strike.plate == plate)
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "plate": plate.as_str(),
        "strikes": strikes,
        "barred_until": state.bars.barred_until(&plate, now),
    })))
}

#[tracing::instrument(name = "Lift a bar", skip_all)]
pub async fn lift_bar(
    staff: Staff,
    plate: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    staff.require(&[StaffRole::Admin])?;
    let plate = Plate::parse(&plate)?;
    let now = state.now();
    let before = state.bars.barred_until(&plate, now);
    state.store.lift_bar(&plate, now, &staff.actor()).await?;
    state.bars.refresh(state.store.as_ref(), now).await?;
    audit_change(
        &state,
        &staff,
        "plate.lift_bar",
        plate.as_str().to_owned(),
        Some(json!({ "barred_until": before })),
        json!({ "barred_until": null }),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize)]
struct AuditQuery {
    limit: Option<usize>,
}

/// Entries of the audit log a read gets when it does not say.
const AUDIT_ENTRIES_DEFAULT: usize = 100;
/// The most entries of the audit log one read returns.
pub const AUDIT_ENTRIES_MAX: usize = 1000;

/// How many entries of the audit log a read asking for `limit` gets.
pub fn audit_limit(limit: Option<usize>) -> usize {
    limit
        .unwrap_or(AUDIT_ENTRIES_DEFAULT)
        .clamp(1, AUDIT_ENTRIES_MAX)
}

/// The newest entries of the audit log, [`audit_limit`] of them, newest first, as an admin.
pub async fn read_audit_log(
    state: &AppState,
    staff: &Staff,
    limit: Option<usize>,
) -> Result<Vec<AuditEntry>, ApiError> {
    staff.require(&[StaffRole::Admin])?;
    Ok(state.store.audit_log(audit_limit(limit)).await?)
}

#[tracing::instrument(name = "Read audit log", skip_all)]
pub async fn audit_log(
    staff: Staff,
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    staff.require(&[StaffRole::Admin])?;
    let query: AuditQuery = parse_query(request.query_string())?;
    let entries = read_audit_log(&state, &staff, query.limit).await?;
    Ok(HttpResponse::Ok().json(json!({ "entries": entries })))
}

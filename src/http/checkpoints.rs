//! `/api/v1/checkpoints`: where one can book, and which windows are free. Availability is
//! answered from the schedule actors' memory, not from the database.

use actix_web::http::header::ContentType;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::openapi::params::CheckpointPath;
use super::rendered::RenderedAvailability;
use super::views::{CheckpointView, WindowView};
use crate::actors::schedule::QueryAvailability;
use crate::app::AppState;
use crate::app::draws::{self, DayAccess};
use crate::app::error::ApiError;
use crate::app::input::{parse_date, parse_query};
use crate::domain::{AllocationError, Category, CheckpointId, Direction};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AvailabilityQuery {
    /// Local date; today by default
    #[param(value_type = Option<NaiveDate>)]
    date: Option<String>,
    #[param(value_type = Option<Direction>)]
    direction: Option<String>,
    #[param(value_type = Option<Category>)]
    category: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
struct Checkpoints {
    checkpoints: Vec<CheckpointView>,
}

#[utoipa::path(get, path = "/api/v1/checkpoints", operation_id = "listCheckpoints",
    tag = "checkpoints", summary = "Checkpoints and their categories",
    responses((status = 200, body = Checkpoints, description = "All checkpoints")))]
#[tracing::instrument(name = "List checkpoints", skip_all)]
pub async fn list(state: web::Data<AppState>) -> HttpResponse {
    let checkpoints: Vec<CheckpointView> = state
        .registry
        .checkpoints()
        .iter()
        .map(|c| CheckpointView::from(c.as_ref()))
        .collect();
    HttpResponse::Ok().json(Checkpoints { checkpoints })
}

#[utoipa::path(get, path = "/api/v1/checkpoints/{id}/availability", operation_id = "availability",
    tag = "checkpoints", summary = "Windows of one day with free places",
    params(CheckpointPath, AvailabilityQuery),
    responses((status = 200, body = AvailabilityView, description = "Windows")))]
#[tracing::instrument(name = "Query availability", skip_all)]
pub async fn availability(
    request: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
    rendered: web::Data<RenderedAvailability>,
) -> Result<HttpResponse, ApiError> {
    let checkpoint_id = CheckpointId::parse(&id).map_err(|_| ApiError::NotFound("checkpoint"))?;
    let checkpoint = state
        .checkpoint(&checkpoint_id)
        .map_err(|_| ApiError::NotFound("checkpoint"))?;
    let query: AvailabilityQuery = parse_query(request.query_string())?;
    let today = state.today_at(&checkpoint);
    let date = query
        .date
        .as_deref()
        .map(|d| parse_date("date", d))
        .transpose()?
        .unwrap_or(today);
    let direction = query
        .direction
        .as_deref()
        .map(str::parse::<Direction>)
        .transpose()?;
    let category = query
        .category
        .as_deref()
        .map(str::parse::<Category>)
        .transpose()?;
    draws::check_shown(&state, &checkpoint, date)?;
    let access = draws::day_access(&state, &checkpoint, date)?;
    // A draw that is due gives its places before anyone sees them free.
    draws::settle_access(&state, &checkpoint, date, access).await?;
    // Before its opening a day's windows are not bookable, whatever their places (during its
    // draw, requests enter the draw); that changes with the clock, not with the windows, so
    // such answers are not kept.
    let opened = matches!(access, DayAccess::Horizon | DayAccess::Open(_));
    let takes_requests = !matches!(access, DayAccess::NotOpen(_));
    let key = (checkpoint_id.clone(), date, direction, category);
    // Read before the windows are, so that an answer kept under it is never older than it.
    let revision = state
        .registry
        .revision(&checkpoint_id, date)
        .filter(|_| opened);
    if let Some(body) = revision.and_then(|revision| rendered.get(&key, revision)) {
        return Ok(json_answer(body));
    }
    let windows = state
        .registry
        .ask(&checkpoint_id, date, QueryAvailability)
        .await
        .map_err(|e| match e {
            crate::actors::ScheduleError::Allocation(AllocationError::UnknownCheckpoint) => {
                ApiError::NotFound("checkpoint")
            }
            other => other.into(),
        })?;
    let now = state.now();
    let policy = *state.policy();
    let views: Vec<WindowView> = windows
        .iter()
        .filter(|w| direction.is_none_or(|d| d == w.key.direction))
        .filter(|w| category.is_none_or(|c| c == w.key.category))
        .map(|w| {
            let open = takes_requests && policy.check_window_open(w.key.start, now).is_ok();
            WindowView::new(w, checkpoint.time_zone, open)
        })
        .collect();
    let body = serde_json::to_vec(&AvailabilityView {
        checkpoint: &checkpoint_id,
        date,
        time_zone: checkpoint.time_zone.name(),
        windows: views,
    })
    .map_err(|e| ApiError::Internal(e.into()))?;
    let body = Bytes::from(body);
    if let Some(revision) = revision {
        rendered.keep(key, revision, body.clone());
    }
    Ok(json_answer(body))
}

#[derive(Serialize, ToSchema)]
#[schema(as = Availability)]
struct AvailabilityView<'a> {
    #[schema(value_type = CheckpointId)]
    checkpoint: &'a CheckpointId,
    date: NaiveDate,
    time_zone: &'static str,
    windows: Vec<WindowView>,
}

fn json_answer(body: Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(body)
}

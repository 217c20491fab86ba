//! `PUT /api/v1/admin/checkpoints/{id}`: an admin creates a checkpoint or changes its schedule
//! template (time zone, window length, directions, capacity and reserved places per
//! category). Windows are cut from the template when a day is first scheduled, so a change
//! applies to the days scheduled from now on; days that already have windows keep theirs. An
//! opening (when days open for booking, with a draw around the moment) applies at once.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::views::CheckpointView;
use crate::app::AppState;
use crate::app::error::ApiError;
use crate::app::input::parse_json;
use crate::app::staff::Staff;
use crate::app::staff::audit_change;
use crate::auth::StaffRole;
use crate::domain::checkpoint::Calendar;
use crate::domain::draw::{Opening, parse_local_time};
use crate::domain::{Category, CategoryCapacity, Checkpoint, CheckpointId, Direction, InputError};
use crate::seed;

/// Places per category and window at most: far above any real lane, low enough to catch a
/// typo.
const CAPACITY_MAX: u32 = 100_000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CheckpointTemplate)]
struct Template {
    name: String,
    #[schema(examples("Europe/Tallinn"))]
    time_zone: String,
    /// The time zone across the border, when it is another one.
    #[serde(default)]
    #[schema(examples("Europe/Moscow"))]
    neighbour_time_zone: Option<String>,
    #[schema(examples(60))]
    window_minutes: u32,
    #[schema(value_type = Vec<Direction>)]
    directions: Vec<String>,
    /// Per category.
    #[schema(example = json!({ "car": { "capacity": 40, "reserved": 4 } }))]
    capacity: BTreeMap<String, Places>,
    /// rules: [{ category, weekdays (1–7), from_hour, to_hour, capacity, reserved }] (later
    /// ones win); holidays: [{ date, capacity_percent }]
    #[serde(default)]
    #[schema(value_type = Object)]
    calendar: Calendar,
    /// When the checkpoint's days open for booking, with a draw around the moment.
    #[serde(default)]
    #[schema(value_type = Option<Opening>)]
    opening: Option<OpeningTemplate>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OpeningTemplate {
    days_ahead: u32,
    local_time: String,
    #[serde(default = "draw_before_default")]
    draw_before_seconds: u32,
    #[serde(default = "draw_after_default")]
    draw_after_seconds: u32,
}

fn draw_before_default() -> u32 {
    Opening::DRAW_BEFORE_DEFAULT
}

fn draw_after_default() -> u32 {
    Opening::DRAW_AFTER_DEFAULT
}

fn opening_from(template: OpeningTemplate) -> Result<Opening, InputError> {
    let local_time = parse_local_time(&template.local_time)
        .ok_or_else(|| InputError::new("opening", "local_time is HH:MM or HH:MM:SS"))?;
    let opening = Opening {
        days_ahead: template.days_ahead,
        local_time,
        draw_before_seconds: template.draw_before_seconds,
        draw_after_seconds: template.draw_after_seconds,
    };
    opening.check()?;
    Ok(opening)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Places {
    capacity: u32,
    #[serde(default)]
    reserved: u32,
}

fn checkpoint_from(id: CheckpointId, template: Template) -> Result<Checkpoint, InputError> {
    let name = template.name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(InputError::new("name", "1 to 100 characters"));
    }
    let time_zone = template
        .time_zone
        .parse::<chrono_tz::Tz>()
        .map_err(|_| InputError::new("time_zone", "an IANA time zone such as Europe/Tallinn"))?;
    let neighbour_time_zone = template
        .neighbour_time_zone
        .as_deref()
        .map(|name| {
            name.parse::<chrono_tz::Tz>().map_err(|_| {
                InputError::new(
                    "neighbour_time_zone",
                    "an IANA time zone such as Europe/Moscow",
                )
            })
        })
        .transpose()?;
    let minutes = template.window_minutes;
    if !(5..=240).contains(&minutes) || 1440 % minutes != 0 {
        return Err(InputError::new(
            "window_minutes",
            "5 to 240 minutes, dividing the day evenly (15, 20, 30, 60, 120…)",
        ));
    }
    let mut directions = template
        .directions
        .iter()
        .map(|d| d.parse::<Direction>())
        .collect::<Result<Vec<_>, _>>()?;
    directions.sort();
    directions.dedup();
    if directions.is_empty() {
        return Err(InputError::new("directions", "entry, exit or both"));
    }
    let mut capacity = BTreeMap::new();
    for (category, places) in template.capacity {
        let category: Category = category.parse()?;
        if places.capacity == 0 || places.capacity > CAPACITY_MAX {
            return Err(InputError::new(
                "capacity",
                format!("1 to {CAPACITY_MAX} places per window"),
            ));
        }
        if places.reserved > places.capacity {
            return Err(InputError::new(
                "capacity",
                "reserved places are part of the capacity",
            ));
        }
        capacity.insert(
            category,
            CategoryCapacity {
                capacity: places.capacity,
                reserved: places.reserved,
            },
        );
    }
    if capacity.is_empty() {
        return Err(InputError::new("capacity", "at least one category"));
    }
    check_calendar(&template.calendar, &capacity)?;
    let opening = template.opening.map(opening_from).transpose()?;
    Ok(Checkpoint {
        id,
        name: name.to_owned(),
        time_zone,
        neighbour_time_zone,
        directions,
        window_minutes: minutes,
        capacity,
        calendar: template.calendar,
        opening,
    })
}

fn check_calendar(
    calendar: &Calendar,
    capacity: &BTreeMap<Category, CategoryCapacity>,
) -> Result<(), InputError> {
    for rule in &calendar.rules {
        if !capacity.contains_key(&rule.category) {
            return Err(InputError::new(
                "calendar",
                "a rule for a category the checkpoint does not serve",
            ));
        }
        if rule.weekdays.iter().any(|day| !(1..=7).contains(day)) {
            return Err(InputError::new(
                "calendar",
                "weekdays are 1 (Monday) to 7 (Sunday)",
            ));
        }
        if rule.from_hour >= rule.to_hour || rule.to_hour > 24 {
            return Err(InputError::new(
                "calendar",
                "hours from 0 to 24, from before to",
            ));
        }
        if rule.capacity > CAPACITY_MAX || rule.reserved > rule.capacity {
            return Err(InputError::new(
                "calendar",
                format!("at most {CAPACITY_MAX} places, reserved ones among them"),
            ));
        }
    }
    if calendar.holidays.iter().any(|h| h.capacity_percent > 100) {
        return Err(InputError::new(
            "calendar",
            "a holiday opens 0 to 100 % of the places",
        ));
    }
    Ok(())
}

/// The checkpoint as it is now.
#[derive(Serialize, ToSchema)]
struct PutAnswer {
    checkpoint: CheckpointView,
}

#[utoipa::path(put, path = "/api/v1/admin/checkpoints/{id}", operation_id = "putCheckpoint",
    tag = "admin", security(("bearer" = [])),
    summary = "Admin: create a checkpoint or change its schedule template; days scheduled from now on follow it",
    params(("id" = CheckpointId, Path)),
    request_body = Template,
    responses(
        (status = 200, body = PutAnswer, description = "Changed"),
        (status = 201, body = PutAnswer, description = "Created"),
    ))]
#[tracing::instrument(name = "Put a checkpoint", skip_all)]
pub async fn put(
    staff: Staff,
    id: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    staff.require(&[StaffRole::Admin])?;
    let id = CheckpointId::parse(&id)?;
    let checkpoint = checkpoint_from(id.clone(), parse_json(&body)?)?;
    let before = state.registry.checkpoint(&id);
    let created = before.is_none();
    state.store.upsert_checkpoint(&checkpoint).await?;
    state.registry.put_checkpoint(checkpoint.clone());
    seed::generate_schedule_of(
        state.store.as_ref(),
        &checkpoint,
        state.now(),
        state.policy().horizon_days,
    )
    .await?;
    let view = CheckpointView::from(&checkpoint);
    let after = serde_json::to_value(&view).map_err(|e| ApiError::Internal(e.into()))?;
    let before = before
        .map(|c| serde_json::to_value(CheckpointView::from(c.as_ref())))
        .transpose()
        .map_err(|e| ApiError::Internal(e.into()))?;
    audit_change(
        &state,
        &staff,
        "checkpoint.put",
        id.to_string(),
        before,
        after,
    )
    .await?;
    let mut response = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(response.json(PutAnswer { checkpoint: view }))
}

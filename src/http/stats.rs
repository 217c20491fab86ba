//! `GET /api/v1/stats`: booking statistics of one checkpoint per local day, hour and category,
//! as the statistics consumer has counted them from the events, with the utilisation of those
//! windows (places taken of capacity) as the store has it now.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use super::analysts::checkpoint_query;
use crate::app::AppState;
use crate::app::error::{ApiError, Problem};
use crate::app::input::parse_date;
use crate::app::staff::Staff;
use crate::domain::statistics::BookingCounts;
use crate::domain::{Category, InputError};

/// The longest range one request may ask for, in days.
const RANGE_DAYS_MAX: i64 = 93;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct StatsQuery {
    #[param(value_type = String, required = true, example = "narva")]
    checkpoint: Option<String>,
    /// First local day; today by default
    #[param(value_type = Option<NaiveDate>)]
    from: Option<String>,
    /// Last local day; `from` by default; at most 93 days in all
    #[param(value_type = Option<NaiveDate>)]
    to: Option<String>,
}

#[derive(Debug, Serialize)]
struct StatsRow {
    day: chrono::NaiveDate,
    hour: u8,
    category: Category,
    #[serde(flatten)]
    counts: BookingCounts,
    mean_lead_time_hours: Option<f64>,
    capacity: u64,
    taken: u64,
    utilisation: Option<f64>,
}

fn ratio(taken: u64, capacity: u64) -> Option<f64> {
    (capacity > 0).then(|| taken as f64 / capacity as f64)
}

#[utoipa::path(get, path = "/api/v1/stats", operation_id = "statistics", tag = "analysts",
    security(("bearer" = [])),
    summary = "Booking statistics per local day, hour and category, counted from the events",
    params(StatsQuery),
    responses(
        (status = 200, description = "Rows and totals"),
        (status = 404, response = Problem),
    ))]
#[tracing::instrument(name = "Read statistics", skip_all)]
pub async fn read(
    staff: Staff,
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (query, checkpoint) =
        checkpoint_query::<StatsQuery>(&staff, &request, &state, |q| q.checkpoint.as_deref())?;
    let checkpoint_id = &checkpoint.id;
    let today = state.today_at(&checkpoint);
    let from = query
        .from
        .as_deref()
        .map(|d| parse_date("from", d))
        .transpose()?
        .unwrap_or(today);
    let to = query
        .to
        .as_deref()
        .map(|d| parse_date("to", d))
        .transpose()?
        .unwrap_or(from);
    if to < from {
        return Err(InputError::new("to", "a date on or after `from`").into());
    }
    if (to - from).num_days() >= RANGE_DAYS_MAX {
        return Err(
            InputError::new("to", format!("at most {RANGE_DAYS_MAX} days after `from`")).into(),
        );
    }
    let stored = state.store.statistics(checkpoint_id, from, to).await?;
    // Places per (day, hour, category), both directions together.
    let mut places: HashMap<(NaiveDate, u8, Category), (u64, u64)> = HashMap::new();
    let mut day = from;
    while day <= to {
        for totals in state.store.window_totals(checkpoint_id, day).await? {
            let entry = places
                .entry((day, totals.hour, totals.category))
                .or_default();
            entry.0 += totals.capacity;
            entry.1 += totals.held + totals.confirmed;
        }
        let Some(next) = day.succ_opt() else { break };
        day = next;
    }
    let (capacity_total, taken_total) =
        places.values().fold((0, 0), |(c, t), (capacity, taken)| {
            (c + capacity, t + taken)
        });
    let mut totals = BookingCounts::default();
    let rows: Vec<StatsRow> = stored
        .into_iter()
        .map(|row| {
            totals.add(&row.counts);
            let (capacity, taken) = places
                .get(&(row.key.day, row.key.hour, row.key.category))
                .copied()
                .unwrap_or_default();
            StatsRow {
                day: row.key.day,
                hour: row.key.hour,
                category: row.key.category,
                mean_lead_time_hours: row.counts.mean_lead_time_hours(),
                counts: row.counts,
                capacity,
                taken,
                utilisation: ratio(taken, capacity),
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "checkpoint": checkpoint_id,
        "time_zone": checkpoint.time_zone.name(),
        "from": from,
        "to": to,
        "totals": totals,
        "mean_lead_time_hours": totals.mean_lead_time_hours(),
        "capacity": capacity_total,
        "taken": taken_total,
        "utilisation": ratio(taken_total, capacity_total),
        "rows": rows,
    })))
}

//! `GET /api/v1/reports/daily`: the daily report of one checkpoint, as JSON or as a CSV file.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::analysts::checkpoint_query;
use crate::app::AppState;
use crate::app::error::ApiError;
use crate::app::input::parse_date;
use crate::app::reports::{csv_file, daily_report, report_date};
use crate::app::staff::Staff;
use crate::domain::InputError;

#[derive(Debug, Deserialize)]
struct DailyQuery {
    checkpoint: Option<String>,
    date: Option<String>,
    format: Option<String>,
}

enum Format {
    Json,
    Csv,
}

#[tracing::instrument(name = "Read daily report", skip_all)]
pub async fn daily(
    staff: Staff,
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (query, checkpoint) =
        checkpoint_query::<DailyQuery>(&staff, &request, &state, |q| q.checkpoint.as_deref())?;
    let date = query
        .date
        .as_deref()
        .map(|raw| parse_date("date", raw))
        .transpose()?;
    let date = report_date(&state, &checkpoint, date)?;
    let format = match query.format.as_deref().map(str::trim) {
        None | Some("json") => Format::Json,
        Some("csv") => Format::Csv,
        Some(_) => return Err(InputError::new("format", "json or csv").into()),
    };
    let report = daily_report(&state, &staff, &checkpoint, date).await?;
    match format {
        Format::Json => Ok(HttpResponse::Ok().json(report)),
        Format::Csv => csv_file(&report),
    }
}

//! `GET /api/v1/reports/daily`: the daily report of one checkpoint, as JSON or as a CSV file.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::analysts::checkpoint_query;
use crate::app::AppState;
use crate::app::error::{ApiError, Problem};
use crate::app::input::parse_date;
use crate::app::reports::{csv_file, daily_report, report_date};
use crate::app::staff::Staff;
use crate::domain::InputError;
use crate::reports::daily::DailyReport;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DailyQuery {
    #[param(value_type = String, required = true, example = "narva")]
    checkpoint: Option<String>,
    /// Local date; yesterday at the checkpoint by default
    #[param(value_type = Option<chrono::NaiveDate>)]
    date: Option<String>,
    /// csv answers text/csv as an attachment named <checkpoint>-<date>.csv
    #[param(schema_with = formats)]
    format: Option<String>,
}

/// What `Format` reads.
fn formats() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(["json", "csv"]))
        .default(Some("json".into()))
        .build()
}

enum Format {
    Json,
    Csv,
}

#[utoipa::path(get, path = "/api/v1/reports/daily", operation_id = "dailyReport", tag = "analysts",
    security(("bearer" = [])),
    summary = "Daily report of one checkpoint: occupancy per direction, category and local hour next to the day's booking counts",
    params(DailyQuery),
    responses(
        (status = 200, description = "The report", content(
            (DailyReport = "application/json"),
            (String = "text/csv"),
        )),
        (status = 404, response = Problem),
    ))]
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

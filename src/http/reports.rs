//! `GET /api/v1/reports/daily`: the daily report of one checkpoint, as JSON or as a CSV file.

use crate::auth::StaffRole;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Days, NaiveDate};
use serde::Deserialize;

use super::auth::Staff;
use super::error::ApiError;
use super::input::{parse_date, parse_query};
use super::state::AppState;
use crate::domain::{Checkpoint, InputError};
use crate::reports::daily::DailyReport;
use crate::reports::read_daily_report;

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

/// The day a report is asked for: `raw`, or the last whole day at the checkpoint.
pub fn report_date(
    state: &AppState,
    checkpoint: &Checkpoint,
    raw: Option<&str>,
) -> Result<NaiveDate, ApiError> {
    Ok(match raw {
        Some(raw) => parse_date("date", raw)?,
        None => state
            .today_at(checkpoint)
            .checked_sub_days(Days::new(1))
            .ok_or_else(|| InputError::new("date", "a date such as 2026-05-01"))?,
    })
}

/// The daily report of `checkpoint` on `date`, as an analyst or admin.
pub async fn daily_report(
    state: &AppState,
    staff: &Staff,
    checkpoint: &Checkpoint,
    date: NaiveDate,
) -> Result<DailyReport, ApiError> {
    staff.require(&[StaffRole::Analyst, StaffRole::Admin])?;
    Ok(read_daily_report(state.store.as_ref(), checkpoint, date).await?)
}

#[tracing::instrument(name = "Read daily report", skip_all)]
pub async fn daily(
    staff: Staff,
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    staff.require(&[StaffRole::Analyst, StaffRole::Admin])?;
    let query: DailyQuery = parse_query(request.query_string())?;
    let checkpoint = state.checkpoint_in_query(query.checkpoint.as_deref())?;
    let date = report_date(&state, &checkpoint, query.date.as_deref())?;
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

/// The report as a CSV file to download, named after its checkpoint and day.
pub fn csv_file(report: &DailyReport) -> Result<HttpResponse, ApiError> {
    let body = report
        .to_csv()
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("report as CSV")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}.csv\"", report.file_stem()),
        ))
        .body(body))
}

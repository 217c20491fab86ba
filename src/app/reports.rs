//! The daily report of one checkpoint, for analysts and admins.

use actix_web::HttpResponse;
use actix_web::http::header;
use chrono::{Days, NaiveDate};

use super::AppState;
use super::error::ApiError;
use super::staff::Staff;
use crate::auth::StaffRole;
use crate::domain::{Checkpoint, InputError};
use crate::reports::daily::DailyReport;
use crate::reports::read_daily_report;

/// The day a report is asked for: `date`, or the last whole day at the checkpoint.
pub fn report_date(
    state: &AppState,
    checkpoint: &Checkpoint,
    date: Option<NaiveDate>,
) -> Result<NaiveDate, ApiError> {
    Ok(match date {
        Some(date) => date,
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

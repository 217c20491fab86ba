//! `GET /staff/reports?checkpoint=&date=`: the daily report an analyst reads — bookings
//! confirmed per local hour as a bar chart (as the statistics counted them, so days whose
//! windows are gone still show), every figure in a table below it — and
//! `GET /staff/reports/csv`, the same CSV file the API serves, for a browser signed in by
//! cookie (the API itself takes bearer tokens only).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use maud::{Markup, html};
use serde::Deserialize;

use super::charts::{self, Axes, Bar};
use super::frame::{ANALYSTS, StaffPage, StaffSection};
use super::problems::staff_problem;
use crate::app::AppState;
use crate::app::error::ApiError;
use crate::app::input::parse_date;
use crate::app::reports::{csv_file, daily_report, report_date};
use crate::domain::Checkpoint;
use crate::reports::daily::{BookingSummary, DailyReport, Occupancy};
use crate::web::problems::Problem;
use crate::web::table::Column::{Figure, Text};
use crate::web::table::heading_row;

#[derive(Debug, Default, Deserialize)]
struct ReportQuery {
    checkpoint: Option<String>,
    date: Option<String>,
}

/// The report a query asks for, or the page that says why there is none.
async fn report_of(sp: &StaffPage<'_>, request: &HttpRequest) -> Result<DailyReport, HttpResponse> {
    let state = sp.state;
    let query: ReportQuery = serde_urlencoded::from_str(request.query_string()).unwrap_or_default();
    let raw_date = query.date.as_deref().filter(|d| !d.is_empty());
    let refused = |checkpoint: Option<&Checkpoint>, error: ApiError| {
        let problem = staff_problem(sp.page.lang, &error);
        refused_page(sp, checkpoint, raw_date.unwrap_or_default(), &problem)
    };
    let checkpoint = sp
        .checkpoint_or_first(query.checkpoint)
        .map_err(|error| refused(None, error))?;
    let date = raw_date
        .map(|raw| parse_date("date", raw))
        .transpose()
        .map_err(ApiError::from)
        .and_then(|date| report_date(state, &checkpoint, date))
        .map_err(|error| refused(Some(&checkpoint), error))?;
    daily_report(state, sp.staff(), &checkpoint, date)
        .await
        .map_err(|error| refused(Some(&checkpoint), error))
}

pub async fn show(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let sp = match StaffPage::open(&request, &state, ANALYSTS).await {
        Ok(sp) => sp,
        Err(answer) => return answer,
    };
    match report_of(&sp, &request).await {
        Ok(report) => report_page(&sp, &report),
        Err(answer) => answer,
    }
}

#[tracing::instrument(name = "Daily report as CSV from the staff page", skip_all)]
pub async fn csv(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let sp = match StaffPage::open(&request, &state, ANALYSTS).await {
        Ok(sp) => sp,
        Err(answer) => return answer,
    };
    let report = match report_of(&sp, &request).await {
        Ok(report) => report,
        Err(answer) => return answer,
    };
    match csv_file(&report) {
        Ok(file) => sp.respond(file),
        Err(error) => sp.error_page(Some(StaffSection::Reports), sp.st.reports_heading, &error),
    }
}

fn query_of(checkpoint: &str, date: NaiveDate) -> String {
    serde_urlencoded::to_string([("checkpoint", checkpoint), ("date", &date.to_string())])
        .unwrap_or_default()
}

fn chooser(sp: &StaffPage<'_>, checkpoint: Option<&Checkpoint>, date: &str) -> Markup {
    let t = sp.page.t;
    html! {
        form class="stack search" method="get" action="/staff/reports" {
            (sp.checkpoint_field("report-checkpoint", checkpoint.map(|c| c.id.as_str())))
            div {
                label for="report-date" { (t.date) }
                input id="report-date" type="date" name="date" value=(date);
            }
            div class="wide" { button type="submit" class="secondary" { (sp.st.show) } }
        }
    }
}

fn refused_page(
    sp: &StaffPage<'_>,
    checkpoint: Option<&Checkpoint>,
    date: &str,
    problem: &Problem,
) -> HttpResponse {
    let chooser = chooser(sp, checkpoint, date);
    let heading = sp.st.reports_heading;
    sp.problem_with_chooser(Some(StaffSection::Reports), heading, problem, chooser)
}

fn percent(occupancy: &Occupancy) -> String {
    occupancy
        .utilisation_percent
        .map_or_else(|| "–".to_owned(), |p| format!("{p:.1}%"))
}

/// One line of the table: occupancy, then what happened to the bookings.
fn figures(occupancy: &Occupancy, bookings: &BookingSummary) -> Markup {
    html! {
        td class="number" { (occupancy.capacity) }
        td class="number" { (occupancy.held) }
        td class="number" { (occupancy.confirmed) }
        td class="number" { (percent(occupancy)) }
        td class="number" { (bookings.confirmations) }
        td class="number" { (bookings.cancellations) }
        td class="number" { (bookings.arrivals) }
        td class="number" { (bookings.no_shows) }
    }
}

fn report_page(sp: &StaffPage<'_>, report: &DailyReport) -> HttpResponse {
    let (lang, t, st) = (sp.page.lang, sp.page.t, sp.st);
    let checkpoint = sp.state.checkpoint(&report.checkpoint).ok();
    let title = format!("{} · {}", report.name, lang.date(report.date));
    let bars: Vec<Bar> = report
        .hours
        .iter()
        .map(|line| Bar {
            label: format!("{:02}", line.hour),
            value: line.bookings.confirmations as f64,
        })
        .collect();
    let chart_label = format!("{}: {title}", st.report_chart);
    let axes = Axes {
        x: st.local_hour,
        y: st.confirmations,
    };
    let csv = format!(
        "/staff/reports/csv?{}",
        query_of(report.checkpoint.as_str(), report.date)
    );
    let main = html! {
        h1 { (st.reports_heading) ": " (title) }
        (chooser(sp, checkpoint.as_deref(), &report.date.to_string()))
        @if report.hours.is_empty() {
            p { (st.report_empty) }
        } @else {
            h2 id="report-chart" { (st.report_chart) }
            p class="hint" { (t.local_time) " · " (report.time_zone) }
            (charts::bar_chart(&chart_label, &axes, &bars))
            h2 id="report-numbers" { (st.in_numbers) }
            div class="table-scroll" tabindex="0" role="region" aria-labelledby="report-numbers" {
                table aria-labelledby="report-numbers" {
                    thead {
                        (heading_row(&[
                            Text(st.hour), Figure(st.capacity), Figure(st.held), Figure(st.confirmed),
                            Figure(st.utilisation), Figure(st.confirmations), Figure(st.cancellations),
                            Figure(st.arrivals), Figure(st.no_shows),
                        ]))
                    }
                    tbody {
                        @for line in &report.hours {
                            tr {
                                th scope="row" { (format!("{:02}:00", line.hour)) }
                                (figures(&line.occupancy, &line.bookings))
                            }
                        }
                    }
                    tfoot {
                        tr {
                            th scope="row" { (st.whole_day) }
                            (figures(&report.day.occupancy, &report.day.bookings))
                        }
                    }
                }
            }
        }
        p { a class="button secondary" href=(csv) download { (st.download_csv) } }
    };
    sp.render(StatusCode::OK, Some(StaffSection::Reports), &title, main)
}

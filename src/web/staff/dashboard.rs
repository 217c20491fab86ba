//! `GET /staff`: how full the coming two weeks are, as a heatmap of checkpoints by day with the
//! same numbers in a table, every cell a way into that day's windows.
//!
//! Utilisation is the places held or confirmed over the capacity of all the day's windows,
//! every lane and blocked windows included, as the schedule actors have it now. Days the
//! schedule does not reach yet have no value.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Days, NaiveDate};
use maud::html;

use super::charts::{self, HeatCell, HeatRow};
use super::day::day_path;
use super::frame::{EVERY_ROLE, StaffPage, StaffSection};
use crate::actors::schedule::QueryAvailability;
use crate::app::AppState;
use crate::app::error::ApiError;
use crate::domain::Checkpoint;
use crate::web::i18n::Lang;

/// Today and the 13 days after it.
const DAYS_SHOWN: u64 = 14;

/// One checkpoint day: places taken and capacity, `None` beyond the schedule.
#[derive(Debug, Clone, Copy)]
struct Utilisation {
    taken: u64,
    capacity: u64,
}

impl Utilisation {
    fn share(self) -> Option<f64> {
        (self.capacity > 0).then(|| self.taken as f64 / self.capacity as f64)
    }

    fn percent(self) -> Option<u64> {
        self.share().map(|share| (share * 100.0).round() as u64)
    }
}

async fn utilisation(
    state: &AppState,
    checkpoint: &Checkpoint,
    date: NaiveDate,
) -> Result<Option<Utilisation>, ApiError> {
    if state
        .policy()
        .check_day(date, state.today_at(checkpoint))
        .is_err()
    {
        return Ok(None);
    }
    let windows = state
        .registry
        .ask(&checkpoint.id, date, QueryAvailability)
        .await?;
    let (taken, capacity) = windows.iter().fold((0u64, 0u64), |(taken, capacity), w| {
        (
            taken + u64::from(w.taken()),
            capacity + u64::from(w.capacity),
        )
    });
    Ok(Some(Utilisation { taken, capacity }))
}

fn column_heading(lang: Lang, date: NaiveDate) -> String {
    format!("{}\n{}", lang.weekday(date), date.format("%d.%m"))
}

pub async fn show(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let sp = match StaffPage::open(&request, &state, EVERY_ROLE).await {
        Ok(sp) => sp,
        Err(answer) => return answer,
    };
    let (lang, st) = (sp.page.lang, sp.st);
    let checkpoints = state.registry.checkpoints();
    // Columns are the calendar days from the earliest "today" among the checkpoints' zones.
    let first = checkpoints
        .iter()
        .map(|c| state.today_at(c))
        .min()
        .unwrap_or_else(|| state.now().date_naive());
    let dates: Vec<NaiveDate> = (0..DAYS_SHOWN)
        .filter_map(|offset| first.checked_add_days(Days::new(offset)))
        .collect();
    let asks = checkpoints.iter().flat_map(|checkpoint| {
        let state = &state;
        dates
            .iter()
            .map(move |date| utilisation(state, checkpoint, *date))
    });
    let found: Result<Vec<Option<Utilisation>>, ApiError> = futures_util::future::join_all(asks)
        .await
        .into_iter()
        .collect();
    let found = match found {
        Ok(found) => found,
        Err(error) => {
            return sp.error_page(Some(StaffSection::Dashboard), st.dashboard_heading, &error);
        }
    };
    let rows: Vec<HeatRow> = checkpoints
        .iter()
        .zip(found.chunks(dates.len().max(1)))
        .map(|(checkpoint, days)| HeatRow {
            label: checkpoint.name.clone(),
            href: day_path(&checkpoint.id, state.today_at(checkpoint), None),
            cells: dates
                .iter()
                .zip(days)
                .map(|(date, day)| {
                    let percent = day.and_then(|d| d.percent());
                    let text = percent.map_or_else(|| "–".to_owned(), |p| format!("{p}%"));
                    let detail = match day {
                        Some(d) if d.capacity > 0 => format!(
                            "{text}, {}",
                            lang.booked_of(d.taken as u32, d.capacity as u32)
                        ),
                        _ => st.no_windows_yet.to_owned(),
                    };
                    HeatCell {
                        share: day.and_then(|d| d.share()),
                        title: format!("{}, {}: {detail}", checkpoint.name, lang.date(*date)),
                        text,
                        href: day_path(&checkpoint.id, *date, None),
                    }
                })
                .collect(),
        })
        .collect();
    let columns: Vec<String> = dates.iter().map(|d| column_heading(lang, *d)).collect();
    let main = html! {
        h1 { (st.dashboard_heading) }
        p { (st.dashboard_intro) }
        // Scrollable on a narrow screen, so reachable by keyboard too.
        div class="table-scroll" tabindex="0" role="region" aria-label=(st.heatmap_label) {
            (charts::heatmap(&columns, &rows))
        }
        h2 id="in-numbers" { (st.in_numbers) }
        div class="table-scroll" tabindex="0" role="region" aria-labelledby="in-numbers" {
            table class="numbers" aria-labelledby="in-numbers" {
                thead {
                    tr {
                        th scope="col" { (sp.page.t.checkpoint) }
                        @for date in &dates {
                            th scope="col" { (lang.weekday(*date)) " " (date.format("%d.%m")) }
                        }
                    }
                }
                tbody {
                    @for row in &rows {
                        tr {
                            th scope="row" { a href=(row.href) { (row.label) } }
                            @for cell in &row.cells {
                                td {
                                    a href=(cell.href) title=(cell.title) { (cell.text) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    sp.render(
        StatusCode::OK,
        Some(StaffSection::Dashboard),
        st.dashboard_heading,
        main,
    )
}

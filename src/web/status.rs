//! The public queue view of each checkpoint, no sign-in: how full today's and tomorrow's
//! windows are per lane, who has checked in, who is still expected, and the next free window.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;

use super::page::{Page, Section};
use super::problems::Problem;
use super::table::Column::Text;
use super::table::heading_row;
use super::times;
use crate::app::AppState;
use crate::app::best_times::{BestTimesRange, best_times_of};
use crate::app::status::{DayFullness, checkpoint_status};

/// Days the queue page shows the best time to cross for: today and the two after.
const BEST_TIMES_DAYS: u32 = 3;

pub async fn index(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let page = Page::new(&request);
    let t = page.t;
    let main = html! {
        h1 { (t.status_heading) }
        ul {
            @for checkpoint in state.registry.checkpoints() {
                li { a href=(format!("/status/{}", checkpoint.id)) { (checkpoint.name) } }
            }
        }
    };
    page.render(StatusCode::OK, Section::Status, t.status_heading, main)
}

fn fullness_cell(page: &Page, day: &DayFullness) -> maud::Markup {
    html! {
        meter min="0" max="100" value=(day.percent_full) aria-hidden="true" {}
        " " (day.percent_full) "% · " (page.lang.booked_of(day.booked, day.capacity))
    }
}

pub async fn checkpoint(
    request: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let page = Page::new(&request);
    let t = page.t;
    let checkpoint = match state.checkpoint_in_query(Some(&id)) {
        Ok(checkpoint) => checkpoint,
        Err(_) => {
            let problem = Problem::new(t.error_page_not_found, StatusCode::NOT_FOUND);
            let main = html! { h1 { (t.status_heading) } (problem.summary(t)) p { a href="/status" { (t.status_of_all) } } };
            return page.render(
                StatusCode::NOT_FOUND,
                Section::Status,
                t.status_heading,
                main,
            );
        }
    };
    let status = match checkpoint_status(&state, &checkpoint).await {
        Ok(status) => status,
        Err(error) => {
            let problem = Problem::of(page.lang, &error);
            let main = html! { h1 { (checkpoint.name) } (problem.summary(t)) };
            return page.render(problem.status, Section::Status, t.status_heading, main);
        }
    };
    let range = BestTimesRange {
        from: state.today_at(&checkpoint),
        days: BEST_TIMES_DAYS,
        category: None,
    };
    // The queue itself matters more than the forecast: without one, the page goes without it.
    let best_times = best_times_of(&state, &checkpoint, range)
        .await
        .inspect_err(|e| tracing::warn!(error.cause_chain = ?e, "No forecast for the queue page"))
        .ok();
    let main = html! {
        h1 { (t.status_heading) ": " (checkpoint.name) }
        p { (t.status_intro) }
        div id="status" data-refresh="30" data-refresh-url=(page.location()) {
            p class="summary" { (t.updated_at) " " (times::instant(page.lang, &checkpoint, status.as_of)) }
            // Focusable, so that keyboard users can scroll a table wider than the phone.
            div class="table-scroll" tabindex="0" role="region" aria-label=(checkpoint.name) {
                table {
                    caption class="hint" { (checkpoint.name) }
                    thead {
                        (heading_row(&[
                            Text(t.lane), Text(t.today), Text(t.tomorrow),
                            Text(t.checked_in), Text(t.expected), Text(t.next_free_window),
                        ]))
                    }
                    tbody {
                        @for lane in &status.lanes {
                            tr {
                                th scope="row" { (page.lang.direction(lane.direction)) " · " (page.lang.category(lane.category)) }
                                td { (fullness_cell(&page, &lane.today)) }
                                td { (fullness_cell(&page, &lane.tomorrow)) }
                                td { (page.lang.vehicles(lane.checked_in)) }
                                td { (page.lang.vehicles(lane.expected)) }
                                td {
                                    @match &lane.next_free_window {
                                        Some(free) => {
                                            (page.lang.date(crate::domain::window::local_date(checkpoint.time_zone, free.times.start))) ", "
                                            (times::window(page.lang, &checkpoint, free.times.start, free.times.end)) " · "
                                            (page.lang.places_free(free.available))
                                        }
                                        None => (t.nothing_free),
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(days) = &best_times { (super::best_times::section(&page, days)) }
        p { a class="button" href=(format!("/?checkpoint={}", checkpoint.id)) { (t.book_a_window) } }
    };
    page.render(StatusCode::OK, Section::Status, t.status_heading, main)
}

//! Finding and holding a window: the search form at `/`, a day's windows at `/windows`, and
//! `POST /holds`, which holds the chosen window and sends the driver to confirm it.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Days;
use maud::html;
use serde::Deserialize;

use super::account::session::signed_in;
use super::day::{self, Lane, Pick};
use super::page::{Page, Section, form_is_genuine};
use super::problems::Problem;
use super::rendered_days::RenderedDays;
use crate::app::AppState;
use crate::app::bookings::{
    Booked, LaneKey, NewBooking, Requester, create_booking, record_booked_outcome,
};
use crate::app::error::ApiError;
use crate::app::input::{parse_date, parse_instant};
use crate::domain::window::local_date;
use crate::domain::{Category, Direction};

#[derive(Debug, Default, Deserialize)]
pub struct Search {
    checkpoint: Option<String>,
    direction: Option<String>,
    category: Option<String>,
    date: Option<String>,
}

impl Search {
    fn lane(&self, state: &AppState) -> Result<Lane, ApiError> {
        let lane = LaneKey::parse(
            self.checkpoint.as_deref().unwrap_or_default(),
            self.direction.as_deref().unwrap_or_default(),
            self.category.as_deref().unwrap_or_default(),
        )?;
        let checkpoint = state.lane(&lane)?;
        let date = match self.date.as_deref().filter(|d| !d.is_empty()) {
            Some(date) => parse_date("date", date)?,
            None => state.today_at(&checkpoint),
        };
        Ok(Lane {
            checkpoint,
            direction: lane.direction,
            category: lane.category,
            date,
        })
    }
}

pub async fn home(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let page = Page::new(&request);
    let search: Search = serde_urlencoded::from_str(request.query_string()).unwrap_or_default();
    search_page(&page, &state, &search, None)
}

pub async fn windows(
    request: HttpRequest,
    state: web::Data<AppState>,
    rendered: web::Data<RenderedDays>,
) -> HttpResponse {
    let page = Page::new(&request);
    let search: Search = serde_urlencoded::from_str(request.query_string()).unwrap_or_default();
    match search.lane(&state) {
        Ok(lane) => day::render_new(&page, &state, &rendered, &lane).await,
        Err(error) => search_page(&page, &state, &search, Some(Problem::of(page.lang, &error))),
    }
}

fn search_page(
    page: &Page,
    state: &AppState,
    search: &Search,
    problem: Option<Problem>,
) -> HttpResponse {
    let t = page.t;
    let checkpoints = state.registry.checkpoints();
    let chosen_checkpoint = search
        .checkpoint
        .clone()
        .or_else(|| checkpoints.first().map(|c| c.id.to_string()))
        .unwrap_or_default();
    let today = checkpoints
        .iter()
        .find(|c| c.id.as_str() == chosen_checkpoint)
        .map_or_else(|| state.now().date_naive(), |c| state.today_at(c));
    let last_day = checkpoints
        .iter()
        .find(|c| c.id.as_str() == chosen_checkpoint)
        .map_or_else(
            || today + Days::new(u64::from(state.policy().horizon_days)),
            |c| crate::app::draws::last_shown_day(state, c),
        );
    let direction = search.direction.as_deref().unwrap_or("entry");
    let category = search.category.as_deref().unwrap_or("car");
    let date = search.date.clone().unwrap_or_else(|| today.to_string());
    let status = problem.as_ref().map_or(StatusCode::OK, |p| p.status);
    let date_wrong = problem.as_ref().filter(|p| p.concerns("date"));
    let main = html! {
        h1 { (t.search_heading) }
        @if let Some(problem) = &problem { (problem.summary(t)) }
        p { (t.search_intro) }
        form class="stack search" method="get" action="/windows" {
            div class="wide" {
                label for="checkpoint" { (t.checkpoint) }
                select id="checkpoint" name="checkpoint" {
                    @for checkpoint in &checkpoints {
                        option value=(checkpoint.id.as_str()) selected[checkpoint.id.as_str() == chosen_checkpoint] {
                            (checkpoint.name)
                        }
                    }
                }
            }
            fieldset {
                legend { (t.direction) }
                @for d in Direction::ALL {
                    label {
                        input type="radio" name="direction" value=(d.as_str()) checked[d.as_str() == direction];
                        (page.lang.direction(d))
                    }
                }
            }
            div {
                label for="category" { (t.category) }
                select id="category" name="category" {
                    @for c in Category::ALL {
                        option value=(c.as_str()) selected[c.as_str() == category] { (page.lang.category(c)) }
                    }
                }
            }
            div {
                label for="date" { (t.date) }
                input id="date" type="date" name="date" value=(date) min=(today.to_string())
                    max=(last_day.to_string()) required aria-invalid=[date_wrong.map(|_| "true")]
                    aria-describedby=[date_wrong.map(|_| "problem")];
            }
            div class="wide" { button type="submit" { (t.show_windows) } }
        }
        p { a href="/status" { (t.status_of_all) } }
        p class="hint" {
            (t.for_programs) " "
            a href="/api/v1/checkpoints" { "/api/v1" } " · "
            a href="/api/openapi.json" { "OpenAPI" } " · "
            a href="/api/docs" { "Swagger UI" }
        }
    };
    page.render(status, Section::Book, t.search_heading, main)
}

#[derive(Debug, Deserialize)]
struct HoldForm {
    form_token: Option<String>,
    checkpoint: String,
    direction: String,
    category: String,
    window_start: String,
}

#[tracing::instrument(name = "Hold from the web page", skip_all)]
pub async fn hold(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let page = Page::new(&request);
    let Ok(form) = serde_urlencoded::from_bytes::<HoldForm>(&body) else {
        let problem = Problem::new(page.t.error_invalid, StatusCode::BAD_REQUEST);
        return search_page(&page, &state, &Search::default(), Some(problem));
    };
    let mut search = Search {
        checkpoint: Some(form.checkpoint.clone()),
        direction: Some(form.direction.clone()),
        category: Some(form.category.clone()),
        date: None,
    };
    let lane = match search.lane(&state) {
        Ok(mut lane) => {
            if let Ok(start) = parse_instant("window_start", &form.window_start) {
                lane.date = local_date(lane.checkpoint.time_zone, start);
            }
            lane
        }
        Err(error) => {
            search.date = None;
            return search_page(&page, &state, &search, Some(Problem::of(page.lang, &error)));
        }
    };
    let page = page.at(&format!("/windows?{}", lane.query(lane.date)));
    if !form_is_genuine(&request, &state, form.form_token.as_deref()) {
        let problem = Problem::new(page.t.error_form_expired, StatusCode::FORBIDDEN);
        return day::render(&page, &state, &lane, Pick::New, Some(problem)).await;
    }
    let requester = Requester {
        address: request.peer_addr().map(|address| address.ip()),
        carrier: None,
        owner: signed_in(&request, &state).map(|identity| identity.as_owner()),
    };
    let lane_key = LaneKey {
        checkpoint: lane.checkpoint.id.clone(),
        direction: lane.direction,
        category: lane.category,
    };
    let outcome = match NewBooking::hold(lane_key, &form.window_start) {
        Ok(input) => create_booking(&state, input, requester, None).await,
        Err(invalid) => Err(invalid.into()),
    };
    record_booked_outcome(lane.checkpoint.id.to_string(), &outcome);
    match outcome {
        Ok(Booked::Made(made)) => page.redirect(&super::manage::manage_path(
            &made.booking,
            &made.manage_token,
            None,
        )),
        Ok(Booked::Entered(entered)) => page.redirect(&super::draw::entry_path(
            &entered.entry,
            &entered.manage_token,
        )),
        Err(error) => {
            let problem = Problem::of(page.lang, &error);
            day::render(&page, &state, &lane, Pick::New, Some(problem)).await
        }
    }
}

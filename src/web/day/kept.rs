//! The day page a new booking starts from, with nothing to say but the day's windows: what
//! drivers open and reload in a rush. It is rendered once per state of the day and kept (see
//! [`crate::web::rendered_days`]); each request gets it with its own form tag and addresses,
//! byte for byte as [`super::render`] would render it for that request.
//!
//! Pages that count down with the clock (a day before its opening or during its draw) and
//! pages with a problem are rendered anew for each request.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use chrono::{DateTime, Utc};

use super::{
    Gathered, Lane, Pick, ask_windows, compose, render_gathered, settle, shown_access, windows_of,
};
use crate::app::AppState;
use crate::app::best_times::day_demand;
use crate::app::draws::DayAccess;
use crate::domain::{Policy, SlotWindow};
use crate::web::page::{Page, Section};
use crate::web::prerendered::Prerendered;
use crate::web::problems::Problem;
use crate::web::rendered_days::{DayPageKey, RenderedDays};

pub async fn render_new(
    page: &Page,
    state: &AppState,
    rendered: &RenderedDays,
    lane: &Lane,
) -> HttpResponse {
    let access = shown_access(state, lane);
    let Ok(access @ (DayAccess::Horizon | DayAccess::Open(_))) = access else {
        let windows = windows_of(page, state, lane, &access).await;
        return render_gathered(page, state, lane, Pick::New, None, access.ok(), windows).await;
    };
    match render_open(page, state, rendered, lane, access).await {
        Ok(response) => response,
        Err(refused) => {
            let windows = Err(refused);
            render_gathered(page, state, lane, Pick::New, None, Some(access), windows).await
        }
    }
}

/// The page of a day that takes bookings, kept or rendered and kept; `Err` when the day's draw
/// or its actor refused, for the page to say so.
async fn render_open(
    page: &Page,
    state: &AppState,
    rendered: &RenderedDays,
    lane: &Lane,
    access: DayAccess,
) -> Result<HttpResponse, Problem> {
    settle(page, state, lane, access).await?;
    let checkpoint = &lane.checkpoint;
    let key = DayPageKey {
        checkpoint: checkpoint.id.clone(),
        date: lane.date,
        direction: lane.direction,
        category: lane.category,
        lang: page.lang,
        today: state.today_at(checkpoint),
    };
    // Read before the windows are, so that a page kept under it is never older than it.
    let revision = state.registry.revision(&checkpoint.id, lane.date);
    if let Some(kept) = revision.and_then(|revision| rendered.get(&key, revision, state.now())) {
        return Ok(page.answer(StatusCode::OK, page.fill(&kept, &state.tokens)));
    }
    let windows = ask_windows(page, state, lane).await?;
    let demand = day_demand(state, checkpoint, lane.category, lane.date).await;
    let now = state.now();
    let unchanged_until = clock_unchanged_until(state.policy(), lane, &windows, now);
    let keeping = page.for_keeping();
    let day = compose(
        &keeping,
        state,
        lane,
        &Pick::New,
        Gathered {
            access: Some(access),
            windows: Ok(windows),
            problem: None,
            demand: demand.as_ref().ok().and_then(Option::as_ref),
            now,
        },
    );
    let document = keeping.document(Section::Book, day.heading, day.main);
    let kept = Prerendered::from_document(&document.into_string());
    // Without a forecast at hand the page goes unmarked; kept, it would stay so after one is.
    if let (Some(revision), Ok(_)) = (revision, demand) {
        rendered.keep(key, revision, unchanged_until, kept.clone());
    }
    Ok(page.answer(day.status, page.fill(&kept, &state.tokens)))
}

/// The first instant after `now` at which the clock alone changes how the lane's `windows`
/// look: one of them closing to new bookings, or ending and leaving the list.
fn clock_unchanged_until(
    policy: &Policy,
    lane: &Lane,
    windows: &[SlotWindow],
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    windows
        .iter()
        .filter(|w| w.key.direction == lane.direction && w.key.category == lane.category)
        .flat_map(|w| [policy.window_closing(w.key.start), w.end])
        .filter(|instant| *instant > now)
        .min()
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

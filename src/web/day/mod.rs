//! A day of windows in one lane, as a list a thumb can work: each window's local time, how
//! many places are free in words and colour, and a button to take it. The same list picks a
//! new window when a booking moves. The page a new booking starts from is served from a
//! rendering kept per state of the day ([`render_new`]); every other is rendered anew.

mod kept;

use std::sync::Arc;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use chrono::{DateTime, Days, NaiveDate, Timelike, Utc};
use maud::{Markup, html};

use super::page::{Page, Section};
use super::problems::Problem;
use super::times;
use crate::actors::schedule::QueryAvailability;
use crate::app::AppState;
use crate::app::best_times::day_demand;
use crate::app::draws::{self, DayAccess};
use crate::app::error::ApiError;
use crate::domain::{Booking, Category, Checkpoint, Direction, PriorityClass, SlotWindow};
use crate::reports::best_times::DayDemand;
pub use kept::render_new;

/// The checkpoint, direction, vehicle and day a driver is looking at.
pub struct Lane {
    pub checkpoint: Arc<Checkpoint>,
    pub direction: Direction,
    pub category: Category,
    pub date: NaiveDate,
}

impl Lane {
    /// The lane of `booking`, on `date`.
    pub fn of_booking(booking: &Booking, checkpoint: Arc<Checkpoint>, date: NaiveDate) -> Self {
        Lane {
            checkpoint,
            direction: booking.direction,
            category: booking.category,
            date,
        }
    }

    pub fn query(&self, date: NaiveDate) -> String {
        serde_urlencoded::to_string([
            ("checkpoint", self.checkpoint.id.as_str()),
            ("direction", self.direction.as_str()),
            ("category", self.category.as_str()),
            ("date", &date.to_string()),
        ])
        .unwrap_or_default()
    }
}

/// What choosing a window does: book it anew, or move an existing booking there.
pub enum Pick<'a> {
    New,
    Move {
        booking: &'a Booking,
        by: Holder<'a>,
    },
}

/// How whoever moves a booking shows that it is theirs, which decides where the move's pages
/// are.
#[derive(Clone, Copy)]
pub enum Holder<'a> {
    /// The booking's manage token, carried from page to page.
    Token(&'a str),
    /// The account it belongs to, signed in.
    Account,
}

impl Holder<'_> {
    fn reschedule_path(self, booking: &Booking, date: Option<NaiveDate>) -> String {
        let date = date.map(|date| date.to_string());
        let query: Vec<(&str, &str)> = match self {
            Holder::Token(token) => vec![("token", token)],
            Holder::Account => vec![],
        }
        .into_iter()
        .chain(date.as_deref().map(|date| ("date", date)))
        .collect();
        let base = match self {
            Holder::Token(_) => format!("/booking/{}/reschedule", booking.code),
            Holder::Account => format!("/account/bookings/{}/reschedule", booking.code),
        };
        if query.is_empty() {
            base
        } else {
            format!(
                "{base}?{}",
                serde_urlencoded::to_string(query).unwrap_or_default()
            )
        }
    }

    fn back_path(self, booking: &Booking) -> String {
        match self {
            Holder::Token(token) => super::manage::manage_path(booking, token, None),
            Holder::Account => super::account::HOME.to_owned(),
        }
    }
}

/// How a window looks: its class (colour) and the words that say the same.
fn window_state(page: &Page, window: &SlotWindow, open: bool) -> (&'static str, String, bool) {
    let t = page.t;
    let available = window.available_to(PriorityClass::Normal);
    if window.blocked.is_some() {
        ("blocked", t.blocked.to_owned(), false)
    } else if !open {
        ("closed", t.closed.to_owned(), false)
    } else if available == 0 {
        ("full", t.full.to_owned(), false)
    } else if available <= (window.capacity / 5).max(2) {
        ("few", page.lang.places_free(available), true)
    } else {
        ("free", page.lang.places_free(available), true)
    }
}

/// Whether the day's windows may be shown, and how the day takes bookings now.
fn shown_access(state: &AppState, lane: &Lane) -> Result<DayAccess, ApiError> {
    draws::check_shown(state, &lane.checkpoint, lane.date)
        .and_then(|()| draws::day_access(state, &lane.checkpoint, lane.date))
}

/// The day's windows, its draw settled first if due; a refusal is the page's problem.
async fn windows_of(
    page: &Page,
    state: &AppState,
    lane: &Lane,
    access: &Result<DayAccess, ApiError>,
) -> Result<Vec<SlotWindow>, Problem> {
    let Ok(access) = access else {
        return Err(Problem::new(
            &page.lang.date_range(state.policy().horizon_days),
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    };
    settle(page, state, lane, *access).await?;
    ask_windows(page, state, lane).await
}

async fn settle(
    page: &Page,
    state: &AppState,
    lane: &Lane,
    access: DayAccess,
) -> Result<(), Problem> {
    // A draw that is due gives its places before anyone sees them free.
    draws::settle_access(state, &lane.checkpoint, lane.date, access)
        .await
        .map_err(|error| Problem::of(page.lang, &error))
}

async fn ask_windows(
    page: &Page,
    state: &AppState,
    lane: &Lane,
) -> Result<Vec<SlotWindow>, Problem> {
    state
        .registry
        .ask(&lane.checkpoint.id, lane.date, QueryAvailability)
        .await
        .map_err(|e| Problem::of(page.lang, &ApiError::from(e)))
}

pub async fn render(
    page: &Page,
    state: &AppState,
    lane: &Lane,
    pick: Pick<'_>,
    problem: Option<Problem>,
) -> HttpResponse {
    let access = shown_access(state, lane);
    let windows = windows_of(page, state, lane, &access).await;
    render_gathered(page, state, lane, pick, problem, access.ok(), windows).await
}

async fn render_gathered(
    page: &Page,
    state: &AppState,
    lane: &Lane,
    pick: Pick<'_>,
    problem: Option<Problem>,
    access: Option<DayAccess>,
    windows: Result<Vec<SlotWindow>, Problem>,
) -> HttpResponse {
    let demand = day_demand(state, &lane.checkpoint, lane.category, lane.date)
        .await
        .ok()
        .flatten();
    let day = compose(
        page,
        state,
        lane,
        &pick,
        Gathered {
            access,
            windows,
            problem,
            demand: demand.as_ref(),
            now: state.now(),
        },
    );
    page.render(day.status, Section::Book, day.heading, day.main)
}

/// What a day page shows, gathered from the draws, the day's actor, the forecast and the clock.
struct Gathered<'a> {
    access: Option<DayAccess>,
    windows: Result<Vec<SlotWindow>, Problem>,
    problem: Option<Problem>,
    demand: Option<&'a DayDemand>,
    now: DateTime<Utc>,
}

/// The content of a day page, for its frame.
struct Composed {
    status: StatusCode,
    heading: &'static str,
    main: Markup,
}

fn compose(
    page: &Page,
    state: &AppState,
    lane: &Lane,
    pick: &Pick<'_>,
    gathered: Gathered<'_>,
) -> Composed {
    let Gathered {
        access,
        windows,
        problem,
        demand,
        now,
    } = gathered;
    let t = page.t;
    let checkpoint = &lane.checkpoint;
    let today = state.today_at(checkpoint);
    let opening = match (access, pick) {
        (Some(DayAccess::NotOpen(times)), _) => {
            Some(super::draw::not_open_notice(page, checkpoint, times, now))
        }
        (Some(DayAccess::Draw(times)), Pick::New) => {
            Some(super::draw::draw_notice(page, checkpoint, times, now))
        }
        _ => None,
    };
    let not_open = matches!(access, Some(DayAccess::NotOpen(_)))
        || matches!(
            (access, pick),
            (Some(DayAccess::Draw(_)), Pick::Move { .. })
        );
    let (windows, problem) = match (windows, problem) {
        (Ok(windows), problem) => (windows, problem),
        (Err(refused), None) => (Vec::new(), Some(refused)),
        (Err(_), Some(problem)) => (Vec::new(), Some(problem)),
    };
    let status = problem.as_ref().map_or(StatusCode::OK, |p| p.status);
    let quiet = |window: &SlotWindow| {
        demand.is_some_and(|day| {
            let local = window.key.start.with_timezone(&checkpoint.time_zone);
            // A window that starts in a quiet hour is where the forecast expects the fewest.
            day.is_quiet(local.hour() as u8)
        })
    };
    // Windows that are over are of no use to anyone choosing; on a phone they only push the
    // bookable ones down the screen.
    let in_lane: Vec<&SlotWindow> = windows
        .iter()
        .filter(|w| w.key.direction == lane.direction && w.key.category == lane.category)
        .filter(|w| w.end > now)
        .collect();
    let (heading, action, extra) = match pick {
        Pick::New => (t.windows_heading, "/holds".to_owned(), html! {}),
        Pick::Move { booking, by } => (
            t.reschedule_heading,
            by.reschedule_path(booking, None),
            match by {
                Holder::Token(token) => html! { input type="hidden" name="token" value=(token); },
                Holder::Account => html! {},
            },
        ),
    };
    let day_link = |date: NaiveDate| match pick {
        Pick::New => format!("/windows?{}", lane.query(date)),
        Pick::Move { booking, by } => by.reschedule_path(booking, Some(date)),
    };
    let current = match pick {
        Pick::Move { booking, .. } => Some(booking.window_start),
        Pick::New => None,
    };
    let form_token = page.form_token(state);
    let previous = lane
        .date
        .checked_sub_days(Days::new(1))
        .filter(|d| *d >= today);
    let last_day = Some(draws::last_shown_day(state, checkpoint));
    let next = lane
        .date
        .checked_add_days(Days::new(1))
        .filter(|d| last_day.is_some_and(|last| *d <= last));
    let main = html! {
        h1 { (heading) }
        @if let Some(problem) = &problem { (problem.summary(t)) }
        p class="summary" {
            strong { (checkpoint.name) } " · " (page.lang.direction(lane.direction)) " · "
            (page.lang.category(lane.category)) " · " (page.lang.date(lane.date))
            @if matches!(pick, Pick::New) {
                " · " a href=(format!("/?{}", lane.query(lane.date))) { (t.change_search) }
            }
        }
        @if let Some(opening) = &opening { (opening) }
        @if let Pick::Move { booking, by } = pick {
            p { (t.reschedule_intro) }
            p {
                (t.current_window) ": " (page.lang.date(booking.day)) ", "
                (times::window(page.lang, checkpoint, booking.window_start, booking.window_end))
            }
            p { a href=(by.back_path(booking)) { (t.back_to_booking) } }
        }
        nav class="day-nav" aria-label=(t.date) {
            @if let Some(previous) = previous {
                a href=(day_link(previous)) rel="prev" { "← " (t.previous_day) }
            } @else { span {} }
            @if let Some(next) = next {
                a href=(day_link(next)) rel="next" { (t.next_day) " →" }
            }
        }
        div id="windows" data-refresh="20" data-refresh-url=(page.location()) {
            @if in_lane.is_empty() && problem.is_none() {
                p { (t.no_windows) }
            } @else {
                // One form around the list, each window's button naming its start: the tag and
                // the lane are sent once per page instead of once per window.
                form method="post" action=(action) {
                    (form_token)
                    (extra)
                    input type="hidden" name="checkpoint" value=(checkpoint.id.as_str());
                    input type="hidden" name="direction" value=(lane.direction.as_str());
                    input type="hidden" name="category" value=(lane.category.as_str());
                    ol class="windows" aria-label=(heading) {
                        @for window in &in_lane {
                            @let open = state.policy().check_window_open(window.key.start, now).is_ok();
                            @let (class, words, bookable) = if not_open {
                                ("closed", super::draw::draw_texts(page.lang).not_open_yet.to_owned(), false)
                            } else {
                                window_state(page, window, open)
                            };
                            @let is_current = current == Some(window.key.start);
                            li class=(class) data-start=(window.key.start.to_rfc3339()) {
                                div {
                                    (times::window(page.lang, checkpoint, window.key.start, window.end))
                                    @if quiet(window) { " " (super::best_times::quiet_mark(page)) }
                                }
                                @if is_current {
                                    div class="state" { (t.current_window) }
                                } @else {
                                    div class="state" { (words) }
                                }
                                @if class == "full" && open && current.is_none() {
                                    a class="button secondary" href=(super::waitlist::join_link(lane, window))
                                        aria-label=(format!("{} {}", page.lang.waitlist().wait_for_place, times::clock(checkpoint.time_zone, window.key.start))) {
                                        (page.lang.waitlist().wait_for_place)
                                    }
                                }
                                @if bookable && !is_current {
                                    button type="submit" name="window_start" value=(window.key.start.to_rfc3339())
                                        aria-label=(format!("{} {}", if current.is_some() { t.move_here } else { t.choose }, times::clock(checkpoint.time_zone, window.key.start))) {
                                        @if current.is_some() { (t.move_here) } @else { (t.choose) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Composed {
        status,
        heading,
        main,
    }
}

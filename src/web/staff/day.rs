//! `GET /staff/day?checkpoint=&date=`: one checkpoint day's windows, lane by lane, with their
//! counts (capacity, reserved, confirmed, held, free) and whether they are closed and why; for
//! admins, the forms that close, open and reserve a range of them (sent to `window_forms`).
//!
//! The range fields offer the day's own window starts and ends, in local time, so a form can
//! only name instants that are window boundaries of that day, even across a clock change.

use std::collections::BTreeSet;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Days, NaiveDate, Utc};
use maud::{Markup, html};
use serde::Deserialize;

use super::frame::{ADMINS, EVERY_ROLE, StaffPage};
use super::problems::staff_problem;
use super::range_form::{Action, Failed, RangeForm};
use super::texts::StaffTexts;
use crate::actors::schedule::QueryAvailability;
use crate::app::AppState;
use crate::app::input::parse_date;
use crate::domain::window::local_date;
use crate::domain::{Category, Checkpoint, CheckpointId, Direction, SlotWindow};
use crate::web::problems::Problem;
use crate::web::table::Column::{Figure, Text};
use crate::web::table::heading_row;
use crate::web::times;

/// The day page, with what was just done (and to how many windows) said at the top.
pub fn day_path(
    checkpoint: &CheckpointId,
    date: NaiveDate,
    done: Option<(Action, usize)>,
) -> String {
    let mut query = vec![
        ("checkpoint", checkpoint.to_string()),
        ("date", date.to_string()),
    ];
    if let Some((action, windows)) = done {
        query.push(("done", action.key().to_owned()));
        query.push(("windows", windows.to_string()));
    }
    format!(
        "/staff/day?{}",
        serde_urlencoded::to_string(query).unwrap_or_default()
    )
}

#[derive(Debug, Default, Deserialize)]
struct DayQuery {
    checkpoint: Option<String>,
    date: Option<String>,
    done: Option<String>,
    windows: Option<usize>,
}

pub async fn show(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let sp = match StaffPage::open(&request, &state, EVERY_ROLE).await {
        Ok(sp) => sp,
        Err(answer) => return answer,
    };
    let st = sp.st;
    let query: DayQuery = serde_urlencoded::from_str(request.query_string()).unwrap_or_default();
    let checkpoint = match sp.checkpoint_or_first(query.checkpoint) {
        Ok(checkpoint) => checkpoint,
        Err(error) => return sp.error_page(None, st.day_heading, &error),
    };
    let today = state.today_at(&checkpoint);
    let date = match query.date.as_deref().filter(|d| !d.is_empty()) {
        Some(raw) => match parse_date("date", raw) {
            Ok(date) => date,
            Err(error) => {
                let problem = staff_problem(sp.page.lang, &error.into());
                return refused_day(&sp, &checkpoint, raw, &problem);
            }
        },
        None => today,
    };
    if !in_reach(&state, &checkpoint, date) {
        let problem = Problem::new(st.day_out_of_range, StatusCode::UNPROCESSABLE_ENTITY);
        return refused_day(&sp, &checkpoint, &date.to_string(), &problem);
    }
    let notice = query
        .done
        .as_deref()
        .and_then(Action::from_key)
        .map(|action| (action, query.windows.unwrap_or_default()));
    day_page(&sp, &checkpoint, date, notice, None).await
}

/// Whether staff may look at `date`: the booking period, and yesterday, whose last windows
/// late arrivals still check in to.
fn in_reach(state: &AppState, checkpoint: &Checkpoint, date: NaiveDate) -> bool {
    let today = state.today_at(checkpoint);
    today.checked_sub_days(Days::new(1)) == Some(date)
        || state.policy().check_day(date, today).is_ok()
}

/// The page for a day that cannot be shown: what is wrong, and the form to choose another.
fn refused_day(
    sp: &StaffPage<'_>,
    checkpoint: &Checkpoint,
    date: &str,
    problem: &Problem,
) -> HttpResponse {
    let chooser = chooser(sp, checkpoint, date);
    sp.problem_with_chooser(None, sp.st.day_heading, problem, chooser)
}

/// The form that picks a checkpoint and a day.
fn chooser(sp: &StaffPage<'_>, checkpoint: &Checkpoint, date: &str) -> Markup {
    let t = sp.page.t;
    html! {
        form class="stack search" method="get" action="/staff/day" {
            (sp.checkpoint_field("day-checkpoint", Some(checkpoint.id.as_str())))
            div {
                label for="day-date" { (t.date) }
                input id="day-date" type="date" name="date" value=(date) required;
            }
            div class="wide" { button type="submit" class="secondary" { (sp.st.show_day) } }
        }
    }
}

/// A window boundary as a choice: local clock time, "24:00" for the next midnight, and the
/// offset from UTC where a clock change makes a time appear twice.
fn boundary_options(
    checkpoint: &Checkpoint,
    date: NaiveDate,
    instants: &[DateTime<Utc>],
) -> Vec<(String, String)> {
    let tz = checkpoint.time_zone;
    let label = |at: DateTime<Utc>| {
        if local_date(tz, at) == date {
            times::clock(tz, at)
        } else {
            "24:00".to_owned()
        }
    };
    let labels: Vec<String> = instants.iter().map(|at| label(*at)).collect();
    instants
        .iter()
        .zip(&labels)
        .map(|(at, text)| {
            let repeated = labels.iter().filter(|other| *other == text).count() > 1;
            let text = if repeated {
                format!("{text} ({})", times::offset_label(tz, *at))
            } else {
                text.clone()
            };
            (at.to_rfc3339(), text)
        })
        .collect()
}

/// The form fields every window form shares.
struct RangeChoices {
    starts: Vec<(String, String)>,
    ends: Vec<(String, String)>,
    directions: Vec<Direction>,
    categories: Vec<Category>,
}

pub async fn day_page(
    sp: &StaffPage<'_>,
    checkpoint: &Checkpoint,
    date: NaiveDate,
    notice: Option<(Action, usize)>,
    failed: Option<Failed<'_>>,
) -> HttpResponse {
    let (lang, t, st) = (sp.page.lang, sp.page.t, sp.st);
    let windows = match sp
        .state
        .registry
        .ask(&checkpoint.id, date, QueryAvailability)
        .await
    {
        Ok(windows) => windows,
        Err(error) => return sp.error_page(None, st.day_heading, &error.into()),
    };
    let status = failed.as_ref().map_or(StatusCode::OK, |f| f.problem.status);
    let tz = checkpoint.time_zone;
    let starts: BTreeSet<DateTime<Utc>> = windows.iter().map(|w| w.key.start).collect();
    let ends: BTreeSet<DateTime<Utc>> = windows.iter().map(|w| w.end).collect();
    let choices = RangeChoices {
        starts: boundary_options(checkpoint, date, &starts.into_iter().collect::<Vec<_>>()),
        ends: boundary_options(checkpoint, date, &ends.into_iter().collect::<Vec<_>>()),
        directions: checkpoint.directions.clone(),
        categories: checkpoint.capacity.keys().copied().collect(),
    };
    let lanes: Vec<(Direction, Category, Vec<&SlotWindow>)> = checkpoint
        .directions
        .iter()
        .flat_map(|&direction| {
            checkpoint
                .capacity
                .keys()
                .map(move |&category| (direction, category))
        })
        .map(|(direction, category)| {
            let mut in_lane: Vec<&SlotWindow> = windows
                .iter()
                .filter(|w| w.key.direction == direction && w.key.category == category)
                .collect();
            in_lane.sort_by_key(|w| w.key.start);
            (direction, category, in_lane)
        })
        .collect();
    let lane_id = |d: Direction, c: Category| format!("lane-{}-{}", d.as_str(), c.as_str());
    let zone = windows
        .first()
        .map(|w| times::offset_label(tz, w.key.start))
        .unwrap_or_default();
    let title = format!("{} · {}", checkpoint.name, lang.date(date));
    let reachable = |day: &NaiveDate| in_reach(sp.state, checkpoint, *day);
    let previous = date.checked_sub_days(Days::new(1)).filter(reachable);
    let next = date.checked_add_days(Days::new(1)).filter(reachable);
    let main = html! {
        h1 { (st.day_heading) ": " (title) }
        @if let Some(failed) = &failed { (failed.problem.summary(t)) }
        @if let Some((action, count)) = notice {
            div class="notice" role="status" {
                @match action {
                    Action::Block => (st.windows_closed),
                    Action::Unblock => (st.windows_opened),
                    Action::Reserve => (st.windows_reserved),
                }
                " " (count)
            }
        }
        nav class="day-nav" aria-label=(t.date) {
            @if let Some(previous) = previous {
                a href=(day_path(&checkpoint.id, previous, None)) rel="prev" { "← " (t.previous_day) }
            } @else { span {} }
            @if let Some(next) = next {
                a href=(day_path(&checkpoint.id, next, None)) rel="next" { (t.next_day) " →" }
            }
        }
        (chooser(sp, checkpoint, &date.to_string()))
        @if sp.may(ADMINS) {
            @for action in Action::ALL {
                (window_form(sp, action, checkpoint, date, &choices, failed.as_ref()))
            }
        }
        h2 id="lanes" { (st.lanes) }
        p class="hint" { (t.local_time) " (" (zone) ")" }
        ul class="lane-links" aria-labelledby="lanes" {
            @for (direction, category, _) in &lanes {
                li { a href=(format!("#{}", lane_id(*direction, *category))) {
                    (lang.direction(*direction)) " · " (lang.category(*category))
                } }
            }
        }
        div id="day-windows" data-refresh="30" data-refresh-url=(sp.page.location()) {
            @for (direction, category, in_lane) in &lanes {
                @let id = lane_id(*direction, *category);
                h3 id=(id) { (lang.direction(*direction)) " · " (lang.category(*category)) }
                div class="table-scroll" tabindex="0" role="region" aria-labelledby=(id) {
                    table aria-labelledby=(id) {
                        thead {
                            (heading_row(&[
                                Text(t.window), Figure(st.capacity), Figure(st.reserved),
                                Figure(st.confirmed), Figure(st.held), Figure(st.free), Text(st.state),
                            ]))
                        }
                        tbody {
                            @for window in in_lane {
                                tr class=[window.blocked.as_ref().map(|_| "blocked")] {
                                    th scope="row" {
                                        (times::range(tz, window.key.start, window.end))
                                    }
                                    td class="number" { (window.capacity) }
                                    td class="number" { (window.reserved) }
                                    td class="number" { (window.confirmed) }
                                    td class="number" { (window.held) }
                                    td class="number" { (window.capacity.saturating_sub(window.taken())) }
                                    td {
                                        @match &window.blocked {
                                            Some(reason) => { strong { (st.closed_because) } " " (reason) },
                                            None => (st.open),
                                        }
                                    }
                                }
                            }
                        }
                        tfoot {
                            @let sum = |pick: fn(&SlotWindow) -> u32| in_lane.iter().map(|w| pick(w)).sum::<u32>();
                            tr {
                                th scope="row" { (st.whole_day) }
                                td class="number" { (sum(|w| w.capacity)) }
                                td class="number" { (sum(|w| w.reserved)) }
                                td class="number" { (sum(|w| w.confirmed)) }
                                td class="number" { (sum(|w| w.held)) }
                                td class="number" { (sum(|w| w.capacity.saturating_sub(w.taken()))) }
                                td { (st.closed_windows) " " (in_lane.iter().filter(|w| w.blocked.is_some()).count()) }
                            }
                        }
                    }
                }
            }
        }
    };
    sp.render(status, None, &title, main)
}

/// What one of the window forms shows: what was sent if it was this form that was refused.
fn entered_in<'a>(
    action: Action,
    failed: Option<&'a Failed<'a>>,
) -> (Option<&'a RangeForm>, Option<&'a Problem>) {
    match failed {
        Some(failed) if failed.action == action => (Some(failed.entered), Some(&failed.problem)),
        _ => (None, None),
    }
}

/// A field's error beside it, and the attributes that tie the two together.
fn field_error(
    problem: Option<&Problem>,
    field: &str,
    id: &str,
) -> (Option<&'static str>, Option<String>, Markup) {
    match problem.filter(|p| p.concerns(field)) {
        Some(problem) => (
            Some("true"),
            Some(format!("{id}-error")),
            html! { p class="field-error" id=(format!("{id}-error")) { (problem.message) } },
        ),
        None => (None, None, html! {}),
    }
}

/// One end of a range: a window boundary of the day, chosen from a list.
fn boundary_select(
    id: &str,
    name: &'static str,
    label: &str,
    options: &[(String, String)],
    chosen: Option<&str>,
    problem: Option<&Problem>,
) -> Markup {
    let (invalid, described, error) = field_error(problem, name, id);
    html! {
        div {
            label for=(id) { (label) }
            select id=(id) name=(name) aria-invalid=[invalid] aria-describedby=[described] {
                @for (value, text) in options {
                    option value=(value) selected[Some(value.as_str()) == chosen] { (text) }
                }
            }
            (error)
        }
    }
}

fn range_fields(
    sp: &StaffPage<'_>,
    action: Action,
    choices: &RangeChoices,
    entered: Option<&RangeForm>,
    problem: Option<&Problem>,
) -> Markup {
    let (lang, t, st) = (sp.page.lang, sp.page.t, sp.st);
    let id = |name: &str| format!("{}-{name}", action.key());
    let from = entered
        .map(|e| e.from.as_str())
        .or(choices.starts.first().map(|(v, _)| v.as_str()));
    // One window unless told otherwise: closing a whole day should be a choice, not a default.
    let to = entered
        .map(|e| e.to.as_str())
        .or(choices.ends.first().map(|(v, _)| v.as_str()));
    let direction = entered.map_or("", |e| e.direction.as_str());
    let ticked = |category: Category| {
        entered.is_some_and(|e| e.categories.iter().any(|c| c == category.as_str()))
    };
    let (direction_invalid, direction_described, direction_error) =
        field_error(problem, "direction", &id("direction"));
    let (_, _, categories_error) = field_error(problem, "categories", &id("categories"));
    html! {
        (boundary_select(&id("from"), "from", st.from, &choices.starts, from, problem))
        (boundary_select(&id("to"), "to", st.until, &choices.ends, to, problem))
        div {
            label for=(id("direction")) { (t.direction) }
            select id=(id("direction")) name="direction" aria-invalid=[direction_invalid] aria-describedby=[direction_described] {
                option value="" selected[direction.is_empty()] { (st.both_directions) }
                @for d in &choices.directions {
                    option value=(d.as_str()) selected[direction == d.as_str()] { (lang.direction(*d)) }
                }
            }
            (direction_error)
        }
        fieldset class="wide" aria-describedby=(id("categories-hint")) {
            legend { (st.vehicles) }
            @for c in &choices.categories {
                label {
                    input type="checkbox" name="categories" value=(c.as_str()) checked[ticked(*c)];
                    (lang.category(*c))
                }
            }
            p class="hint" id=(id("categories-hint")) { (st.vehicles_hint) }
            (categories_error)
        }
    }
}

fn hidden_day(checkpoint: &Checkpoint, date: NaiveDate) -> Markup {
    html! {
        input type="hidden" name="checkpoint" value=(checkpoint.id.as_str());
        input type="hidden" name="date" value=(date.to_string());
    }
}

/// One of the window forms: its heading, the range every form takes, the fields only this
/// action needs, and its button.
fn window_form(
    sp: &StaffPage<'_>,
    action: Action,
    checkpoint: &Checkpoint,
    date: NaiveDate,
    choices: &RangeChoices,
    failed: Option<&Failed<'_>>,
) -> Markup {
    let st = sp.st;
    let (entered, problem) = entered_in(action, failed);
    // Closing windows may cancel bookings, so only its form explains itself and warns.
    let (heading_id, heading, intro, button, button_class) = match action {
        Action::Block => (
            "block-heading",
            st.block_heading,
            Some(st.block_intro),
            st.block_button,
            Some("danger"),
        ),
        Action::Unblock => (
            "unblock-heading",
            st.unblock_heading,
            None,
            st.unblock_button,
            None,
        ),
        Action::Reserve => (
            "reserve-heading",
            st.reserve_heading,
            None,
            st.reserve_button,
            None,
        ),
    };
    let own_fields = match action {
        Action::Block => block_fields(st, entered, problem),
        Action::Unblock => html! {},
        Action::Reserve => reserve_fields(st, entered, problem),
    };
    html! {
        section class="panel" aria-labelledby=(heading_id) {
            h2 id=(heading_id) { (heading) }
            @if let Some(intro) = intro { p class="hint" { (intro) } }
            form class="stack search" method="post" action=(action.path()) {
                (sp.form_token())
                (hidden_day(checkpoint, date))
                (range_fields(sp, action, choices, entered, problem))
                (own_fields)
                div class="wide" { button type="submit" class=[button_class] { (button) } }
            }
        }
    }
}

/// A field's hint, and its error when it has one, as the ids that describe the field.
fn described_by(hint_id: &str, error_id: Option<String>) -> String {
    match error_id {
        Some(error) => format!("{hint_id} {error}"),
        None => hint_id.to_owned(),
    }
}

/// Closing windows takes a reason, and what becomes of the bookings already made: kept,
/// cancelled or moved to the nearest windows with room.
fn block_fields(st: &StaffTexts, entered: Option<&RangeForm>, problem: Option<&Problem>) -> Markup {
    let reason = entered
        .and_then(|e| e.reason.as_deref())
        .unwrap_or_default();
    let mode = entered.map_or("free_only", |e| e.mode.as_str());
    let (reason_invalid, reason_error_id, reason_error) =
        field_error(problem, "reason", "blocked-reason");
    let reason_described = described_by("blocked-reason-hint", reason_error_id);
    let (_, _, mode_error) = field_error(problem, "mode", "blocked-mode");
    html! {
        div class="wide" {
            label for="blocked-reason" { (st.reason) }
            input id="blocked-reason" name="reason" type="text" value=(reason) required maxlength="500"
                aria-invalid=[reason_invalid] aria-describedby=(reason_described);
            p class="hint" id="blocked-reason-hint" { (st.reason_hint) }
            (reason_error)
        }
        fieldset class="wide" {
            legend { (st.bookings_made) }
            label { input type="radio" name="mode" value="free_only" checked[mode != "cancel_affected" && mode != "move_affected"]; (st.keep_bookings) }
            label { input type="radio" name="mode" value="move_affected" checked[mode == "move_affected"]; (st.move_bookings) }
            label { input type="radio" name="mode" value="cancel_affected" checked[mode == "cancel_affected"]; (st.cancel_bookings) }
            (mode_error)
        }
    }
}

/// Reserving takes the number of places kept in each window.
fn reserve_fields(
    st: &StaffTexts,
    entered: Option<&RangeForm>,
    problem: Option<&Problem>,
) -> Markup {
    let reserved = entered.map_or("", |e| e.reserved.as_str());
    let (invalid, error_id, error) = field_error(problem, "reserved", "reserved-places");
    let described = described_by("reserved-places-hint", error_id);
    html! {
        div class="wide" {
            label for="reserved-places" { (st.reserve_places) }
            input id="reserved-places" name="reserved" type="number" min="0" step="1" inputmode="numeric"
                value=(reserved) required aria-invalid=[invalid] aria-describedby=(described);
            p class="hint" id="reserved-places-hint" { (st.reserve_hint) }
            (error)
        }
    }
}

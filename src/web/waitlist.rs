//! The waitlist's pages: joining it from a full window of the day page (or, from a booking,
//! for an earlier window), and the entry's own page — its position while waiting, the place
//! offered with the button that accepts it, and what became of it. The entry's page is opened
//! by the link with its token, the same link the offer's e-mail carries.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Duration, Utc};
use maud::html;
use serde::Deserialize;

use super::day::Lane;
use super::page::{Page, Section, form_is_genuine, origin};
use super::problems::{Problem, text_field};
use super::times;
use crate::actors::schedule::QueryAvailability;
use crate::app::AppState;
use crate::app::bookings::{LaneKey, Requester, booking_code, find_managed};
use crate::app::error::ApiError;
use crate::app::input::parse_instant;
use crate::app::waitlist::{
    NewEntry, accept_offer, decline_offer, entry_day, entry_id, find_entry, join_waitlist,
    leave_waitlist,
};
use crate::domain::window::local_date;
use crate::domain::{
    Booking, Checkpoint, Contact, InputError, Plate, PriorityClass, SlotWindow, WaitRange,
    WaitlistStanding, WaitlistStatus,
};

/// The page of entry `id`, opened with its token.
pub fn entry_path(id: impl std::fmt::Display, token: &str) -> String {
    format!(
        "/waitlist/{id}?{}",
        serde_urlencoded::to_string([("token", token)]).unwrap_or_default()
    )
}

/// What the join form was sent with, to show it again with its problem.
#[derive(Debug, Default, Deserialize)]
struct JoinForm {
    form_token: Option<String>,
    checkpoint: Option<String>,
    direction: Option<String>,
    category: Option<String>,
    /// The window chosen on the day page; the range starts and ends there unless changed.
    window_start: Option<String>,
    from: Option<String>,
    to: Option<String>,
    plate: Option<String>,
    contact: Option<String>,
    /// The manage token of the booking asking for an earlier window.
    token: Option<String>,
}

/// The windows of `lane`'s day a driver may still wait for, in order.
async fn open_windows(
    state: &AppState,
    lane: &Lane,
    before: Option<DateTime<Utc>>,
) -> Result<Vec<SlotWindow>, ApiError> {
    let windows = state
        .registry
        .ask(&lane.checkpoint.id, lane.date, QueryAvailability)
        .await?;
    let now = state.now();
    Ok(windows
        .into_iter()
        .filter(|w| w.key.direction == lane.direction && w.key.category == lane.category)
        .filter(|w| state.policy().check_window_open(w.key.start, now).is_ok())
        .filter(|w| before.is_none_or(|start| w.key.start < start))
        .collect())
}

/// `GET /waitlist/join`: the form that puts a driver on the waitlist, from a full window.
pub async fn join_page(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let page = Page::new(&request);
    let form: JoinForm = serde_urlencoded::from_str(request.query_string()).unwrap_or_default();
    match form_lane(&state, &form) {
        Ok(lane) => render_join(&page, &state, &lane, &form, None, None).await,
        Err(error) => plain_problem(&page, &error),
    }
}

/// The lane and day a join form names (the day of its chosen window).
fn form_lane(state: &AppState, form: &JoinForm) -> Result<Lane, ApiError> {
    let lane = LaneKey::parse(
        form.checkpoint.as_deref().unwrap_or_default(),
        form.direction.as_deref().unwrap_or_default(),
        form.category.as_deref().unwrap_or_default(),
    )?;
    let checkpoint = state.lane(&lane)?;
    let start = form
        .window_start
        .as_deref()
        .or(form.from.as_deref())
        .map(|raw| parse_instant("window_start", raw))
        .transpose()?
        .ok_or_else(|| InputError::new("window_start", "choose a window"))?;
    Ok(Lane {
        date: local_date(checkpoint.time_zone, start),
        checkpoint,
        direction: lane.direction,
        category: lane.category,
    })
}

fn plain_problem(page: &Page, error: &ApiError) -> HttpResponse {
    problem_page(page, error, page.lang.waitlist().join_heading)
}

/// A refusal on its own page under `heading`, with the way back to booking.
fn problem_page(page: &Page, error: &ApiError, heading: &str) -> HttpResponse {
    let problem = Problem::of(page.lang, error);
    let main = html! {
        h1 { (heading) }
        (problem.summary(page.t))
        p { a class="button" href="/" { (page.t.book_again) } }
    };
    page.render(problem.status, Section::Book, heading, main)
}

/// The join form for `lane`; `booking` (with its manage token) when it asks for an earlier
/// window of its day.
async fn render_join(
    page: &Page,
    state: &AppState,
    lane: &Lane,
    form: &JoinForm,
    booking: Option<(&Booking, &str)>,
    problem: Option<Problem>,
) -> HttpResponse {
    let (t, w) = (page.t, page.lang.waitlist());
    let checkpoint = &lane.checkpoint;
    let before = booking.map(|(b, _)| b.window_start);
    let windows = match open_windows(state, lane, before).await {
        Ok(windows) => windows,
        Err(error) => return plain_problem(page, &error),
    };
    let chosen = form
        .window_start
        .as_deref()
        .and_then(|raw| parse_instant("window_start", raw).ok());
    let picked = |raw: Option<&str>| raw.and_then(|r| parse_instant("from", r).ok()).or(chosen);
    let (from, to) = (picked(form.from.as_deref()), picked(form.to.as_deref()));
    let status = problem.as_ref().map_or(StatusCode::OK, |p| p.status);
    let heading = if booking.is_some() {
        w.earlier_heading
    } else {
        w.join_heading
    };
    let action = match booking {
        Some((booking, _)) => format!("/booking/{}/earlier", booking.code),
        None => "/waitlist".to_owned(),
    };
    let select = |name: &'static str, label: &str, selected: Option<DateTime<Utc>>| {
        html! {
            div {
                label for=(name) { (label) }
                select id=(name) name=(name) {
                    @for window in &windows {
                        option value=(window.key.start.to_rfc3339()) selected[selected == Some(window.key.start)] {
                            (times::window(page.lang, checkpoint, window.key.start, window.end))
                        }
                    }
                }
            }
        }
    };
    let field = |name, label, hint, value, autocomplete| {
        text_field(
            name,
            label,
            hint,
            value,
            "text",
            autocomplete,
            problem.as_ref(),
        )
    };
    let main = html! {
        h1 { (heading) }
        @if let Some(problem) = &problem { (problem.summary(t)) }
        p {
            @if booking.is_some() { (w.earlier_intro) } @else { (w.join_intro) }
        }
        p class="summary" {
            strong { (checkpoint.name) } " · " (page.lang.direction(lane.direction)) " · "
            (page.lang.category(lane.category)) " · " (page.lang.date(lane.date))
        }
        @if let Some((booking, token)) = booking {
            p {
                (w.booking_to_move) ": " span class="code" { (booking.code.to_string()) } ", "
                (times::window(page.lang, checkpoint, booking.window_start, booking.window_end))
                " · " a href=(super::manage::manage_path(booking, token, None)) { (t.back_to_booking) }
            }
        }
        @if windows.is_empty() {
            p { (t.no_windows) }
        } @else {
            form class="stack" method="post" action=(action) {
                (page.form_token(state))
                input type="hidden" name="checkpoint" value=(checkpoint.id.as_str());
                input type="hidden" name="direction" value=(lane.direction.as_str());
                input type="hidden" name="category" value=(lane.category.as_str());
                @if let Some(chosen) = chosen {
                    input type="hidden" name="window_start" value=(chosen.to_rfc3339());
                }
                @if let Some((_, token)) = booking {
                    input type="hidden" name="token" value=(token);
                }
                (select("from", w.from_window, from.or(windows.first().map(|w| w.key.start))))
                (select("to", w.to_window, to.or(windows.last().map(|w| w.key.start))))
                p class="hint" { (w.range_hint) }
                @if booking.is_none() {
                    (field("plate", t.plate, t.plate_hint, form.plate.as_deref(), "off"))
                    (field("contact", t.contact, t.contact_hint, form.contact.as_deref(), "email"))
                }
                div { button type="submit" { (w.join_button) } }
            }
        }
    };
    page.render(status, Section::Book, heading, main)
}

/// The range a join form names: every window from the one at `from` to the end of the one at
/// `to`.
fn form_range(form: &JoinForm, checkpoint: &Checkpoint) -> Result<WaitRange, InputError> {
    let from = parse_instant("from", form.from.as_deref().unwrap_or_default())?;
    let to = parse_instant("to", form.to.as_deref().unwrap_or_default())?;
    let (from, to) = (from.min(to), from.max(to));
    let length = Duration::minutes(i64::from(checkpoint.window_minutes.max(1)));
    WaitRange::between(from, to + length)
}

/// The windows an entry waits for, in local time: those it names, or its time range.
fn range_text(range: &WaitRange, checkpoint: &Checkpoint) -> String {
    let zone = checkpoint.time_zone;
    let listed = if range.starts.is_empty() {
        times::range(zone, range.from, range.to)
    } else {
        range
            .starts
            .iter()
            .map(|start| times::clock(zone, *start))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("{listed} ({})", times::offset_label(zone, range.from))
}

/// `POST /waitlist`: joins the waitlist and shows the entry's page.
#[tracing::instrument(name = "Join the waitlist from the web page", skip_all)]
pub async fn join(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let page = Page::new(&request);
    let form: JoinForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let lane = match form_lane(&state, &form) {
        Ok(lane) => lane,
        Err(error) => return plain_problem(&page, &error),
    };
    if !form_is_genuine(&request, &state, form.form_token.as_deref()) {
        let problem = Problem::new(page.t.error_form_expired, StatusCode::FORBIDDEN);
        return render_join(&page, &state, &lane, &form, None, Some(problem)).await;
    }
    let entry = (|| {
        Ok::<_, ApiError>(NewEntry {
            lane: LaneKey {
                checkpoint: lane.checkpoint.id.clone(),
                direction: lane.direction,
                category: lane.category,
            },
            range: form_range(&form, &lane.checkpoint)?,
            plate: Plate::parse(form.plate.as_deref().unwrap_or_default().trim())?,
            contact: Contact::parse(form.contact.as_deref().unwrap_or_default().trim())?,
            priority: PriorityClass::Normal,
            booking: None,
        })
    })();
    let requester = Requester {
        address: request.peer_addr().map(|address| address.ip()),
        carrier: None,
        // An entry keeps no account: its booking is claimed with its code and token.
        owner: None,
    };
    let joined = match entry {
        Ok(entry) => join_waitlist(&state, entry, requester, None).await,
        Err(error) => Err(error),
    };
    match joined {
        Ok(joined) => page.redirect(&entry_path(joined.standing.entry.id, &joined.token)),
        Err(error) => {
            let problem = Problem::of(page.lang, &error);
            render_join(&page, &state, &lane, &form, None, Some(problem)).await
        }
    }
}

/// The booking a form or link opens with its manage token, confirmed (only a confirmed booking
/// waits for an earlier window).
async fn open_booking(
    state: &AppState,
    code: &str,
    token: &str,
) -> Result<(Booking, Arc<Checkpoint>), ApiError> {
    find_managed(state, &booking_code(code)?, token).await
}

/// `GET /booking/{code}/earlier`: the form that waits for an earlier window for a booking.
pub async fn earlier_page(
    request: HttpRequest,
    code: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let page = Page::new(&request);
    let token = page.query_value("token").unwrap_or_default().to_owned();
    match open_booking(&state, &code, &token).await {
        Ok((booking, checkpoint)) => {
            let lane = Lane::of_booking(&booking, checkpoint, booking.day);
            let form = JoinForm::default();
            render_join(&page, &state, &lane, &form, Some((&booking, &token)), None).await
        }
        Err(error) => plain_problem(&page, &error),
    }
}

/// `POST /booking/{code}/earlier`: waits for an earlier window; the booking stays meanwhile.
#[tracing::instrument(name = "Wait for an earlier window from the web page", skip_all)]
pub async fn earlier(
    request: HttpRequest,
    code: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let page = Page::new(&request);
    let form: JoinForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let token = form.token.clone().unwrap_or_default();
    let (booking, checkpoint) = match open_booking(&state, &code, &token).await {
        Ok(opened) => opened,
        Err(error) => return plain_problem(&page, &error),
    };
    let lane = Lane::of_booking(&booking, checkpoint.clone(), booking.day);
    let page = page.at(&format!(
        "/booking/{}/earlier?{}",
        booking.code,
        serde_urlencoded::to_string([("token", token.as_str())]).unwrap_or_default()
    ));
    let shown = Some((&booking, token.as_str()));
    if !form_is_genuine(&request, &state, form.form_token.as_deref()) {
        let problem = Problem::new(page.t.error_form_expired, StatusCode::FORBIDDEN);
        return render_join(&page, &state, &lane, &form, shown, Some(problem)).await;
    }
    let entry = (|| {
        Ok::<_, ApiError>(NewEntry {
            lane: LaneKey {
                checkpoint: checkpoint.id.clone(),
                direction: booking.direction,
                category: booking.category,
            },
            range: form_range(&form, &checkpoint)?,
            plate: booking.plate.clone().ok_or(ApiError::Allocation(
                crate::domain::AllocationError::InvalidTransition(booking.status.as_str()),
            ))?,
            contact: booking
                .contact
                .clone()
                .ok_or_else(|| InputError::new("contact", "required"))?,
            priority: booking.priority,
            booking: Some(booking.clone()),
        })
    })();
    let requester = Requester {
        address: request.peer_addr().map(|address| address.ip()),
        carrier: None,
        // An entry keeps no account: its booking is claimed with its code and token.
        owner: None,
    };
    let joined = match entry {
        Ok(entry) if entry_day(&checkpoint, &entry.range) == booking.day => {
            join_waitlist(&state, entry, requester, None).await
        }
        Ok(_) => Err(InputError::new("from", "a window of the booking's day").into()),
        Err(error) => Err(error),
    };
    match joined {
        Ok(joined) => page.redirect(&entry_path(joined.standing.entry.id, &joined.token)),
        Err(error) => {
            let problem = Problem::of(page.lang, &error);
            render_join(&page, &state, &lane, &form, shown, Some(problem)).await
        }
    }
}

/// `GET /waitlist/{id}`: the entry's page.
pub async fn show(
    request: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let page = Page::new(&request);
    let token = page.query_value("token").unwrap_or_default().to_owned();
    match open_entry(&state, &id, &token).await {
        Ok((standing, checkpoint)) => entry_page(
            &page,
            &state,
            &request,
            &standing,
            &checkpoint,
            &token,
            None,
        ),
        Err(error) => not_found(&page, &error),
    }
}

async fn open_entry(
    state: &AppState,
    id: &str,
    token: &str,
) -> Result<(WaitlistStanding, Arc<Checkpoint>), ApiError> {
    find_entry(state, entry_id(id)?, token).await
}

fn not_found(page: &Page, error: &ApiError) -> HttpResponse {
    problem_page(page, error, page.lang.waitlist().status_heading)
}

#[allow(clippy::too_many_arguments)]
fn entry_page(
    page: &Page,
    state: &AppState,
    request: &HttpRequest,
    standing: &WaitlistStanding,
    checkpoint: &Arc<Checkpoint>,
    token: &str,
    problem: Option<Problem>,
) -> HttpResponse {
    let (t, w) = (page.t, page.lang.waitlist());
    let entry = &standing.entry;
    let status = problem.as_ref().map_or(StatusCode::OK, |p| p.status);
    let lane = Lane {
        checkpoint: checkpoint.clone(),
        direction: entry.direction,
        category: entry.category,
        date: entry.day,
    };
    let windows_page = format!(
        "/windows?{}",
        lane.query(entry.day.max(state.today_at(checkpoint)))
    );
    let action = |verb: &str| format!("/waitlist/{}/{verb}", entry.id);
    let button_form = |verb: &str, class: &str, label: &str| {
        html! {
            form method="post" action=(action(verb)) {
                (page.form_token(state))
                input type="hidden" name="token" value=(token);
                button type="submit" class=(class) { (label) }
            }
        }
    };
    let link = format!("{}{}", origin(request), entry_path(entry.id, token));
    let main = html! {
        h1 { (w.status_heading) }
        @if let Some(problem) = &problem { (problem.summary(t)) }
        div id="waitlist-entry" data-refresh="15" data-refresh-url=(entry_path(entry.id, token)) {
            dl class="facts" {
                dt { (t.checkpoint) } dd { (checkpoint.name) }
                dt { (t.direction) } dd { (page.lang.direction(entry.direction)) }
                dt { (t.category) } dd { (page.lang.category(entry.category)) }
                dt { (t.date) } dd { (page.lang.date(entry.day)) }
                dt { (w.windows_waited_for) }
                dd { (range_text(&entry.range, checkpoint)) }
                dt { (t.plate) } dd { (entry.plate.to_string()) }
                dt { (t.booking_status) }
                dd data-status=(entry.status.as_str()) { (page.lang.waitlist_status(entry.status)) }
                @if let Some(position) = standing.position {
                    dt { (w.position) } dd data-position=(position) { (position) }
                    dt { (w.waiting_now) } dd { (standing.active) }
                }
            }
            @match entry.status {
                WaitlistStatus::Waiting => {
                    div class="actions" { (button_form("leave", "secondary", w.leave)) }
                }
                WaitlistStatus::Offered => {
                    @if let Some(offer) = &entry.offer {
                        div class="notice" role="status" {
                            p { (w.offer_intro) }
                            p {
                                (w.offered_window) ": "
                                strong { (times::window(page.lang, checkpoint, offer.window_start, offer.window_end)) }
                            }
                            p { (w.held_until) ": " (times::instant(page.lang, checkpoint, offer.expires_at)) }
                        }
                        div class="actions" {
                            (button_form("accept", "", w.accept))
                            (button_form("decline", "secondary", w.decline))
                        }
                    }
                }
                WaitlistStatus::Accepted => {
                    @let moved = entry.booking.is_some();
                    div class="notice" role="status" {
                        @if moved { (w.accepted_moved) } @else { (w.accepted_new) }
                    }
                    @if let (Some(code), false) = (&entry.code, moved) {
                        p {
                            a class="button" href=(format!("/booking/{code}?{}", serde_urlencoded::to_string([("token", token)]).unwrap_or_default())) {
                                (w.open_booking)
                            }
                        }
                    }
                }
                WaitlistStatus::Expired => {
                    div class="problem" role="alert" { (w.expired_text) }
                    p { a class="button" href=(windows_page) { (t.book_again) } }
                }
                WaitlistStatus::Declined => {
                    p { (w.declined_text) }
                    p { a class="button" href=(windows_page) { (t.book_again) } }
                }
                WaitlistStatus::Left => {
                    p { (w.left_text) }
                    p { a class="button" href=(windows_page) { (t.book_again) } }
                }
            }
        }
        @if entry.status.is_active() {
            h2 { (w.page_link) }
            p class="manage-link" { a href=(link) { (link) } }
            p class="hint" { (w.keep_link) }
        }
    };
    page.render(status, Section::Book, w.status_heading, main)
}

#[derive(Debug, Default, Deserialize)]
struct EntryForm {
    form_token: Option<String>,
    token: Option<String>,
}

/// `POST /waitlist/{id}/{accept,decline,leave}`.
#[tracing::instrument(name = "Answer a waitlist offer from the web page", skip_all)]
pub async fn answer(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let (id, verb) = path.into_inner();
    let page = Page::new(&request);
    let form: EntryForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let token = form.token.clone().unwrap_or_default();
    let (standing, checkpoint) = match open_entry(&state, &id, &token).await {
        Ok(opened) => opened,
        Err(error) => return not_found(&page, &error),
    };
    let page = page.at(&entry_path(standing.entry.id, &token));
    let refused = |problem: Problem| {
        entry_page(
            &page,
            &state,
            &request,
            &standing,
            &checkpoint,
            &token,
            Some(problem),
        )
    };
    if !form_is_genuine(&request, &state, form.form_token.as_deref()) {
        return refused(Problem::new(
            page.t.error_form_expired,
            StatusCode::FORBIDDEN,
        ));
    }
    let entry = &standing.entry;
    let outcome = match verb.as_str() {
        "accept" => accept_offer(&state, entry, checkpoint.clone(), None)
            .await
            .map(|accepted| accepted.entry),
        "decline" => decline_offer(&state, entry, None).await,
        "leave" => leave_waitlist(&state, entry, None).await,
        _ => Err(ApiError::NotFound("waitlist entry")),
    };
    match outcome {
        Ok(entry) => {
            let path = entry_path(entry.id, &token);
            // A new booking opens on its own page; anything else shows the entry again.
            match (&entry.code, entry.status, entry.booking) {
                (Some(code), WaitlistStatus::Accepted, None) => page.redirect(&format!(
                    "/booking/{code}?{}",
                    serde_urlencoded::to_string([("token", token.as_str()), ("done", "confirmed")])
                        .unwrap_or_default()
                )),
                _ => page.redirect(&path),
            }
        }
        Err(error) => {
            // Show the entry as it is now: an offer that ran out is gone, not still offered.
            match open_entry(&state, &id, &token).await {
                Ok((current, _)) => entry_page(
                    &page,
                    &state,
                    &request,
                    &current,
                    &checkpoint,
                    &token,
                    Some(Problem::of(page.lang, &error)),
                ),
                Err(_) => refused(Problem::of(page.lang, &error)),
            }
        }
    }
}

/// The link on a full window of the day page.
pub fn join_link(lane: &Lane, window: &SlotWindow) -> String {
    format!(
        "/waitlist/join?{}",
        serde_urlencoded::to_string([
            ("checkpoint", lane.checkpoint.id.as_str()),
            ("direction", lane.direction.as_str()),
            ("category", lane.category.as_str()),
            ("window_start", &window.key.start.to_rfc3339()),
        ])
        .unwrap_or_default()
    )
}

/// The link from a confirmed booking's page.
pub fn earlier_link(booking: &Booking, token: &str) -> String {
    format!(
        "/booking/{}/earlier?{}",
        booking.code,
        serde_urlencoded::to_string([("token", token)]).unwrap_or_default()
    )
}

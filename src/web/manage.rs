//! A booking's own page, opened by its manage link: while held, a countdown and the form that
//! confirms it; once booked, its code and QR code, a calendar file, and the ways to move or
//! cancel it.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use maud::{Markup, html};
use serde::Deserialize;

use super::day::{self, Holder, Lane, Pick};
use super::page::{Page, Section, form_is_genuine, origin};
use super::problems::{Problem, text_field};
use super::{qr, times};
use crate::app::AppState;
use crate::app::bookings::{
    booking_code, cancel_booking, confirm_booking, find_managed, reschedule_booking,
};
use crate::app::error::ApiError;
use crate::app::input::{parse_date, parse_instant};
use crate::domain::window::local_date;
use crate::domain::{AllocationError, Booking, BookingStatus, Checkpoint, Contact, Plate};

/// What just happened, said once at the top of the booking page after a redirect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    Confirmed,
    Moved,
    Cancelled,
    /// The driver kept the window the checkpoint moved the booking to.
    Kept,
}

impl Done {
    fn parse(raw: &str) -> Option<Done> {
        [Done::Confirmed, Done::Moved, Done::Cancelled, Done::Kept]
            .into_iter()
            .find(|done| done.as_str() == raw)
    }

    fn as_str(self) -> &'static str {
        match self {
            Done::Confirmed => "confirmed",
            Done::Moved => "moved",
            Done::Cancelled => "cancelled",
            Done::Kept => "kept",
        }
    }
}

pub fn manage_path(booking: &Booking, token: &str, done: Option<Done>) -> String {
    let mut query = vec![("token", token)];
    if let Some(done) = done {
        query.push(("done", done.as_str()));
    }
    format!(
        "/booking/{}?{}",
        booking.code,
        serde_urlencoded::to_string(query).unwrap_or_default()
    )
}

#[derive(Debug, Default, Deserialize)]
struct ManageForm {
    form_token: Option<String>,
    token: Option<String>,
    plate: Option<String>,
    contact: Option<String>,
    window_start: Option<String>,
}

/// What the confirm form showed when it was sent, to show it again with its problem.
#[derive(Default)]
struct Entered<'a> {
    plate: Option<&'a str>,
    contact: Option<&'a str>,
}

/// A booking opened with its manage token.
pub(super) struct Managed {
    pub(super) booking: Booking,
    pub(super) checkpoint: Arc<Checkpoint>,
    pub(super) token: String,
}

impl Managed {
    async fn open(state: &AppState, code: &str, token: String) -> Result<Self, ApiError> {
        let (booking, checkpoint) = find_managed(state, &booking_code(code)?, &token).await?;
        Ok(Self {
            booking,
            checkpoint,
            token,
        })
    }

    pub(super) fn path(&self, done: Option<Done>) -> String {
        manage_path(&self.booking, &self.token, done)
    }

    fn lane(&self, date: NaiveDate) -> Lane {
        Lane::of_booking(&self.booking, self.checkpoint.clone(), date)
    }

    fn pick(&self) -> Pick<'_> {
        Pick::Move {
            booking: &self.booking,
            by: Holder::Token(&self.token),
        }
    }
}

pub async fn show(
    request: HttpRequest,
    code: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let page = Page::new(&request);
    let token = page.query_value("token").unwrap_or_default().to_owned();
    let done = page.query_value("done").and_then(Done::parse);
    match Managed::open(&state, &code, token).await {
        Ok(managed) => booking_page(
            &page,
            &state,
            &request,
            &managed,
            done,
            None,
            Entered::default(),
        ),
        Err(error) => not_found(&page, &error),
    }
}

fn not_found(page: &Page, error: &ApiError) -> HttpResponse {
    let t = page.t;
    let problem = Problem::of(page.lang, error);
    let main = html! {
        h1 { (t.booking_heading) }
        (problem.summary(t))
        p { a class="button" href="/" { (t.book_again) } }
    };
    page.render(problem.status, Section::Book, t.booking_heading, main)
}

fn booking_page(
    page: &Page,
    state: &AppState,
    request: &HttpRequest,
    managed: &Managed,
    notice: Option<Done>,
    problem: Option<Problem>,
    entered: Entered<'_>,
) -> HttpResponse {
    let Managed {
        booking,
        checkpoint,
        token,
    } = managed;
    let t = page.t;
    let now = state.now();
    let hold_ran_out = booking.status == BookingStatus::Held
        && booking.hold_expires_at.is_some_and(|at| at <= now);
    let status = problem.as_ref().map_or(StatusCode::OK, |p| p.status);
    let facts = facts(page, managed, hold_ran_out);
    let lane = managed.lane(booking.day);
    let book_again = html! {
        p { a class="button" href=(format!("/windows?{}", lane.query(booking.day.max(state.today_at(checkpoint))))) { (t.book_again) } }
    };
    let main = match booking.status {
        BookingStatus::Held if !hold_ran_out => {
            let expires = booking.hold_expires_at.unwrap_or(now);
            html! {
                h1 { (t.hold_heading) }
                @if let Some(problem) = &problem { (problem.summary(t)) }
                (super::reslot::notice(page, state, managed))
                p { (t.hold_intro) }
                (facts)
                p class="countdown-static" {
                    (t.hold_until) ": " (times::instant(page.lang, checkpoint, expires))
                }
                // Seconds left by the server's clock: a phone's clock may be minutes off.
                p class="countdown" hidden data-seconds-left=((expires - now).num_seconds().max(0)) data-form="confirm-form" data-expired="hold-ran-out" {
                    (t.hold_time_left) ": " span data-countdown-value role="timer" {}
                }
                div class="problem" id="hold-ran-out" role="alert" tabindex="-1" hidden {
                    (t.hold_ran_out) " " a href=(format!("/windows?{}", lane.query(booking.day))) { (t.book_again) }
                }
                (confirm_form(page, state, booking, token, problem.as_ref(), &entered))
                form method="post" action=(format!("/booking/{}/cancel", booking.code)) class="actions" {
                    (page.form_token(state))
                    input type="hidden" name="token" value=(token);
                    button type="submit" class="secondary" { (t.release_hold) }
                }
            }
        }
        BookingStatus::Held | BookingStatus::Expired => html! {
            h1 { (t.booking_heading) }
            @match &problem {
                Some(problem) => (problem.summary(t)),
                None => div class="problem" role="alert" { (t.error_hold_expired) },
            }
            (facts)
            (book_again)
        },
        BookingStatus::Confirmed | BookingStatus::Arrived | BookingStatus::Completed => {
            let link = format!("{}{}", origin(request), manage_path(booking, token, None));
            let calendar = format!(
                "/api/v1/bookings/{}.ics?{}",
                booking.code,
                serde_urlencoded::to_string([("token", token)]).unwrap_or_default()
            );
            let code = booking.code.to_string();
            html! {
                h1 { (t.booking_heading) }
                @if let Some(problem) = &problem { (problem.summary(t)) }
                @if let Some(notice) = notice { (notice_box(page, notice)) }
                (super::reslot::notice(page, state, managed))
                p { (t.booking_code) ": " span class="code" data-code=(code) { (code) } }
                (qr::svg(booking.code.as_str(), &format!("{} {}", t.qr_code_of, code)))
                p class="hint" { (t.qr_hint) }
                (facts)
                h2 { (t.manage_link) }
                p class="manage-link" { a href=(link) { (link) } }
                p class="hint" { (t.manage_link_hint) }
                @if booking.status == BookingStatus::Confirmed {
                    div class="actions" {
                        a class="button secondary" href=(calendar) download { (t.add_to_calendar) }
                        a class="button secondary" href=(format!("/booking/{}/reschedule?{}", booking.code, serde_urlencoded::to_string([("token", token)]).unwrap_or_default())) { (t.reschedule) }
                        a class="button secondary" href=(super::waitlist::earlier_link(booking, token)) { (page.lang.waitlist().wait_for_earlier) }
                        // A confirmed booking is cancelled in two steps: one tap too many costs a
                        // driver their place.
                        a class="button danger" href=(format!("/booking/{}/cancel?{}", booking.code, serde_urlencoded::to_string([("token", token)]).unwrap_or_default())) { (t.cancel_booking) }
                    }
                }
            }
        }
        BookingStatus::Cancelled | BookingStatus::NoShow => html! {
            h1 { (t.booking_heading) }
            @if let Some(problem) = &problem { (problem.summary(t)) }
            @if let Some(notice) = notice { (notice_box(page, notice)) }
            (facts)
            (book_again)
        },
    };
    page.render(status, Section::Book, t.booking_heading, main)
}

/// What the booking is, as a list a driver reads at a glance.
fn facts(page: &Page, managed: &Managed, hold_ran_out: bool) -> Markup {
    let (t, booking, checkpoint) = (page.t, &managed.booking, &managed.checkpoint);
    html! {
        dl class="facts" {
            dt { (t.checkpoint) } dd { (checkpoint.name) }
            dt { (t.direction) } dd { (page.lang.direction(booking.direction)) }
            dt { (t.category) } dd { (page.lang.category(booking.category)) }
            dt { (t.date) } dd { (page.lang.date(booking.day)) }
            dt { (t.arrive_between) } dd { (times::window(page.lang, checkpoint, booking.window_start, booking.window_end)) }
            @if let Some(plate) = &booking.plate { dt { (t.plate) } dd { (plate.to_string()) } }
            dt { (t.booking_status) }
            dd data-status=(booking.status.as_str()) {
                @if hold_ran_out { (t.status_expired) } @else { (page.lang.status(booking.status)) }
            }
        }
    }
}

fn notice_box(page: &Page, notice: Done) -> Markup {
    let t = page.t;
    let text = match notice {
        Done::Confirmed => t.notice_confirmed,
        Done::Moved => t.notice_moved,
        Done::Cancelled => t.notice_cancelled,
        Done::Kept => t.notice_kept,
    };
    html! { div class="notice" role="status" { (text) } }
}

fn confirm_form(
    page: &Page,
    state: &AppState,
    booking: &Booking,
    token: &str,
    problem: Option<&Problem>,
    entered: &Entered<'_>,
) -> Markup {
    let t = page.t;
    let field = |name, label, hint, value, kind, autocomplete| {
        text_field(name, label, hint, value, kind, autocomplete, problem)
    };
    html! {
        form id="confirm-form" class="stack" method="post" action=(format!("/booking/{}/confirm", booking.code)) {
            (page.form_token(state))
            input type="hidden" name="token" value=(token);
            (field("plate", t.plate, t.plate_hint, entered.plate.or(booking.plate.as_ref().map(|p| p.as_str())), "text", "off"))
            (field("contact", t.contact, t.contact_hint, entered.contact.or(booking.contact.as_ref().map(|c| c.as_str())), "text", "email"))
            div { button type="submit" { (t.confirm) } }
        }
    }
}

/// A form sent from a booking's pages, with the booking it names.
pub(super) struct ManagedForm {
    pub(super) page: Page,
    form: ManageForm,
    pub(super) managed: Managed,
}

impl ManagedForm {
    /// Reads the form and opens its booking; the answer already when the booking is not found.
    async fn read(
        request: &HttpRequest,
        state: &AppState,
        code: &str,
        body: &[u8],
    ) -> Result<Self, HttpResponse> {
        let page = Page::new(request);
        let form: ManageForm = serde_urlencoded::from_bytes(body).unwrap_or_default();
        match Managed::open(state, code, form.token.clone().unwrap_or_default()).await {
            Ok(managed) => Ok(Self {
                page: page.at(&managed.path(None)),
                form,
                managed,
            }),
            Err(error) => Err(not_found(&page, &error)),
        }
    }

    /// Reads the form as `read` does, and answers with the booking's page again when the form
    /// was not sent from one of our own pages.
    pub(super) async fn read_genuine(
        request: &HttpRequest,
        state: &AppState,
        code: &str,
        body: &[u8],
    ) -> Result<Self, HttpResponse> {
        let sent = Self::read(request, state, code, body).await?;
        if !sent.is_genuine(request, state) {
            return Err(sent.refused(state, request, sent.form_expired()));
        }
        Ok(sent)
    }

    fn is_genuine(&self, request: &HttpRequest, state: &AppState) -> bool {
        form_is_genuine(request, state, self.form.form_token.as_deref())
    }

    fn entered(&self) -> Entered<'_> {
        Entered {
            plate: self.form.plate.as_deref(),
            contact: self.form.contact.as_deref(),
        }
    }

    /// The booking's page again, with what went wrong.
    pub(super) fn refused(
        &self,
        state: &AppState,
        request: &HttpRequest,
        problem: Problem,
    ) -> HttpResponse {
        booking_page(
            &self.page,
            state,
            request,
            &self.managed,
            None,
            Some(problem),
            self.entered(),
        )
    }

    fn form_expired(&self) -> Problem {
        Problem::new(self.page.t.error_form_expired, StatusCode::FORBIDDEN)
    }
}

#[tracing::instrument(name = "Confirm from the web page", skip_all)]
pub async fn confirm(
    request: HttpRequest,
    code: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let mut sent = match ManagedForm::read_genuine(&request, &state, &code, &body).await {
        Ok(sent) => sent,
        Err(answer) => return answer,
    };
    // A second press of the button (no script to stop it) finds the booking confirmed already.
    if sent.managed.booking.status == BookingStatus::Confirmed {
        return sent
            .page
            .redirect(&sent.managed.path(Some(Done::Confirmed)));
    }
    let plate = sent
        .form
        .plate
        .as_deref()
        .map(str::trim)
        .unwrap_or_default();
    let contact = sent
        .form
        .contact
        .as_deref()
        .map(str::trim)
        .unwrap_or_default();
    let confirmed = match (Plate::parse(plate), Contact::parse(contact)) {
        (Ok(plate), Ok(contact)) => {
            let booking = &sent.managed.booking;
            confirm_booking(&state, booking, Some(plate), Some(contact), None).await
        }
        (Err(invalid), _) | (_, Err(invalid)) => Err(invalid.into()),
    };
    match confirmed {
        Ok(confirmed) => sent.page.redirect(&manage_path(
            &confirmed,
            &sent.managed.token,
            Some(Done::Confirmed),
        )),
        Err(error) => {
            // Show the booking as it is now: an expired hold is gone, not still held.
            if let ApiError::Allocation(AllocationError::HoldExpired) = error
                && let Ok((current, _)) =
                    find_managed(&state, &sent.managed.booking.code, &sent.managed.token).await
            {
                sent.managed.booking = current;
            }
            sent.refused(&state, &request, Problem::of(sent.page.lang, &error))
        }
    }
}

#[tracing::instrument(name = "Cancel from the web page", skip_all)]
pub async fn cancel(
    request: HttpRequest,
    code: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let sent = match ManagedForm::read_genuine(&request, &state, &code, &body).await {
        Ok(sent) => sent,
        Err(answer) => return answer,
    };
    match cancel_booking(&state, &sent.managed.booking, None).await {
        Ok(cancelled) => sent.page.redirect(&manage_path(
            &cancelled,
            &sent.managed.token,
            Some(Done::Cancelled),
        )),
        Err(error) => sent.refused(&state, &request, Problem::of(sent.page.lang, &error)),
    }
}

fn reschedule_path(managed: &Managed, date: NaiveDate) -> String {
    format!(
        "/booking/{}/reschedule?{}",
        managed.booking.code,
        serde_urlencoded::to_string([
            ("token", managed.token.as_str()),
            ("date", &date.to_string())
        ])
        .unwrap_or_default()
    )
}

/// A page about a confirmed booking, opened by the token in its address; for any other
/// booking the answer is its own page, saying it can no longer change.
async fn open_confirmed(
    request: &HttpRequest,
    state: &AppState,
    code: &str,
) -> Result<(Page, Managed), HttpResponse> {
    let page = Page::new(request);
    let token = page.query_value("token").unwrap_or_default().to_owned();
    let managed = Managed::open(state, code, token)
        .await
        .map_err(|error| not_found(&page, &error))?;
    if managed.booking.status != BookingStatus::Confirmed {
        let problem = Problem::new(page.t.error_wrong_state, StatusCode::CONFLICT);
        return Err(booking_page(
            &page,
            state,
            request,
            &managed,
            None,
            Some(problem),
            Entered::default(),
        ));
    }
    Ok((page, managed))
}

/// The question before a confirmed booking is cancelled.
pub async fn ask_to_cancel(
    request: HttpRequest,
    code: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let (page, managed) = match open_confirmed(&request, &state, &code).await {
        Ok(opened) => opened,
        Err(answer) => return answer,
    };
    let t = page.t;
    let main = html! {
        h1 { (t.cancel_question) }
        (facts(&page, &managed, false))
        div class="actions" {
            form method="post" action=(format!("/booking/{}/cancel", managed.booking.code)) {
                (page.form_token(&state))
                input type="hidden" name="token" value=(managed.token);
                button type="submit" class="danger" { (t.cancel_yes) }
            }
            a class="button secondary" href=(managed.path(None)) { (t.keep_booking) }
        }
    };
    page.render(StatusCode::OK, Section::Book, t.cancel_question, main)
}

pub async fn choose_new_window(
    request: HttpRequest,
    code: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let (page, managed) = match open_confirmed(&request, &state, &code).await {
        Ok(opened) => opened,
        Err(answer) => return answer,
    };
    let date = page
        .query_value("date")
        .and_then(|d| parse_date("date", d).ok())
        .unwrap_or(managed.booking.day);
    day::render(&page, &state, &managed.lane(date), managed.pick(), None).await
}

#[tracing::instrument(name = "Reschedule from the web page", skip_all)]
pub async fn reschedule(
    request: HttpRequest,
    code: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let sent = match ManagedForm::read(&request, &state, &code, &body).await {
        Ok(sent) => sent,
        Err(answer) => return answer,
    };
    let genuine = sent.is_genuine(&request, &state);
    let expired = sent.form_expired();
    let ManagedForm {
        page,
        form,
        managed,
    } = sent;
    let window_start = form.window_start.unwrap_or_default();
    // A refused move shows the day it aimed at again.
    let date = parse_instant("window_start", &window_start)
        .map(|start| local_date(managed.checkpoint.time_zone, start))
        .unwrap_or(managed.booking.day);
    let lane = managed.lane(date);
    let page = page.at(&reschedule_path(&managed, date));
    if !genuine {
        return day::render(&page, &state, &lane, managed.pick(), Some(expired)).await;
    }
    let moved = match parse_instant("window_start", &window_start) {
        Ok(start) => {
            let (booking, checkpoint) = (&managed.booking, &managed.checkpoint);
            reschedule_booking(&state, booking, checkpoint, start, None).await
        }
        Err(invalid) => Err(invalid.into()),
    };
    match moved {
        Ok(moved) => page.redirect(&manage_path(&moved, &managed.token, Some(Done::Moved))),
        Err(error) => {
            let problem = Problem::of(page.lang, &error);
            day::render(&page, &state, &lane, managed.pick(), Some(problem)).await
        }
    }
}

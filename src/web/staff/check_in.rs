//! `GET/POST /staff/check-in`: the operator's form at the checkpoint, big enough for a tablet.
//! A vehicle is found by its booking code, or by checkpoint and plate, and checked in by the
//! same functions as the API's check-in; the page then says which window it was checked in to,
//! or plainly why not (too early, too late, no such booking, not a confirmed booking).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::frame::{AT_THE_CHECKPOINT, StaffPage, StaffSection};
use super::problems::staff_problem;
use crate::app::AppState;
use crate::app::check_in::{CheckInTarget, booking_to_check_in, check_in_booking};
use crate::app::error::ApiError;
use crate::domain::{AllocationError, Booking, BookingCode, BookingStatus, Direction};
use crate::web::problems::Problem;
use crate::web::times;

const PATH: &str = "/staff/check-in";

#[derive(Debug, Default, Deserialize)]
struct CheckInForm {
    form_token: Option<String>,
    code: Option<String>,
    checkpoint: Option<String>,
    plate: Option<String>,
    direction: Option<String>,
}

impl CheckInForm {
    /// The booking the form names; an empty field is no field, and a code wins.
    fn target(&self) -> Result<CheckInTarget, ApiError> {
        let given = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let code = given(&self.code);
        // The checkpoint belongs to the look-up by plate; a code names its booking alone (the
        // answer shows the booking's checkpoint for the operator to see).
        let by_plate = |value: &Option<String>| given(value).filter(|_| code.is_none());
        CheckInTarget::parse(
            code.as_deref(),
            by_plate(&self.checkpoint).as_deref(),
            by_plate(&self.plate).as_deref(),
            by_plate(&self.direction).as_deref(),
        )
    }

    fn names_a_code(&self) -> bool {
        self.code
            .as_deref()
            .is_some_and(|code| !code.trim().is_empty())
    }
}

#[derive(Debug, Default, Deserialize)]
struct CheckInQuery {
    checked_in: Option<String>,
}

/// What the page says above the form.
enum Outcome {
    Nothing,
    CheckedIn(Booking),
    Refused(Problem, Option<Booking>),
}

pub async fn show(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let sp = match StaffPage::open(&request, &state, AT_THE_CHECKPOINT).await {
        Ok(sp) => sp,
        Err(answer) => return answer,
    };
    let query: CheckInQuery =
        serde_urlencoded::from_str(request.query_string()).unwrap_or_default();
    // After a check-in the page shows the booking as it now stands; a code that was not
    // checked in shows nothing.
    let mut outcome = Outcome::Nothing;
    if let Some(code) = query
        .checked_in
        .as_deref()
        .and_then(|c| BookingCode::parse(c).ok())
    {
        match state.store.find_booking(&code).await {
            Ok(Some(booking))
                if matches!(
                    booking.status,
                    BookingStatus::Arrived | BookingStatus::Completed
                ) =>
            {
                outcome = Outcome::CheckedIn(booking);
            }
            Ok(_) => {}
            Err(error) => {
                let problem = staff_problem(sp.page.lang, &error.into());
                outcome = Outcome::Refused(problem, None);
            }
        }
    }
    check_in_page(&sp, &CheckInForm::default(), outcome)
}

#[tracing::instrument(name = "Check in from the staff page", skip_all)]
pub async fn submit(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let sp = match StaffPage::open(&request, &state, AT_THE_CHECKPOINT).await {
        Ok(sp) => sp,
        Err(answer) => return answer,
    };
    let sp = sp.at(PATH);
    let form: CheckInForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    if !sp.form_is_genuine(&request, form.form_token.as_deref()) {
        return check_in_page(&sp, &form, Outcome::Refused(sp.form_expired(), None));
    }
    let found = match form.target() {
        Ok(target) => booking_to_check_in(&state, &target).await,
        Err(error) => Err(error),
    };
    let booking = match found {
        Ok(booking) => booking,
        Err(error) => {
            let problem = not_found(&sp, &form, &error);
            return check_in_page(&sp, &form, Outcome::Refused(problem, None));
        }
    };
    match check_in_booking(&state, sp.staff(), &booking, None).await {
        Ok(arrived) => sp.redirect(&format!(
            "{PATH}?{}",
            serde_urlencoded::to_string([("checked_in", arrived.code.as_str())])
                .unwrap_or_default()
        )),
        Err(error) => {
            let problem = refusal(&sp, &booking, &error);
            check_in_page(&sp, &form, Outcome::Refused(problem, Some(booking)))
        }
    }
}

/// Why no booking was found, in the terms of what was entered.
fn not_found(sp: &StaffPage<'_>, form: &CheckInForm, error: &ApiError) -> Problem {
    let st = sp.st;
    match error {
        ApiError::NotFound("booking") => {
            let (message, field) = if form.names_a_code() {
                (st.unknown_code, "code")
            } else {
                (st.unknown_plate, "plate")
            };
            Problem {
                message: message.to_owned(),
                field: Some(field),
                status: error.status(),
            }
        }
        ApiError::Invalid(invalid) if invalid.field == "code" => Problem {
            message: st.code_or_plate.to_owned(),
            field: Some("code"),
            status: error.status(),
        },
        _ => staff_problem(sp.page.lang, error),
    }
}

/// Why a booking that was found cannot be checked in.
fn refusal(sp: &StaffPage<'_>, booking: &Booking, error: &ApiError) -> Problem {
    let (lang, st) = (sp.page.lang, sp.st);
    let ApiError::Allocation(AllocationError::InvalidTransition(_)) = error else {
        return staff_problem(lang, error);
    };
    let message = match (booking.status, sp.state.checkpoint(&booking.checkpoint)) {
        (BookingStatus::Confirmed, Ok(checkpoint)) => {
            let policy = sp.state.policy();
            let opens = booking.window_start - policy.arrival_early;
            if sp.state.now() < opens {
                format!(
                    "{} {}.",
                    st.too_early,
                    times::instant(lang, &checkpoint, opens)
                )
            } else {
                let closed = booking.window_end + policy.arrival_grace;
                format!(
                    "{} {}.",
                    st.too_late,
                    times::instant(lang, &checkpoint, closed)
                )
            }
        }
        (status, _) => format!("{} {}.", st.not_confirmed, lang.status(status)),
    };
    Problem::new(&message, error.status())
}

/// The booking's code, lane and window, as the operator reads them back to the driver.
fn booking_facts(sp: &StaffPage<'_>, booking: &Booking) -> Markup {
    let (lang, t) = (sp.page.lang, sp.page.t);
    let checkpoint = sp.state.checkpoint(&booking.checkpoint).ok();
    html! {
        dl class="facts" {
            dt { (t.booking_code) } dd { span class="code" { (booking.code.to_string()) } }
            @if let Some(plate) = &booking.plate { dt { (t.plate) } dd { (plate.to_string()) } }
            @if let Some(checkpoint) = &checkpoint { dt { (t.checkpoint) } dd { (checkpoint.name) } }
            dt { (t.direction) } dd { (lang.direction(booking.direction)) }
            dt { (t.category) } dd { (lang.category(booking.category)) }
            dt { (t.date) } dd { (lang.date(booking.day)) }
            @if let Some(checkpoint) = &checkpoint {
                dt { (t.window) } dd { (times::window(lang, checkpoint, booking.window_start, booking.window_end)) }
            }
            dt { (t.booking_status) } dd data-status=(booking.status.as_str()) { (lang.status(booking.status)) }
        }
    }
}

fn check_in_page(sp: &StaffPage<'_>, entered: &CheckInForm, outcome: Outcome) -> HttpResponse {
    let (lang, t, st) = (sp.page.lang, sp.page.t, sp.st);
    let status = match &outcome {
        Outcome::Refused(problem, _) => problem.status,
        _ => StatusCode::OK,
    };
    let problem = match &outcome {
        Outcome::Refused(problem, _) => Some(problem),
        _ => None,
    };
    let wrong = |field: &str| problem.filter(|p| p.concerns(field)).map(|_| "true");
    let value = |field: &Option<String>| field.clone().unwrap_or_default();
    let chosen_checkpoint = entered.checkpoint.clone().unwrap_or_default();
    let chosen_direction = entered.direction.clone().unwrap_or_default();
    let main = html! {
        h1 { (st.check_in_heading) }
        @match &outcome {
            Outcome::CheckedIn(booking) => {
                div class="notice big-notice" role="status" {
                    strong { (st.checked_in) }
                    (booking_facts(sp, booking))
                }
            }
            Outcome::Refused(problem, booking) => {
                (problem.summary(t))
                @if let Some(booking) = booking { (booking_facts(sp, booking)) }
            }
            Outcome::Nothing => {}
        }
        p { (st.check_in_intro) }
        form class="stack check-in" method="post" action=(PATH) {
            (sp.form_token())
            div {
                label for="code" { (t.booking_code) }
                input id="code" name="code" type="text" value=(value(&entered.code)) autocomplete="off"
                    autocapitalize="characters" spellcheck="false" aria-describedby="code-hint"
                    aria-invalid=[wrong("code")] autofocus[matches!(outcome, Outcome::Nothing)];
                p class="hint" id="code-hint" { (st.code_hint) }
            }
            fieldset {
                legend { (st.by_plate) }
                (sp.checkpoint_field("check-in-checkpoint", Some(chosen_checkpoint.as_str())))
                div {
                    label for="plate" { (t.plate) }
                    input id="plate" name="plate" type="text" value=(value(&entered.plate)) autocomplete="off"
                        autocapitalize="characters" spellcheck="false" aria-invalid=[wrong("plate")];
                }
                div {
                    label for="check-in-direction" { (st.direction_if_both) }
                    select id="check-in-direction" name="direction" {
                        option value="" selected[chosen_direction.is_empty()] { (st.both_directions) }
                        @for d in Direction::ALL {
                            option value=(d.as_str()) selected[chosen_direction == d.as_str()] { (lang.direction(d)) }
                        }
                    }
                }
            }
            div { button type="submit" class="big" { (st.check_in_button) } }
        }
    };
    sp.render(
        status,
        Some(StaffSection::CheckIn),
        st.check_in_heading,
        main,
    )
}

//! What a driver is told when something is refused: the API's error, in the page's language,
//! with the form field it concerns when there is one.

use actix_web::http::StatusCode;
use maud::{Markup, html};

use super::i18n::{Lang, Texts};
use crate::app::error::ApiError;
use crate::domain::AllocationError;

pub struct Problem {
    pub message: String,
    /// The form field at fault, to mark it and put the message beside it.
    pub field: Option<&'static str>,
    pub status: StatusCode,
}

impl Problem {
    pub fn new(message: &str, status: StatusCode) -> Self {
        Self {
            message: message.to_owned(),
            field: None,
            status,
        }
    }

    pub fn of(lang: Lang, error: &ApiError) -> Self {
        use AllocationError as A;
        let t = lang.texts();
        let status = error.status();
        if let Some(message) = super::draw::problem_text(lang, error) {
            let field = matches!(error, ApiError::AlreadyEntered).then_some("plate");
            return Self {
                message: message.to_owned(),
                field,
                status,
            };
        }
        let message = match error {
            ApiError::Invalid(input) | ApiError::Allocation(A::Invalid(input)) => {
                // The API's reasons are English; the form's own hints say the same in both.
                let reason = match (input.field, lang) {
                    ("plate", _) => t.plate_hint.to_owned(),
                    ("contact", _) => t.contact_hint.to_owned(),
                    (_, Lang::En) => format!("{}.", input.reason),
                    (_, Lang::Ru) => t.error_invalid.to_owned(),
                };
                return Self {
                    message: format!("{}: {reason}", field_name(t, input.field)),
                    field: Some(input.field),
                    status,
                };
            }
            ApiError::Allocation(A::WindowFull) => t.error_window_full,
            ApiError::Allocation(A::WindowBlocked(_)) => t.error_window_blocked,
            ApiError::Allocation(A::HoldExpired) => t.error_hold_expired,
            ApiError::Allocation(A::WindowClosed(_) | A::UnknownWindow) => t.error_window_closed,
            ApiError::Allocation(A::PlateAlreadyBooked) => {
                return Self {
                    message: t.error_plate_booked.to_owned(),
                    field: Some("plate"),
                    status,
                };
            }
            ApiError::Allocation(A::TooManyHolds(_)) => t.error_too_many_holds,
            ApiError::Allocation(A::TooManyReschedules(_)) => t.error_too_many_reschedules,
            ApiError::Allocation(A::InvalidTransition(_)) => t.error_wrong_state,
            ApiError::Allocation(A::WindowHasRoom) => lang.waitlist().error_window_has_room,
            ApiError::Allocation(A::AlreadyWaiting) => {
                return Self {
                    message: lang.waitlist().error_already_waiting.to_owned(),
                    field: Some("plate"),
                    status,
                };
            }
            ApiError::Allocation(A::OfferExpired) => lang.waitlist().error_offer_expired,
            ApiError::Allocation(A::WaitlistEntryNot(_)) => lang.waitlist().error_entry_state,
            ApiError::PlateBarred(_) => {
                return Self {
                    message: t.error_plate_barred.to_owned(),
                    field: Some("plate"),
                    status,
                };
            }
            ApiError::NotFound("checkpoint") | ApiError::Allocation(A::UnknownCheckpoint) => {
                t.error_unknown_checkpoint
            }
            ApiError::NotFound(_)
            | ApiError::TokenRequired
            | ApiError::Allocation(A::UnknownBooking | A::UnknownWaitlistEntry) => {
                t.error_not_found
            }
            ApiError::TooManyRequests(_) | ApiError::QuotaExceeded(_) => t.error_rate_limited,
            ApiError::BadRequest(_) => t.error_invalid,
            ApiError::Unauthenticated(_)
            | ApiError::Forbidden(_)
            | ApiError::IdempotencyKeyReused
            | ApiError::IdempotencyInFlight
            | ApiError::AnswerTaken
            | ApiError::AnswerUnreadable
            | ApiError::Unavailable
            | ApiError::Internal(_) => t.error_unavailable,
            // Said by the draw's own texts above.
            ApiError::NotOpenYet { .. } | ApiError::InDraw(_) | ApiError::AlreadyEntered => {
                t.error_unavailable
            }
        };
        Self::new(message, status)
    }

    /// The message box at the top of a page; screen readers announce it.
    pub fn summary(&self, t: &Texts) -> Markup {
        html! {
            div class="problem" role="alert" id="problem" tabindex="-1" {
                strong { (t.error_heading) } " "
                (self.message)
            }
        }
    }

    pub fn concerns(&self, field: &str) -> bool {
        self.field == Some(field)
    }
}

fn field_name(t: &Texts, field: &str) -> &'static str {
    match field {
        "plate" => t.field_plate,
        "contact" => t.field_contact,
        "date" => t.field_date,
        "window_start" | "window_starts" | "from" | "to" => t.field_window,
        "checkpoint" => t.checkpoint,
        "direction" => t.direction,
        "category" => t.category,
        _ => t.error_invalid,
    }
}

/// A required text input of a form, with its label and hint, marked invalid and described by
/// `problem`'s message when the problem concerns it.
pub fn text_field(
    name: &'static str,
    label: &str,
    hint: &str,
    value: Option<&str>,
    kind: &str,
    autocomplete: &str,
    problem: Option<&Problem>,
) -> Markup {
    let wrong = problem.filter(|p| p.concerns(name));
    let hint_id = format!("{name}-hint");
    let error_id = format!("{name}-error");
    let described = if wrong.is_some() {
        format!("{hint_id} {error_id}")
    } else {
        hint_id.clone()
    };
    html! {
        div {
            label for=(name) { (label) }
            // Plates are capitals: a phone's keyboard should start there.
            input id=(name) name=(name) type=(kind) value=[value] required autocomplete=(autocomplete)
                autocapitalize=[(name == "plate").then_some("characters")]
                aria-describedby=(described) aria-invalid=[wrong.map(|_| "true")];
            p class="hint" id=(hint_id) { (hint) }
            @if let Some(wrong) = wrong { p class="field-error" id=(error_id) { (wrong.message) } }
        }
    }
}

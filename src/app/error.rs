//! `ApiError`: the one place where an outcome becomes an HTTP status. Every error body is
//! `application/problem+json` (RFC 9457) with a stable `type`; causes are logged, never sent.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::actors::ScheduleError;
use crate::domain::draw::DrawTimes;
use crate::domain::{AllocationError, InputError};
use crate::store::StoreError;

pub const PROBLEM_JSON: &str = "application/problem+json";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("malformed request: {0}")]
    BadRequest(String),
    #[error("{0}")]
    Invalid(InputError),
    #[error("{0}")]
    Allocation(AllocationError),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("manage token required")]
    TokenRequired,
    #[error("{0}")]
    Unauthenticated(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("idempotency key reused for a different request")]
    IdempotencyKeyReused,
    #[error("a request with this idempotency key is still in progress")]
    IdempotencyInFlight,
    /// Another request with the key stored its answer first; the caller replays that one.
    #[error("an answer to this idempotency key is stored already")]
    AnswerTaken,
    #[error(
        "the first request with this idempotency key succeeded, but its stored answer can no longer be read (the server's secret changed)"
    )]
    AnswerUnreadable,
    #[error("service unavailable")]
    Unavailable,
    #[error("too many requests from this client; retry in {0} s")]
    TooManyRequests(u64),
    #[error("the carrier already has {0} active bookings, its limit")]
    QuotaExceeded(u32),
    #[error("this vehicle may not book until {0} after repeated no-shows or cancellations")]
    PlateBarred(chrono::DateTime<chrono::Utc>),
    /// The day opens for booking later (its checkpoint publishes when).
    #[error(
        "booking for this day opens at {} (requests from {} until {} enter a draw for the opening)",
        .times.opens_at.to_rfc3339(), .times.draw_opens_at.to_rfc3339(), .times.closes_at.to_rfc3339()
    )]
    NotOpenYet {
        times: DrawTimes,
        /// Seconds until requests are taken (into the draw).
        retry_after: u64,
    },
    /// The day is in its opening draw, which only new bookings enter.
    #[error(
        "this day is in its opening draw until {}; bookings can move into it after that",
        .0.to_rfc3339()
    )]
    InDraw(chrono::DateTime<chrono::Utc>),
    #[error("this vehicle has entered this day's opening draw in this direction already")]
    AlreadyEntered,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// A problem's stable identity: its `type` slug, title and status.
struct ProblemKind {
    slug: &'static str,
    title: &'static str,
    status: StatusCode,
}

impl ApiError {
    fn kind(&self) -> ProblemKind {
        use AllocationError as A;
        let (slug, title, status) = match self {
            ApiError::BadRequest(_) => {
                ("bad-request", "Malformed request", StatusCode::BAD_REQUEST)
            }
            ApiError::Invalid(_) => (
                "invalid-input",
                "Invalid input",
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            ApiError::NotFound(_) => ("not-found", "Not found", StatusCode::NOT_FOUND),
            ApiError::TokenRequired => (
                "manage-token-required",
                "Manage token required",
                StatusCode::UNAUTHORIZED,
            ),
            ApiError::Unauthenticated(_) => (
                "unauthenticated",
                "Authentication required",
                StatusCode::UNAUTHORIZED,
            ),
            ApiError::Forbidden(_) => ("forbidden", "Not allowed", StatusCode::FORBIDDEN),
            ApiError::PlateBarred(_) => (
                "plate-barred",
                "Vehicle barred from booking",
                StatusCode::FORBIDDEN,
            ),
            ApiError::IdempotencyKeyReused => (
                "idempotency-key-reused",
                "Idempotency key reused",
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            ApiError::IdempotencyInFlight => (
                "idempotency-request-in-flight",
                "Request still in progress",
                StatusCode::CONFLICT,
            ),
            ApiError::AnswerTaken => (
                "idempotency-request-in-flight",
                "Request still in progress",
                StatusCode::CONFLICT,
            ),
            ApiError::AnswerUnreadable => (
                "idempotency-answer-unreadable",
                "Stored answer unreadable",
                StatusCode::CONFLICT,
            ),
            ApiError::TooManyRequests(_) => (
                "rate-limited",
                "Too many requests",
                StatusCode::TOO_MANY_REQUESTS,
            ),
            ApiError::QuotaExceeded(_) => (
                "quota-exceeded",
                "Active bookings limit reached",
                StatusCode::TOO_MANY_REQUESTS,
            ),
            ApiError::Unavailable => (
                "unavailable",
                "Temporarily unavailable",
                StatusCode::SERVICE_UNAVAILABLE,
            ),
            ApiError::Internal(_) => (
                "internal",
                "Internal error",
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
            ApiError::NotOpenYet { .. } => (
                "day-not-open",
                "Day not open for booking yet",
                StatusCode::CONFLICT,
            ),
            ApiError::InDraw(_) => (
                "day-in-draw",
                "Day in its opening draw",
                StatusCode::CONFLICT,
            ),
            ApiError::AlreadyEntered => (
                "already-entered",
                "Vehicle already in the draw",
                StatusCode::CONFLICT,
            ),
            ApiError::Allocation(error) => match error {
                A::WindowFull => ("window-full", "Window full", StatusCode::CONFLICT),
                A::WindowBlocked(_) => ("window-blocked", "Window blocked", StatusCode::CONFLICT),
                A::PlateAlreadyBooked => (
                    "plate-already-booked",
                    "Vehicle already booked",
                    StatusCode::CONFLICT,
                ),
                A::InvalidTransition(_) => (
                    "invalid-transition",
                    "Booking cannot change this way",
                    StatusCode::CONFLICT,
                ),
                A::HoldExpired => ("hold-expired", "Hold expired", StatusCode::GONE),
                A::TooManyReschedules(_) => (
                    "too-many-reschedules",
                    "Booking moved too often",
                    StatusCode::CONFLICT,
                ),
                A::TooManyHolds(_) => (
                    "too-many-holds",
                    "Too many unconfirmed holds",
                    StatusCode::TOO_MANY_REQUESTS,
                ),
                A::WindowClosed(_) => (
                    "window-closed",
                    "Window not bookable",
                    StatusCode::UNPROCESSABLE_ENTITY,
                ),
                A::UnknownWindow => (
                    "unknown-window",
                    "No such window",
                    StatusCode::UNPROCESSABLE_ENTITY,
                ),
                A::UnknownCheckpoint => (
                    "unknown-checkpoint",
                    "No such checkpoint",
                    StatusCode::UNPROCESSABLE_ENTITY,
                ),
                A::UnknownBooking | A::UnknownWaitlistEntry => {
                    ("not-found", "Not found", StatusCode::NOT_FOUND)
                }
                A::WindowHasRoom => (
                    "window-has-room",
                    "A window has a free place",
                    StatusCode::CONFLICT,
                ),
                A::AlreadyWaiting => (
                    "already-waiting",
                    "Vehicle already waiting",
                    StatusCode::CONFLICT,
                ),
                A::WaitlistEntryNot(_) => (
                    "invalid-transition",
                    "Waitlist entry cannot change this way",
                    StatusCode::CONFLICT,
                ),
                A::OfferExpired => ("offer-expired", "Offer expired", StatusCode::GONE),
                A::Invalid(_) => (
                    "invalid-input",
                    "Invalid input",
                    StatusCode::UNPROCESSABLE_ENTITY,
                ),
            },
        };
        ProblemKind {
            slug,
            title,
            status,
        }
    }

    /// The HTTP status both front ends answer this outcome with.
    pub fn status(&self) -> StatusCode {
        self.kind().status
    }

    /// The problem's title and status, for a document built elsewhere (a draw's refusal).
    pub fn title_and_status(&self) -> (&'static str, StatusCode) {
        let kind = self.kind();
        (kind.title, kind.status)
    }

    fn detail(&self) -> String {
        match self {
            ApiError::Internal(_) => "The request could not be completed.".to_owned(),
            ApiError::Unavailable => {
                "The service is busy or a dependency is unreachable; retry shortly.".to_owned()
            }
            other => other.to_string(),
        }
    }

    fn invalid_field(&self) -> Option<&InputError> {
        match self {
            ApiError::Invalid(input) | ApiError::Allocation(AllocationError::Invalid(input)) => {
                Some(input)
            }
            _ => None,
        }
    }

    /// When a client may try again, for the answers that say so.
    pub fn retry_after_seconds(&self) -> Option<u64> {
        match self {
            ApiError::TooManyRequests(seconds) => Some(*seconds),
            // A contact over its holds: one of them expires or is confirmed within minutes.
            ApiError::Allocation(AllocationError::TooManyHolds(_)) | ApiError::QuotaExceeded(_) => {
                Some(60)
            }
            ApiError::Unavailable => Some(1),
            ApiError::NotOpenYet { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    /// The problem document as bytes, with its status.
    pub fn to_problem(&self) -> (StatusCode, Vec<u8>) {
        let kind = self.kind();
        let (opens_at, draw_opens_at, draw_closes_at) = match self {
            ApiError::NotOpenYet { times, .. } => (
                Some(times.opens_at),
                Some(times.draw_opens_at),
                Some(times.closes_at),
            ),
            ApiError::InDraw(closes_at) => (None, None, Some(*closes_at)),
            _ => (None, None, None),
        };
        let problem = Problem {
            detail: self.detail(),
            draw_closes_at,
            draw_opens_at,
            errors: self.invalid_field().map(|input| {
                vec![FieldProblem {
                    field: input.field,
                    reason: input.reason.clone(),
                }]
            }),
            opens_at,
            status: kind.status.as_u16(),
            title: kind.title,
            kind: format!("/problems/{}", kind.slug),
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        (kind.status, body)
    }
}

/// A problem document (RFC 9457), the body of every refusal. The fields are in alphabetical
/// order, the order the stored answers' compression dictionary was trained on.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    pub detail: String,
    /// When entries to the day's opening draw end (a day not open yet, or in its draw).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub draw_closes_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When requests for a day not open yet start to enter its draw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub draw_opens_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The fields of the input that were refused, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldProblem>>,
    /// The published opening of a day not open yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opens_at: Option<chrono::DateTime<chrono::Utc>>,
    pub status: u16,
    pub title: &'static str,
    /// `/problems/<slug>`: stable for each kind of refusal.
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    pub field: &'static str,
    pub reason: String,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            tracing::error!(error.cause_chain = ?cause, "request failed");
        }
        let (status, body) = self.to_problem();
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if let Some(seconds) = self.retry_after_seconds() {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        if let ApiError::Unauthenticated(_) = self {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        response.body(body)
    }
}

impl From<InputError> for ApiError {
    fn from(value: InputError) -> Self {
        ApiError::Invalid(value)
    }
}

impl From<AllocationError> for ApiError {
    fn from(value: AllocationError) -> Self {
        match value {
            AllocationError::Invalid(input) => ApiError::Invalid(input),
            other => ApiError::Allocation(other),
        }
    }
}

impl From<ScheduleError> for ApiError {
    fn from(value: ScheduleError) -> Self {
        match value {
            ScheduleError::Allocation(error) => error.into(),
            ScheduleError::NotDurable | ScheduleError::Retry | ScheduleError::Unavailable => {
                ApiError::Unavailable
            }
            ScheduleError::AnswerTaken => ApiError::AnswerTaken,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(value: StoreError) -> Self {
        use crate::store::Recovery;
        match value.recovery() {
            // A race lost to another writer is tried again by the client, like an outage.
            Recovery::Later | Recovery::AskAgain | Recovery::Reload => {
                tracing::warn!(error.cause_chain = ?value, "store write not done");
                ApiError::Unavailable
            }
            Recovery::AnswerStored => ApiError::AnswerTaken,
            Recovery::Never => ApiError::Internal(value.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::InputError;

    /// A draw records refusals by the problem type the domain names; the API must answer the
    /// same refusal with the same type.
    #[test]
    fn every_allocation_refusal_has_the_problem_type_the_domain_names() {
        use AllocationError as A;
        for error in [
            A::WindowFull,
            A::WindowBlocked("works".into()),
            A::UnknownCheckpoint,
            A::UnknownWindow,
            A::WindowClosed("soon"),
            A::HoldExpired,
            A::UnknownBooking,
            A::PlateAlreadyBooked,
            A::InvalidTransition("held"),
            A::TooManyHolds(3),
            A::TooManyReschedules(3),
            A::Invalid(InputError::new("plate", "no")),
        ] {
            let slug = error.problem_type();
            let (_, body) = ApiError::from(error).to_problem();
            let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(body["type"], format!("/problems/{slug}"));
        }
    }
}

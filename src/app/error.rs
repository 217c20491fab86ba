//! `ApiError`: the one place where an outcome becomes an HTTP status. Every error body is
//! `application/problem+json` (RFC 9457) with a stable `type`; causes are logged, never sent.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::actors::ScheduleError;
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
            _ => None,
        }
    }

    /// The problem document as bytes, with its status.
    pub fn to_problem(&self) -> (StatusCode, Vec<u8>) {
        let kind = self.kind();
        let mut body = json!({
            "type": format!("/problems/{}", kind.slug),
            "title": kind.title,
            "status": kind.status.as_u16(),
            "detail": self.detail(),
        });
        if let Some(input) = self.invalid_field() {
            body["errors"] = json!([{ "field": input.field, "reason": input.reason }]);
        }
        (kind.status, body.to_string().into_bytes())
    }
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

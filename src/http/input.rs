//! Turning request bytes and strings into domain values, with errors that name the field.

use chrono::{DateTime, NaiveDate, Utc};
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::domain::{InputError, PriorityClass};

/// Parses a JSON body; an empty body reads as `{}`.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|error| {
        if error.is_data() {
            ApiError::Invalid(InputError::new("body", error.to_string()))
        } else {
            ApiError::BadRequest(format!("the body is not valid JSON: {error}"))
        }
    })
}

/// A request's query string as `T`; one that does not fit is a malformed request.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    serde_urlencoded::from_str(query).map_err(|e| ApiError::BadRequest(e.to_string()))
}

pub fn parse_instant(field: &'static str, raw: &str) -> Result<DateTime<Utc>, InputError> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| InputError::new(field, "an RFC 3339 time such as 2026-05-01T08:00:00+03:00"))
}

pub fn parse_date(field: &'static str, raw: &str) -> Result<NaiveDate, InputError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| InputError::new(field, "a date such as 2026-05-01"))
}

/// A request's priority class; normal when it names none.
pub fn parse_priority(raw: Option<&str>) -> Result<PriorityClass, InputError> {
    Ok(raw.map(str::parse).transpose()?.unwrap_or_default())
}

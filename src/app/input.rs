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

/// A calendar date written `YYYY-MM-DD`: four digits of year, so that no signed or five-digit
/// year reaches a store whose dates end sooner than chrono's.
pub fn parse_date(field: &'static str, raw: &str) -> Result<NaiveDate, InputError> {
    let raw = raw.trim();
    let well_formed = raw.len() == 10
        && raw.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    well_formed
        .then(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| InputError::new(field, "a date such as 2026-05-01"))
}

/// A request's priority class; normal when it names none.
pub fn parse_priority(raw: Option<&str>) -> Result<PriorityClass, InputError> {
    Ok(raw.map(str::parse).transpose()?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_have_four_digit_years() {
        assert_eq!(
            parse_date("date", " 2026-03-21 ").unwrap(),
            NaiveDate::from_ymd_opt(2026, 3, 21).unwrap()
        );
        for bad in [
            "-0001-01-01",
            "+10000-01-01",
            "2026-3-21",
            "2026-02-30",
            "21.03.2026",
            "",
        ] {
            assert!(parse_date("date", bad).is_err(), "{bad}");
        }
    }
}

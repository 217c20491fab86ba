//! A window's times as both front ends show them: UTC instants and the checkpoint's local time
//! with its offset, because drivers think in local time and DST days repeat or skip hours.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

/// Local times are RFC 3339 with the checkpoint's offset, such as `2026-05-01T09:00:00+03:00`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WindowTimes {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub start_local: String,
    pub end_local: String,
    pub time_zone: String,
}

impl WindowTimes {
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz) -> Self {
        Self {
            start,
            end,
            start_local: start.with_timezone(&tz).to_rfc3339(),
            end_local: end.with_timezone(&tz).to_rfc3339(),
            time_zone: tz.name().to_owned(),
        }
    }
}

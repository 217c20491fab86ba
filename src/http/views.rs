//! The JSON shapes the API answers with. Times are given both as UTC instants and in the
//! checkpoint's local time with its offset, because drivers think in local time and DST days
//! repeat or skip local hours.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::local_times::WindowTimes;
use crate::domain::{
    Booking, BookingStatus, Category, Checkpoint, CheckpointId, Direction, PriorityClass,
    SlotWindow,
};

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Checkpoint)]
pub struct CheckpointView {
    #[schema(value_type = CheckpointId)]
    pub id: String,
    pub name: String,
    #[schema(examples("Europe/Tallinn"))]
    pub time_zone: String,
    pub directions: Vec<Direction>,
    pub window_minutes: u32,
    pub categories: Vec<CategoryView>,
    /// When its days open for booking (`days_ahead` days before, at `local_time`), with the
    /// draw period around it; `null` when days open as they come within the booking horizon.
    pub opening: Option<crate::domain::draw::Opening>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CategoryPlaces)]
pub struct CategoryView {
    pub category: Category,
    pub capacity_per_window: u32,
    pub reserved_per_window: u32,
}

impl From<&Checkpoint> for CheckpointView {
    fn from(c: &Checkpoint) -> Self {
        Self {
            id: c.id.to_string(),
            name: c.name.clone(),
            time_zone: c.time_zone.name().to_owned(),
            directions: c.directions.clone(),
            window_minutes: c.window_minutes,
            categories: c
                .capacity
                .iter()
                .map(|(category, places)| CategoryView {
                    category: *category,
                    capacity_per_window: places.capacity,
                    reserved_per_window: places.reserved,
                })
                .collect(),
            opening: c.opening,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Window)]
pub struct WindowView {
    pub direction: Direction,
    pub category: Category,
    #[serde(flatten)]
    pub times: WindowTimes,
    pub capacity: u32,
    /// Places the public can still book.
    pub available: u32,
    pub bookable: bool,
    pub blocked: bool,
    pub blocked_reason: Option<String>,
}

impl WindowView {
    pub fn new(window: &SlotWindow, tz: Tz, open: bool) -> Self {
        let available = window.available_to(crate::domain::PriorityClass::Normal);
        Self {
            direction: window.key.direction,
            category: window.key.category,
            times: WindowTimes::new(window.key.start, window.end, tz),
            capacity: window.capacity,
            available,
            bookable: open && available > 0 && window.blocked.is_none(),
            blocked: window.blocked.is_some(),
            blocked_reason: window.blocked.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Booking)]
pub struct BookingView {
    #[schema(format = "uuid")]
    pub id: String,
    #[schema(examples("ABCD-2345"))]
    pub code: String,
    pub status: BookingStatus,
    #[schema(value_type = CheckpointId)]
    pub checkpoint: String,
    pub direction: Direction,
    pub category: Category,
    /// The checkpoint's local day of the window.
    pub day: NaiveDate,
    pub window: WindowTimes,
    pub plate: Option<String>,
    pub contact: Option<String>,
    pub priority: PriorityClass,
    pub version: i64,
    #[serde(serialize_with = "crate::domain::json_time::option")]
    pub hold_expires_at: Option<DateTime<Utc>>,
    /// The start of the window the checkpoint moved the booking out of, until the driver
    /// accepts the new one (`POST …/accept-move`), moves or cancels it.
    #[serde(serialize_with = "crate::domain::json_time::option")]
    pub reslotted_from: Option<DateTime<Utc>>,
    #[serde(serialize_with = "crate::domain::json_time::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::domain::json_time::serialize")]
    pub updated_at: DateTime<Utc>,
    pub links: BookingLinks,
    /// Shown once, when the booking is made: it cannot be recovered later.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub manage_token: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BookingLinks {
    #[serde(rename = "self")]
    pub this: String,
    pub confirm: String,
    pub reschedule: String,
    pub calendar: String,
}

impl BookingView {
    /// Views of `bookings` in their checkpoints' time zones; a booking of a checkpoint no
    /// longer served is left out.
    pub fn list(state: &crate::app::AppState, bookings: &[Booking]) -> Vec<Self> {
        bookings
            .iter()
            .filter_map(|b| {
                let zone = state.checkpoint(&b.checkpoint).ok()?.time_zone;
                Some(Self::new(b, zone))
            })
            .collect()
    }

    pub fn new(booking: &Booking, tz: Tz) -> Self {
        let code = booking.code.to_string();
        let base = format!("/api/v1/bookings/{code}");
        Self {
            id: booking.id.to_string(),
            status: booking.status,
            checkpoint: booking.checkpoint.to_string(),
            direction: booking.direction,
            category: booking.category,
            day: booking.day,
            window: WindowTimes::new(booking.window_start, booking.window_end, tz),
            plate: booking.plate.as_ref().map(ToString::to_string),
            contact: booking.contact.as_ref().map(|c| c.as_str().to_owned()),
            priority: booking.priority,
            version: booking.version,
            hold_expires_at: booking.hold_expires_at,
            reslotted_from: booking.reslotted_from,
            created_at: booking.created_at,
            updated_at: booking.updated_at,
            links: BookingLinks {
                this: base.clone(),
                confirm: format!("{base}/confirm"),
                reschedule: format!("{base}/reschedule"),
                calendar: format!("{base}.ics"),
            },
            code,
            manage_token: None,
        }
    }
}

//! Booking statistics per checkpoint, day, hour and category, and how one event changes them,
//! plus the other figures analysts read: window occupancy per local hour and confirmations per
//! local hour. Hours and days are the checkpoint's local ones, as analysts and staff read them.

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::checkpoint::{Category, CheckpointId, Direction};
use super::event::{DomainEvent, EventType};

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct StatisticsKey {
    pub checkpoint: CheckpointId,
    /// The local day of the window.
    pub day: NaiveDate,
    /// The local hour (0–23) the window starts in.
    pub hour: u8,
    pub category: Category,
}

/// Counts of what happened to bookings of windows starting in one hour. Booking lead time is
/// kept as a sum and a count so that any range can be averaged exactly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingCounts {
    pub holds: i64,
    pub confirmations: i64,
    pub cancellations: i64,
    pub expiries: i64,
    pub reschedules: i64,
    pub arrivals: i64,
    pub no_shows: i64,
    /// Seconds from confirmation to the window's start, summed over `lead_times`.
    pub lead_time_seconds: i64,
    pub lead_times: i64,
    /// Drivers who joined the waitlist for windows starting in this hour (the first of their
    /// range).
    #[serde(default)]
    pub waitlist_joins: i64,
    /// Places of this hour offered to waiting drivers, accepted by them, and let run out.
    #[serde(default)]
    pub waitlist_offers: i64,
    #[serde(default)]
    pub waitlist_accepted: i64,
    #[serde(default)]
    pub waitlist_expired: i64,
}

impl BookingCounts {
    pub fn add(&mut self, other: &BookingCounts) {
        self.holds += other.holds;
        self.confirmations += other.confirmations;
        self.cancellations += other.cancellations;
        self.expiries += other.expiries;
        self.reschedules += other.reschedules;
        self.arrivals += other.arrivals;
        self.no_shows += other.no_shows;
        self.lead_time_seconds += other.lead_time_seconds;
        self.lead_times += other.lead_times;
        self.waitlist_joins += other.waitlist_joins;
        self.waitlist_offers += other.waitlist_offers;
        self.waitlist_accepted += other.waitlist_accepted;
        self.waitlist_expired += other.waitlist_expired;
    }

    /// How many counts there are.
    pub const COLUMNS: usize = 13;

    /// The counts in the order of their columns in `booking_statistics`.
    pub fn columns(&self) -> [i64; Self::COLUMNS] {
        [
            self.holds,
            self.confirmations,
            self.cancellations,
            self.expiries,
            self.reschedules,
            self.arrivals,
            self.no_shows,
            self.lead_time_seconds,
            self.lead_times,
            self.waitlist_joins,
            self.waitlist_offers,
            self.waitlist_accepted,
            self.waitlist_expired,
        ]
    }

    /// Mean booking lead time in hours, if any booking was confirmed.
    pub fn mean_lead_time_hours(&self) -> Option<f64> {
        (self.lead_times > 0)
            .then(|| self.lead_time_seconds as f64 / self.lead_times as f64 / 3600.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatisticsDelta {
    pub key: StatisticsKey,
    pub counts: BookingCounts,
}

/// The windows of one direction and category that start in one local hour of a day, added up.
/// An hour repeated by a fall-back change holds the windows of both; a skipped hour has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowTotals {
    pub direction: Direction,
    pub category: Category,
    /// The local hour (0–23) the windows start in.
    pub hour: u8,
    pub windows: u32,
    pub blocked_windows: u32,
    pub capacity: u64,
    pub held: u64,
    pub confirmed: u64,
}

/// Confirmations of windows starting in one local hour of one local day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourlyCount {
    pub day: NaiveDate,
    pub hour: u8,
    pub count: i64,
}

/// The part of a booking event's payload statistics need.
#[derive(Debug, Deserialize)]
struct BookingFacts {
    category: Category,
    window_start: DateTime<Utc>,
    #[serde(default)]
    status_after_move: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct BookingPayload {
    booking: BookingFacts,
}

/// What `event` adds to the statistics, if anything; `time_zone` is its checkpoint's.
/// Window events change no booking counts (utilisation is read from the windows themselves).
pub fn statistics_delta(event: &DomainEvent, time_zone: Tz) -> Option<StatisticsDelta> {
    if let Some(delta) = waitlist_delta(event, time_zone) {
        return delta;
    }
    let BookingPayload { booking } = event.payload.read().ok()?;
    let mut counts = BookingCounts::default();
    match event.event_type {
        // A transfer hold is the first step of a move, not a new booking.
        EventType::BookingHeld if booking.status_after_move.is_none() => counts.holds = 1,
        EventType::BookingHeld => return None,
        EventType::BookingConfirmed => {
            counts.confirmations = 1;
            counts.lead_time_seconds = (booking.window_start - event.occurred_at)
                .num_seconds()
                .max(0);
            counts.lead_times = 1;
        }
        EventType::BookingCancelled => counts.cancellations = 1,
        EventType::BookingExpired => counts.expiries = 1,
        // A booking the checkpoint moved changed its window as much as one its driver moved.
        EventType::BookingRescheduled | EventType::BookingReslotted => counts.reschedules = 1,
        EventType::BookingArrived => counts.arrivals = 1,
        EventType::BookingNoShow => counts.no_shows = 1,
        EventType::BookingReslotAccepted
        | EventType::WindowBlocked
        | EventType::WindowUnblocked
        | EventType::WindowReserved
        | EventType::DrawEntered
        | EventType::DrawClosed
        | EventType::WindowCapacitySet
        | EventType::WaitlistJoined
        | EventType::WaitlistOffered
        | EventType::WaitlistAccepted
        | EventType::WaitlistExpired
        | EventType::WaitlistLeft => {
            return None;
        }
    }
    let local = booking.window_start.with_timezone(&time_zone);
    Some(StatisticsDelta {
        key: StatisticsKey {
            checkpoint: event.checkpoint.clone(),
            day: event.day,
            hour: u8::try_from(local.hour()).unwrap_or(0),
            category: booking.category,
        },
        counts,
    })
}

/// The part of a waitlist event's payload statistics need.
#[derive(Debug, Deserialize)]
struct EntryFacts {
    category: Category,
    range: RangeFacts,
    #[serde(default)]
    offer: Option<OfferFacts>,
}

#[derive(Debug, Deserialize)]
struct RangeFacts {
    from: DateTime<Utc>,
}

#[derive(Debug, Deserialize)]
struct OfferFacts {
    window_start: DateTime<Utc>,
}

#[derive(Debug, Deserialize)]
struct EntryPayload {
    entry: EntryFacts,
}

/// What a waitlist event adds: `None` for an event of another kind, `Some(None)` for one that
/// counts nothing (leaving). A join counts in the hour its range begins; an offer, an
/// acceptance and an expiry in the hour of the window offered.
fn waitlist_delta(event: &DomainEvent, time_zone: Tz) -> Option<Option<StatisticsDelta>> {
    let mut counts = BookingCounts::default();
    let column = match event.event_type {
        EventType::WaitlistJoined => &mut counts.waitlist_joins,
        EventType::WaitlistOffered => &mut counts.waitlist_offers,
        EventType::WaitlistAccepted => &mut counts.waitlist_accepted,
        EventType::WaitlistExpired => &mut counts.waitlist_expired,
        EventType::WaitlistLeft => return Some(None),
        _ => return None,
    };
    *column = 1;
    let Ok(EntryPayload { entry }) = event.payload.read() else {
        return Some(None);
    };
    let start = match (&event.event_type, &entry.offer) {
        (EventType::WaitlistJoined, _) | (_, None) => entry.range.from,
        (_, Some(offer)) => offer.window_start,
    };
    let local = start.with_timezone(&time_zone);
    Some(Some(StatisticsDelta {
        key: StatisticsKey {
            checkpoint: event.checkpoint.clone(),
            day: event.day,
            hour: u8::try_from(local.hour()).unwrap_or(0),
            category: entry.category,
        },
        counts,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn event(event_type: EventType, payload: serde_json::Value) -> DomainEvent {
        DomainEvent::new(
            event_type,
            CheckpointId::parse("narva").unwrap(),
            NaiveDate::from_ymd_opt(2026, 3, 21).unwrap(),
            payload,
            Utc.with_ymd_and_hms(2026, 3, 20, 6, 0, 0).unwrap(),
        )
    }

    fn booking(extra: serde_json::Value) -> serde_json::Value {
        let mut booking = json!({"category": "truck", "window_start": "2026-03-21T06:00:00Z"});
        booking
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!({ "booking": booking })
    }

    #[test]
    fn a_confirmation_counts_in_the_local_hour_with_its_lead_time() {
        let delta = statistics_delta(
            &event(EventType::BookingConfirmed, booking(json!({}))),
            chrono_tz::Europe::Tallinn,
        )
        .unwrap();
        // 06:00 UTC is 08:00 in Tallinn in March.
        assert_eq!(delta.key.hour, 8);
        assert_eq!(delta.key.category, Category::Truck);
        assert_eq!(delta.counts.confirmations, 1);
        assert_eq!(delta.counts.lead_time_seconds, 24 * 3600);
        assert_eq!(delta.counts.mean_lead_time_hours(), Some(24.0));
    }

    #[test]
    fn waitlist_events_count_in_the_hour_of_the_range_or_the_offer() {
        let entry = json!({"entry": {
            "category": "car",
            "range": {"from": "2026-03-21T06:00:00Z", "to": "2026-03-21T09:00:00Z"},
            "offer": {"window_start": "2026-03-21T08:00:00Z"},
        }});
        let zone = chrono_tz::UTC;
        let joined =
            statistics_delta(&event(EventType::WaitlistJoined, entry.clone()), zone).unwrap();
        assert_eq!((joined.key.hour, joined.counts.waitlist_joins), (6, 1));
        for (kind, pick) in [
            (
                EventType::WaitlistOffered,
                (|c: &BookingCounts| c.waitlist_offers) as fn(&BookingCounts) -> i64,
            ),
            (EventType::WaitlistAccepted, |c| c.waitlist_accepted),
            (EventType::WaitlistExpired, |c| c.waitlist_expired),
        ] {
            let delta = statistics_delta(&event(kind, entry.clone()), zone).unwrap();
            assert_eq!((delta.key.hour, pick(&delta.counts)), (8, 1), "{kind:?}");
            assert_eq!(delta.counts.holds + delta.counts.confirmations, 0);
        }
        assert!(statistics_delta(&event(EventType::WaitlistLeft, entry), zone).is_none());
    }

    #[test]
    fn transfer_holds_and_window_events_change_no_counts() {
        let transfer = booking(json!({"status_after_move": "confirmed"}));
        assert!(
            statistics_delta(&event(EventType::BookingHeld, transfer), chrono_tz::UTC).is_none()
        );
        let window = json!({"window": {"capacity": 4}});
        assert!(
            statistics_delta(&event(EventType::WindowBlocked, window), chrono_tz::UTC).is_none()
        );
    }

    #[test]
    fn each_booking_event_counts_once_in_its_own_column() {
        let kinds = [
            (EventType::BookingHeld, 0),
            (EventType::BookingCancelled, 1),
            (EventType::BookingExpired, 2),
            (EventType::BookingRescheduled, 3),
            (EventType::BookingArrived, 4),
            (EventType::BookingNoShow, 5),
        ];
        for (kind, column) in kinds {
            let counts = statistics_delta(&event(kind, booking(json!({}))), chrono_tz::UTC)
                .unwrap()
                .counts;
            let columns = [
                counts.holds,
                counts.cancellations,
                counts.expiries,
                counts.reschedules,
                counts.arrivals,
                counts.no_shows,
            ];
            let expected: Vec<i64> = (0..6).map(|i| i64::from(i == column)).collect();
            assert_eq!(columns.to_vec(), expected, "{kind:?}");
        }
    }
}

//! Phantom demand: a vehicle that books and then neither comes nor cancels in time keeps a
//! place from someone who would have come. As border booking systems learned (Ukraine's
//! eCherha bars a vehicle for 14 days after two no-shows or cancellations within 30 days),
//! no-shows and the holder's own cancellations count as strikes against the plate, and enough
//! strikes in the window bar new bookings for a while. Cancellations by staff (a window
//! closed by an admin) never count; an admin may lift a bar, which forgets the strikes before.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::event::{CancelledBy, DomainEvent, EventType};
use super::plate::Plate;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StrikeRules {
    /// Strikes within `window` that bar the plate.
    pub strikes_max: u32,
    pub window: Duration,
    /// How long a bar lasts after the strike that caused it.
    pub bar: Duration,
}

impl Default for StrikeRules {
    fn default() -> Self {
        Self {
            strikes_max: 2,
            window: Duration::days(30),
            bar: Duration::days(14),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StrikeKind {
    NoShow,
    Cancellation,
}

impl StrikeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StrikeKind::NoShow => "no_show",
            StrikeKind::Cancellation => "cancellation",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Strike {
    pub plate: Plate,
    pub kind: StrikeKind,
    pub at: DateTime<Utc>,
}

#[derive(Deserialize)]
struct Payload {
    booking: BookingPlate,
    cancelled_by: Option<CancelledBy>,
}

#[derive(Deserialize)]
struct BookingPlate {
    plate: Option<String>,
}

/// The strike `event` is, if it is one.
pub fn strike_of(event: &DomainEvent) -> Option<Strike> {
    // Most events are neither, and their payloads are not read at all.
    if !matches!(
        event.event_type,
        EventType::BookingNoShow | EventType::BookingCancelled
    ) {
        return None;
    }
    let payload: Payload = event.payload.read().ok()?;
    let kind = match (event.event_type, payload.cancelled_by) {
        (EventType::BookingNoShow, _) => StrikeKind::NoShow,
        (EventType::BookingCancelled, Some(CancelledBy::Holder)) => StrikeKind::Cancellation,
        _ => return None,
    };
    Some(Strike {
        plate: Plate::parse(&payload.booking.plate?).ok()?,
        kind,
        at: event.occurred_at,
    })
}

impl StrikeRules {
    /// Until when a plate with strikes at `strikes` (any order) is barred at `now`, if it is;
    /// strikes at or before `lifted_at` are forgotten.
    pub fn barred_until(
        &self,
        strikes: &[DateTime<Utc>],
        lifted_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let mut counted: Vec<DateTime<Utc>> = strikes
            .iter()
            .copied()
            .filter(|at| lifted_at.is_none_or(|lifted| *at > lifted))
            .collect();
        counted.sort();
        // Each strike bars the plate if, with the ones before it in the window, it reaches
        // the limit; the latest such strike decides the bar's end.
        let limit = self.strikes_max.max(1) as usize;
        counted
            .iter()
            .enumerate()
            .filter(|(i, at)| {
                counted[..=*i]
                    .iter()
                    .filter(|earlier| **at - **earlier <= self.window)
                    .count()
                    >= limit
            })
            .map(|(_, at)| *at + self.bar)
            .max()
            .filter(|until| *until > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, d, 12, 0, 0).unwrap()
    }

    #[test]
    fn two_strikes_within_thirty_days_bar_for_fourteen_days() {
        let rules = StrikeRules::default();
        assert_eq!(rules.barred_until(&[day(1)], None, day(2)), None);
        assert_eq!(
            rules.barred_until(&[day(1), day(10)], None, day(11)),
            Some(day(24))
        );
        assert_eq!(rules.barred_until(&[day(1), day(10)], None, day(24)), None);
    }

    #[test]
    fn strikes_far_apart_or_before_a_lift_do_not_bar() {
        let rules = StrikeRules::default();
        let far = [day(1), day(1) + Duration::days(31)];
        assert_eq!(rules.barred_until(&far, None, far[1]), None);
        assert_eq!(
            rules.barred_until(&[day(1), day(10)], Some(day(10)), day(11)),
            None
        );
    }
}

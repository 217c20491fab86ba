//! Booking rules that do not depend on a window's occupancy: how long a hold lasts, how far
//! ahead and how close to the window one may book, and when a vehicle may check in.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::error::AllocationError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub hold_ttl: Duration,
    pub horizon_days: u32,
    /// No new booking or move into a window that starts sooner than this.
    pub booking_cutoff: Duration,
    pub arrival_early: Duration,
    pub arrival_grace: Duration,
    /// Unconfirmed holds one contact may have on one schedule day, so that no one can sit on
    /// a day's windows without booking them.
    pub holds_per_contact_max: u32,
    /// Moves one booking may make, so that no one rolls a booking from window to window to
    /// keep a place they do not use.
    pub reschedules_per_booking_max: u32,
    /// How long a place offered to a waiting driver is held for their answer.
    pub offer_ttl: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            hold_ttl: Duration::minutes(10),
            horizon_days: 30,
            booking_cutoff: Duration::minutes(30),
            arrival_early: Duration::hours(3),
            arrival_grace: Duration::minutes(15),
            holds_per_contact_max: 3,
            reschedules_per_booking_max: 3,
            offer_ttl: Duration::minutes(10),
        }
    }
}

impl Policy {
    /// Whether a day can be booked at all: not before today, not beyond the horizon.
    pub fn check_day(&self, day: NaiveDate, today: NaiveDate) -> Result<(), AllocationError> {
        if day < today {
            return Err(AllocationError::WindowClosed("the day is in the past"));
        }
        if day > today + Duration::days(i64::from(self.horizon_days)) {
            return Err(AllocationError::WindowClosed(
                "the day is beyond the booking horizon",
            ));
        }
        Ok(())
    }

    /// Whether a window starting at `start` still takes new bookings at `now`.
    pub fn check_window_open(
        &self,
        start: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), AllocationError> {
        if start <= now {
            return Err(AllocationError::WindowClosed("the window has started"));
        }
        if start - self.booking_cutoff < now {
            return Err(AllocationError::WindowClosed(
                "the window starts too soon to book",
            ));
        }
        Ok(())
    }

    /// When a window starting at `start` closes to new bookings: it is open at every instant
    /// before and closed at every instant after (see [`Policy::check_window_open`]).
    pub fn window_closing(&self, start: DateTime<Utc>) -> DateTime<Utc> {
        (start - self.booking_cutoff).min(start)
    }

    pub fn hold_expiry(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + self.hold_ttl
    }

    /// When a place offered to a waiting driver now goes to the next one unanswered.
    pub fn offer_expiry(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + self.offer_ttl
    }

    /// Check-in is accepted from `arrival_early` before the window until `arrival_grace`
    /// after its end.
    pub fn may_check_in(
        &self,
        window_start: DateTime<Utc>,
        window_end: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> bool {
        now >= window_start - self.arrival_early && now <= window_end + self.arrival_grace
    }

    /// A confirmed booking that has not arrived by then is a no-show.
    pub fn no_show_after(&self, window_end: DateTime<Utc>) -> DateTime<Utc> {
        window_end + self.arrival_grace
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, h, m, 0).unwrap()
    }

    #[test]
    fn windows_close_at_the_cutoff_before_they_start() {
        let policy = Policy::default();
        assert!(policy.check_window_open(at(12, 0), at(11, 0)).is_ok());
        assert!(policy.check_window_open(at(12, 0), at(11, 30)).is_ok());
        assert!(policy.check_window_open(at(12, 0), at(11, 31)).is_err());
        assert!(policy.check_window_open(at(12, 0), at(13, 0)).is_err());
    }

    #[test]
    fn a_window_is_open_until_its_closing_and_closed_from_then_on() {
        for cutoff_minutes in [0, 30] {
            let policy = Policy {
                booking_cutoff: Duration::minutes(cutoff_minutes),
                ..Policy::default()
            };
            let closing = policy.window_closing(at(12, 0));
            let instant = Duration::nanoseconds(1);
            assert!(policy.check_window_open(at(12, 0), at(0, 0)).is_ok());
            assert!(
                policy
                    .check_window_open(at(12, 0), closing - instant)
                    .is_ok()
            );
            assert!(
                policy
                    .check_window_open(at(12, 0), closing + instant)
                    .is_err()
            );
            assert!(policy.check_window_open(at(12, 0), at(23, 0)).is_err());
        }
    }

    #[test]
    fn days_outside_today_and_the_horizon_are_refused() {
        let policy = Policy::default();
        let today = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        assert!(policy.check_day(today, today).is_ok());
        assert!(policy.check_day(today + Duration::days(30), today).is_ok());
        assert!(policy.check_day(today + Duration::days(31), today).is_err());
        assert!(policy.check_day(today - Duration::days(1), today).is_err());
    }

    #[test]
    fn check_in_is_accepted_from_three_hours_before_until_the_grace_after() {
        let policy = Policy::default();
        let (start, end) = (at(12, 0), at(13, 0));
        assert!(!policy.may_check_in(start, end, at(8, 59)));
        assert!(policy.may_check_in(start, end, at(9, 0)));
        assert!(policy.may_check_in(start, end, at(13, 15)));
        assert!(!policy.may_check_in(start, end, at(13, 16)));
        assert_eq!(policy.no_show_after(end), at(13, 15));
    }
}

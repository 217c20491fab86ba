//! Carriers' API keys as a request sees them: the key looked up in memory, and the carrier's
//! active-bookings cap checked against a count kept in memory.
//!
//! A carrier in a rush sends many requests a second, and each used to read its key and count
//! its active bookings in the database, and to wait for its previous booking to be stored (so
//! that the count included it). Now:
//! - a live key is kept for [`KEY_RECHECK`] after it was read, so a revocation on another
//!   replica is honoured within that bound (at once on the replica that revoked it); unknown
//!   and revoked keys are never kept, so a new key works everywhere at once;
//! - the cap is checked against the stored count, read at most every [`COUNT_RECHECK`], plus
//!   the bookings this process made since that read and those it is making now. The sum can
//!   only overstate (a booking that commits while the count is read is counted twice until
//!   the next read), so one process never lets a carrier past its cap, and bookings made on
//!   other replicas are seen within [`COUNT_RECHECK`] — as before, replicas do not share a
//!   lock, so together they may pass it by what the others booked in that time. A request
//!   abandoned while its booking is being stored (the client gone, or the answer's time bound
//!   reached) gives its place back although the booking may still be stored; the next count,
//!   within [`COUNT_RECHECK`], includes it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use dashmap::DashMap;
use uuid::Uuid;

use super::error::ApiError;
use crate::auth::{ApiKey, api_key};
use crate::store::SlotStore;

/// How long a live key is used without reading it again.
pub const KEY_RECHECK: Duration = Duration::from_secs(5);
/// How long a carrier's stored count of active bookings is used without counting again.
pub const COUNT_RECHECK: Duration = Duration::from_secs(2);
const KEYS_KEPT: u64 = 100_000;

pub struct CarrierKeys {
    live: moka::sync::Cache<Uuid, ApiKey>,
    quotas: DashMap<Uuid, Arc<Quota>>,
}

impl Default for CarrierKeys {
    fn default() -> Self {
        Self {
            live: moka::sync::Cache::builder()
                .max_capacity(KEYS_KEPT)
                .time_to_live(KEY_RECHECK)
                .build(),
            quotas: DashMap::new(),
        }
    }
}

impl CarrierKeys {
    /// The live key `presented` is, or `401`.
    pub async fn live_key(
        &self,
        store: &dyn SlotStore,
        presented: &str,
    ) -> Result<ApiKey, ApiError> {
        let invalid = || ApiError::Unauthenticated("the API key is not valid");
        let id = api_key::claimed_id(presented).ok_or_else(invalid)?;
        let key = match self.live.get(&id) {
            Some(key) => key,
            None => {
                let key = store
                    .api_key(id)
                    .await?
                    .filter(|key| !key.revoked)
                    .ok_or_else(invalid)?;
                self.live.insert(id, key.clone());
                key
            }
        };
        if !api_key::matches(presented, &key.digest) {
            return Err(invalid());
        }
        Ok(key)
    }

    /// Stops using a revoked key in this process at once.
    pub fn forget(&self, id: Uuid) {
        self.live.invalidate(&id);
    }

    /// A place under `key`'s cap for one new booking, or `429 quota-exceeded`. The place is
    /// given back when the reservation is dropped unless the booking was [made](Reservation::made).
    pub async fn reserve(
        &self,
        store: &dyn SlotStore,
        key: &ApiKey,
    ) -> Result<Reservation, ApiError> {
        let quota = match self.quotas.get(&key.id) {
            Some(quota) => quota.clone(),
            None => self.quotas.entry(key.id).or_default().clone(),
        };
        quota.refresh_if_due(store, key.id).await?;
        quota
            .try_reserve(u64::from(key.active_bookings_max))
            .ok_or(ApiError::QuotaExceeded(key.active_bookings_max))?;
        Ok(Reservation { quota, made: false })
    }
}

/// One carrier's count of active bookings.
#[derive(Default)]
struct Quota {
    /// Active bookings as the store counted them, and bookings made here since, and in flight
    /// here now; kept under one lock so that a check and its reservation are one step.
    counts: Mutex<Counts>,
    /// Set while one request counts again, so that the others go on with the last count.
    recounting: AtomicBool,
}

/// The counts stay consistent at every step, so a panic elsewhere while holding the lock
/// leaves nothing to repair.
fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Default, Debug, Clone, Copy, PartialEq, Eq)]
struct Counts {
    stored: u64,
    made_since: u64,
    in_flight: u64,
    /// When `stored` was counted; `None` until the first count.
    counted_at: Option<Instant>,
}

impl Quota {
    async fn refresh_if_due(&self, store: &dyn SlotStore, key: Uuid) -> Result<(), ApiError> {
        let (counted_at, made_before) = {
            let counts = locked(&self.counts);
            (counts.counted_at, counts.made_since)
        };
        if counted_at.is_some_and(|at| at.elapsed() < COUNT_RECHECK) {
            return Ok(());
        }
        // The first count must be waited for; a later one is made by one request while the
        // others go on with the previous count.
        let recount = counted_at.is_some();
        if recount && self.recounting.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let counted = store.count_carrier_bookings(key).await;
        if recount {
            self.recounting.store(false, Ordering::Release);
        }
        locked(&self.counts).recount(counted?, made_before, Instant::now());
        Ok(())
    }

    fn try_reserve(&self, cap: u64) -> Option<()> {
        locked(&self.counts).try_reserve(cap)
    }

    fn settle(&self, made: bool) {
        locked(&self.counts).settle(made);
    }
}

impl Counts {
    fn active(&self) -> u64 {
        self.stored + self.made_since + self.in_flight
    }

    fn try_reserve(&mut self, cap: u64) -> Option<()> {
        (self.active() < cap).then(|| self.in_flight += 1)
    }

    fn settle(&mut self, made: bool) {
        self.in_flight = self.in_flight.saturating_sub(1);
        if made {
            self.made_since += 1;
        }
    }

    /// A new stored count, begun after `made_before` of the bookings made here: those are in
    /// it, the later ones may or may not be and stay added.
    fn recount(&mut self, stored: u64, made_before: u64, at: Instant) {
        self.stored = stored;
        self.made_since = self.made_since.saturating_sub(made_before);
        self.counted_at = Some(at);
    }
}

/// A carrier's place for one booking being made.
pub struct Reservation {
    quota: Arc<Quota>,
    made: bool,
}

impl Reservation {
    /// The booking was made: it stays counted until the store counts it.
    pub fn made(mut self) {
        self.made = true;
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.quota.settle(self.made);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reservation_is_refused_at_the_cap_and_given_back_unless_made() {
        let mut counts = Counts {
            stored: 1,
            ..Counts::default()
        };
        assert_eq!(counts.try_reserve(3), Some(()));
        assert_eq!(counts.try_reserve(3), Some(()));
        assert_eq!(counts.try_reserve(3), None, "1 stored and 2 in flight");

        counts.settle(false);
        assert_eq!(
            counts.try_reserve(3),
            Some(()),
            "a failed booking gives its place back"
        );
        counts.settle(true);
        counts.settle(true);
        assert_eq!(
            counts,
            Counts {
                stored: 1,
                made_since: 2,
                in_flight: 0,
                counted_at: None,
            }
        );
        assert_eq!(counts.try_reserve(3), None, "made bookings stay counted");
    }

    #[test]
    fn a_recount_keeps_what_was_made_after_it_began() {
        let mut counts = Counts {
            stored: 2,
            made_since: 3,
            in_flight: 1,
            counted_at: None,
        };
        // Two of the three were made before the count began and are in it.
        let at = Instant::now();
        counts.recount(4, 2, at);
        assert_eq!(
            counts,
            Counts {
                stored: 4,
                made_since: 1,
                in_flight: 1,
                counted_at: Some(at),
            }
        );
        // Cancellations show once counted again.
        counts.recount(0, 1, Instant::now());
        assert_eq!(counts.active(), 1);
    }
}

//! One process at a time runs each periodic job, however many replicas run the jobs.
//!
//! Before each round a job takes or renews its lease in the store; a replica that finds another
//! holder's lease live skips the round. So a job on a timer runs once per period across the
//! replicas, and when its holder dies another replica takes it over within the lease's length
//! ([`lease_length`]: three periods, at least a minute). Leases are read against each
//! process's clock, so replicas' clocks must agree to well within that length (NTP does).

use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use crate::clock::Clock;
use crate::store::{SlotStore, StoreError};

/// The shortest lease: long enough that a slow round or a pause does not hand the job over.
const LEASE_LENGTH_MIN: Duration = Duration::from_secs(60);

/// How long a job's lease lasts from each round of a job run every `interval`.
pub fn lease_length(interval: Duration) -> Duration {
    interval.saturating_mul(3).max(LEASE_LENGTH_MIN)
}

/// A process's claim to run periodic jobs, one lease per job.
#[derive(Clone)]
pub struct JobLeases {
    store: Arc<dyn SlotStore>,
    clock: Arc<dyn Clock>,
    holder: Uuid,
}

impl JobLeases {
    pub fn new(store: Arc<dyn SlotStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            holder: Uuid::new_v4(),
        }
    }

    /// Takes or renews this process's lease on `job`, run every `interval`; `false` while
    /// another process holds it.
    pub async fn hold(&self, job: &str, interval: Duration) -> Result<bool, StoreError> {
        let now = self.clock.now();
        let length =
            chrono::Duration::from_std(lease_length(interval)).unwrap_or(chrono::Duration::MAX);
        self.store
            .take_job_lease(job, self.holder, now, now + length)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_lasts_three_periods_and_at_least_a_minute() {
        assert_eq!(lease_length(Duration::from_secs(1)), LEASE_LENGTH_MIN);
        assert_eq!(
            lease_length(Duration::from_secs(3600)),
            Duration::from_secs(3 * 3600)
        );
    }
}

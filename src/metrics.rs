//! Counters the allocator keeps about itself. Group-commit figures are read by the benchmarks
//! to show how many requests one store transaction served.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

static COMMITS_TOTAL: AtomicU64 = AtomicU64::new(0);
static COMMITTED_REQUESTS_TOTAL: AtomicU64 = AtomicU64::new(0);
static COMMIT_BATCH_REQUESTS_MAX: AtomicU64 = AtomicU64::new(0);
static COMMIT_MICROSECONDS_TOTAL: AtomicU64 = AtomicU64::new(0);

/// Counts one durable batch that answered `requests` waiting requests.
pub fn record_commit(requests: usize, elapsed: Duration) {
    let requests = requests as u64;
    COMMITS_TOTAL.fetch_add(1, Ordering::Relaxed);
    COMMITTED_REQUESTS_TOTAL.fetch_add(requests, Ordering::Relaxed);
    COMMIT_BATCH_REQUESTS_MAX.fetch_max(requests, Ordering::Relaxed);
    COMMIT_MICROSECONDS_TOTAL.fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitStats {
    pub commits: u64,
    pub requests: u64,
    pub batch_requests_max: u64,
    pub commit_micros: u64,
}

impl CommitStats {
    pub fn read() -> Self {
        Self {
            commits: COMMITS_TOTAL.load(Ordering::Relaxed),
            requests: COMMITTED_REQUESTS_TOTAL.load(Ordering::Relaxed),
            batch_requests_max: COMMIT_BATCH_REQUESTS_MAX.load(Ordering::Relaxed),
            commit_micros: COMMIT_MICROSECONDS_TOTAL.load(Ordering::Relaxed),
        }
    }

    /// What happened between `earlier` and `self`; `batch_requests_max` stays the largest batch
    /// since the process started.
    pub fn since(&self, earlier: &CommitStats) -> CommitStats {
        CommitStats {
            commits: self.commits - earlier.commits,
            requests: self.requests - earlier.requests,
            batch_requests_max: self.batch_requests_max,
            commit_micros: self.commit_micros - earlier.commit_micros,
        }
    }

    pub fn mean_batch(&self) -> f64 {
        if self.commits == 0 {
            0.0
        } else {
            self.requests as f64 / self.commits as f64
        }
    }
}

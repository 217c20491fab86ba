//! Forgets idempotency keys older than their retention (24 hours by default).

use chrono::{DateTime, Duration, Utc};

use super::Outcome;
use crate::store::SlotStore;

pub const RETENTION_HOURS: i64 = 24;

pub async fn try_run_once(store: &dyn SlotStore, now: DateTime<Utc>) -> anyhow::Result<Outcome> {
    let removed = store
        .idempotency_prune(now - Duration::hours(RETENTION_HOURS))
        .await?;
    Ok(if removed == 0 {
        Outcome::Idle
    } else {
        Outcome::Worked(removed)
    })
}

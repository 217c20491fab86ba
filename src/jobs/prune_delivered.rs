//! Keeps the outbox and the consumers' records from growing without end: published events
//! go after a month (the statistics keep what analysts need), and the records that a consumer
//! applied an event after two months — long past any redelivery, since the relay only ever
//! sends unpublished events again and a broker holds no message that long.

use chrono::{DateTime, Duration, Utc};

use super::Outcome;
use crate::store::SlotStore;

pub const PUBLISHED_RETENTION_DAYS: i64 = 30;
pub const PROCESSED_RETENTION_DAYS: i64 = 60;
/// Rows removed per round, so that one round never holds the tables for long.
const ROWS_PER_ROUND: usize = 10_000;

pub async fn try_run_once(store: &dyn SlotStore, now: DateTime<Utc>) -> anyhow::Result<Outcome> {
    let removed = store
        .prune_delivered(
            now - Duration::days(PUBLISHED_RETENTION_DAYS),
            now - Duration::days(PROCESSED_RETENTION_DAYS),
            ROWS_PER_ROUND,
        )
        .await?;
    Ok(if removed == 0 {
        Outcome::Idle
    } else {
        Outcome::Worked(removed)
    })
}

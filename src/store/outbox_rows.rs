//! The outbox as both stores keep it: one row per transaction, its events in order as a JSON
//! array (see `V12__outbox_per_transaction.sql`).

use anyhow::Context;

use super::{OutboxEntry, StoreError};
use crate::domain::DomainEvent;

/// Appends a transaction's events: `$1` how many, `$2` when the first happened, `$3` the array.
pub const APPEND_EVENTS: &str =
    "INSERT INTO outbox (event_count, occurred_at, events) VALUES ($1, $2, $3)";

/// Unpublished rows, oldest first, whole, until they hold at least `$1` events: a row's
/// events are marked published together, so a round never takes part of one.
pub const PENDING_ROWS: &str = "SELECT seq, events FROM (\
         SELECT seq, events, sum(event_count) OVER (ORDER BY seq) - event_count AS before \
           FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1) AS pending \
     WHERE before < $1 ORDER BY seq";

/// How many events wait unpublished, and when the oldest of them happened.
pub const BACKLOG: &str = "SELECT coalesce(sum(event_count), 0), min(occurred_at) \
     FROM outbox WHERE published_at IS NULL";

/// The events of a transaction as one row holds them.
pub fn encode(events: &[&DomainEvent]) -> Result<String, StoreError> {
    Ok(serde_json::to_string(events).context("Failed to encode an event")?)
}

/// The entries of row `seq`, in the order they were written.
pub fn decode(seq: i64, events: &str) -> Result<impl Iterator<Item = OutboxEntry>, StoreError> {
    let events: Vec<DomainEvent> = serde_json::from_str(events)
        .with_context(|| format!("outbox row {seq} holds an unreadable event"))?;
    Ok(events
        .into_iter()
        .map(move |event| OutboxEntry { seq, event }))
}

//! Publishes the outbox: unsent events in the order they were written (so per schedule day
//! too), marked sent only after the bus confirmed them. A crash between the two sends them
//! again, which consumers absorb by event id. However many replicas run the relay, one at a
//! time holds the store's relay lock and publishes.

use chrono::{DateTime, Utc};

use super::Outcome;
use crate::bus::EventBus;
use crate::domain::DomainEvent;
use crate::metrics::prometheus::{EVENTS_PUBLISHED, OUTBOX_BACKLOG, RELAY_LAG};
use crate::store::SlotStore;

/// Events taken from the outbox per round.
const EVENTS_PER_ROUND: usize = 500;

pub async fn try_run_once(
    store: &dyn SlotStore,
    bus: &dyn EventBus,
    now: DateTime<Utc>,
) -> anyhow::Result<Outcome> {
    // Looked at before taking the lock, so that an idle round costs one query, not three.
    let (backlog, oldest) = store.outbox_backlog().await?;
    metrics::gauge!(OUTBOX_BACKLOG).set(backlog as f64);
    let lag = oldest.map_or(0.0, |at| {
        (now - at).num_milliseconds().max(0) as f64 / 1000.0
    });
    metrics::gauge!(RELAY_LAG).set(lag);
    if backlog == 0 {
        return Ok(Outcome::Idle);
    }
    // Another replica relays now; it will have sent these events by our next round.
    let Some(lease) = store.lock_relay().await? else {
        return Ok(Outcome::Idle);
    };
    let outcome = relay(store, bus, now).await;
    lease.release().await;
    outcome
}

async fn relay(
    store: &dyn SlotStore,
    bus: &dyn EventBus,
    now: DateTime<Utc>,
) -> anyhow::Result<Outcome> {
    let (mut seqs, events): (Vec<i64>, Vec<DomainEvent>) = store
        .outbox_pending(EVENTS_PER_ROUND)
        .await?
        .into_iter()
        .map(|entry| (entry.seq, entry.event))
        .unzip();
    if events.is_empty() {
        return Ok(Outcome::Idle);
    }
    bus.publish(&events).await?;
    // Events of one stored row share its seq, and come in order.
    seqs.dedup();
    store.outbox_mark_published(&seqs, now).await?;
    metrics::counter!(EVENTS_PUBLISHED).increment(events.len() as u64);
    Ok(Outcome::Worked(events.len() as u64))
}

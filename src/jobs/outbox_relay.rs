//! Publishes the outbox: unsent events in the order they were written (so per schedule day
//! too), marked sent only after the bus confirmed them. A crash between the two sends them
//! again, which consumers absorb by event id.

use chrono::{DateTime, Utc};

use super::Outcome;
use crate::bus::EventBus;
use crate::domain::DomainEvent;
use crate::store::SlotStore;

/// Events taken from the outbox per round.
const EVENTS_PER_ROUND: usize = 500;

pub async fn try_run_once(
    store: &dyn SlotStore,
    bus: &dyn EventBus,
    now: DateTime<Utc>,
) -> anyhow::Result<Outcome> {
    let pending = store.outbox_pending(EVENTS_PER_ROUND).await?;
    if pending.is_empty() {
        return Ok(Outcome::Idle);
    }
    let events: Vec<DomainEvent> = pending.iter().map(|entry| entry.event.clone()).collect();
    bus.publish(&events).await?;
    let seqs: Vec<i64> = pending.iter().map(|entry| entry.seq).collect();
    store.outbox_mark_published(&seqs, now).await?;
    Ok(Outcome::Worked(seqs.len() as u64))
}

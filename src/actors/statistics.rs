//! The statistics consumer: turns each booking event into counts per checkpoint, local day,
//! hour and category. The count and the record that this event was counted are stored in one
//! transaction, so a redelivered event is counted once.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use chrono_tz::Tz;

use crate::bus::{EventHandler, HandlerError};
use crate::clock::Clock;
use crate::domain::statistics::statistics_delta;
use crate::domain::{CheckpointId, DomainEvent};
use crate::store::{ProcessedEvent, SlotStore};

pub const STATISTICS_GROUP: &str = "statistics";

pub struct StatisticsRecorder {
    store: Arc<dyn SlotStore>,
    clock: Arc<dyn Clock>,
    time_zones: RwLock<HashMap<CheckpointId, Tz>>,
}

impl StatisticsRecorder {
    pub fn new(store: Arc<dyn SlotStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            time_zones: RwLock::new(HashMap::new()),
        }
    }

    async fn time_zone(&self, checkpoint: &CheckpointId) -> Result<Tz, HandlerError> {
        let known = self
            .time_zones
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(checkpoint)
            .copied();
        if let Some(zone) = known {
            return Ok(zone);
        }
        // A checkpoint added since the last look: read them all again.
        let checkpoints = self.store.checkpoints().await?;
        let mut zones = self
            .time_zones
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        zones.extend(checkpoints.into_iter().map(|c| (c.id, c.time_zone)));
        zones.get(checkpoint).copied().ok_or_else(|| {
            HandlerError::Permanent(anyhow::anyhow!("event of unknown checkpoint {checkpoint}"))
        })
    }
}

#[async_trait]
impl EventHandler for StatisticsRecorder {
    async fn handle(&self, event: &DomainEvent) -> Result<(), HandlerError> {
        self.handle_batch(std::slice::from_ref(event))
            .await
            .pop()
            .unwrap_or(Ok(()))
    }

    /// Every event of the batch that can be counted is recorded in one transaction: a relay
    /// catching up after an outage, or a rush, is counted at the pace of batches rather than of
    /// one synchronous commit per event.
    async fn handle_batch(&self, events: &[DomainEvent]) -> Vec<Result<(), HandlerError>> {
        let mut answers: Vec<Result<(), HandlerError>> = Vec::with_capacity(events.len());
        let mut counted = Vec::with_capacity(events.len());
        for event in events {
            match self.time_zone(&event.checkpoint).await {
                Ok(zone) => {
                    counted.push(ProcessedEvent::new(event.id, statistics_delta(event, zone)));
                    answers.push(Ok(()));
                }
                Err(error) => answers.push(Err(error)),
            }
        }
        if counted.is_empty() {
            return answers;
        }
        let recorded = self
            .store
            .record_processed(STATISTICS_GROUP, &counted, self.clock.now())
            .await;
        if let Err(error) = recorded {
            for answer in answers.iter_mut().filter(|a| a.is_ok()) {
                *answer = Err(HandlerError::from(error.duplicate()));
            }
        }
        answers
    }
}

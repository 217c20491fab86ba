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
use crate::store::SlotStore;

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
        let zone = self.time_zone(&event.checkpoint).await?;
        let delta = statistics_delta(event, zone);
        self.store
            .record_processed(STATISTICS_GROUP, event.id, delta.as_ref(), self.clock.now())
            .await?;
        Ok(())
    }
}

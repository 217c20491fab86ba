//! What every handler shares.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use crate::actors::ScheduleRegistry;
use crate::bus::EventBus;
use crate::domain::window::local_date;
use crate::domain::{AllocationError, Checkpoint, CheckpointId, Policy};
use crate::store::SlotStore;

pub struct AppState {
    pub registry: Arc<ScheduleRegistry>,
    pub store: Arc<dyn SlotStore>,
    pub bus: Arc<dyn EventBus>,
}

impl AppState {
    pub fn now(&self) -> DateTime<Utc> {
        self.registry.clock().now()
    }

    pub fn policy(&self) -> &Policy {
        self.registry.policy()
    }

    pub fn checkpoint(&self, id: &CheckpointId) -> Result<Arc<Checkpoint>, AllocationError> {
        self.registry
            .checkpoint(id)
            .ok_or(AllocationError::UnknownCheckpoint)
    }

    pub fn today_at(&self, checkpoint: &Checkpoint) -> NaiveDate {
        local_date(checkpoint.time_zone, self.now())
    }
}

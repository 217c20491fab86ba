//! What every handler shares.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use super::error::ApiError;
use super::idempotency::Answers;
use super::limits::Limits;
use crate::actors::ScheduleRegistry;
use crate::actors::strikes::Bars;
use crate::auth::token::TokenKeys;
use crate::bus::EventBus;
use crate::domain::window::local_date;
use crate::domain::{
    AllocationError, Category, Checkpoint, CheckpointId, Direction, InputError, Policy,
};
use crate::store::SlotStore;

pub struct AppState {
    pub registry: Arc<ScheduleRegistry>,
    pub store: Arc<dyn SlotStore>,
    pub bus: Arc<dyn EventBus>,
    pub tokens: TokenKeys,
    pub limits: Limits,
    /// Plates barred from new bookings after repeated no-shows and cancellations.
    pub bars: Arc<Bars>,
    pub answers: Arc<Answers>,
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

    /// The checkpoint a `checkpoint` query parameter names: missing is invalid input, an id
    /// that names no checkpoint is not found.
    pub fn checkpoint_in_query(&self, raw: Option<&str>) -> Result<Arc<Checkpoint>, ApiError> {
        let raw =
            raw.ok_or_else(|| InputError::new("checkpoint", "the checkpoint's id, such as narva"))?;
        let id = CheckpointId::parse(raw).map_err(|_| ApiError::NotFound("checkpoint"))?;
        self.checkpoint(&id)
            .map_err(|_| ApiError::NotFound("checkpoint"))
    }

    /// The checkpoint, direction and category a booking request names, checked against each
    /// other: a checkpoint serves only some lanes.
    pub fn lane(
        &self,
        checkpoint: &str,
        direction: &str,
        category: &str,
    ) -> Result<(CheckpointId, Arc<Checkpoint>, Direction, Category), ApiError> {
        let checkpoint_id = CheckpointId::parse(checkpoint)?;
        let checkpoint = self.checkpoint(&checkpoint_id)?;
        let direction: Direction = direction.parse()?;
        let category: Category = category.parse()?;
        if !checkpoint.serves(direction, category) {
            return Err(InputError::new(
                "category",
                "the checkpoint does not serve this direction and category",
            )
            .into());
        }
        Ok((checkpoint_id, checkpoint, direction, category))
    }

    pub fn today_at(&self, checkpoint: &Checkpoint) -> NaiveDate {
        local_date(checkpoint.time_zone, self.now())
    }
}

//! The use cases both front ends call — the JSON API and the web pages — and the state they
//! share: the schedule actors, the store, the bus and the limits. Inputs arrive here already
//! parsed into domain types; refusals leave as `ApiError`, which each front end renders its way.

pub mod accounts;
pub mod bars;
pub mod best_times;
pub mod bookings;
pub mod carrier_keys;
pub mod check_in;
pub mod draws;
pub mod error;
pub mod forecast;
pub mod input;
pub mod limits;
pub mod local_times;
pub mod reports;
pub mod reslot;
pub mod staff;
pub mod status;
pub mod waitlist;
pub mod windows;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use crate::actors::ScheduleRegistry;
use crate::actors::strikes::Bars;
use crate::auth::token::TokenKeys;
use crate::bus::EventBus;
use crate::domain::window::local_date;
use crate::domain::{AllocationError, Checkpoint, CheckpointId, InputError, Policy};
use crate::store::SlotStore;
use bookings::LaneKey;
use error::ApiError;
use limits::Limits;

pub struct AppState {
    pub registry: Arc<ScheduleRegistry>,
    pub store: Arc<dyn SlotStore>,
    pub bus: Arc<dyn EventBus>,
    pub tokens: TokenKeys,
    pub limits: Limits,
    pub carrier_keys: carrier_keys::CarrierKeys,
    /// Plates barred from new bookings after repeated no-shows and cancellations.
    pub bars: Arc<Bars>,
    /// The OpenID Connect provider people may sign in through, when one is configured.
    pub oidc: Option<Arc<crate::oidc::Provider>>,
    /// Forecasts learned for the best time to cross, kept for a while.
    pub best_times: best_times::BestTimesCache,
    /// Days whose opening draw is known to be durable here.
    pub drawn_days: draws::DrawnDays,
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

    /// The checkpoint of a lane a request names, checked against the lane: a checkpoint
    /// serves only some directions and categories.
    pub fn lane(&self, lane: &LaneKey) -> Result<Arc<Checkpoint>, ApiError> {
        let checkpoint = self.checkpoint(&lane.checkpoint)?;
        if !checkpoint.serves(lane.direction, lane.category) {
            return Err(InputError::new(
                "category",
                "the checkpoint does not serve this direction and category",
            )
            .into());
        }
        Ok(checkpoint)
    }

    pub fn today_at(&self, checkpoint: &Checkpoint) -> NaiveDate {
        local_date(checkpoint.time_zone, self.now())
    }
}

/// The longest an answer rendered at a day's revision (JSON or page) is served again: what
/// depends on the clock alone, such as a window closing at its cut-off, is rendered anew at
/// least this often.
pub const RENDERED_FOR: std::time::Duration = std::time::Duration::from_secs(1);

//! Availability answers rendered once and served again while the day's windows stay as they
//! were: a day being booked is read far more often than it changes, and rendering its windows
//! (local times, JSON) costs more than the rest of the request.
//!
//! An answer is reused only while the day's actor reports the revision it was rendered at (the
//! actor changes it with every decision, before it answers the request that made it), so a
//! reader never sees windows older than the last change it could know of. What depends on the
//! clock alone (a window closing for booking at its cut-off) is rendered again at least every
//! [`RENDERED_FOR`].

use actix_web::web::Bytes;
use chrono::NaiveDate;

use crate::domain::{Category, CheckpointId, Direction};

pub use crate::app::RENDERED_FOR;
const ANSWERS_KEPT: u64 = 20_000;

/// Which availability answer: a checkpoint's day, all of it or one direction or category.
pub type AvailabilityKey = (CheckpointId, NaiveDate, Option<Direction>, Option<Category>);

pub struct RenderedAvailability {
    answers: moka::sync::Cache<AvailabilityKey, (u64, Bytes)>,
}

impl Default for RenderedAvailability {
    fn default() -> Self {
        Self {
            answers: moka::sync::Cache::builder()
                .max_capacity(ANSWERS_KEPT)
                .time_to_live(RENDERED_FOR)
                .build(),
        }
    }
}

impl RenderedAvailability {
    /// The answer rendered at `revision`, if it is still kept.
    pub fn get(&self, key: &AvailabilityKey, revision: u64) -> Option<Bytes> {
        self.answers
            .get(key)
            .filter(|(rendered_at, _)| *rendered_at == revision)
            .map(|(_, body)| body)
    }

    pub fn keep(&self, key: AvailabilityKey, revision: u64, body: Bytes) {
        self.answers.insert(key, (revision, body));
    }
}

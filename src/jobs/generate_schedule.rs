//! Keeps windows open for booking across the whole horizon: each run creates the windows of
//! days that came into the horizon since the last one, from each checkpoint's template.

use chrono::{DateTime, Utc};

use super::Outcome;
use crate::seed;
use crate::store::SlotStore;

pub async fn try_run_once(
    store: &dyn SlotStore,
    now: DateTime<Utc>,
    horizon_days: u32,
) -> anyhow::Result<Outcome> {
    seed::generate_schedule(store, now, horizon_days).await?;
    // Existing days are left alone, so a run that found nothing new did no work.
    Ok(Outcome::Idle)
}

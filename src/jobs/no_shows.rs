//! Marks confirmed bookings whose window ended more than the arrival grace ago without a
//! check-in as no-shows. The schedule actors decide it, as they decide every status change;
//! this job only finds the days that have such bookings (so it never wakes, or creates the
//! windows of, a day with nothing to mark).

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};

use super::Outcome;
use crate::actors::ScheduleRegistry;
use crate::actors::schedule::MarkNoShows;
use crate::store::SlotStore;

/// How far back the job looks for missed bookings: a process down for longer than this
/// leaves older ones confirmed.
const LOOK_BACK_HOURS: i64 = 72;

pub async fn try_run_once(
    registry: &ScheduleRegistry,
    store: &dyn SlotStore,
    now: DateTime<Utc>,
) -> anyhow::Result<Outcome> {
    let grace = registry.policy().arrival_grace;
    // Windows start before they end: a window that started after `now - grace` cannot have
    // ended more than the grace ago.
    let missed = store
        .confirmed_starting_between(now - Duration::hours(LOOK_BACK_HOURS), now - grace)
        .await?;
    let days: BTreeSet<_> = missed
        .iter()
        .filter(|b| b.window_end + grace <= now)
        .map(|b| (b.checkpoint.clone(), b.day))
        .collect();
    let mut marked = 0;
    for (checkpoint, day) in days {
        // One day that cannot answer now must not hold up the others.
        match registry.ask(&checkpoint, day, MarkNoShows).await {
            Ok(count) => marked += count,
            Err(error) => {
                tracing::warn!(%checkpoint, %day, %error, "no-shows not marked this round");
            }
        }
    }
    Ok(if marked == 0 {
        Outcome::Idle
    } else {
        Outcome::Worked(marked as u64)
    })
}

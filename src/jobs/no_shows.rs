//! Marks confirmed bookings whose window ended more than the arrival grace ago without a
//! check-in as no-shows. The schedule actors decide it, as they decide every status change;
//! this job only visits the days that can have such bookings: each checkpoint's local
//! yesterday and today.

use chrono::{DateTime, Utc};

use super::Outcome;
use crate::actors::ScheduleRegistry;
use crate::actors::schedule::MarkNoShows;
use crate::domain::window::local_date;

pub async fn try_run_once(
    registry: &ScheduleRegistry,
    now: DateTime<Utc>,
) -> anyhow::Result<Outcome> {
    let mut marked = 0;
    for checkpoint in registry.checkpoints() {
        let today = local_date(checkpoint.time_zone, now);
        for day in [today.pred_opt(), Some(today)].into_iter().flatten() {
            // One day that cannot answer now must not hold up the others.
            match registry.ask(&checkpoint.id, day, MarkNoShows).await {
                Ok(count) => marked += count,
                Err(error) => {
                    tracing::warn!(checkpoint = %checkpoint.id, %day, %error, "no-shows not marked this round");
                }
            }
        }
    }
    Ok(if marked == 0 {
        Outcome::Idle
    } else {
        Outcome::Worked(marked as u64)
    })
}

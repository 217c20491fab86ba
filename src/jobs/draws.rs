//! Runs the opening draws whose period has ended: each is decided by its day's actor (see
//! `actors::schedule::RunDraw`). One replica at a time runs this job (its lease); that a draw
//! runs once does not rest on the lease, though, but on the store, which closes a draw only
//! while it is open with the entrants it was decided on. A request for the day, or an entrant
//! asking for its outcome, runs a due draw as well, so a draw never waits for this job alone.

use chrono::{DateTime, Utc};

use super::Outcome;
use crate::actors::ScheduleRegistry;
use crate::actors::schedule::{DrawRun, RunDraw};
use crate::store::SlotStore;

pub async fn try_run_once(
    registry: &ScheduleRegistry,
    store: &dyn SlotStore,
    now: DateTime<Utc>,
) -> anyhow::Result<Outcome> {
    let mut ran = 0;
    for draw in store.due_draws(now).await? {
        let run = RunDraw { times: draw.times };
        // One day that cannot answer now must not hold up the others.
        match registry.ask(&draw.checkpoint, draw.day, run).await {
            Ok(DrawRun::Ran { .. }) => ran += 1,
            Ok(DrawRun::NotDue | DrawRun::Done) => {}
            Err(error) => {
                tracing::warn!(checkpoint = %draw.checkpoint, day = %draw.day, %error, "opening draw not run this round");
            }
        }
    }
    Ok(if ran == 0 {
        Outcome::Idle
    } else {
        Outcome::Worked(ran)
    })
}

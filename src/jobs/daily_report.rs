//! Writes the daily report of every checkpoint for its local yesterday into the report folder,
//! once: a day whose JSON and CSV files are both there is skipped, so the rounds after the
//! first one of a day, and a restart, write nothing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Days, Utc};

use super::Outcome;
use crate::domain::window::local_date;
use crate::reports::{ReportFiles, read_daily_report, write_daily_report};
use crate::store::SlotStore;

/// How often the job looks for a day to report: a new day begins at most an hour before it is
/// written, whatever the checkpoint's time zone.
pub const INTERVAL: Duration = Duration::from_secs(3600);

pub async fn try_run_once(
    store: &dyn SlotStore,
    dir: &Path,
    now: DateTime<Utc>,
) -> anyhow::Result<Outcome> {
    let mut written = 0;
    for checkpoint in store.checkpoints().await? {
        let Some(yesterday) = local_date(checkpoint.time_zone, now).checked_sub_days(Days::new(1))
        else {
            continue;
        };
        if ReportFiles::in_dir(dir, &checkpoint.id, yesterday).exist() {
            continue;
        }
        let report = read_daily_report(store, &checkpoint, yesterday)
            .await
            .with_context(|| {
                format!("Failed to read the {} report of {yesterday}", checkpoint.id)
            })?;
        let dir = PathBuf::from(dir);
        let files = tokio::task::spawn_blocking(move || write_daily_report(&dir, &report))
            .await
            .context("report writer task failed")??;
        tracing::info!(checkpoint = %checkpoint.id, day = %yesterday, path = %files.json.display(), "daily report written");
        written += 1;
    }
    Ok(if written == 0 {
        Outcome::Idle
    } else {
        Outcome::Worked(written)
    })
}

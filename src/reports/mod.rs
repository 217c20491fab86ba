//! What analysts read: the daily report of a checkpoint and the demand forecast; and what
//! drivers read of the forecast, the best time to cross.
//!
//! [`daily`], [`forecast`] and [`best_times`] are pure: they shape aggregates that the store computed. The
//! functions here read those aggregates and write report files, shared by the HTTP API, the
//! `report` command and the daily report job.

pub mod best_times;
pub mod daily;
pub mod forecast;

use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::NaiveDate;

use self::daily::DailyReport;
use crate::domain::{Checkpoint, CheckpointId};
use crate::store::{SlotStore, StoreError};

/// The daily report of `checkpoint` on its local `date`, from the stored windows and statistics.
pub async fn read_daily_report(
    store: &dyn SlotStore,
    checkpoint: &Checkpoint,
    date: NaiveDate,
) -> Result<DailyReport, StoreError> {
    let windows = store.window_totals(&checkpoint.id, date).await?;
    let statistics = store.statistics(&checkpoint.id, date, date).await?;
    Ok(DailyReport::build(checkpoint, date, &windows, &statistics))
}

/// Writes the daily reports of the local `date` into `dir` for every checkpoint, or for `only`
/// that one (an error if there is no such checkpoint); returns the files in checkpoint order.
pub async fn write_daily_reports(
    store: &dyn SlotStore,
    date: NaiveDate,
    only: Option<&CheckpointId>,
    dir: &Path,
) -> anyhow::Result<Vec<ReportFiles>> {
    let mut checkpoints = store.checkpoints().await?;
    if let Some(only) = only {
        checkpoints.retain(|checkpoint| &checkpoint.id == only);
        anyhow::ensure!(!checkpoints.is_empty(), "no checkpoint {only}");
    }
    let mut written = Vec::with_capacity(checkpoints.len());
    for checkpoint in &checkpoints {
        let report = read_daily_report(store, checkpoint, date)
            .await
            .with_context(|| format!("Failed to read the {} report of {date}", checkpoint.id))?;
        written.push(write_daily_report(dir, &report)?);
    }
    Ok(written)
}

/// Where a daily report's two files go in a folder: `<checkpoint>-<date>.json` and `.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFiles {
    pub json: PathBuf,
    pub csv: PathBuf,
}

impl ReportFiles {
    pub fn in_dir(dir: &Path, checkpoint: &CheckpointId, date: NaiveDate) -> Self {
        let stem = daily::file_stem(checkpoint, date);
        Self {
            json: dir.join(format!("{stem}.json")),
            csv: dir.join(format!("{stem}.csv")),
        }
    }

    pub fn exist(&self) -> bool {
        self.json.is_file() && self.csv.is_file()
    }
}

/// Writes the report's JSON and CSV files into `dir` (created if needed), replacing older
/// ones. Each file is written under a temporary name and renamed into place, so that nobody,
/// the daily job deciding whether a day is done included, ever sees half a report.
pub fn write_daily_report(dir: &Path, report: &DailyReport) -> anyhow::Result<ReportFiles> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("Failed to create report folder {}", dir.display()))?;
    let files = ReportFiles::in_dir(dir, &report.checkpoint, report.date);
    let json = serde_json::to_vec_pretty(report).context("Failed to encode the report")?;
    let csv = report
        .to_csv()
        .context("Failed to write the report as CSV")?;
    write_atomically(&files.json, &json)?;
    write_atomically(&files.csv, &csv)?;
    Ok(files)
}

fn write_atomically(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".part");
    let temporary = PathBuf::from(temporary);
    std::fs::write(&temporary, contents)
        .with_context(|| format!("Failed to write {}", temporary.display()))?;
    std::fs::rename(&temporary, path)
        .with_context(|| format!("Failed to move {} into place", path.display()))
}

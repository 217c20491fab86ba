//! Statistics rows and the aggregates that reports and forecasts read.

use async_trait::async_trait;
use chrono::NaiveDate;
use rusqlite::{TransactionBehavior, params};

use super::{EmbeddedStore, execute_statistics_row};
use crate::domain::statistics::{HourlyCount, StatisticsDelta, WindowTotals};
use crate::domain::{Category, CheckpointId};
use crate::store::statistics_sql::{self, REPLACE_COUNTS, STATISTICS_COLUMNS};
use crate::store::{StatisticsStore, StoreError, rows};

#[async_trait]
impl StatisticsStore for EmbeddedStore {
    async fn statistics(
        &self,
        checkpoint: &CheckpointId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<StatisticsDelta>, StoreError> {
        let checkpoint = checkpoint.clone();
        self.read(move |c| {
            let mut statement = c.prepare_cached(statistics_sql::SELECT_STATISTICS)?;
            let found = statement
                .query_map(
                    params![checkpoint.as_str(), from.to_string(), to.to_string()],
                    |r| rows::statistics_row(r, &checkpoint),
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(found)
        })
        .await
    }

    async fn upsert_statistics(&self, rows: &[StatisticsDelta]) -> Result<(), StoreError> {
        let rows = crate::store::last_row_per_key(rows);
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut upsert = tx.prepare_cached(&format!(
                    "INSERT INTO booking_statistics ({STATISTICS_COLUMNS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
                             $16, $17) \
                     {REPLACE_COUNTS}"
                ))?;
                for row in &rows {
                    execute_statistics_row(&mut upsert, row)?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn confirmations_by_hour(
        &self,
        checkpoint: &CheckpointId,
        from: NaiveDate,
        to: NaiveDate,
        category: Option<Category>,
    ) -> Result<Vec<HourlyCount>, StoreError> {
        let checkpoint = checkpoint.clone();
        self.read(move |c| {
            let mut statement = c.prepare_cached(
                "SELECT day, hour, sum(confirmations) FROM booking_statistics \
                 WHERE checkpoint_id = ?1 AND day BETWEEN ?2 AND ?3 \
                   AND (?4 IS NULL OR category = ?4) \
                 GROUP BY day, hour ORDER BY day, hour",
            )?;
            let rows = statement.query_map(
                params![
                    checkpoint.as_str(),
                    from.to_string(),
                    to.to_string(),
                    category.map(Category::as_str)
                ],
                |r| rows::hourly_count(r),
            )?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn window_totals(
        &self,
        checkpoint: &CheckpointId,
        day: NaiveDate,
    ) -> Result<Vec<WindowTotals>, StoreError> {
        let checkpoint = checkpoint.clone();
        self.read(move |c| {
            let mut statement = c.prepare_cached(
                "SELECT w.direction, w.category, local_hour(w.start_at, c.time_zone) AS hour, \
                   count(*), sum(w.blocked_reason IS NOT NULL), sum(w.capacity), sum(w.held), \
                   sum(w.confirmed) \
                 FROM windows w JOIN checkpoints c ON c.id = w.checkpoint_id \
                 WHERE w.checkpoint_id = ?1 AND w.day = ?2 \
                 GROUP BY 1, 2, 3",
            )?;
            let rows = statement.query_map(params![checkpoint.as_str(), day.to_string()], |r| {
                rows::window_totals(r)
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }
}

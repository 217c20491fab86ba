//! Statistics rows and the aggregates that reports and forecasts read.

use async_trait::async_trait;
use chrono::NaiveDate;
use rusqlite::{TransactionBehavior, params};

use super::{EmbeddedStore, execute_statistics_row, parse_col};
use crate::domain::statistics::{
    BookingCounts, HourlyCount, StatisticsDelta, StatisticsKey, WindowTotals,
};
use crate::domain::{Category, CheckpointId};
use crate::store::{StatisticsStore, StoreError, statistics_sql};

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
            let rows = statement.query_map(
                params![checkpoint.as_str(), from.to_string(), to.to_string()],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, u8>(1)?,
                        r.get::<_, String>(2)?,
                        BookingCounts {
                            holds: r.get(3)?,
                            confirmations: r.get(4)?,
                            cancellations: r.get(5)?,
                            expiries: r.get(6)?,
                            reschedules: r.get(7)?,
                            arrivals: r.get(8)?,
                            no_shows: r.get(9)?,
                            lead_time_seconds: r.get(10)?,
                            lead_times: r.get(11)?,
                        },
                    ))
                },
            )?;
            let mut found = Vec::new();
            for row in rows {
                let (day, hour, category, counts) = row?;
                found.push(StatisticsDelta {
                    key: StatisticsKey {
                        checkpoint: checkpoint.clone(),
                        day: day.parse().map_err(|e| {
                            StoreError::Other(anyhow::anyhow!("stored day {day:?}: {e}"))
                        })?,
                        hour,
                        category: category.parse().map_err(|e| {
                            StoreError::Other(anyhow::anyhow!("stored category {category:?}: {e}"))
                        })?,
                    },
                    counts,
                });
            }
            Ok(found)
        })
        .await
    }

    async fn upsert_statistics(&self, rows: &[StatisticsDelta]) -> Result<(), StoreError> {
        let rows = crate::store::last_row_per_key(rows);
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut upsert = tx.prepare_cached(
                    "INSERT INTO booking_statistics (checkpoint_id, day, hour, category, holds, \
                       confirmations, cancellations, expiries, reschedules, arrivals, no_shows, \
                       lead_time_seconds, lead_times) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) \
                     ON CONFLICT (checkpoint_id, day, hour, category) DO UPDATE SET \
                       holds = excluded.holds, \
                       confirmations = excluded.confirmations, \
                       cancellations = excluded.cancellations, \
                       expiries = excluded.expiries, \
                       reschedules = excluded.reschedules, \
                       arrivals = excluded.arrivals, \
                       no_shows = excluded.no_shows, \
                       lead_time_seconds = excluded.lead_time_seconds, \
                       lead_times = excluded.lead_times",
                )?;
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
                |r| {
                    Ok(HourlyCount {
                        day: parse_col(r, 0)?,
                        hour: r.get(1)?,
                        count: r.get(2)?,
                    })
                },
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
                Ok(WindowTotals {
                    direction: parse_col(r, 0)?,
                    category: parse_col(r, 1)?,
                    hour: r.get(2)?,
                    windows: r.get(3)?,
                    blocked_windows: r.get(4)?,
                    capacity: r.get(5)?,
                    held: r.get(6)?,
                    confirmed: r.get(7)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }
}

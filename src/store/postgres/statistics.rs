//! Statistics rows and the aggregates that reports and forecasts read.

use async_trait::async_trait;
use chrono::NaiveDate;
use tokio_postgres::types::ToSql;

use super::PostgresStore;
use crate::domain::statistics::{BookingCounts, HourlyCount, StatisticsDelta, WindowTotals};
use crate::domain::{Category, CheckpointId};
use crate::store::statistics_sql::{
    self, REPLACE_COUNTS, STATISTICS_COLUMNS, STATISTICS_FROM_ARRAYS,
};
use crate::store::{StatisticsStore, StoreError, rows};

#[async_trait]
impl StatisticsStore for PostgresStore {
    async fn statistics(
        &self,
        checkpoint: &CheckpointId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<StatisticsDelta>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(statistics_sql::SELECT_STATISTICS)
            .await?;
        let rows = client
            .query(&statement, &[&checkpoint.as_str(), &from, &to])
            .await?;
        rows.iter()
            .map(|row| rows::statistics_row(row, checkpoint))
            .collect()
    }

    async fn upsert_statistics(&self, rows: &[StatisticsDelta]) -> Result<(), StoreError> {
        let rows = crate::store::last_row_per_key(rows);
        if rows.is_empty() {
            return Ok(());
        }
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&format!(
                "INSERT INTO booking_statistics ({STATISTICS_COLUMNS}) {STATISTICS_FROM_ARRAYS} \
                 {REPLACE_COUNTS}"
            ))
            .await?;
        // One statement is one transaction: all rows or none.
        client
            .execute(&statement, &StatisticsArrays::of(&rows).params())
            .await?;
        Ok(())
    }

    async fn confirmations_by_hour(
        &self,
        checkpoint: &CheckpointId,
        from: NaiveDate,
        to: NaiveDate,
        category: Option<Category>,
    ) -> Result<Vec<HourlyCount>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "SELECT day, hour, sum(confirmations)::int8 FROM booking_statistics \
                 WHERE checkpoint_id = $1 AND day BETWEEN $2 AND $3 \
                   AND ($4::text IS NULL OR category = $4) \
                 GROUP BY day, hour ORDER BY day, hour",
            )
            .await?;
        let category = category.map(Category::as_str);
        let rows = client
            .query(&statement, &[&checkpoint.as_str(), &from, &to, &category])
            .await?;
        rows.iter().map(rows::hourly_count).collect()
    }

    async fn window_totals(
        &self,
        checkpoint: &CheckpointId,
        day: NaiveDate,
    ) -> Result<Vec<WindowTotals>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "SELECT w.direction, w.category, \
                   extract(hour FROM w.start_at AT TIME ZONE c.time_zone)::int2 AS hour, \
                   count(*), count(*) FILTER (WHERE w.blocked_reason IS NOT NULL), \
                   sum(w.capacity)::int8, sum(w.held)::int8, sum(w.confirmed)::int8 \
                 FROM windows w JOIN checkpoints c ON c.id = w.checkpoint_id \
                 WHERE w.checkpoint_id = $1 AND w.day = $2 \
                 GROUP BY 1, 2, 3",
            )
            .await?;
        let rows = client
            .query(&statement, &[&checkpoint.as_str(), &day])
            .await?;
        rows.iter().map(rows::window_totals).collect()
    }
}

/// Statistics rows as one array per column, bound as [`STATISTICS_FROM_ARRAYS`] reads them.
pub(super) struct StatisticsArrays<'a> {
    checkpoints: Vec<&'a str>,
    days: Vec<NaiveDate>,
    hours: Vec<i16>,
    categories: Vec<&'a str>,
    counts: [Vec<i64>; BookingCounts::COLUMNS],
}

impl<'a> StatisticsArrays<'a> {
    pub(super) fn of(rows: &'a [StatisticsDelta]) -> Self {
        let mut counts: [Vec<i64>; BookingCounts::COLUMNS] =
            std::array::from_fn(|_| Vec::with_capacity(rows.len()));
        for row in rows {
            for (column, count) in counts.iter_mut().zip(row.counts.columns()) {
                column.push(count);
            }
        }
        Self {
            checkpoints: rows.iter().map(|r| r.key.checkpoint.as_str()).collect(),
            days: rows.iter().map(|r| r.key.day).collect(),
            hours: rows.iter().map(|r| i16::from(r.key.hour)).collect(),
            categories: rows.iter().map(|r| r.key.category.as_str()).collect(),
            counts,
        }
    }

    pub(super) fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        let mut params: Vec<&(dyn ToSql + Sync)> =
            vec![&self.checkpoints, &self.days, &self.hours, &self.categories];
        params.extend(self.counts.iter().map(|c| c as &(dyn ToSql + Sync)));
        params
    }
}

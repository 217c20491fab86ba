//! Statistics rows and the aggregates that reports and forecasts read.

use async_trait::async_trait;
use chrono::NaiveDate;

use super::PostgresStore;
use crate::domain::statistics::{BookingCounts, HourlyCount, StatisticsDelta, WindowTotals};
use crate::domain::{Category, CheckpointId};
use crate::store::statistics_sql::{self, REPLACE_COUNTS, STATISTICS_COLUMNS};
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
        let checkpoints: Vec<&str> = rows.iter().map(|r| r.key.checkpoint.as_str()).collect();
        let days: Vec<NaiveDate> = rows.iter().map(|r| r.key.day).collect();
        let hours: Vec<i16> = rows.iter().map(|r| i16::from(r.key.hour)).collect();
        let categories: Vec<&str> = rows.iter().map(|r| r.key.category.as_str()).collect();
        let column = |pick: fn(&BookingCounts) -> i64| -> Vec<i64> {
            rows.iter().map(|r| pick(&r.counts)).collect()
        };
        let holds = column(|c| c.holds);
        let confirmations = column(|c| c.confirmations);
        let cancellations = column(|c| c.cancellations);
        let expiries = column(|c| c.expiries);
        let reschedules = column(|c| c.reschedules);
        let arrivals = column(|c| c.arrivals);
        let no_shows = column(|c| c.no_shows);
        let lead_time_seconds = column(|c| c.lead_time_seconds);
        let lead_times = column(|c| c.lead_times);
        let waitlist_joins = column(|c| c.waitlist_joins);
        let waitlist_offers = column(|c| c.waitlist_offers);
        let waitlist_accepted = column(|c| c.waitlist_accepted);
        let waitlist_expired = column(|c| c.waitlist_expired);
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&format!(
                "INSERT INTO booking_statistics ({STATISTICS_COLUMNS}) \
                     SELECT * FROM unnest($1::text[], $2::date[], $3::int2[], $4::text[], \
                       $5::int8[], $6::int8[], $7::int8[], $8::int8[], $9::int8[], $10::int8[], \
                       $11::int8[], $12::int8[], $13::int8[], $14::int8[], $15::int8[], \
                       $16::int8[], $17::int8[]) \
                     {REPLACE_COUNTS}"
            ))
            .await?;
        // One statement is one transaction: all rows or none.
        client
            .execute(
                &statement,
                &[
                    &checkpoints,
                    &days,
                    &hours,
                    &categories,
                    &holds,
                    &confirmations,
                    &cancellations,
                    &expiries,
                    &reschedules,
                    &arrivals,
                    &no_shows,
                    &lead_time_seconds,
                    &lead_times,
                    &waitlist_joins,
                    &waitlist_offers,
                    &waitlist_accepted,
                    &waitlist_expired,
                ],
            )
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

//! Statistics rows and the aggregates that reports and forecasts read.

use async_trait::async_trait;
use chrono::NaiveDate;

use super::{PostgresStore, decode};
use crate::domain::statistics::{
    BookingCounts, HourlyCount, StatisticsDelta, StatisticsKey, WindowTotals,
};
use crate::domain::{Category, CheckpointId};
use crate::store::{StatisticsStore, StoreError, statistics_sql};

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
            .map(|row| {
                Ok(StatisticsDelta {
                    key: StatisticsKey {
                        checkpoint: checkpoint.clone(),
                        day: row.get(0),
                        hour: u8::try_from(row.get::<_, i16>(1)).unwrap_or(0),
                        category: decode(&row.get::<_, String>(2), "category")?,
                    },
                    counts: BookingCounts {
                        holds: row.get(3),
                        confirmations: row.get(4),
                        cancellations: row.get(5),
                        expiries: row.get(6),
                        reschedules: row.get(7),
                        arrivals: row.get(8),
                        no_shows: row.get(9),
                        lead_time_seconds: row.get(10),
                        lead_times: row.get(11),
                    },
                })
            })
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
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "INSERT INTO booking_statistics (checkpoint_id, day, hour, category, holds, \
                   confirmations, cancellations, expiries, reschedules, arrivals, no_shows, \
                   lead_time_seconds, lead_times) \
                 SELECT * FROM unnest($1::text[], $2::date[], $3::int2[], $4::text[], $5::int8[], \
                   $6::int8[], $7::int8[], $8::int8[], $9::int8[], $10::int8[], $11::int8[], \
                   $12::int8[], $13::int8[]) \
                 ON CONFLICT (checkpoint_id, day, hour, category) DO UPDATE SET \
                   holds = EXCLUDED.holds, \
                   confirmations = EXCLUDED.confirmations, \
                   cancellations = EXCLUDED.cancellations, \
                   expiries = EXCLUDED.expiries, \
                   reschedules = EXCLUDED.reschedules, \
                   arrivals = EXCLUDED.arrivals, \
                   no_shows = EXCLUDED.no_shows, \
                   lead_time_seconds = EXCLUDED.lead_time_seconds, \
                   lead_times = EXCLUDED.lead_times",
            )
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
        Ok(rows
            .iter()
            .map(|row| HourlyCount {
                day: row.get(0),
                hour: u8::try_from(row.get::<_, i16>(1)).unwrap_or(0),
                count: row.get(2),
            })
            .collect())
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
        let count = |value: i64| u32::try_from(value).unwrap_or(u32::MAX);
        let places = |value: i64| u64::try_from(value).unwrap_or(0);
        rows.iter()
            .map(|row| {
                Ok(WindowTotals {
                    direction: decode(&row.get::<_, String>(0), "direction")?,
                    category: decode(&row.get::<_, String>(1), "category")?,
                    hour: u8::try_from(row.get::<_, i16>(2)).unwrap_or(0),
                    windows: count(row.get(3)),
                    blocked_windows: count(row.get(4)),
                    capacity: places(row.get(5)),
                    held: places(row.get(6)),
                    confirmed: places(row.get(7)),
                })
            })
            .collect()
    }
}

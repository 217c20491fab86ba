//! Events waiting to be relayed, and what each consumer has processed.

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::statistics::StatisticsArrays;
use super::{PostgresStore, RELAY_LOCK_KEY, RelayConnection};
use crate::domain::statistics::StatisticsDelta;
use crate::store::processed::fold_new;
use crate::store::{
    OutboxEntry, OutboxStore, ProcessedEvent, RelayLease, StoreError, outbox_rows, statistics_sql,
};

/// Records a consumer's events, none of which it recorded before, in one statement. Not a
/// speculative insertion (`ON CONFLICT`), which costs every row another index probe and WAL
/// record: an event recorded before fails the transaction instead, and [`RECORD_PROCESSED`]
/// is the way round.
const RECORD_NEW_PROCESSED: &str = "INSERT INTO processed_events (consumer, event_id, \
     processed_at) SELECT $1, id, $3 FROM unnest($2::uuid[]) AS id";

/// Records a consumer's events in one statement; answers the ids it had not recorded before.
const RECORD_PROCESSED: &str = "INSERT INTO processed_events (consumer, event_id, processed_at) \
     SELECT $1, id, $3 FROM unnest($2::uuid[]) AS id ON CONFLICT DO NOTHING RETURNING event_id";

#[async_trait]
impl OutboxStore for PostgresStore {
    async fn outbox_pending(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
        let client = self.client().await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let statement = client.prepare_cached(outbox_rows::PENDING_ROWS).await?;
        let mut entries = Vec::new();
        for row in client.query(&statement, &[&limit]).await? {
            entries.extend(outbox_rows::decode(row.get(0), row.get(1))?);
        }
        Ok(entries)
    }

    async fn lock_relay(&self) -> Result<Option<RelayLease>, StoreError> {
        // In its guard before the transaction begins: a call abandoned half-way (a deadline, a
        // failover) closes the connection rather than pooling one inside an open transaction.
        let mut connection = RelayConnection(Some(self.client().await?));
        let locked: bool = match &connection.0 {
            Some(client) => {
                client.batch_execute("BEGIN").await?;
                client
                    .query_one("SELECT pg_try_advisory_xact_lock($1)", &[&RELAY_LOCK_KEY])
                    .await?
                    .get(0)
            }
            None => false,
        };
        if locked {
            return Ok(Some(RelayLease::new(Some(Box::new(connection)))));
        }
        connection.end().await;
        Ok(None)
    }

    async fn prune_delivered(
        &self,
        published_before: DateTime<Utc>,
        processed_before: DateTime<Utc>,
        limit: usize,
    ) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let events = client
            .execute(
                "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox \
                 WHERE published_at < $1 ORDER BY seq LIMIT $2)",
                &[&published_before, &limit],
            )
            .await?;
        let records = client
            .execute(
                "DELETE FROM processed_events WHERE ctid IN (SELECT ctid FROM processed_events \
                 WHERE processed_at < $1 LIMIT $2)",
                &[&processed_before, &limit],
            )
            .await?;
        Ok(events + records)
    }

    async fn outbox_backlog(&self) -> Result<(u64, Option<DateTime<Utc>>), StoreError> {
        let client = self.client().await?;
        let statement = client.prepare_cached(outbox_rows::BACKLOG).await?;
        let row = client.query_one(&statement, &[]).await?;
        Ok((u64::try_from(row.get::<_, i64>(0)).unwrap_or(0), row.get(1)))
    }

    async fn outbox_mark_published(
        &self,
        seqs: &[i64],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "UPDATE outbox SET published_at = $2 WHERE seq = ANY($1) AND published_at IS NULL",
            )
            .await?;
        client.execute(&statement, &[&seqs, &at]).await?;
        Ok(())
    }

    async fn record_processed(
        &self,
        consumer: &str,
        events: &[ProcessedEvent],
        at: DateTime<Utc>,
    ) -> Result<Vec<bool>, StoreError> {
        let mut ids: Vec<Uuid> = events.iter().map(|e| e.event_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut client = self.client().await?;
        // Nearly always none was recorded before: an event comes again only after something
        // was cut off (the relay between delivering and marking, a broker redelivering what
        // was not acknowledged, this call's own COMMIT), or when dead letters are replayed.
        let (fresh, rows) = fold_new(events, |_| true);
        let tx = client.transaction().await?;
        let statement = tx.prepare_cached(RECORD_NEW_PROCESSED).await?;
        match tx.execute(&statement, &[&consumer, &ids, &at]).await {
            Ok(_) => {
                add_statistics(&tx, &rows).await?;
                tx.commit().await?;
                return Ok(fresh);
            }
            Err(error) if is_recorded_before(&error) => tx.rollback().await?,
            Err(error) => return Err(error.into()),
        }
        let tx = client.transaction().await?;
        let statement = tx.prepare_cached(RECORD_PROCESSED).await?;
        let recorded: HashSet<Uuid> = tx
            .query(&statement, &[&consumer, &ids, &at])
            .await?
            .iter()
            .map(|row| row.get(0))
            .collect();
        let (fresh, rows) = fold_new(events, |id| recorded.contains(id));
        add_statistics(&tx, &rows).await?;
        tx.commit().await?;
        Ok(fresh)
    }

    async fn is_processed(&self, consumer: &str, event_id: Uuid) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let statement = client.prepare_cached(statistics_sql::IS_PROCESSED).await?;
        Ok(client
            .query_opt(&statement, &[&consumer, &event_id])
            .await?
            .is_some())
    }
}

fn is_recorded_before(error: &tokio_postgres::Error) -> bool {
    error.as_db_error().is_some_and(|db| {
        db.code() == &tokio_postgres::error::SqlState::UNIQUE_VIOLATION
            && db.table() == Some("processed_events")
    })
}

/// Adds the statistics rows (no two with one key) in one statement.
async fn add_statistics(
    tx: &deadpool_postgres::Transaction<'_>,
    rows: &[StatisticsDelta],
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let statement = tx
        .prepare_cached(statistics_sql::ADD_STATISTICS_ROWS)
        .await?;
    tx.execute(&statement, &StatisticsArrays::of(rows).params())
        .await?;
    Ok(())
}

//! Events waiting to be relayed, and what each consumer has processed.

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::params;
use uuid::Uuid;

use super::{EmbeddedStore, execute_statistics_row, format_ts, parse_ts};
use crate::store::processed::fold_new;
use crate::store::{
    OutboxEntry, OutboxStore, ProcessedEvent, RelayLease, StoreError, outbox_rows, statistics_sql,
};

#[async_trait]
impl OutboxStore for EmbeddedStore {
    async fn outbox_pending(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
        self.read(move |c| {
            let mut statement = c.prepare_cached(outbox_rows::PENDING_ROWS)?;
            let rows = statement.query_map(params![limit as i64], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })?;
            let mut entries = Vec::new();
            for row in rows {
                let (seq, events) = row?;
                entries.extend(outbox_rows::decode(seq, &events)?);
            }
            Ok(entries)
        })
        .await
    }

    async fn lock_relay(&self) -> Result<Option<RelayLease>, StoreError> {
        // One process owns the file, and its one relay runs a round at a time.
        Ok(Some(RelayLease::new(None)))
    }

    async fn prune_delivered(
        &self,
        published_before: DateTime<Utc>,
        processed_before: DateTime<Utc>,
        limit: usize,
    ) -> Result<u64, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.write(move |c| {
            let events = c.execute(
                "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox \
                 WHERE published_at < ?1 ORDER BY seq LIMIT ?2)",
                params![format_ts(published_before), limit],
            )?;
            let records = c.execute(
                "DELETE FROM processed_events WHERE rowid IN (SELECT rowid FROM processed_events \
                 WHERE processed_at < ?1 LIMIT ?2)",
                params![format_ts(processed_before), limit],
            )?;
            Ok((events + records) as u64)
        })
        .await
    }

    async fn outbox_backlog(&self) -> Result<(u64, Option<DateTime<Utc>>), StoreError> {
        self.read(|c| {
            let (count, oldest) = c.prepare_cached(outbox_rows::BACKLOG)?.query_row([], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?))
            })?;
            let oldest = oldest.map(|raw| parse_ts(&raw)).transpose()?;
            Ok((u64::try_from(count).unwrap_or(0), oldest))
        })
        .await
    }

    async fn outbox_mark_published(
        &self,
        seqs: &[i64],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let seqs = seqs.to_vec();
        self.write(move |c| {
            let tx = c.transaction()?;
            {
                let mut mark = tx.prepare_cached(
                    "UPDATE outbox SET published_at = ?2 WHERE seq = ?1 AND published_at IS NULL",
                )?;
                for seq in seqs {
                    mark.execute(params![seq, format_ts(at)])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn record_processed(
        &self,
        consumer: &str,
        events: &[ProcessedEvent],
        at: DateTime<Utc>,
    ) -> Result<Vec<bool>, StoreError> {
        let consumer = consumer.to_owned();
        let events = events.to_vec();
        self.write(move |c| {
            let tx = c.transaction()?;
            let mut recorded = HashSet::with_capacity(events.len());
            {
                let mut record = tx.prepare_cached(statistics_sql::RECORD_PROCESSED)?;
                let at = format_ts(at);
                for event in &events {
                    if record.execute(params![consumer, event.event_id.to_string(), at])? > 0 {
                        recorded.insert(event.event_id);
                    }
                }
            }
            let (fresh, rows) = fold_new(&events, |id| recorded.contains(id));
            if !rows.is_empty() {
                let mut add = tx.prepare_cached(statistics_sql::ADD_STATISTICS)?;
                for delta in &rows {
                    execute_statistics_row(&mut add, delta)?;
                }
            }
            tx.commit()?;
            Ok(fresh)
        })
        .await
    }

    async fn is_processed(&self, consumer: &str, event_id: Uuid) -> Result<bool, StoreError> {
        let consumer = consumer.to_owned();
        self.read(move |c| {
            let found = c
                .prepare_cached(statistics_sql::IS_PROCESSED)?
                .exists(params![consumer, event_id.to_string()])?;
            Ok(found)
        })
        .await
    }
}

//! The production store: PostgreSQL through a deadpool pool of tokio-postgres connections.
//!
//! # Several replicas, one database
//! Any number of processes may run schedule actors for the same day. Correctness does not
//! depend on which one a request reaches, because every write is conditional and the database
//! has the last word:
//! - window counts change by deltas under `CHECK (held + confirmed <= capacity)`, and a delta
//!   that takes a place also requires the window not to be blocked;
//! - the partial unique index allows one active booking per plate, checkpoint, direction, day;
//! - a booking update applies only to the version the actor decided from;
//! - a code is handed to a transfer hold only while it is held, and a transfer hold is dropped
//!   only while it has not received a code (both checks read the same row, so concurrent
//!   transactions serialise on its lock).
//!
//! A refused write rolls the whole batch back and is reported as `StoreError::Conflict`; the
//! actor reloads the day and decides those requests again, so a replica with a stale view
//! answers correctly instead of double-booking. Batches are written with array parameters
//! (`unnest`), a fixed number of statements per batch whatever its size.

mod answer_lookups;
mod batch_write;
mod columns;
mod commit_queue;
mod staff;

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;
use uuid::Uuid;

use self::answer_lookups::AnswerLookups;
use self::commit_queue::CommitQueue;
use super::{
    AnswerRecord, AuditReport, CommitBatch, DayRecord, OutboxEntry, SlotStore, StoreError,
    statistics_sql,
};
use crate::auth::{ApiKey, AuditEntry, StaffAccount};
use crate::domain::statistics::{
    BookingCounts, HourlyCount, StatisticsDelta, StatisticsKey, WindowTotals,
};
use crate::domain::strikes::Strike;
use crate::domain::{
    Booking, BookingCode, BookingId, Category, Checkpoint, CheckpointId, DomainEvent, Plate,
    SlotWindow,
};
use crate::store::RelayLease;
use crate::store::rows::{self, BOOKING_COLUMNS, CHECKPOINT_COLUMNS, WINDOW_COLUMNS};

/// Connection settings; every one is explicit rather than a library default.
#[derive(Debug, Clone)]
pub struct PostgresSettings {
    /// Carries the password; never shown.
    pub url: crate::secret::Secret,
    pub pool_size_max: usize,
    /// How long a request waits for a free connection.
    pub pool_wait_timeout: Duration,
    pub connect_timeout: Duration,
    /// Server-side limit per statement.
    pub statement_timeout: Duration,
    /// Attempts to reach the server at start-up, one second apart.
    pub connect_attempts: u32,
    /// Transactions writing schedule batches at once (each takes a pooled connection).
    pub commit_writers: usize,
    /// Schedule batches (of different days) written together in one transaction at most.
    pub commit_batches_max: usize,
}

impl PostgresSettings {
    pub fn new(url: impl Into<crate::secret::Secret>) -> Self {
        Self {
            url: url.into(),
            pool_size_max: 16,
            pool_wait_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(5),
            connect_attempts: 10,
            commit_writers: 4,
            commit_batches_max: 256,
        }
    }
}

#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    commits: CommitQueue,
    answers: AnswerLookups,
}

/// Tasks looking idempotency keys up, each with one query in flight, and the keys one query
/// looks up at most.
const ANSWER_READERS: usize = 2;
const ANSWER_LOOKUPS_MAX: usize = 512;

impl PostgresStore {
    /// Builds the pool and waits (with retries) until the server answers.
    pub async fn connect(settings: &PostgresSettings) -> anyhow::Result<Self> {
        let mut config = tokio_postgres::Config::from_str(settings.url.expose())
            .context("DATABASE_URL is not a valid PostgreSQL URL")?;
        config
            .connect_timeout(settings.connect_timeout)
            .application_name("borderslot")
            .options(format!(
                "-c statement_timeout={}",
                settings.statement_timeout.as_millis()
            ));
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(settings.pool_size_max.max(1))
            .wait_timeout(Some(settings.pool_wait_timeout))
            .create_timeout(Some(settings.connect_timeout))
            .recycle_timeout(Some(settings.connect_timeout))
            .runtime(Runtime::Tokio1)
            .build()
            .context("Failed to build the connection pool")?;
        let commits = CommitQueue::start(
            pool.clone(),
            settings.commit_writers.min(settings.pool_size_max.max(1)),
            settings.commit_batches_max,
        );
        let answers = AnswerLookups::start(pool.clone(), ANSWER_READERS, ANSWER_LOOKUPS_MAX);
        let store = Self {
            pool,
            commits,
            answers,
        };
        let mut attempt = 1;
        loop {
            match store.ping().await {
                Ok(()) => return Ok(store),
                Err(error) if attempt < settings.connect_attempts => {
                    tracing::warn!(attempt, error.cause_chain = ?error, "database not reachable yet");
                    attempt += 1;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(error) => {
                    return Err(anyhow::Error::new(error).context("Failed to reach the database"));
                }
            }
        }
    }

    /// Applies pending migrations (all, or up to `target`).
    pub async fn migrate(&self, target: Option<i32>) -> anyhow::Result<Vec<i32>> {
        let mut client = self
            .pool
            .get()
            .await
            .context("Failed to get a connection")?;
        super::migrations::migrate(&mut client, target).await
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(|e| {
            StoreError::Unavailable(anyhow::Error::new(e).context("no database connection"))
        })
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(error: tokio_postgres::Error) -> Self {
        let Some(code) = error.code().cloned() else {
            // No SQLSTATE: the connection failed or was closed.
            return StoreError::Unavailable(error.into());
        };
        // Only what a concurrent writer causes is a conflict; a NOT NULL or foreign-key
        // violation is a fault of the statement, and deciding again will not change it.
        if code == SqlState::UNIQUE_VIOLATION
            || code == SqlState::CHECK_VIOLATION
            || code == SqlState::EXCLUSION_VIOLATION
            || code == SqlState::T_R_SERIALIZATION_FAILURE
            || code == SqlState::T_R_DEADLOCK_DETECTED
        {
            let reason = error.as_db_error().map_or_else(
                || error.to_string(),
                |db| format!("{} ({})", db.message(), db.detail().unwrap_or_default()),
            );
            StoreError::Conflict(reason)
        } else if code == SqlState::QUERY_CANCELED
            || code == SqlState::TOO_MANY_CONNECTIONS
            || code == SqlState::ADMIN_SHUTDOWN
            || code == SqlState::CANNOT_CONNECT_NOW
        {
            StoreError::Unavailable(error.into())
        } else {
            StoreError::Other(error.into())
        }
    }
}

fn decode<T: FromStr>(raw: &str, what: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    raw.parse().map_err(|e: T::Err| {
        StoreError::Other(anyhow::anyhow!("stored {what} {raw:?} is unreadable: {e}"))
    })
}

/// A count for an `integer` column.
fn count(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Any fixed number: the key of the session-level advisory lock that one relay holds.
const RELAY_LOCK_KEY: i64 = 0x7265_6c61_7900;

/// The connection whose session holds the relay lock.
struct RelayConnection(Option<deadpool_postgres::Object>);

#[async_trait]
impl super::ReleaseRelay for RelayConnection {
    async fn release(mut self: Box<Self>) {
        if let Some(client) = self.0.take() {
            let unlocked = client
                .query_one("SELECT pg_advisory_unlock($1)", &[&RELAY_LOCK_KEY])
                .await;
            if unlocked.is_err() {
                // Unsure whether the lock went: end the session rather than pool it.
                drop(deadpool_postgres::Object::take(client));
            }
        }
    }
}

impl Drop for RelayConnection {
    fn drop(&mut self) {
        // Not released: the session must end, or a pooled connection would keep the lock.
        if let Some(client) = self.0.take() {
            drop(deadpool_postgres::Object::take(client));
        }
    }
}

#[async_trait]
impl SlotStore for PostgresStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.client().await?.simple_query("SELECT 1").await?;
        Ok(())
    }

    async fn checkpoints(&self) -> Result<Vec<Checkpoint>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!("SELECT {CHECKPOINT_COLUMNS} FROM checkpoints ORDER BY id"),
                &[],
            )
            .await?;
        rows.iter().map(rows::checkpoint).collect()
    }

    async fn upsert_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        let client = self.client().await?;
        let directions = serde_json::to_value(&checkpoint.directions).context("directions")?;
        let capacity = serde_json::to_value(&checkpoint.capacity).context("capacity")?;
        let calendar = serde_json::to_value(&checkpoint.calendar).context("calendar")?;
        let window_minutes = i32::try_from(checkpoint.window_minutes).unwrap_or(i32::MAX);
        client
            .execute(
                "INSERT INTO checkpoints (id, name, time_zone, window_minutes, directions, capacity, \
                 calendar, neighbour_time_zone) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (id) DO UPDATE SET \
                 name = excluded.name, time_zone = excluded.time_zone, \
                 window_minutes = excluded.window_minutes, directions = excluded.directions, \
                 capacity = excluded.capacity, calendar = excluded.calendar, \
                 neighbour_time_zone = excluded.neighbour_time_zone",
                &[
                    &checkpoint.id.as_str(),
                    &checkpoint.name,
                    &checkpoint.time_zone.name(),
                    &window_minutes,
                    &directions,
                    &capacity,
                    &calendar,
                    &checkpoint.neighbour_time_zone.map(|tz| tz.name()),
                ],
            )
            .await?;
        Ok(())
    }

    async fn ensure_windows(
        &self,
        checkpoint: &CheckpointId,
        day: NaiveDate,
        windows: &[SlotWindow],
    ) -> Result<(), StoreError> {
        let client = self.client().await?;
        let directions: Vec<&str> = windows.iter().map(|w| w.key.direction.as_str()).collect();
        let categories: Vec<&str> = windows.iter().map(|w| w.key.category.as_str()).collect();
        let starts: Vec<DateTime<Utc>> = windows.iter().map(|w| w.key.start).collect();
        let ends: Vec<DateTime<Utc>> = windows.iter().map(|w| w.end).collect();
        let capacities: Vec<i32> = windows.iter().map(|w| w.capacity as i32).collect();
        let reserved: Vec<i32> = windows.iter().map(|w| w.reserved as i32).collect();
        client
            .execute(
                "INSERT INTO windows (checkpoint_id, day, direction, category, start_at, end_at, \
                 capacity, reserved) \
                 SELECT $1, $2, u.* FROM unnest($3::text[], $4::text[], $5::timestamptz[], \
                     $6::timestamptz[], $7::int4[], $8::int4[]) AS u \
                 WHERE NOT EXISTS (SELECT 1 FROM windows WHERE checkpoint_id = $1 AND day = $2) \
                 ON CONFLICT DO NOTHING",
                &[
                    &checkpoint.as_str(),
                    &day,
                    &directions,
                    &categories,
                    &starts,
                    &ends,
                    &capacities,
                    &reserved,
                ],
            )
            .await?;
        Ok(())
    }

    async fn load_day(
        &self,
        checkpoint: &CheckpointId,
        day: NaiveDate,
    ) -> Result<DayRecord, StoreError> {
        let mut client = self.client().await?;
        // One snapshot for windows and bookings, so their counts agree.
        let tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let windows = tx
            .query(
                &format!(
                    "SELECT {WINDOW_COLUMNS} FROM windows WHERE checkpoint_id = $1 AND day = $2"
                ),
                &[&checkpoint.as_str(), &day],
            )
            .await?
            .iter()
            .map(rows::window)
            .collect::<Result<Vec<_>, _>>()?;
        let bookings = tx
            .query(
                &format!(
                    "SELECT {BOOKING_COLUMNS} FROM bookings b WHERE b.checkpoint_id = $1 AND b.day = $2"
                ),
                &[&checkpoint.as_str(), &day],
            )
            .await?
            .iter()
            .map(rows::booking)
            .collect::<Result<Vec<_>, _>>()?;
        let completed_moves = tx
            .query(
                "SELECT id FROM bookings WHERE checkpoint_id = $1 AND day = $2 \
                 AND status = 'held' AND code_received",
                &[&checkpoint.as_str(), &day],
            )
            .await?
            .iter()
            .map(|row| BookingId(row.get(0)))
            .collect();
        tx.commit().await?;
        Ok(DayRecord {
            windows,
            bookings,
            completed_moves,
        })
    }

    async fn commit(&self, batch: CommitBatch) -> Result<(), StoreError> {
        self.commits.commit(batch).await
    }

    async fn find_booking(&self, code: &BookingCode) -> Result<Option<Booking>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&format!(
                "SELECT {BOOKING_COLUMNS} FROM booking_codes c JOIN bookings b ON b.id = c.booking_id \
                 WHERE c.code = $1"
            ))
            .await?;
        client
            .query_opt(&statement, &[&code.as_str()])
            .await?
            .as_ref()
            .map(rows::booking)
            .transpose()
    }

    async fn confirmed_starting_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Booking>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&format!(
                "SELECT {BOOKING_COLUMNS} FROM bookings b WHERE b.status = 'confirmed' \
                 AND b.window_start >= $1 AND b.window_start < $2 ORDER BY b.window_start, b.id"
            ))
            .await?;
        client
            .query(&statement, &[&from, &to])
            .await?
            .iter()
            .map(rows::booking)
            .collect()
    }

    async fn stored_answer(
        &self,
        scope: &str,
        key: &str,
    ) -> Result<Option<AnswerRecord>, StoreError> {
        self.answers.lookup(scope, key).await
    }

    async fn idempotency_prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let client = self.client().await?;
        // A commit's id is looked up only within seconds of the commit; a day is ample.
        client
            .execute("DELETE FROM commit_log WHERE committed_at < $1", &[&before])
            .await?;
        Ok(client
            .execute(
                "DELETE FROM idempotency_keys WHERE created_at < $1",
                &[&before],
            )
            .await?)
    }

    async fn outbox_pending(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
        let client = self.client().await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = client
            .query(
                "SELECT seq, body FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1",
                &[&limit],
            )
            .await?;
        rows.iter()
            .map(|row| {
                let seq: i64 = row.get(0);
                let event: DomainEvent = serde_json::from_value(row.get(1))
                    .with_context(|| format!("outbox row {seq} holds an unreadable event"))?;
                Ok(OutboxEntry { seq, event })
            })
            .collect()
    }

    async fn lock_relay(&self) -> Result<Option<RelayLease>, StoreError> {
        let client = self.client().await?;
        let locked: bool = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&RELAY_LOCK_KEY])
            .await?
            .get(0);
        Ok(locked.then(|| RelayLease::new(Some(Box::new(RelayConnection(Some(client)))))))
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
        let statement = client
            .prepare_cached(
                "SELECT count(*), min(occurred_at) FROM outbox WHERE published_at IS NULL",
            )
            .await?;
        let row = client.query_one(&statement, &[]).await?;
        Ok((u64::try_from(row.get::<_, i64>(0)).unwrap_or(0), row.get(1)))
    }

    async fn outbox_mark_published(
        &self,
        seqs: &[i64],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute(
                "UPDATE outbox SET published_at = $2 WHERE seq = ANY($1) AND published_at IS NULL",
                &[&seqs, &at],
            )
            .await?;
        Ok(())
    }

    async fn record_processed(
        &self,
        consumer: &str,
        event_id: Uuid,
        statistics: Option<&StatisticsDelta>,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let statement = tx.prepare_cached(statistics_sql::RECORD_PROCESSED).await?;
        if tx.execute(&statement, &[&consumer, &event_id, &at]).await? == 0 {
            return Ok(false);
        }
        if let Some(delta) = statistics {
            let c = &delta.counts;
            let statement = tx.prepare_cached(statistics_sql::ADD_STATISTICS).await?;
            tx.execute(
                &statement,
                &[
                    &delta.key.checkpoint.as_str(),
                    &delta.key.day,
                    &i16::from(delta.key.hour),
                    &delta.key.category.as_str(),
                    &c.holds,
                    &c.confirmations,
                    &c.cancellations,
                    &c.expiries,
                    &c.reschedules,
                    &c.arrivals,
                    &c.no_shows,
                    &c.lead_time_seconds,
                    &c.lead_times,
                ],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn is_processed(&self, consumer: &str, event_id: Uuid) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let statement = client.prepare_cached(statistics_sql::IS_PROCESSED).await?;
        Ok(client
            .query_opt(&statement, &[&consumer, &event_id])
            .await?
            .is_some())
    }

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

    async fn create_staff_account(&self, account: &StaffAccount) -> Result<(), StoreError> {
        self.pg_create_staff_account(account).await
    }

    async fn staff_account_by_name(&self, name: &str) -> Result<Option<StaffAccount>, StoreError> {
        self.pg_staff_account_where("name", &name).await
    }

    async fn staff_account(&self, id: Uuid) -> Result<Option<StaffAccount>, StoreError> {
        self.pg_staff_account_where("id", &id).await
    }

    async fn save_refresh_token(
        &self,
        digest: &str,
        account: Uuid,
        issued_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.pg_save_refresh_token(digest, account, issued_at, expires_at)
            .await
    }

    async fn spend_refresh_token(
        &self,
        digest: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Uuid>, StoreError> {
        self.pg_spend_refresh_token(digest, now).await
    }

    async fn create_api_key(
        &self,
        key: &ApiKey,
        answer: Option<&AnswerRecord>,
    ) -> Result<(), StoreError> {
        self.pg_create_api_key(key, answer).await
    }

    async fn api_key(&self, id: Uuid) -> Result<Option<ApiKey>, StoreError> {
        Ok(self.pg_api_keys(Some(id)).await?.pop())
    }

    async fn api_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        self.pg_api_keys(None).await
    }

    async fn revoke_api_key(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError> {
        self.pg_revoke_api_key(id, now).await
    }

    async fn carrier_bookings(&self, carrier: Uuid) -> Result<Vec<Booking>, StoreError> {
        self.pg_carrier_bookings(carrier).await
    }

    async fn count_carrier_bookings(&self, carrier: Uuid) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(super::statements::ACTIVE_CARRIER_BOOKINGS_COUNT)
            .await?;
        let count: i64 = client.query_one(&statement, &[&carrier]).await?.get(0);
        Ok(u64::try_from(count).unwrap_or(0))
    }

    async fn record_strike(&self, event_id: Uuid, strike: &Strike) -> Result<bool, StoreError> {
        self.pg_record_strike(event_id, strike).await
    }

    async fn strikes_since(&self, since: DateTime<Utc>) -> Result<Vec<Strike>, StoreError> {
        self.pg_strikes_since(since).await
    }

    async fn bar_lifts(&self) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
        self.pg_bar_lifts().await
    }

    async fn lift_bar(&self, plate: &Plate, at: DateTime<Utc>, by: &str) -> Result<(), StoreError> {
        self.pg_lift_bar(plate, at, by).await
    }

    async fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.pg_append_audit(entry).await
    }

    async fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        self.pg_audit_log(limit).await
    }

    async fn upsert_statistics(&self, rows: &[StatisticsDelta]) -> Result<(), StoreError> {
        let rows = super::last_row_per_key(rows);
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

    async fn audit(&self) -> Result<AuditReport, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_one(
                "SELECT \
                   (SELECT count(*) FROM windows), \
                   (SELECT count(*) FROM bookings WHERE status IN ('held', 'confirmed', 'arrived')), \
                   (SELECT count(*) FROM windows WHERE held + confirmed > capacity), \
                   (SELECT count(*) FROM windows w LEFT JOIN ( \
                       SELECT checkpoint_id, direction, category, window_start, \
                              count(*) FILTER (WHERE status = 'held') AS held, \
                              count(*) FILTER (WHERE status IN ('confirmed', 'arrived')) AS confirmed \
                       FROM bookings GROUP BY 1, 2, 3, 4) b \
                     ON b.checkpoint_id = w.checkpoint_id AND b.direction = w.direction \
                       AND b.category = w.category AND b.window_start = w.start_at \
                     WHERE w.held <> coalesce(b.held, 0) OR w.confirmed <> coalesce(b.confirmed, 0)), \
                   (SELECT count(*) FROM (SELECT 1 FROM bookings \
                       WHERE status IN ('held', 'confirmed', 'arrived') AND plate IS NOT NULL \
                       GROUP BY checkpoint_id, direction, day, plate HAVING count(*) > 1) twice), \
                   (SELECT count(*) FROM booking_codes c LEFT JOIN bookings b ON b.id = c.booking_id \
                     WHERE b.id IS NULL)",
                &[],
            )
            .await?;
        let count = |i: usize| row.get::<_, i64>(i) as u64;
        Ok(AuditReport {
            windows: count(0),
            active_bookings: count(1),
            windows_over_capacity: count(2),
            windows_miscounted: count(3),
            plates_booked_twice: count(4),
            codes_without_booking: count(5),
        })
    }
}

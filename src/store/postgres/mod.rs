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

mod accounts;
mod answer_lookups;
mod batch_write;
mod carriers;
mod columns;
mod commit_queue;
mod draws;
mod leases;
mod outbox;
mod staff;
mod statistics;
mod strikes;

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;

use self::answer_lookups::AnswerLookups;
use self::commit_queue::CommitQueue;
use super::{AnswerRecord, AuditReport, CommitBatch, DayRecord, StoreError};
use crate::domain::{
    Booking, BookingCode, BookingId, Checkpoint, CheckpointId, SlotWindow, WaitlistEntry,
    WaitlistId,
};
use crate::store::rows::{
    self, BOOKING_COLUMNS, CHECKPOINT_COLUMNS, WAITLIST_COLUMNS, WINDOW_COLUMNS,
};
use crate::store::{AnswerStore, ScheduleStore};

/// Connection settings; every one is explicit rather than a library default.
///
/// # Failing fast
/// While the database is down, frozen or failing over, a request is answered `503` within
/// a few seconds instead of waiting for it. `operation_timeout` bounds waiting for a pooled
/// connection, opening one (TCP and start-up), and every store call before COMMIT (see
/// [`crate::store::deadline`] and the commit queue). COMMIT itself is never abandoned; a
/// connection that dies under it is noticed by TCP keepalives within `keepalive_idle` plus
/// `keepalive_retries` probes `keepalive_interval` apart (or `tcp_user_timeout` for data
/// the peer never acknowledged), and the commit's outcome is then looked up.
#[derive(Debug, Clone)]
pub struct PostgresSettings {
    /// Carries the password; never shown.
    pub url: crate::secret::Secret,
    pub pool_size_max: usize,
    /// How long a store call may wait for the database before it counts as unavailable.
    pub operation_timeout: Duration,
    /// Opening a connection: TCP connect, and the whole start-up exchange.
    pub connect_timeout: Duration,
    /// Server-side limit per statement.
    pub statement_timeout: Duration,
    pub keepalive_idle: Duration,
    pub keepalive_interval: Duration,
    pub keepalive_retries: u32,
    pub tcp_user_timeout: Duration,
    /// Attempts to reach the server at start-up, one second apart.
    pub connect_attempts: u32,
    /// Transactions writing schedule batches at once (each takes a pooled connection).
    pub commit_writers: usize,
    /// Schedule batches (of different days) written together in one transaction at most.
    pub commit_batches_max: usize,
    /// Queries looking idempotency keys up at once (each takes a pooled connection).
    pub answer_readers: usize,
}

impl PostgresSettings {
    pub fn new(url: impl Into<crate::secret::Secret>) -> Self {
        Self {
            url: url.into(),
            pool_size_max: 16,
            operation_timeout: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(2),
            statement_timeout: Duration::from_secs(5),
            keepalive_idle: Duration::from_secs(5),
            keepalive_interval: Duration::from_secs(1),
            keepalive_retries: 3,
            tcp_user_timeout: Duration::from_secs(8),
            connect_attempts: 10,
            commit_writers: 4,
            commit_batches_max: 256,
            answer_readers: 1,
        }
    }
}

#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    commits: CommitQueue,
    answers: AnswerLookups,
}

/// The keys one query looks up at most.
const ANSWER_LOOKUPS_MAX: usize = 512;

impl PostgresStore {
    /// Builds the pool and waits (with retries) until the server answers.
    pub async fn connect(settings: &PostgresSettings) -> anyhow::Result<Self> {
        let mut config = tokio_postgres::Config::from_str(settings.url.expose())
            .context("DATABASE_URL is not a valid PostgreSQL URL")?;
        config
            .connect_timeout(settings.connect_timeout)
            .keepalives(true)
            .keepalives_idle(settings.keepalive_idle)
            .keepalives_interval(settings.keepalive_interval)
            .keepalives_retries(settings.keepalive_retries)
            .tcp_user_timeout(settings.tcp_user_timeout)
            // A connection to a node still in recovery (a standby, or a new primary before its
            // promotion ends) is refused at once rather than failing every write on it.
            .target_session_attrs(tokio_postgres::config::TargetSessionAttrs::ReadWrite)
            .application_name("borderslot")
            .options(format!(
                "-c statement_timeout={}",
                settings.statement_timeout.as_millis()
            ));
        let manager = Manager::from_config(
            config,
            NoTls,
            // A connection that failed is closed by its own task, which `Fast` checks; a
            // round trip per checkout (`Verified`) would catch nothing more, since a frozen
            // server is caught by the deadlines and a vanished one by the keepalives.
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        // tokio-postgres bounds only the TCP connect; the pool's create timeout also bounds
        // the start-up exchange, which a frozen server accepts and never answers.
        let pool = Pool::builder(manager)
            .max_size(settings.pool_size_max.max(1))
            .wait_timeout(Some(settings.operation_timeout))
            .create_timeout(Some(settings.connect_timeout))
            .recycle_timeout(Some(settings.operation_timeout))
            .runtime(Runtime::Tokio1)
            .build()
            .context("Failed to build the connection pool")?;
        let commits = CommitQueue::start(
            pool.clone(),
            settings.commit_writers.min(settings.pool_size_max.max(1)),
            settings.commit_batches_max,
            settings.operation_timeout,
        );
        let answers = AnswerLookups::start(
            pool.clone(),
            settings.answer_readers.min(settings.pool_size_max.max(1)),
            ANSWER_LOOKUPS_MAX,
        );
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

    /// Creates the read-only `analyst` role if missing and grants it its reads; returns whether
    /// it was created (see [`super::migrations::grant_analyst`]).
    pub async fn grant_analyst(&self) -> anyhow::Result<bool> {
        let mut client = self
            .pool
            .get()
            .await
            .context("Failed to get a connection")?;
        super::migrations::grant_analyst(&mut client).await
    }

    /// Whether the cluster has the read-only `analyst` role.
    pub async fn analyst_exists(&self) -> anyhow::Result<bool> {
        let client = self
            .pool
            .get()
            .await
            .context("Failed to get a connection")?;
        super::migrations::analyst_exists(&**client).await
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(|e| {
            StoreError::Unavailable(anyhow::Error::new(e).context("no database connection"))
        })
    }
}

/// A read-only transaction on one snapshot, so that what its queries read agrees.
async fn snapshot(
    client: &mut deadpool_postgres::Object,
) -> Result<deadpool_postgres::Transaction<'_>, StoreError> {
    Ok(client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?)
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
            || code == SqlState::CRASH_SHUTDOWN
            || code == SqlState::CANNOT_CONNECT_NOW
            // A node that is not (or not yet) the primary: during a failover the router may
            // send a connection to the new leader before its promotion ends.
            || code == SqlState::READ_ONLY_SQL_TRANSACTION
        {
            StoreError::Unavailable(error.into())
        } else {
            StoreError::Other(error.into())
        }
    }
}

/// A count for an `integer` column.
fn count(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Any fixed number: the key of the advisory lock that one relay holds.
const RELAY_LOCK_KEY: i64 = 0x7265_6c61_7900;

/// A relay stopping must not hang on a database that stopped answering.
const RELAY_UNLOCK_TIMEOUT: Duration = Duration::from_secs(2);

/// The connection whose open transaction holds the relay lock.
///
/// The lock is transaction-level (`pg_try_advisory_xact_lock`), not session-level: a session
/// lock is re-entrant, so one pooled connection that kept it, however it came to, would take
/// it again and again while every other connection was refused, and the relay would crawl. A
/// transaction's lock ends with its ROLLBACK, and a connection goes back to the pool only
/// after one.
struct RelayConnection(Option<deadpool_postgres::Object>);

impl RelayConnection {
    /// Ends the transaction, so the lock goes, and pools the connection; a connection whose
    /// ROLLBACK gets no answer is closed instead.
    async fn end(&mut self) {
        if let Some(client) = self.0.take() {
            let ended =
                tokio::time::timeout(RELAY_UNLOCK_TIMEOUT, client.batch_execute("ROLLBACK")).await;
            if !matches!(ended, Ok(Ok(()))) {
                drop(deadpool_postgres::Object::take(client));
            }
        }
    }
}

#[async_trait]
impl super::ReleaseRelay for RelayConnection {
    async fn release(mut self: Box<Self>) {
        self.end().await;
    }
}

impl Drop for RelayConnection {
    fn drop(&mut self) {
        // Not ended: the transaction may still be open, so the session must end with it.
        if let Some(client) = self.0.take() {
            drop(deadpool_postgres::Object::take(client));
        }
    }
}

#[async_trait]
impl ScheduleStore for PostgresStore {
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
        let opening = serde_json::to_value(checkpoint.opening).context("opening")?;
        let window_minutes = i32::try_from(checkpoint.window_minutes).unwrap_or(i32::MAX);
        client
            .execute(
                "INSERT INTO checkpoints (id, name, time_zone, window_minutes, directions, capacity, \
                 calendar, neighbour_time_zone, opening) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (id) DO UPDATE SET \
                 name = excluded.name, time_zone = excluded.time_zone, \
                 window_minutes = excluded.window_minutes, directions = excluded.directions, \
                 capacity = excluded.capacity, calendar = excluded.calendar, \
                 neighbour_time_zone = excluded.neighbour_time_zone, opening = excluded.opening",
                &[
                    &checkpoint.id.as_str(),
                    &checkpoint.name,
                    &checkpoint.time_zone.name(),
                    &window_minutes,
                    &directions,
                    &capacity,
                    &calendar,
                    &checkpoint.neighbour_time_zone.map(|tz| tz.name()),
                    &opening,
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
        let tx = snapshot(&mut client).await?;
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
        let waitlist = tx
            .query(
                &format!(
                    "SELECT {WAITLIST_COLUMNS} FROM waitlist_entries w \
                     WHERE w.checkpoint_id = $1 AND w.day = $2 ORDER BY w.seq"
                ),
                &[&checkpoint.as_str(), &day],
            )
            .await?
            .iter()
            .map(rows::waitlist_entry)
            .collect::<Result<Vec<_>, _>>()?;
        tx.commit().await?;
        Ok(DayRecord {
            windows,
            bookings,
            completed_moves,
            waitlist,
        })
    }

    async fn commit(&self, batch: CommitBatch) -> Result<(), StoreError> {
        self.commits.commit(batch, None).await
    }

    async fn commit_chained(
        &self,
        batch: CommitBatch,
        chain: crate::store::Chain,
    ) -> Result<(), StoreError> {
        self.commits.commit(batch, Some(chain)).await
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

    async fn find_waitlist_entry(
        &self,
        id: WaitlistId,
    ) -> Result<Option<WaitlistEntry>, StoreError> {
        let client = self.client().await?;
        client
            .query_opt(
                &format!("SELECT {WAITLIST_COLUMNS} FROM waitlist_entries w WHERE w.id = $1"),
                &[&id.0],
            )
            .await?
            .as_ref()
            .map(rows::waitlist_entry)
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

#[async_trait]
impl AnswerStore for PostgresStore {
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
}

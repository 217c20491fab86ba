//! The embedded store: one SQLite file in WAL mode with `synchronous=FULL`, so a committed
//! batch survives a crash or power loss, with no server to run.
//!
//! SQLite is chosen over a key-value file (redb) because the same relational schema, the same
//! constraints (`CHECK (held + confirmed <= capacity)`, the partial unique index on active
//! plates, foreign keys) and the same audit queries then hold in both backends, and the file
//! can be inspected with the `sqlite3` shell.
//!
//! SQLite has one writer at a time, so writes share one connection; reads use a second one,
//! which WAL lets proceed while a write is in progress. Every call runs on the blocking pool.

mod accounts;
mod batch_write;
mod carriers;
mod columns;
mod draws;
mod leases;
mod outbox;
mod staff;
mod statistics;
mod strikes;

use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior, params};

use super::{
    AnswerRecord, AuditReport, CommitBatch, DayRecord, KeyClaim, StoreError, StoredResponse,
};
use crate::domain::statistics::StatisticsDelta;
use crate::domain::{
    Booking, BookingCode, BookingId, Checkpoint, CheckpointId, SlotWindow, WaitlistEntry,
    WaitlistId,
};
use crate::store::answers::stored_digest;
use crate::store::rows::{
    self, BOOKING_COLUMNS, CHECKPOINT_COLUMNS, WAITLIST_COLUMNS, WINDOW_COLUMNS,
};
use crate::store::{AnswerStore, ScheduleStore, answer_key_id};

const MIGRATIONS: &[&str] = &[
    include_str!("../../../sql/embedded/V1__schema.sql"),
    include_str!("../../../sql/embedded/V2__statistics.sql"),
    include_str!("../../../sql/embedded/V3__staff.sql"),
    include_str!("../../../sql/embedded/V4__neighbour_time_zone.sql"),
    include_str!("../../../sql/embedded/V5__answers_with_changes.sql"),
    include_str!("../../../sql/embedded/V6__answers_required.sql"),
    include_str!("../../../sql/embedded/V7__job_leases.sql"),
    include_str!("../../../sql/embedded/V8__booking_claims.sql"),
    include_str!("../../../sql/embedded/V9__reslotted_bookings.sql"),
    include_str!("../../../sql/embedded/V10__waitlist.sql"),
    include_str!("../../../sql/embedded/V11__opening_draws.sql"),
    include_str!("../../../sql/embedded/V12__outbox_per_transaction.sql"),
    include_str!("../../../sql/embedded/V13__answers_by_key_digest.sql"),
];

#[derive(Clone)]
pub struct EmbeddedStore {
    writer: Arc<Mutex<Connection>>,
    reader: Arc<Mutex<Connection>>,
}

impl EmbeddedStore {
    /// Opens (creating if needed) the database file at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("Failed to create data directory {}", dir.display()))?;
        }
        let writer = Connection::open(path)
            .with_context(|| format!("Failed to open embedded store {}", path.display()))?;
        configure(&writer, true)?;
        migrate(&writer)?;
        let reader = Connection::open(path)?;
        configure(&reader, true)?;
        Ok(Self {
            writer: Arc::new(Mutex::new(writer)),
            reader: Arc::new(Mutex::new(reader)),
        })
    }

    /// A private in-memory database: real SQLite, nothing on disk. For benchmarks and tests
    /// that need no durability.
    pub fn in_memory() -> anyhow::Result<Self> {
        let connection = Connection::open_in_memory()?;
        configure(&connection, false)?;
        migrate(&connection)?;
        let shared = Arc::new(Mutex::new(connection));
        Ok(Self {
            writer: shared.clone(),
            reader: shared,
        })
    }

    async fn write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        run_blocking(self.writer.clone(), work).await
    }

    async fn read<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        run_blocking(self.reader.clone(), work).await
    }
}

async fn run_blocking<T, F>(connection: Arc<Mutex<Connection>>, work: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
{
    tokio::task::spawn_blocking(move || {
        let mut guard = connection.lock().unwrap_or_else(|e| e.into_inner());
        work(&mut guard)
    })
    .await
    .map_err(|e| StoreError::Other(anyhow::Error::new(e).context("embedded store task failed")))?
}

fn configure(connection: &Connection, on_disk: bool) -> anyhow::Result<()> {
    if on_disk {
        connection.pragma_update(None, "journal_mode", "WAL")?;
    }
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.pragma_update(None, "foreign_keys", "ON")?;
    connection.busy_timeout(std::time::Duration::from_secs(5))?;
    register_local_hour(connection)?;
    register_answer_key_id(connection)?;
    Ok(())
}

/// `answer_key_id(scope, key)`: [`answer_key_id`] as text, for the migration that carries
/// answers stored under their scope and key over to their digest.
fn register_answer_key_id(connection: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    connection.create_scalar_function(
        "answer_key_id",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |context| {
            let scope: String = context.get(0)?;
            let key: String = context.get(1)?;
            Ok(answer_key_id(&scope, &key).to_string())
        },
    )
}

/// `local_hour(start_at, time_zone)`: the hour (0–23) a stored UTC timestamp shows on the
/// clocks of an IANA time zone. SQLite knows no time zones; PostgreSQL's `AT TIME ZONE` does
/// the same there, so both backends group windows by local hour in SQL.
fn register_local_hour(connection: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    connection.create_scalar_function(
        "local_hour",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |context| {
            let instant = parse_ts(&context.get::<String>(0)?)?;
            let zone: String = context.get(1)?;
            let zone: chrono_tz::Tz = zone.parse().map_err(|e: chrono_tz::ParseError| {
                rusqlite::Error::UserFunctionError(e.to_string().into())
            })?;
            Ok(i64::from(chrono::Timelike::hour(
                &instant.with_timezone(&zone),
            )))
        },
    )
}

/// Applies the migrations the file has not seen, tracked in `PRAGMA user_version`.
fn migrate(connection: &Connection) -> anyhow::Result<()> {
    let applied: usize = connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        let version = index + 1;
        connection
            .execute_batch(&format!(
                "BEGIN; {sql}; PRAGMA user_version = {version}; COMMIT;"
            ))
            .with_context(|| format!("Failed to apply embedded migration V{version}"))?;
    }
    Ok(())
}

fn is_race(error: &rusqlite::Error) -> bool {
    let rusqlite::Error::SqliteFailure(failure, _) = error else {
        return false;
    };
    matches!(
        failure.extended_code,
        rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            | rusqlite::ffi::SQLITE_CONSTRAINT_CHECK
    )
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        match error.sqlite_error_code() {
            // As on PostgreSQL, only a unique or check constraint is a writer's race.
            Some(ErrorCode::ConstraintViolation) if is_race(&error) => {
                StoreError::Conflict(error.to_string())
            }
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                StoreError::Unavailable(error.into())
            }
            _ => StoreError::Other(error.into()),
        }
    }
}

pub(crate) fn format_ts(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn parse_ts(raw: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
        })
}

/// Runs a statement that takes a statistics row's 17 columns in table order.
fn execute_statistics_row(
    statement: &mut rusqlite::CachedStatement<'_>,
    row: &StatisticsDelta,
) -> rusqlite::Result<usize> {
    let (checkpoint, day) = (row.key.checkpoint.as_str(), row.key.day.to_string());
    let category = row.key.category.as_str();
    let counts = row.counts.columns();
    let mut values: Vec<&dyn rusqlite::ToSql> = vec![&checkpoint, &day, &row.key.hour, &category];
    values.extend(counts.iter().map(|count| count as &dyn rusqlite::ToSql));
    statement.execute(values.as_slice())
}

#[async_trait]
impl ScheduleStore for EmbeddedStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.read(|c| Ok(c.query_row("SELECT 1", [], |_| Ok(()))?))
            .await
    }

    async fn checkpoints(&self) -> Result<Vec<Checkpoint>, StoreError> {
        self.read(|c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {CHECKPOINT_COLUMNS} FROM checkpoints ORDER BY id"
            ))?;
            let rows = statement.query_map([], |r| rows::checkpoint(r))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn upsert_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        let checkpoint = checkpoint.clone();
        self.write(move |c| {
            let directions = serde_json::to_string(&checkpoint.directions).context("directions")?;
            let capacity = serde_json::to_string(&checkpoint.capacity).context("capacity")?;
            let calendar = serde_json::to_string(&checkpoint.calendar).context("calendar")?;
            let opening = serde_json::to_string(&checkpoint.opening).context("opening")?;
            c.execute(
                "INSERT INTO checkpoints (id, name, time_zone, window_minutes, directions, capacity, \
                 calendar, neighbour_time_zone, opening) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
                 ON CONFLICT (id) DO UPDATE SET \
                 name = excluded.name, time_zone = excluded.time_zone, \
                 window_minutes = excluded.window_minutes, directions = excluded.directions, \
                 capacity = excluded.capacity, calendar = excluded.calendar, \
                 neighbour_time_zone = excluded.neighbour_time_zone, opening = excluded.opening",
                params![
                    checkpoint.id.as_str(),
                    checkpoint.name,
                    checkpoint.time_zone.name(),
                    checkpoint.window_minutes,
                    directions,
                    capacity,
                    calendar,
                    checkpoint.neighbour_time_zone.map(|tz| tz.name()),
                    opening
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn ensure_windows(
        &self,
        checkpoint: &CheckpointId,
        day: NaiveDate,
        windows: &[SlotWindow],
    ) -> Result<(), StoreError> {
        let checkpoint = checkpoint.clone();
        let windows = windows.to_vec();
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let existing: i64 = tx.query_row(
                "SELECT count(*) FROM windows WHERE checkpoint_id = ?1 AND day = ?2",
                params![checkpoint.as_str(), day.to_string()],
                |r| r.get(0),
            )?;
            if existing == 0 {
                // A window starting where one of another day already does (the checkpoint's
                // time zone changed between the two days' schedules) stays that day's, as on
                // PostgreSQL.
                let mut insert = tx.prepare_cached(
                    "INSERT INTO windows (checkpoint_id, day, direction, category, start_at, end_at, \
                     capacity, reserved, blocked_reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
                     ON CONFLICT DO NOTHING",
                )?;
                for w in &windows {
                    insert.execute(params![
                        checkpoint.as_str(),
                        day.to_string(),
                        w.key.direction.as_str(),
                        w.key.category.as_str(),
                        format_ts(w.key.start),
                        format_ts(w.end),
                        w.capacity,
                        w.reserved,
                        w.blocked
                    ])?;
                }
                drop(insert);
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn load_day(
        &self,
        checkpoint: &CheckpointId,
        day: NaiveDate,
    ) -> Result<DayRecord, StoreError> {
        let checkpoint = checkpoint.clone();
        self.read(move |c| {
            let tx = c.transaction()?;
            let day_text = day.to_string();
            let windows = tx
                .prepare_cached(&format!(
                    "SELECT {WINDOW_COLUMNS} FROM windows WHERE checkpoint_id = ?1 AND day = ?2"
                ))?
                .query_map(params![checkpoint.as_str(), day_text], |r| rows::window(r))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let bookings = tx
                .prepare_cached(&format!(
                    "SELECT {BOOKING_COLUMNS} FROM bookings b WHERE b.checkpoint_id = ?1 AND b.day = ?2"
                ))?
                .query_map(params![checkpoint.as_str(), day_text], |r| rows::booking(r))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let completed_moves = tx
                .prepare_cached(
                    "SELECT b.id FROM bookings b WHERE b.checkpoint_id = ?1 AND b.day = ?2 \
                     AND b.status = 'held' AND b.code_received = 1",
                )?
                .query_map(params![checkpoint.as_str(), day_text], |r| {
                    let raw: String = r.get(0)?;
                    uuid::Uuid::parse_str(&raw).map(BookingId).map_err(|e| {
                        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let waitlist = tx
                .prepare_cached(&format!(
                    "SELECT {WAITLIST_COLUMNS} FROM waitlist_entries w \
                     WHERE w.checkpoint_id = ?1 AND w.day = ?2 ORDER BY w.seq"
                ))?
                .query_map(params![checkpoint.as_str(), day_text], |r| {
                    rows::waitlist_entry(r)
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(DayRecord {
                windows,
                bookings,
                completed_moves,
                waitlist,
            })
        })
        .await
    }

    async fn commit(&self, batch: CommitBatch) -> Result<(), StoreError> {
        self.write(move |c| batch_write::apply_batch(c, &batch))
            .await
    }

    async fn find_booking(&self, code: &BookingCode) -> Result<Option<Booking>, StoreError> {
        let code = code.clone();
        self.read(move |c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {BOOKING_COLUMNS} FROM booking_codes c JOIN bookings b ON b.id = c.booking_id \
                 WHERE c.code = ?1"
            ))?
            .query_row(params![code.as_str()], |r| rows::booking(r))
            .optional()?)
        })
        .await
    }

    async fn find_waitlist_entry(
        &self,
        id: WaitlistId,
    ) -> Result<Option<WaitlistEntry>, StoreError> {
        self.read(move |c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {WAITLIST_COLUMNS} FROM waitlist_entries w WHERE w.id = ?1"
            ))?
            .query_row(params![id.to_string()], |r| rows::waitlist_entry(r))
            .optional()?)
        })
        .await
    }

    async fn confirmed_starting_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Booking>, StoreError> {
        self.read(move |c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {BOOKING_COLUMNS} FROM bookings b WHERE b.status = 'confirmed' \
                 AND b.window_start >= ?1 AND b.window_start < ?2 ORDER BY b.window_start, b.id"
            ))?;
            let rows = statement.query_map(params![format_ts(from), format_ts(to)], |r| {
                rows::booking(r)
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn audit(&self) -> Result<AuditReport, StoreError> {
        self.read(|c| {
            let count = |sql: &str| -> rusqlite::Result<u64> {
                c.query_row(sql, [], |r| r.get::<_, i64>(0)).map(|n| n as u64)
            };
            Ok(AuditReport {
                windows: count("SELECT count(*) FROM windows")?,
                active_bookings: count(
                    "SELECT count(*) FROM bookings WHERE status IN ('held', 'confirmed', 'arrived')",
                )?,
                windows_over_capacity: count(
                    "SELECT count(*) FROM windows WHERE held + confirmed > capacity",
                )?,
                windows_miscounted: count(
                    "SELECT count(*) FROM windows w LEFT JOIN ( \
                       SELECT checkpoint_id, direction, category, window_start, \
                              sum(status = 'held') AS held, \
                              sum(status IN ('confirmed', 'arrived')) AS confirmed \
                       FROM bookings GROUP BY 1, 2, 3, 4) b \
                     ON b.checkpoint_id = w.checkpoint_id AND b.direction = w.direction \
                       AND b.category = w.category AND b.window_start = w.start_at \
                     WHERE w.held != coalesce(b.held, 0) OR w.confirmed != coalesce(b.confirmed, 0)",
                )?,
                plates_booked_twice: count(
                    "SELECT count(*) FROM (SELECT 1 FROM bookings \
                       WHERE status IN ('held', 'confirmed', 'arrived') AND plate IS NOT NULL \
                       GROUP BY checkpoint_id, direction, day, plate HAVING count(*) > 1)",
                )?,
                codes_without_booking: count(
                    "SELECT count(*) FROM booking_codes c LEFT JOIN bookings b ON b.id = c.booking_id \
                     WHERE b.id IS NULL",
                )?,
            })
        })
        .await
    }
}

#[async_trait]
impl AnswerStore for EmbeddedStore {
    async fn stored_answer(
        &self,
        scope: &str,
        key: &str,
    ) -> Result<Option<AnswerRecord>, StoreError> {
        let (scope, key) = (scope.to_owned(), key.to_owned());
        self.read(move |c| {
            let row = c
                .prepare_cached(
                    "SELECT request_digest, created_at, status, content_type, body \
                     FROM idempotency_keys WHERE key_id = ?1",
                )?
                .query_row(params![answer_key_id(&scope, &key).to_string()], |r| {
                    Ok((
                        r.get::<_, Vec<u8>>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, u16>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, Vec<u8>>(4)?,
                    ))
                })
                .optional()?;
            row.map(|(request_digest, created_at, status, content_type, body)| {
                Ok(AnswerRecord {
                    claim: KeyClaim {
                        scope: scope.clone(),
                        key: key.clone(),
                        request_digest: stored_digest(&request_digest)?,
                    },
                    created_at: parse_ts(&created_at)?,
                    response: StoredResponse {
                        status,
                        content_type,
                        body,
                    },
                })
            })
            .transpose()
        })
        .await
    }

    async fn idempotency_prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        self.write(move |c| {
            let removed = c.execute(
                "DELETE FROM idempotency_keys WHERE created_at < ?1",
                params![format_ts(before)],
            )?;
            Ok(removed as u64)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Recovery;

    #[test]
    fn only_a_writers_race_is_a_conflict() {
        let connection = Connection::open_in_memory().unwrap();
        connection
            .execute_batch(
                "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, \
                 places INTEGER NOT NULL CHECK (places >= 0))",
            )
            .unwrap();
        connection
            .execute("INSERT INTO t VALUES (1, 'a', 1)", [])
            .unwrap();
        let store_error = |sql: &str| StoreError::from(connection.execute(sql, []).unwrap_err());

        for race in [
            "INSERT INTO t VALUES (2, 'a', 1)",
            "INSERT INTO t VALUES (1, 'b', 1)",
            "UPDATE t SET places = -1",
        ] {
            assert_eq!(store_error(race).recovery(), Recovery::Reload, "{race}");
        }
        let fault = store_error("INSERT INTO t VALUES (3, NULL, 1)");
        assert_eq!(fault.recovery(), Recovery::Never, "{fault}");
    }

    #[actix_web::test]
    async fn events_stored_one_per_row_are_carried_into_the_outbox_of_transactions() {
        use crate::store::OutboxStore;

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("borderslot.sqlite3");
        {
            let connection = migrated_to(&file, 11);
            for (n, event_type, published) in [
                (1, "booking.held", Some("2026-12-01T08:00:01Z")),
                (2, "booking.confirmed", None),
                (3, "booking.cancelled", None),
            ] {
                let body = serde_json::json!({
                    "id": format!("5a0e7c8e-8f43-4f4c-9e49-00000000000{n}"), "type": event_type,
                    "version": 1, "occurred_at": "2026-12-01T08:00:00Z", "checkpoint": "narva",
                    "day": "2026-12-02", "payload": { "booking": { "code": "ABCD2345" } },
                });
                connection
                    .execute(
                        "INSERT INTO outbox (event_id, event_type, checkpoint_id, day, \
                         occurred_at, body, published_at) \
                         VALUES (?1, ?2, 'narva', '2026-12-02', '2026-12-01T08:00:00Z', ?3, ?4)",
                        params![body["id"].as_str(), event_type, body.to_string(), published],
                    )
                    .unwrap();
            }
        }

        let store = EmbeddedStore::open(&file).unwrap();

        let pending = store.outbox_pending(10).await.unwrap();
        let types: Vec<_> = pending
            .iter()
            .map(|e| e.event.event_type.as_str())
            .collect();
        assert_eq!(types, ["booking.confirmed", "booking.cancelled"]);
        assert_eq!(store.outbox_backlog().await.unwrap().0, 2);
    }

    /// A database file with the migrations up to `version` applied, as an older build left it.
    fn migrated_to(file: &Path, version: usize) -> Connection {
        let connection = Connection::open(file).unwrap();
        configure(&connection, true).unwrap();
        for (index, sql) in MIGRATIONS[..version].iter().enumerate() {
            let version = index + 1;
            connection
                .execute_batch(&format!(
                    "BEGIN; {sql}; PRAGMA user_version = {version}; COMMIT;"
                ))
                .unwrap();
        }
        connection
    }

    #[actix_web::test]
    async fn answers_stored_under_their_scope_and_key_are_found_by_its_digest() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("borderslot.sqlite3");
        migrated_to(&file, 12)
            .execute(
                "INSERT INTO idempotency_keys \
                 (scope, key, request_digest, created_at, status, content_type, body) \
                 VALUES ('ip:127.0.0.1', 'k-1', ?1, '2026-12-01T08:00:00.000000Z', 201, \
                         'application/json', X'0102')",
                params![crate::domain::token::to_hex(&[7; 32])],
            )
            .unwrap();

        let store = EmbeddedStore::open(&file).unwrap();

        let found = store
            .stored_answer("ip:127.0.0.1", "k-1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.claim.request_digest, [7; 32]);
        assert_eq!(found.response.status, 201);
        assert_eq!(found.response.body, [1, 2]);
        assert!(
            store
                .stored_answer("ip:127.0.0.1", "k-2")
                .await
                .unwrap()
                .is_none()
        );
        let key_id: String = store
            .reader
            .lock()
            .unwrap()
            .query_row("SELECT key_id FROM idempotency_keys", [], |row| row.get(0))
            .unwrap();
        assert_eq!(key_id, "5b14edf2-dbff-c9bc-a629-683c72b9c4d2");
    }
}

//! Postgres schema migrations from `sql/migrations/V{n}__{name}.sql`, applied in order inside
//! one transaction under an advisory lock, and recorded in `schema_migrations`. Running them
//! again applies nothing; replicas that start together wait for each other.
//!
//! A runner of our own rather than refinery: it is a few dozen lines, ties us to no second
//! tokio-postgres version, and the advisory lock is exactly the behaviour replicas need.

use anyhow::Context;
use tokio_postgres::Client;

pub struct Migration {
    pub version: i32,
    pub name: &'static str,
    pub sql: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "schedule",
        sql: include_str!("../../sql/migrations/V1__schedule.sql"),
    },
    Migration {
        version: 2,
        name: "analyst_role",
        sql: include_str!("../../sql/migrations/V2__analyst_role.sql"),
    },
    Migration {
        version: 3,
        name: "statistics",
        sql: include_str!("../../sql/migrations/V3__statistics.sql"),
    },
    Migration {
        version: 4,
        name: "staff",
        sql: include_str!("../../sql/migrations/V4__staff.sql"),
    },
    Migration {
        version: 5,
        name: "neighbour_time_zone",
        sql: include_str!("../../sql/migrations/V5__neighbour_time_zone.sql"),
    },
    Migration {
        version: 6,
        name: "answers_with_changes",
        sql: include_str!("../../sql/migrations/V6__answers_with_changes.sql"),
    },
    Migration {
        version: 7,
        name: "job_leases",
        sql: include_str!("../../sql/migrations/V7__job_leases.sql"),
    },
];

/// Any fixed number: the key of the advisory lock that serialises migration runs.
const MIGRATION_LOCK_KEY: i64 = 0x626f_7264_6572;

pub fn latest_version() -> i32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Applies every migration up to `target` (all of them with `None`) that is not applied yet;
/// returns the versions applied now.
pub async fn migrate(client: &mut Client, target: Option<i32>) -> anyhow::Result<Vec<i32>> {
    let tx = client
        .transaction()
        .await
        .context("Failed to begin the migration transaction")?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK_KEY])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    integer PRIMARY KEY,
             name       text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now()
         )",
    )
    .await?;
    let applied: Vec<i32> = tx
        .query("SELECT version FROM schema_migrations", &[])
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    let mut now_applied = Vec::new();
    for migration in MIGRATIONS {
        if applied.contains(&migration.version)
            || target.is_some_and(|target| migration.version > target)
        {
            continue;
        }
        tx.batch_execute(migration.sql).await.with_context(|| {
            format!(
                "Failed to apply migration V{}__{}",
                migration.version, migration.name
            )
        })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
            &[&migration.version, &migration.name],
        )
        .await?;
        now_applied.push(migration.version);
    }
    tx.commit()
        .await
        .context("Failed to commit the migrations")?;
    Ok(now_applied)
}

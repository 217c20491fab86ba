//! Postgres schema migrations from `sql/migrations/V{n}__{name}.sql`, applied in order inside
//! one transaction under an advisory lock, and recorded in `schema_migrations`. Running them
//! again applies nothing; replicas that start together wait for each other.
//!
//! Migrating needs only ownership of the database, as on a managed PostgreSQL: the read-only
//! `analyst` role is made when the migrating user may create roles, its grants
//! (`sql/grants/analyst.sql`) are applied only where it exists, and [`grant_analyst`] lets an
//! administrator add it later.
//!
//! A runner of our own rather than refinery: it is a few dozen lines, ties us to no second
//! tokio-postgres version, and the advisory lock is exactly the behaviour replicas need.

use tokio_postgres::error::{ErrorPosition, SqlState};
use tokio_postgres::{Client, GenericClient};

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
    Migration {
        version: 8,
        name: "booking_claims",
        sql: include_str!("../../sql/migrations/V8__booking_claims.sql"),
    },
    Migration {
        version: 9,
        name: "reslotted_bookings",
        sql: include_str!("../../sql/migrations/V9__reslotted_bookings.sql"),
    },
    Migration {
        version: 10,
        name: "waitlist",
        sql: include_str!("../../sql/migrations/V10__waitlist.sql"),
    },
    Migration {
        version: 11,
        name: "opening_draws",
        sql: include_str!("../../sql/migrations/V11__opening_draws.sql"),
    },
    Migration {
        version: 12,
        name: "outbox_per_transaction",
        sql: include_str!("../../sql/migrations/V12__outbox_per_transaction.sql"),
    },
    Migration {
        version: 13,
        name: "answers_by_key_digest",
        sql: include_str!("../../sql/migrations/V13__answers_by_key_digest.sql"),
    },
    Migration {
        version: 14,
        name: "chained_commits",
        sql: include_str!("../../sql/migrations/V14__chained_commits.sql"),
    },
];

/// What the read-only `analyst` role may read on the latest schema: the one copy of its
/// grants, applied by [`migrate`] when the role exists and by [`grant_analyst`].
pub const ANALYST_GRANTS: &str = include_str!("../../sql/grants/analyst.sql");

/// Any fixed number: the key of the advisory lock that serialises migration runs.
const MIGRATION_LOCK_KEY: i64 = 0x626f_7264_6572;

pub fn latest_version() -> i32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Applies every migration up to `target` (all of them with `None`) that is not applied yet;
/// returns the versions applied now. A run that brings the database to the latest version
/// also grants [`ANALYST_GRANTS`] if the `analyst` role exists, so that migrating needs no more
/// than owning the database.
pub async fn migrate(client: &mut Client, target: Option<i32>) -> anyhow::Result<Vec<i32>> {
    let tx = client
        .transaction()
        .await
        .map_err(|e| failed("Failed to begin the migration transaction", &e))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK_KEY])
        .await
        .map_err(|e| failed("Failed to take the migration lock", &e))?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    integer PRIMARY KEY,
             name       text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now()
         )",
    )
    .await
    .map_err(|e| failed("Failed to create schema_migrations", &e))?;
    // Only versions are compared, never the files' contents, so a migration may be reworded
    // once databases have applied it (as V2 and V3 were, to leave the analyst's grants to
    // ANALYST_GRANTS) without failing those databases.
    let mut applied = applied_versions(&tx).await?;
    let mut now_applied = Vec::new();
    for migration in MIGRATIONS {
        if applied.contains(&migration.version)
            || target.is_some_and(|target| migration.version > target)
        {
            continue;
        }
        tx.batch_execute(migration.sql)
            .await
            .map_err(|e| failed(migration.failure(&e), &e))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
            &[&migration.version, &migration.name],
        )
        .await
        .map_err(|e| failed("Failed to record the migration", &e))?;
        applied.push(migration.version);
        now_applied.push(migration.version);
    }
    // The grants name the latest schema's tables, so they wait until a run reaches it.
    if !now_applied.is_empty()
        && missing_versions(&applied).is_empty()
        && analyst_exists(&tx).await?
    {
        tx.batch_execute(ANALYST_GRANTS)
            .await
            .map_err(|e| failed("Failed to grant the analyst role its reads", &e))?;
    }
    tx.commit()
        .await
        .map_err(|e| failed("Failed to commit the migrations", &e))?;
    Ok(now_applied)
}

/// Creates the `analyst` role if it is missing and grants it [`ANALYST_GRANTS`] on a database
/// at the latest version, for an administrator to run where the owner who migrates may not
/// create roles; returns whether the role was created here. Needs CREATEROLE (unless the role
/// exists) and the right to grant on the tables: a superuser, or their owner.
pub async fn grant_analyst(client: &mut Client) -> anyhow::Result<bool> {
    let mut tx = client
        .transaction()
        .await
        .map_err(|e| failed("Failed to begin the transaction", &e))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK_KEY])
        .await
        .map_err(|e| failed("Failed to take the migration lock", &e))?;
    let migrated: bool = tx
        .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])
        .await
        .map_err(|e| failed("Failed to look for schema_migrations", &e))?
        .get(0);
    let missing = if migrated {
        missing_versions(&applied_versions(&tx).await?)
    } else {
        MIGRATIONS.iter().map(|m| m.version).collect()
    };
    anyhow::ensure!(
        missing.is_empty(),
        "the database lacks migrations {missing:?}: run `borderslot migrate` first"
    );
    let created = if analyst_exists(&tx).await? {
        false
    } else {
        let savepoint = tx
            .savepoint("create_analyst")
            .await
            .map_err(|e| failed("Failed to begin a savepoint", &e))?;
        match savepoint.batch_execute("CREATE ROLE analyst NOLOGIN").await {
            Ok(()) => {
                savepoint
                    .commit()
                    .await
                    .map_err(|e| failed("Failed to release the savepoint", &e))?;
                true
            }
            // A migration of another database of the cluster created it meanwhile.
            Err(e)
                if e.code() == Some(&SqlState::DUPLICATE_OBJECT)
                    || e.code() == Some(&SqlState::UNIQUE_VIOLATION) =>
            {
                savepoint
                    .rollback()
                    .await
                    .map_err(|e| failed("Failed to roll back the savepoint", &e))?;
                false
            }
            Err(e) => return Err(failed("Failed to create the analyst role", &e)),
        }
    };
    tx.batch_execute(ANALYST_GRANTS)
        .await
        .map_err(|e| failed("Failed to grant the analyst role its reads", &e))?;
    tx.commit()
        .await
        .map_err(|e| failed("Failed to commit the grants", &e))?;
    Ok(created)
}

/// Whether the cluster has the `analyst` role.
pub async fn analyst_exists(client: &impl GenericClient) -> anyhow::Result<bool> {
    Ok(client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'analyst')",
            &[],
        )
        .await
        .map_err(|e| failed("Failed to look up the analyst role", &e))?
        .get(0))
}

async fn applied_versions(client: &impl GenericClient) -> anyhow::Result<Vec<i32>> {
    Ok(client
        .query("SELECT version FROM schema_migrations", &[])
        .await
        .map_err(|e| failed("Failed to read schema_migrations", &e))?
        .iter()
        .map(|row| row.get(0))
        .collect())
}

fn missing_versions(applied: &[i32]) -> Vec<i32> {
    MIGRATIONS
        .iter()
        .map(|m| m.version)
        .filter(|version| !applied.contains(version))
        .collect()
}

impl Migration {
    /// Names the migration that failed, and the line of its file the server pointed at.
    fn failure(&self, error: &tokio_postgres::Error) -> String {
        let file = format!("V{}__{}.sql", self.version, self.name);
        let line = error.as_db_error().and_then(|db| match db.position()? {
            ErrorPosition::Original(at) => {
                let before = usize::try_from(*at).ok()?.saturating_sub(1);
                Some(self.sql.chars().take(before).filter(|&c| c == '\n').count() + 1)
            }
            ErrorPosition::Internal { .. } => None,
        });
        match line {
            Some(line) => format!(
                "Failed to apply migration V{}__{} (line {line} of sql/migrations/{file})",
                self.version, self.name
            ),
            None => format!("Failed to apply migration V{}__{}", self.version, self.name),
        }
    }
}

/// `error` as the cause of `what`, described in full.
fn failed(what: impl Into<String>, error: &tokio_postgres::Error) -> anyhow::Error {
    anyhow::Error::msg(describe_db_error(error)).context(what.into())
}

/// What PostgreSQL said about a failed statement: severity, SQLSTATE and message, then its
/// detail, hint and context when it gave them. `tokio_postgres::Error` displays only "db
/// error" and keeps the rest behind `as_db_error()`; an error that did not come from the server
/// (a lost connection, say) is described by its chain of causes.
pub fn describe_db_error(error: &tokio_postgres::Error) -> String {
    let Some(db) = error.as_db_error() else {
        let mut text = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        return text;
    };
    let mut text = format!("{} {}: {}", db.severity(), db.code().code(), db.message());
    for (label, value) in [
        ("DETAIL", db.detail()),
        ("HINT", db.hint()),
        ("CONTEXT", db.where_()),
    ] {
        if let Some(value) = value {
            text.push_str(&format!("\n{label}: {value}"));
        }
    }
    text
}

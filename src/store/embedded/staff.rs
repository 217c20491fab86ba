//! Staff accounts, refresh tokens and the audit log.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use super::{EmbeddedStore, format_ts, parse_ts};
use crate::auth::{AuditEntry, StaffAccount};
use crate::store::rows::{self, ACCOUNT_COLUMNS};
use crate::store::{AuditLogStore, StaffStore, StoreError};

#[async_trait]
impl StaffStore for EmbeddedStore {
    async fn create_staff_account(&self, account: &StaffAccount) -> Result<(), StoreError> {
        let account = account.clone();
        self.write(move |c| {
            c.execute(
                "INSERT INTO staff_accounts (id, name, role, password_hash, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    account.id.to_string(),
                    account.name,
                    account.role.as_str(),
                    account.password_hash,
                    format_ts(account.created_at)
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn staff_account_by_name(&self, name: &str) -> Result<Option<StaffAccount>, StoreError> {
        self.staff_account_where("name", name.to_owned()).await
    }

    async fn staff_account(&self, id: Uuid) -> Result<Option<StaffAccount>, StoreError> {
        self.staff_account_where("id", id.to_string()).await
    }

    async fn save_refresh_token(
        &self,
        digest: &str,
        account: Uuid,
        issued_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let digest = digest.to_owned();
        self.write(move |c| {
            c.execute(
                "INSERT INTO refresh_tokens (digest, account_id, issued_at, expires_at) \
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    digest,
                    account.to_string(),
                    format_ts(issued_at),
                    format_ts(expires_at)
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn spend_refresh_token(
        &self,
        digest: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Uuid>, StoreError> {
        let digest = digest.to_owned();
        self.write(move |c| {
            let account: Option<String> = c
                .query_row(
                    "UPDATE refresh_tokens SET revoked_at = ?2 WHERE digest = ?1 \
                     AND revoked_at IS NULL AND expires_at > ?2 RETURNING account_id",
                    params![digest, format_ts(now)],
                    |r| r.get(0),
                )
                .optional()?;
            account
                .map(|raw| {
                    Uuid::parse_str(&raw).map_err(|e| {
                        StoreError::Other(anyhow::anyhow!("stored account id {raw:?}: {e}"))
                    })
                })
                .transpose()
        })
        .await
    }
}

#[async_trait]
impl AuditLogStore for EmbeddedStore {
    async fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let entry = entry.clone();
        self.write(move |c| {
            c.execute(
                "INSERT INTO audit_log (at, actor, action, target, before, after) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    format_ts(entry.at),
                    entry.actor,
                    entry.action,
                    entry.target,
                    json_text(entry.before.as_ref()),
                    json_text(entry.after.as_ref())
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        self.read(move |c| {
            let mut statement = c.prepare_cached(
                "SELECT at, actor, action, target, before, after FROM audit_log \
                 ORDER BY seq DESC LIMIT ?1",
            )?;
            let rows =
                statement.query_map(params![i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
                    let json = |i: usize| -> rusqlite::Result<Option<serde_json::Value>> {
                        Ok(r.get::<_, Option<String>>(i)?
                            .and_then(|raw| serde_json::from_str(&raw).ok()))
                    };
                    Ok(AuditEntry {
                        at: parse_ts(&r.get::<_, String>(0)?)?,
                        actor: r.get(1)?,
                        action: r.get(2)?,
                        target: r.get(3)?,
                        before: json(4)?,
                        after: json(5)?,
                    })
                })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }
}

impl EmbeddedStore {
    async fn staff_account_where(
        &self,
        column: &'static str,
        value: String,
    ) -> Result<Option<StaffAccount>, StoreError> {
        self.read(move |c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {ACCOUNT_COLUMNS} FROM staff_accounts WHERE {column} = ?1"
            ))?
            .query_row(params![value], |r| rows::staff_account(r))
            .optional()?)
        })
        .await
    }
}

fn json_text(value: Option<&serde_json::Value>) -> Option<String> {
    value.map(serde_json::Value::to_string)
}

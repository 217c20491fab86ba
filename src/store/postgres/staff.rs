//! Staff accounts, refresh tokens and the audit log.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::PostgresStore;
use crate::auth::{AuditEntry, StaffAccount};
use crate::store::rows::{self, ACCOUNT_COLUMNS};
use crate::store::{AuditLogStore, StaffStore, StoreError};

#[async_trait]
impl StaffStore for PostgresStore {
    async fn create_staff_account(&self, account: &StaffAccount) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO staff_accounts (id, name, role, password_hash, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &account.id,
                    &account.name,
                    &account.role.as_str(),
                    &account.password_hash,
                    &account.created_at,
                ],
            )
            .await?;
        Ok(())
    }

    async fn staff_account_by_name(&self, name: &str) -> Result<Option<StaffAccount>, StoreError> {
        self.staff_account_where("name", &name).await
    }

    async fn staff_account(&self, id: Uuid) -> Result<Option<StaffAccount>, StoreError> {
        self.staff_account_where("id", &id).await
    }

    async fn save_refresh_token(
        &self,
        digest: &str,
        account: Uuid,
        issued_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO refresh_tokens (digest, account_id, issued_at, expires_at) \
                 VALUES ($1, $2, $3, $4)",
                &[&digest, &account, &issued_at, &expires_at],
            )
            .await?;
        Ok(())
    }

    async fn spend_refresh_token(
        &self,
        digest: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Uuid>, StoreError> {
        let client = self.client().await?;
        Ok(client
            .query_opt(
                "UPDATE refresh_tokens SET revoked_at = $2 WHERE digest = $1 \
                 AND revoked_at IS NULL AND expires_at > $2 RETURNING account_id",
                &[&digest, &now],
            )
            .await?
            .map(|row| row.get(0)))
    }
}

#[async_trait]
impl AuditLogStore for PostgresStore {
    async fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO audit_log (at, actor, action, target, before, after) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &entry.at,
                    &entry.actor,
                    &entry.action,
                    &entry.target,
                    &entry.before,
                    &entry.after,
                ],
            )
            .await?;
        Ok(())
    }

    async fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT at, actor, action, target, before, after FROM audit_log \
                 ORDER BY seq DESC LIMIT $1",
                &[&i64::try_from(limit).unwrap_or(i64::MAX)],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|row| AuditEntry {
                at: row.get(0),
                actor: row.get(1),
                action: row.get(2),
                target: row.get(3),
                before: row.get(4),
                after: row.get(5),
            })
            .collect())
    }
}

impl PostgresStore {
    async fn staff_account_where(
        &self,
        condition: &str,
        value: &(dyn tokio_postgres::types::ToSql + Sync),
    ) -> Result<Option<StaffAccount>, StoreError> {
        let client = self.client().await?;
        client
            .query_opt(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM staff_accounts WHERE {condition} = $1"),
                &[value],
            )
            .await?
            .as_ref()
            .map(rows::staff_account)
            .transpose()
    }
}

//! Staff accounts, refresh tokens and the audit log in PostgreSQL.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::PostgresStore;
use crate::auth::{ApiKey, AuditEntry, StaffAccount};
use crate::domain::strikes::Strike;
use crate::domain::{Booking, Plate};
use crate::store::rows::{self, ACCOUNT_COLUMNS, API_KEY_COLUMNS, BOOKING_COLUMNS, STRIKE_COLUMNS};
use crate::store::{AnswerRecord, StoreError};

impl PostgresStore {
    pub(super) async fn pg_create_staff_account(
        &self,
        account: &StaffAccount,
    ) -> Result<(), StoreError> {
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

    pub(super) async fn pg_staff_account_where(
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

    pub(super) async fn pg_save_refresh_token(
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

    pub(super) async fn pg_spend_refresh_token(
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

    pub(super) async fn pg_append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
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

    pub(super) async fn pg_audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
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

fn positive(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX).max(1)
}

impl PostgresStore {
    pub(super) async fn pg_create_api_key(
        &self,
        key: &ApiKey,
        answer: Option<&AnswerRecord>,
    ) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute(
            "INSERT INTO api_keys (id, name, digest, privileged, requests_per_second, burst, \
                 active_bookings_max, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &key.id,
                &key.name,
                &key.digest,
                &key.privileged,
                &positive(key.requests_per_second),
                &positive(key.burst),
                &positive(key.active_bookings_max),
                &key.created_at,
            ],
        )
        .await?;
        super::batch_write::insert_answers(&tx, answer.as_slice()).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn pg_api_keys(&self, id: Option<Uuid>) -> Result<Vec<ApiKey>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {API_KEY_COLUMNS} FROM api_keys WHERE $1::uuid IS NULL OR id = $1 \
                     ORDER BY created_at DESC, id"
                ),
                &[&id],
            )
            .await?;
        rows.iter().map(rows::api_key).collect()
    }

    pub(super) async fn pg_revoke_api_key(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let changed = client
            .execute(
                "UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                &[&id, &now],
            )
            .await?;
        Ok(changed == 1)
    }

    pub(super) async fn pg_carrier_bookings(
        &self,
        carrier: Uuid,
    ) -> Result<Vec<Booking>, StoreError> {
        let client = self.client().await?;
        client
            .query(
                &format!(
                    "SELECT {BOOKING_COLUMNS} FROM bookings b WHERE b.carrier_key_id = $1 \
                     AND b.status IN ('held', 'confirmed', 'arrived') ORDER BY b.window_start, b.id"
                ),
                &[&carrier],
            )
            .await?
            .iter()
            .map(rows::booking)
            .collect()
    }
}

impl PostgresStore {
    pub(super) async fn pg_record_strike(
        &self,
        event_id: Uuid,
        strike: &Strike,
    ) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let inserted = client
            .execute(
                "INSERT INTO plate_strikes (event_id, plate, kind, at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT DO NOTHING",
                &[
                    &event_id,
                    &strike.plate.as_str(),
                    &strike.kind.as_str(),
                    &strike.at,
                ],
            )
            .await?;
        Ok(inserted == 1)
    }

    pub(super) async fn pg_strikes_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<Strike>, StoreError> {
        let client = self.client().await?;
        client
            .query(
                &format!(
                    "SELECT {STRIKE_COLUMNS} FROM plate_strikes WHERE at >= $1 ORDER BY at, event_id"
                ),
                &[&since],
            )
            .await?
            .iter()
            .map(rows::strike)
            .collect()
    }

    pub(super) async fn pg_bar_lifts(&self) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
        let client = self.client().await?;
        Ok(client
            .query("SELECT plate, lifted_at FROM bar_lifts", &[])
            .await?
            .iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect())
    }

    pub(super) async fn pg_lift_bar(
        &self,
        plate: &Plate,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO bar_lifts (plate, lifted_at, lifted_by) VALUES ($1, $2, $3) \
                 ON CONFLICT (plate) DO UPDATE SET lifted_at = EXCLUDED.lifted_at, \
                 lifted_by = EXCLUDED.lifted_by",
                &[&plate.as_str(), &at, &by],
            )
            .await?;
        Ok(())
    }
}

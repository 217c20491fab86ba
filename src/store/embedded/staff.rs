//! Staff accounts, refresh tokens and the audit log in the embedded store.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use super::{EmbeddedStore, format_ts, parse_ts};
use crate::auth::{ApiKey, AuditEntry, StaffAccount};
use crate::domain::strikes::Strike;
use crate::domain::{Booking, Plate};
use crate::store::rows::{self, ACCOUNT_COLUMNS, API_KEY_COLUMNS, BOOKING_COLUMNS, STRIKE_COLUMNS};
use crate::store::{AnswerRecord, StoreError};

fn json_text(value: Option<&serde_json::Value>) -> Option<String> {
    value.map(serde_json::Value::to_string)
}

impl EmbeddedStore {
    pub(super) async fn sqlite_create_staff_account(
        &self,
        account: &StaffAccount,
    ) -> Result<(), StoreError> {
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

    pub(super) async fn sqlite_staff_account_where(
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

    pub(super) async fn sqlite_save_refresh_token(
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

    pub(super) async fn sqlite_spend_refresh_token(
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

    pub(super) async fn sqlite_append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
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

    pub(super) async fn sqlite_audit_log(
        &self,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
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
    pub(super) async fn sqlite_create_api_key(
        &self,
        key: &ApiKey,
        answer: Option<&AnswerRecord>,
    ) -> Result<(), StoreError> {
        let (key, answer) = (key.clone(), answer.cloned());
        self.write(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "INSERT INTO api_keys (id, name, digest, privileged, requests_per_second, burst, \
                 active_bookings_max, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    key.id.to_string(),
                    key.name,
                    key.digest,
                    key.privileged,
                    key.requests_per_second.max(1),
                    key.burst.max(1),
                    key.active_bookings_max.max(1),
                    format_ts(key.created_at)
                ],
            )?;
            super::batch_write::insert_answers(&tx, answer.as_ref().as_slice())?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    pub(super) async fn sqlite_api_keys(
        &self,
        id: Option<Uuid>,
    ) -> Result<Vec<ApiKey>, StoreError> {
        self.read(move |c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {API_KEY_COLUMNS} FROM api_keys WHERE ?1 IS NULL OR id = ?1 \
                 ORDER BY created_at DESC, id"
            ))?;
            let rows =
                statement.query_map(params![id.map(|id| id.to_string())], |r| rows::api_key(r))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    pub(super) async fn sqlite_revoke_api_key(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.write(move |c| {
            let changed = c.execute(
                "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                params![id.to_string(), format_ts(now)],
            )?;
            Ok(changed == 1)
        })
        .await
    }

    pub(super) async fn sqlite_carrier_bookings(
        &self,
        carrier: Uuid,
    ) -> Result<Vec<Booking>, StoreError> {
        self.read(move |c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {BOOKING_COLUMNS} FROM bookings b WHERE b.carrier_key_id = ?1 \
                 AND b.status IN ('held', 'confirmed', 'arrived') ORDER BY b.window_start, b.id"
            ))?;
            let rows = statement.query_map(params![carrier.to_string()], |r| rows::booking(r))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }
}

impl EmbeddedStore {
    pub(super) async fn sqlite_record_strike(
        &self,
        event_id: Uuid,
        strike: &Strike,
    ) -> Result<bool, StoreError> {
        let strike = strike.clone();
        self.write(move |c| {
            let inserted = c.execute(
                "INSERT INTO plate_strikes (event_id, plate, kind, at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT DO NOTHING",
                params![
                    event_id.to_string(),
                    strike.plate.as_str(),
                    strike.kind.as_str(),
                    format_ts(strike.at)
                ],
            )?;
            Ok(inserted == 1)
        })
        .await
    }

    pub(super) async fn sqlite_strikes_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<Strike>, StoreError> {
        self.read(move |c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {STRIKE_COLUMNS} FROM plate_strikes WHERE at >= ?1 ORDER BY at, event_id"
            ))?;
            let strikes = statement
                .query_map(params![format_ts(since)], |r| rows::strike(r))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(strikes)
        })
        .await
    }

    pub(super) async fn sqlite_bar_lifts(
        &self,
    ) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
        self.read(|c| {
            let mut statement = c.prepare_cached("SELECT plate, lifted_at FROM bar_lifts")?;
            let rows = statement.query_map([], |r| {
                Ok((r.get::<_, String>(0)?, parse_ts(&r.get::<_, String>(1)?)?))
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    pub(super) async fn sqlite_lift_bar(
        &self,
        plate: &Plate,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<(), StoreError> {
        let (plate, by) = (plate.as_str().to_owned(), by.to_owned());
        self.write(move |c| {
            c.execute(
                "INSERT INTO bar_lifts (plate, lifted_at, lifted_by) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (plate) DO UPDATE SET lifted_at = excluded.lifted_at, \
                 lifted_by = excluded.lifted_by",
                params![plate, format_ts(at), by],
            )?;
            Ok(())
        })
        .await
    }
}

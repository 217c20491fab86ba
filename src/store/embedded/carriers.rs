//! Carriers' API keys and the bookings made with them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::params;
use uuid::Uuid;

use super::{EmbeddedStore, format_ts};
use crate::auth::ApiKey;
use crate::domain::Booking;
use crate::store::rows::{self, API_KEY_COLUMNS, BOOKING_COLUMNS};
use crate::store::statements::ACTIVE_CARRIER_BOOKINGS_COUNT;
use crate::store::{AnswerRecord, CarrierStore, StoreError};

#[async_trait]
impl CarrierStore for EmbeddedStore {
    async fn create_api_key(
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

    async fn api_key(&self, id: Uuid) -> Result<Option<ApiKey>, StoreError> {
        Ok(self.api_keys_where(Some(id)).await?.pop())
    }

    async fn api_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        self.api_keys_where(None).await
    }

    async fn revoke_api_key(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError> {
        self.write(move |c| {
            let changed = c.execute(
                "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                params![id.to_string(), format_ts(now)],
            )?;
            Ok(changed == 1)
        })
        .await
    }

    async fn carrier_bookings(&self, carrier: Uuid) -> Result<Vec<Booking>, StoreError> {
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

    async fn count_carrier_bookings(&self, carrier: Uuid) -> Result<u64, StoreError> {
        self.read(move |c| {
            let count: i64 = c
                .prepare_cached(ACTIVE_CARRIER_BOOKINGS_COUNT)?
                .query_row(params![carrier.to_string()], |r| r.get(0))?;
            Ok(u64::try_from(count).unwrap_or(0))
        })
        .await
    }
}

impl EmbeddedStore {
    async fn api_keys_where(&self, id: Option<Uuid>) -> Result<Vec<ApiKey>, StoreError> {
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
}

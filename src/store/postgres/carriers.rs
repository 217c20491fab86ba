//! Carriers' API keys and the bookings made with them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::PostgresStore;
use crate::auth::ApiKey;
use crate::domain::Booking;
use crate::store::rows::{self, API_KEY_COLUMNS, BOOKING_COLUMNS};
use crate::store::statements::ACTIVE_CARRIER_BOOKINGS_COUNT;
use crate::store::{AnswerRecord, CarrierStore, StoreError};

#[async_trait]
impl CarrierStore for PostgresStore {
    async fn create_api_key(
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
        super::batch_write::insert_answer(&tx, answer).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn api_key(&self, id: Uuid) -> Result<Option<ApiKey>, StoreError> {
        Ok(self.api_keys_where(Some(id)).await?.pop())
    }

    async fn api_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        self.api_keys_where(None).await
    }

    async fn revoke_api_key(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let changed = client
            .execute(
                "UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                &[&id, &now],
            )
            .await?;
        Ok(changed == 1)
    }

    async fn carrier_bookings(&self, carrier: Uuid) -> Result<Vec<Booking>, StoreError> {
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

    async fn count_carrier_bookings(&self, carrier: Uuid) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let statement = client.prepare_cached(ACTIVE_CARRIER_BOOKINGS_COUNT).await?;
        let count: i64 = client.query_one(&statement, &[&carrier]).await?.get(0);
        Ok(u64::try_from(count).unwrap_or(0))
    }
}

impl PostgresStore {
    async fn api_keys_where(&self, id: Option<Uuid>) -> Result<Vec<ApiKey>, StoreError> {
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
}

fn positive(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX).max(1)
}

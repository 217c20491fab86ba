//! Strikes against plates and the bars admins lift.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::PostgresStore;
use crate::domain::Plate;
use crate::domain::strikes::Strike;
use crate::store::rows::{self, STRIKE_COLUMNS};
use crate::store::{StoreError, StrikeStore};

#[async_trait]
impl StrikeStore for PostgresStore {
    async fn record_strike(&self, event_id: Uuid, strike: &Strike) -> Result<bool, StoreError> {
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

    async fn strikes_since(&self, since: DateTime<Utc>) -> Result<Vec<Strike>, StoreError> {
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

    async fn bar_lifts(&self) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
        let client = self.client().await?;
        Ok(client
            .query("SELECT plate, lifted_at FROM bar_lifts", &[])
            .await?
            .iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect())
    }

    async fn lift_bar(&self, plate: &Plate, at: DateTime<Utc>, by: &str) -> Result<(), StoreError> {
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

//! Bookings' owners among the people signed in through the OpenID Connect provider.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::PostgresStore;
use crate::domain::{Booking, BookingId};
use crate::store::rows::{self, BOOKING_COLUMNS};
use crate::store::statements::RECORD_OWNER;
use crate::store::{AccountStore, BookingOwner, StoreError};

#[async_trait]
impl AccountStore for PostgresStore {
    async fn claim_booking(
        &self,
        booking: BookingId,
        subject: &str,
        organisation: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute(RECORD_OWNER, &[&booking.0, &subject, &organisation, &at])
            .await?;
        Ok(())
    }

    async fn booking_owner(&self, booking: BookingId) -> Result<BookingOwner, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT c.subject, COALESCE(c.organisation, k.name) FROM bookings b \
                 LEFT JOIN booking_claims c ON c.booking_id = b.id \
                 LEFT JOIN api_keys k ON k.id = b.carrier_key_id WHERE b.id = $1",
                &[&booking.0],
            )
            .await?;
        Ok(row.map_or_else(BookingOwner::default, |row| BookingOwner {
            subject: row.get(0),
            organisation: row.get(1),
        }))
    }

    async fn account_bookings(
        &self,
        subject: &str,
        organisation: Option<&str>,
    ) -> Result<Vec<Booking>, StoreError> {
        let client = self.client().await?;
        client
            .query(
                &format!(
                    "SELECT {BOOKING_COLUMNS} FROM bookings b \
                     LEFT JOIN booking_claims c ON c.booking_id = b.id \
                     LEFT JOIN api_keys k ON k.id = b.carrier_key_id \
                     WHERE (c.subject = $1 OR ($2::text IS NOT NULL \
                            AND COALESCE(c.organisation, k.name) = $2)) \
                       AND b.status IN ('held', 'confirmed', 'arrived') \
                     ORDER BY b.window_start, b.id"
                ),
                &[&subject, &organisation],
            )
            .await?
            .iter()
            .map(rows::booking)
            .collect()
    }
}

//! Bookings' owners among the people signed in through the OpenID Connect provider.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{EmbeddedStore, format_ts};
use crate::domain::{Booking, BookingId};
use crate::store::rows::{self, BOOKING_COLUMNS};
use crate::store::statements::RECORD_OWNER;
use crate::store::{AccountStore, BookingOwner, StoreError};

#[async_trait]
impl AccountStore for EmbeddedStore {
    async fn claim_booking(
        &self,
        booking: BookingId,
        subject: &str,
        organisation: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (subject, organisation) = (subject.to_owned(), organisation.map(str::to_owned));
        self.write(move |c| {
            c.execute(
                RECORD_OWNER,
                params![booking.0.to_string(), subject, organisation, format_ts(at)],
            )?;
            Ok(())
        })
        .await
    }

    async fn booking_owner(&self, booking: BookingId) -> Result<BookingOwner, StoreError> {
        self.read(move |c| {
            let owner = c
                .prepare_cached(
                    "SELECT c.subject, COALESCE(c.organisation, k.name) FROM bookings b \
                     LEFT JOIN booking_claims c ON c.booking_id = b.id \
                     LEFT JOIN api_keys k ON k.id = b.carrier_key_id WHERE b.id = ?1",
                )?
                .query_row(params![booking.0.to_string()], |r| {
                    Ok(BookingOwner {
                        subject: r.get(0)?,
                        organisation: r.get(1)?,
                    })
                })
                .optional()?;
            Ok(owner.unwrap_or_default())
        })
        .await
    }

    async fn account_bookings(
        &self,
        subject: &str,
        organisation: Option<&str>,
    ) -> Result<Vec<Booking>, StoreError> {
        let (subject, organisation) = (subject.to_owned(), organisation.map(str::to_owned));
        self.read(move |c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {BOOKING_COLUMNS} FROM bookings b \
                 LEFT JOIN booking_claims c ON c.booking_id = b.id \
                 LEFT JOIN api_keys k ON k.id = b.carrier_key_id \
                 WHERE (c.subject = ?1 OR (?2 IS NOT NULL \
                        AND COALESCE(c.organisation, k.name) = ?2)) \
                   AND b.status IN ('held', 'confirmed', 'arrived') \
                 ORDER BY b.window_start, b.id"
            ))?;
            let rows = statement.query_map(params![subject, organisation], |r| rows::booking(r))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }
}

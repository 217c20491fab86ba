//! Strikes against plates and the bars admins lift.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::params;
use uuid::Uuid;

use super::{EmbeddedStore, format_ts, parse_ts};
use crate::domain::Plate;
use crate::domain::strikes::Strike;
use crate::store::rows::{self, STRIKE_COLUMNS};
use crate::store::{StoreError, StrikeStore};

#[async_trait]
impl StrikeStore for EmbeddedStore {
    async fn record_strike(&self, event_id: Uuid, strike: &Strike) -> Result<bool, StoreError> {
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

    async fn strikes_since(&self, since: DateTime<Utc>) -> Result<Vec<Strike>, StoreError> {
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

    async fn bar_lifts(&self) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
        self.read(|c| {
            let mut statement = c.prepare_cached("SELECT plate, lifted_at FROM bar_lifts")?;
            let rows = statement.query_map([], |r| {
                Ok((r.get::<_, String>(0)?, parse_ts(&r.get::<_, String>(1)?)?))
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn lift_bar(&self, plate: &Plate, at: DateTime<Utc>, by: &str) -> Result<(), StoreError> {
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

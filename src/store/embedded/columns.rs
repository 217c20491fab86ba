//! SQLite rows as [`Columns`]: ids, times and days are stored as text.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::Row;
use rusqlite::types::Type;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::parse_ts;
use crate::store::rows::{Columns, Unreadable};

impl From<Unreadable> for rusqlite::Error {
    fn from(error: Unreadable) -> Self {
        rusqlite::Error::FromSqlConversionFailure(error.column, Type::Text, Box::new(error))
    }
}

fn parse_uuid(raw: String, column: usize) -> rusqlite::Result<Uuid> {
    Uuid::parse_str(&raw).map_err(|e| {
        Unreadable {
            column,
            what: "id",
            reason: e.to_string(),
            raw,
        }
        .into()
    })
}

impl Columns for Row<'_> {
    type Error = rusqlite::Error;

    fn text(&self, column: usize) -> rusqlite::Result<String> {
        self.get(column)
    }
    fn opt_text(&self, column: usize) -> rusqlite::Result<Option<String>> {
        self.get(column)
    }
    fn uuid(&self, column: usize) -> rusqlite::Result<Uuid> {
        parse_uuid(self.get(column)?, column)
    }
    fn opt_uuid(&self, column: usize) -> rusqlite::Result<Option<Uuid>> {
        self.get::<_, Option<String>>(column)?
            .map(|raw| parse_uuid(raw, column))
            .transpose()
    }
    fn time(&self, column: usize) -> rusqlite::Result<DateTime<Utc>> {
        parse_ts(&self.get::<_, String>(column)?)
    }
    fn opt_time(&self, column: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
        self.get::<_, Option<String>>(column)?
            .map(|raw| parse_ts(&raw))
            .transpose()
    }
    fn date(&self, column: usize) -> rusqlite::Result<NaiveDate> {
        let raw: String = self.get(column)?;
        raw.parse().map_err(|e: chrono::ParseError| {
            Unreadable {
                column,
                what: "day",
                reason: e.to_string(),
                raw,
            }
            .into()
        })
    }
    fn int(&self, column: usize) -> rusqlite::Result<i64> {
        self.get(column)
    }
    fn flag(&self, column: usize) -> rusqlite::Result<bool> {
        self.get(column)
    }
    fn json<T: DeserializeOwned>(&self, column: usize) -> rusqlite::Result<T> {
        let raw: String = self.get(column)?;
        serde_json::from_str(&raw).map_err(|e| {
            Unreadable {
                column,
                what: "document",
                reason: e.to_string(),
                raw,
            }
            .into()
        })
    }
}

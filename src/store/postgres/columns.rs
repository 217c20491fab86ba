//! PostgreSQL rows as [`Columns`]: values arrive in their native types.

use chrono::{DateTime, NaiveDate, Utc};
use serde::de::DeserializeOwned;
use tokio_postgres::Row;
use tokio_postgres::types::{FromSql, Type};
use uuid::Uuid;

use crate::store::StoreError;
use crate::store::rows::{Columns, Unreadable};

impl From<Unreadable> for StoreError {
    fn from(error: Unreadable) -> Self {
        StoreError::Other(error.into())
    }
}

fn get<'a, T: FromSql<'a>>(row: &'a Row, column: usize) -> Result<T, StoreError> {
    row.try_get(column).map_err(StoreError::from)
}

impl Columns for Row {
    type Error = StoreError;

    fn text(&self, column: usize) -> Result<String, StoreError> {
        get(self, column)
    }
    fn opt_text(&self, column: usize) -> Result<Option<String>, StoreError> {
        get(self, column)
    }
    fn uuid(&self, column: usize) -> Result<Uuid, StoreError> {
        get(self, column)
    }
    fn opt_uuid(&self, column: usize) -> Result<Option<Uuid>, StoreError> {
        get(self, column)
    }
    fn time(&self, column: usize) -> Result<DateTime<Utc>, StoreError> {
        get(self, column)
    }
    fn opt_time(&self, column: usize) -> Result<Option<DateTime<Utc>>, StoreError> {
        get(self, column)
    }
    fn date(&self, column: usize) -> Result<NaiveDate, StoreError> {
        get(self, column)
    }
    fn int(&self, column: usize) -> Result<i64, StoreError> {
        match *self.columns()[column].type_() {
            Type::INT2 => get::<i16>(self, column).map(i64::from),
            Type::INT4 => get::<i32>(self, column).map(i64::from),
            _ => get(self, column),
        }
    }
    fn flag(&self, column: usize) -> Result<bool, StoreError> {
        get(self, column)
    }
    fn json<T: DeserializeOwned>(&self, column: usize) -> Result<T, StoreError> {
        let value: serde_json::Value = get(self, column)?;
        T::deserialize(&value).map_err(|e| {
            Unreadable {
                column,
                what: "document",
                raw: value.to_string(),
                reason: e.to_string(),
            }
            .into()
        })
    }
}

//! Leases on periodic jobs.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use super::{EmbeddedStore, format_ts};
use crate::store::statements::TAKE_JOB_LEASE;
use crate::store::{LeaseStore, StoreError};

#[async_trait]
impl LeaseStore for EmbeddedStore {
    async fn take_job_lease(
        &self,
        job: &str,
        holder: Uuid,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let job = job.to_owned();
        self.write(move |c| {
            let taken = c
                .prepare_cached(TAKE_JOB_LEASE)?
                .query_row(
                    params![job, holder.to_string(), format_ts(until), format_ts(now)],
                    |_| Ok(()),
                )
                .optional()?;
            Ok(taken.is_some())
        })
        .await
    }
}

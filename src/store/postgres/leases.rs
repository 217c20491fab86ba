//! Leases on periodic jobs.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::PostgresStore;
use crate::store::statements::TAKE_JOB_LEASE;
use crate::store::{LeaseStore, StoreError};

#[async_trait]
impl LeaseStore for PostgresStore {
    async fn take_job_lease(
        &self,
        job: &str,
        holder: Uuid,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let statement = client.prepare_cached(TAKE_JOB_LEASE).await?;
        let taken = client
            .query_opt(&statement, &[&job, &holder, &until, &now])
            .await?;
        Ok(taken.is_some())
    }
}

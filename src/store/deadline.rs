//! A store whose calls answer within a bound, whether or not the database does.
//!
//! A database that is frozen (a stopped process, a host that vanished without closing its
//! sockets, a failover in progress) keeps a query waiting until TCP gives up, minutes later.
//! Every request that touches the store would wait as long. Wrapped in [`Deadline`], a call
//! that has no answer within the bound is abandoned and reported as
//! [`StoreError::Unavailable`]: nothing it did is committed (each call is one statement or one
//! transaction, and tokio-postgres rolls back a transaction whose future is dropped), so the
//! caller may answer `503` and the client retry.
//!
//! Not bounded here:
//! - `commit`, whose time up to COMMIT the PostgreSQL store bounds itself, and whose COMMIT
//!   must never be abandoned: a cancelled wait for the synchronous standby still commits, so a
//!   batch reported as failed would be stored;
//! - the bulk work of jobs and reports (`audit`, the prunes, statistics over ranges of days),
//!   which may take long on a large database, runs off the request path, and is held to the
//!   server-side `statement_timeout` instead.

use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::{
    AccountStore, AnswerRecord, AnswerStore, AuditLogStore, AuditReport, BookingOwner,
    CarrierStore, CommitBatch, DayRecord, DrawStore, Entering, LeaseStore, OutboxEntry,
    OutboxStore, ProcessedEvent, RelayLease, ScheduleStore, StaffStore, StatisticsStore,
    StoreError, StrikeStore,
};
use crate::auth::{ApiKey, AuditEntry, StaffAccount};
use crate::domain::draw::{DayDraw, DrawEntry, DrawTimes};
use crate::domain::statistics::{HourlyCount, StatisticsDelta, WindowTotals};
use crate::domain::strikes::Strike;
use crate::domain::{
    Booking, BookingCode, BookingId, Category, Checkpoint, CheckpointId, DomainEvent, Plate,
    SlotWindow,
};

/// `inner`, with every call on the request path answered within `limit`.
pub struct Deadline<S> {
    inner: S,
    limit: Duration,
}

impl<S> Deadline<S> {
    pub fn new(inner: S, limit: Duration) -> Self {
        Self { inner, limit }
    }

    async fn within<T>(
        &self,
        call: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(self.limit, call).await {
            Ok(result) => result,
            Err(_) => {
                crate::metrics::record_store_deadline_missed();
                Err(StoreError::Unavailable(anyhow::anyhow!(
                    "no answer from the database within {:?}",
                    self.limit
                )))
            }
        }
    }
}

#[async_trait]
impl<S: ScheduleStore> ScheduleStore for Deadline<S> {
    async fn ping(&self) -> Result<(), StoreError> {
        self.within(self.inner.ping()).await
    }

    async fn checkpoints(&self) -> Result<Vec<Checkpoint>, StoreError> {
        self.within(self.inner.checkpoints()).await
    }

    async fn upsert_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        self.within(self.inner.upsert_checkpoint(checkpoint)).await
    }

    async fn ensure_windows(
        &self,
        checkpoint: &CheckpointId,
        day: NaiveDate,
        windows: &[SlotWindow],
    ) -> Result<(), StoreError> {
        self.within(self.inner.ensure_windows(checkpoint, day, windows))
            .await
    }

    async fn load_day(
        &self,
        checkpoint: &CheckpointId,
        day: NaiveDate,
    ) -> Result<DayRecord, StoreError> {
        self.within(self.inner.load_day(checkpoint, day)).await
    }

    async fn commit(&self, batch: CommitBatch) -> Result<(), StoreError> {
        self.inner.commit(batch).await
    }

    async fn commit_chained(
        &self,
        batch: CommitBatch,
        chain: super::Chain,
    ) -> Result<(), StoreError> {
        self.inner.commit_chained(batch, chain).await
    }

    async fn find_booking(&self, code: &BookingCode) -> Result<Option<Booking>, StoreError> {
        self.within(self.inner.find_booking(code)).await
    }

    async fn find_waitlist_entry(
        &self,
        id: crate::domain::WaitlistId,
    ) -> Result<Option<crate::domain::WaitlistEntry>, StoreError> {
        self.within(self.inner.find_waitlist_entry(id)).await
    }

    async fn confirmed_starting_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Booking>, StoreError> {
        self.within(self.inner.confirmed_starting_between(from, to))
            .await
    }

    async fn audit(&self) -> Result<AuditReport, StoreError> {
        self.inner.audit().await
    }
}

#[async_trait]
impl<S: AnswerStore> AnswerStore for Deadline<S> {
    async fn stored_answer(
        &self,
        scope: &str,
        key: &str,
    ) -> Result<Option<AnswerRecord>, StoreError> {
        self.within(self.inner.stored_answer(scope, key)).await
    }

    async fn idempotency_prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        self.inner.idempotency_prune(before).await
    }
}

#[async_trait]
impl<S: OutboxStore> OutboxStore for Deadline<S> {
    async fn outbox_pending(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
        self.within(self.inner.outbox_pending(limit)).await
    }

    async fn lock_relay(&self) -> Result<Option<RelayLease>, StoreError> {
        self.within(self.inner.lock_relay()).await
    }

    async fn prune_delivered(
        &self,
        published_before: DateTime<Utc>,
        processed_before: DateTime<Utc>,
        limit: usize,
    ) -> Result<u64, StoreError> {
        self.inner
            .prune_delivered(published_before, processed_before, limit)
            .await
    }

    async fn outbox_backlog(&self) -> Result<(u64, Option<DateTime<Utc>>), StoreError> {
        self.within(self.inner.outbox_backlog()).await
    }

    async fn outbox_mark_published(
        &self,
        seqs: &[i64],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.within(self.inner.outbox_mark_published(seqs, at))
            .await
    }

    async fn record_processed(
        &self,
        consumer: &str,
        events: &[ProcessedEvent],
        at: DateTime<Utc>,
    ) -> Result<Vec<bool>, StoreError> {
        self.within(self.inner.record_processed(consumer, events, at))
            .await
    }

    async fn is_processed(&self, consumer: &str, event_id: Uuid) -> Result<bool, StoreError> {
        self.within(self.inner.is_processed(consumer, event_id))
            .await
    }
}

#[async_trait]
impl<S: StatisticsStore> StatisticsStore for Deadline<S> {
    async fn statistics(
        &self,
        checkpoint: &CheckpointId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<StatisticsDelta>, StoreError> {
        self.inner.statistics(checkpoint, from, to).await
    }

    async fn upsert_statistics(&self, rows: &[StatisticsDelta]) -> Result<(), StoreError> {
        self.inner.upsert_statistics(rows).await
    }

    async fn confirmations_by_hour(
        &self,
        checkpoint: &CheckpointId,
        from: NaiveDate,
        to: NaiveDate,
        category: Option<Category>,
    ) -> Result<Vec<HourlyCount>, StoreError> {
        self.inner
            .confirmations_by_hour(checkpoint, from, to, category)
            .await
    }

    async fn window_totals(
        &self,
        checkpoint: &CheckpointId,
        day: NaiveDate,
    ) -> Result<Vec<WindowTotals>, StoreError> {
        self.within(self.inner.window_totals(checkpoint, day)).await
    }
}

#[async_trait]
impl<S: StaffStore> StaffStore for Deadline<S> {
    async fn create_staff_account(&self, account: &StaffAccount) -> Result<(), StoreError> {
        self.within(self.inner.create_staff_account(account)).await
    }

    async fn staff_account_by_name(&self, name: &str) -> Result<Option<StaffAccount>, StoreError> {
        self.within(self.inner.staff_account_by_name(name)).await
    }

    async fn staff_account(&self, id: Uuid) -> Result<Option<StaffAccount>, StoreError> {
        self.within(self.inner.staff_account(id)).await
    }

    async fn save_refresh_token(
        &self,
        digest: &str,
        account: Uuid,
        issued_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.within(
            self.inner
                .save_refresh_token(digest, account, issued_at, expires_at),
        )
        .await
    }

    async fn spend_refresh_token(
        &self,
        digest: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Uuid>, StoreError> {
        self.within(self.inner.spend_refresh_token(digest, now))
            .await
    }
}

#[async_trait]
impl<S: AuditLogStore> AuditLogStore for Deadline<S> {
    async fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.within(self.inner.append_audit(entry)).await
    }

    async fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        self.within(self.inner.audit_log(limit)).await
    }
}

#[async_trait]
impl<S: CarrierStore> CarrierStore for Deadline<S> {
    async fn create_api_key(
        &self,
        key: &ApiKey,
        answer: Option<&AnswerRecord>,
    ) -> Result<(), StoreError> {
        self.within(self.inner.create_api_key(key, answer)).await
    }

    async fn api_key(&self, id: Uuid) -> Result<Option<ApiKey>, StoreError> {
        self.within(self.inner.api_key(id)).await
    }

    async fn api_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        self.within(self.inner.api_keys()).await
    }

    async fn revoke_api_key(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError> {
        self.within(self.inner.revoke_api_key(id, now)).await
    }

    async fn carrier_bookings(&self, carrier: Uuid) -> Result<Vec<Booking>, StoreError> {
        self.within(self.inner.carrier_bookings(carrier)).await
    }

    async fn count_carrier_bookings(&self, carrier: Uuid) -> Result<u64, StoreError> {
        self.within(self.inner.count_carrier_bookings(carrier))
            .await
    }
}

#[async_trait]
impl<S: AccountStore> AccountStore for Deadline<S> {
    async fn claim_booking(
        &self,
        booking: BookingId,
        subject: &str,
        organisation: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.within(self.inner.claim_booking(booking, subject, organisation, at))
            .await
    }

    async fn booking_owner(&self, booking: BookingId) -> Result<BookingOwner, StoreError> {
        self.within(self.inner.booking_owner(booking)).await
    }

    async fn account_bookings(
        &self,
        subject: &str,
        organisation: Option<&str>,
    ) -> Result<Vec<Booking>, StoreError> {
        self.within(self.inner.account_bookings(subject, organisation))
            .await
    }
}

#[async_trait]
impl<S: StrikeStore> StrikeStore for Deadline<S> {
    async fn record_strike(&self, event_id: Uuid, strike: &Strike) -> Result<bool, StoreError> {
        self.within(self.inner.record_strike(event_id, strike))
            .await
    }

    async fn strikes_since(&self, since: DateTime<Utc>) -> Result<Vec<Strike>, StoreError> {
        self.within(self.inner.strikes_since(since)).await
    }

    async fn bar_lifts(&self) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
        self.within(self.inner.bar_lifts()).await
    }

    async fn lift_bar(&self, plate: &Plate, at: DateTime<Utc>, by: &str) -> Result<(), StoreError> {
        self.within(self.inner.lift_bar(plate, at, by)).await
    }
}

#[async_trait]
impl<S: LeaseStore> LeaseStore for Deadline<S> {
    async fn take_job_lease(
        &self,
        job: &str,
        holder: Uuid,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.within(self.inner.take_job_lease(job, holder, now, until))
            .await
    }
}

#[async_trait]
impl<S: DrawStore> DrawStore for Deadline<S> {
    async fn enter_draw(
        &self,
        entry: &DrawEntry,
        times: &DrawTimes,
        event: &DomainEvent,
        answer: Option<&AnswerRecord>,
    ) -> Result<Entering, StoreError> {
        self.within(self.inner.enter_draw(entry, times, event, answer))
            .await
    }

    async fn draw_entry(&self, id: Uuid) -> Result<Option<(DrawEntry, DayDraw)>, StoreError> {
        self.within(self.inner.draw_entry(id)).await
    }

    async fn day_draw(
        &self,
        checkpoint: &CheckpointId,
        day: NaiveDate,
    ) -> Result<Option<(DayDraw, Vec<DrawEntry>)>, StoreError> {
        self.within(self.inner.day_draw(checkpoint, day)).await
    }

    async fn due_draws(&self, now: DateTime<Utc>) -> Result<Vec<DayDraw>, StoreError> {
        self.within(self.inner.due_draws(now)).await
    }

    async fn closed_draws(
        &self,
        checkpoint: &CheckpointId,
        limit: usize,
    ) -> Result<Vec<DayDraw>, StoreError> {
        self.within(self.inner.closed_draws(checkpoint, limit))
            .await
    }
}

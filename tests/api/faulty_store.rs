//! A `SlotStore` that forwards to a real store and, on a schedule fixed by a seed, fails the
//! way a networked database does: a commit refused before it is applied, a commit applied
//! whose acknowledgement is lost, a slow commit, and a day that cannot be loaded.
//!
//! The wrapper never changes what the inner store holds: a failed commit is either applied in
//! full (lost acknowledgement) or not at all, so the inner store stays the truth a test can
//! compare with. Every other call is forwarded unchanged.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use borderslot::auth::{ApiKey, AuditEntry, StaffAccount};
use borderslot::domain::draw::{DayDraw, DrawEntry, DrawTimes};
use borderslot::domain::statistics::{HourlyCount, StatisticsDelta, WindowTotals};
use borderslot::domain::strikes::Strike;
use borderslot::domain::{
    Booking, BookingCode, BookingId, Category, Checkpoint, CheckpointId, DomainEvent, Plate,
    SlotWindow,
};
use borderslot::store::embedded::EmbeddedStore;
use borderslot::store::{
    AccountStore, AnswerStore, AuditLogStore, BookingOwner, CarrierStore, DrawStore, Entering,
    LeaseStore, OutboxStore, ScheduleStore, StaffStore, StatisticsStore, StrikeStore,
};
use borderslot::store::{
    AnswerRecord, AuditReport, CommitBatch, DayRecord, KeyClaim, OutboxEntry, ProcessedEvent,
    RelayLease, SlotStore, StoreError, StoredResponse,
};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

/// How often each fault strikes, in percent of the calls it can strike.
#[derive(Debug, Clone, Copy)]
pub struct FaultRates {
    /// A commit refused before anything is applied.
    pub commit_refused: u32,
    /// A commit applied whose acknowledgement is lost.
    pub commit_unacknowledged: u32,
    /// A commit that takes a few milliseconds longer, so that requests queue behind it.
    pub commit_delayed: u32,
    /// A day load that fails.
    pub load_refused: u32,
}

impl Default for FaultRates {
    fn default() -> Self {
        Self {
            commit_refused: 10,
            commit_unacknowledged: 10,
            commit_delayed: 15,
            load_refused: 10,
        }
    }
}

/// SplitMix64: a schedule that depends on the seed alone, not on a library's choice of
/// generator, so a seed printed by a failing run replays the same faults later.
struct Schedule(u64);

impl Schedule {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..100`.
    fn percent(&mut self) -> u32 {
        (self.next() % 100) as u32
    }
}

enum CommitFault {
    Refuse,
    LoseAcknowledgement,
    Delay(Duration),
    None,
}

pub struct FaultyStore<S> {
    inner: S,
    rates: FaultRates,
    schedule: Mutex<Schedule>,
    healed: AtomicBool,
    injected: AtomicU64,
}

impl<S: SlotStore> FaultyStore<S> {
    pub fn new(inner: S, seed: u64, rates: FaultRates) -> Self {
        Self {
            inner,
            rates,
            schedule: Mutex::new(Schedule(seed)),
            healed: AtomicBool::new(false),
            injected: AtomicU64::new(0),
        }
    }

    /// The store underneath, which holds exactly what was applied.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Failures injected so far (delays are not failures).
    pub fn injected(&self) -> u64 {
        self.injected.load(Ordering::SeqCst)
    }

    /// Stops injecting faults from now on.
    pub fn heal(&self) {
        self.healed.store(true, Ordering::SeqCst);
    }

    fn draw_commit(&self) -> CommitFault {
        if self.healed.load(Ordering::SeqCst) {
            return CommitFault::None;
        }
        let mut schedule = self.schedule.lock().unwrap();
        let roll = schedule.percent();
        let refused = self.rates.commit_refused;
        let unacknowledged = refused + self.rates.commit_unacknowledged;
        let delayed = unacknowledged + self.rates.commit_delayed;
        if roll < refused {
            CommitFault::Refuse
        } else if roll < unacknowledged {
            CommitFault::LoseAcknowledgement
        } else if roll < delayed {
            CommitFault::Delay(Duration::from_millis(1 + schedule.next() % 5))
        } else {
            CommitFault::None
        }
    }

    fn draw_load_refused(&self) -> bool {
        !self.healed.load(Ordering::SeqCst)
            && self.schedule.lock().unwrap().percent() < self.rates.load_refused
    }

    fn count_failure(&self) {
        self.injected.fetch_add(1, Ordering::SeqCst);
    }
}

#[async_trait]
impl<S: SlotStore> ScheduleStore for FaultyStore<S> {
    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }

    async fn checkpoints(&self) -> Result<Vec<Checkpoint>, StoreError> {
        self.inner.checkpoints().await
    }

    async fn upsert_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        self.inner.upsert_checkpoint(checkpoint).await
    }

    async fn ensure_windows(
        &self,
        checkpoint: &CheckpointId,
        day: NaiveDate,
        windows: &[SlotWindow],
    ) -> Result<(), StoreError> {
        self.inner.ensure_windows(checkpoint, day, windows).await
    }

    async fn load_day(
        &self,
        checkpoint: &CheckpointId,
        day: NaiveDate,
    ) -> Result<DayRecord, StoreError> {
        if self.draw_load_refused() {
            self.count_failure();
            return Err(StoreError::Unavailable(anyhow::anyhow!(
                "injected: the day could not be loaded"
            )));
        }
        self.inner.load_day(checkpoint, day).await
    }

    async fn commit(&self, batch: CommitBatch) -> Result<(), StoreError> {
        match self.draw_commit() {
            CommitFault::Refuse => {
                self.count_failure();
                Err(StoreError::Unavailable(anyhow::anyhow!(
                    "injected: the commit was refused before it was applied"
                )))
            }
            CommitFault::LoseAcknowledgement => {
                self.inner.commit(batch).await?;
                self.count_failure();
                Err(StoreError::OutcomeUnknown(anyhow::anyhow!(
                    "injected: the commit was applied but its acknowledgement was lost"
                )))
            }
            CommitFault::Delay(delay) => {
                tokio::time::sleep(delay).await;
                self.inner.commit(batch).await
            }
            CommitFault::None => self.inner.commit(batch).await,
        }
    }

    async fn find_booking(&self, code: &BookingCode) -> Result<Option<Booking>, StoreError> {
        self.inner.find_booking(code).await
    }

    async fn find_waitlist_entry(
        &self,
        id: borderslot::domain::WaitlistId,
    ) -> Result<Option<borderslot::domain::WaitlistEntry>, StoreError> {
        self.inner.find_waitlist_entry(id).await
    }

    async fn confirmed_starting_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Booking>, StoreError> {
        self.inner.confirmed_starting_between(from, to).await
    }

    async fn audit(&self) -> Result<AuditReport, StoreError> {
        self.inner.audit().await
    }
}

#[async_trait]
impl<S: SlotStore> AnswerStore for FaultyStore<S> {
    async fn stored_answer(
        &self,
        scope: &str,
        key: &str,
    ) -> Result<Option<AnswerRecord>, StoreError> {
        self.inner.stored_answer(scope, key).await
    }

    async fn idempotency_prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        self.inner.idempotency_prune(before).await
    }
}

#[async_trait]
impl<S: SlotStore> OutboxStore for FaultyStore<S> {
    async fn outbox_pending(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
        self.inner.outbox_pending(limit).await
    }

    async fn lock_relay(&self) -> Result<Option<RelayLease>, StoreError> {
        self.inner.lock_relay().await
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
        self.inner.outbox_backlog().await
    }

    async fn outbox_mark_published(
        &self,
        seqs: &[i64],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.inner.outbox_mark_published(seqs, at).await
    }

    async fn record_processed(
        &self,
        consumer: &str,
        events: &[ProcessedEvent],
        at: DateTime<Utc>,
    ) -> Result<Vec<bool>, StoreError> {
        self.inner.record_processed(consumer, events, at).await
    }

    async fn is_processed(&self, consumer: &str, event_id: Uuid) -> Result<bool, StoreError> {
        self.inner.is_processed(consumer, event_id).await
    }
}

#[async_trait]
impl<S: SlotStore> StatisticsStore for FaultyStore<S> {
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
        self.inner.window_totals(checkpoint, day).await
    }
}

#[async_trait]
impl<S: SlotStore> StaffStore for FaultyStore<S> {
    async fn create_staff_account(&self, account: &StaffAccount) -> Result<(), StoreError> {
        self.inner.create_staff_account(account).await
    }

    async fn staff_account_by_name(&self, name: &str) -> Result<Option<StaffAccount>, StoreError> {
        self.inner.staff_account_by_name(name).await
    }

    async fn staff_account(&self, id: Uuid) -> Result<Option<StaffAccount>, StoreError> {
        self.inner.staff_account(id).await
    }

    async fn save_refresh_token(
        &self,
        digest: &str,
        account: Uuid,
        issued_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.inner
            .save_refresh_token(digest, account, issued_at, expires_at)
            .await
    }

    async fn spend_refresh_token(
        &self,
        digest: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Uuid>, StoreError> {
        self.inner.spend_refresh_token(digest, now).await
    }
}

#[async_trait]
impl<S: SlotStore> AuditLogStore for FaultyStore<S> {
    async fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.inner.append_audit(entry).await
    }

    async fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        self.inner.audit_log(limit).await
    }
}

#[async_trait]
impl<S: SlotStore> AccountStore for FaultyStore<S> {
    async fn claim_booking(
        &self,
        booking: BookingId,
        subject: &str,
        organisation: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.inner
            .claim_booking(booking, subject, organisation, at)
            .await
    }

    async fn booking_owner(&self, booking: BookingId) -> Result<BookingOwner, StoreError> {
        self.inner.booking_owner(booking).await
    }

    async fn account_bookings(
        &self,
        subject: &str,
        organisation: Option<&str>,
    ) -> Result<Vec<Booking>, StoreError> {
        self.inner.account_bookings(subject, organisation).await
    }
}

#[async_trait]
impl<S: SlotStore> CarrierStore for FaultyStore<S> {
    async fn create_api_key(
        &self,
        key: &ApiKey,
        answer: Option<&AnswerRecord>,
    ) -> Result<(), StoreError> {
        self.inner.create_api_key(key, answer).await
    }

    async fn api_key(&self, id: Uuid) -> Result<Option<ApiKey>, StoreError> {
        self.inner.api_key(id).await
    }

    async fn api_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        self.inner.api_keys().await
    }

    async fn revoke_api_key(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError> {
        self.inner.revoke_api_key(id, now).await
    }

    async fn carrier_bookings(&self, carrier: Uuid) -> Result<Vec<Booking>, StoreError> {
        self.inner.carrier_bookings(carrier).await
    }

    async fn count_carrier_bookings(&self, carrier: Uuid) -> Result<u64, StoreError> {
        self.inner.count_carrier_bookings(carrier).await
    }
}

#[async_trait]
impl<S: SlotStore> StrikeStore for FaultyStore<S> {
    async fn record_strike(&self, event_id: Uuid, strike: &Strike) -> Result<bool, StoreError> {
        self.inner.record_strike(event_id, strike).await
    }

    async fn strikes_since(&self, since: DateTime<Utc>) -> Result<Vec<Strike>, StoreError> {
        self.inner.strikes_since(since).await
    }

    async fn bar_lifts(&self) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
        self.inner.bar_lifts().await
    }

    async fn lift_bar(&self, plate: &Plate, at: DateTime<Utc>, by: &str) -> Result<(), StoreError> {
        self.inner.lift_bar(plate, at, by).await
    }
}

/// What each of `commits` commits and `loads` loads met, in order.
async fn faults_met(seed: u64, commits: usize, loads: usize) -> (Vec<&'static str>, u64) {
    let store = FaultyStore::new(
        EmbeddedStore::in_memory().unwrap(),
        seed,
        FaultRates::default(),
    );
    let checkpoint = CheckpointId::parse("faults").unwrap();
    let day = NaiveDate::from_ymd_opt(2026, 3, 21).unwrap();
    let mut met = Vec::new();
    for n in 0..commits {
        // An answer alone is a change whose presence shows whether the commit was applied.
        let claim = KeyClaim {
            scope: "test".into(),
            key: format!("k{n}"),
            request_digest: [0xd; 32],
        };
        let mut batch = CommitBatch::new(checkpoint.clone(), day);
        batch.answers.push(AnswerRecord {
            claim: claim.clone(),
            created_at: Utc::now(),
            response: StoredResponse {
                status: 200,
                content_type: "application/json".into(),
                body: b"{}".to_vec(),
            },
        });
        let outcome = store.commit(batch).await;
        let applied = store
            .inner()
            .stored_answer(&claim.scope, &claim.key)
            .await
            .unwrap()
            .is_some();
        met.push(match (outcome, applied) {
            (Ok(()), true) => "applied",
            (Err(StoreError::Unavailable(_)), false) => "refused",
            (Err(StoreError::OutcomeUnknown(_)), true) => "unacknowledged",
            (outcome, applied) => panic!("commit {n}: {outcome:?}, applied: {applied}"),
        });
    }
    for _ in 0..loads {
        met.push(match store.load_day(&checkpoint, day).await {
            Ok(_) => "loaded",
            Err(StoreError::Unavailable(_)) => "not loaded",
            Err(other) => panic!("load: {other:?}"),
        });
    }
    (met, store.injected())
}

#[actix::test]
async fn a_seed_replays_the_same_faults_and_every_kind_of_fault_occurs() {
    let (met, injected) = faults_met(7, 200, 100).await;

    assert_eq!(faults_met(7, 200, 100).await, (met.clone(), injected));
    for kind in [
        "applied",
        "refused",
        "unacknowledged",
        "loaded",
        "not loaded",
    ] {
        assert!(met.contains(&kind), "no {kind} in {met:?}");
    }
    let failures = met
        .iter()
        .filter(|kind| matches!(**kind, "refused" | "unacknowledged" | "not loaded"))
        .count();
    assert_eq!(injected, failures as u64);
}

#[actix::test]
async fn a_healed_store_passes_every_call_through() {
    let store = FaultyStore::new(
        EmbeddedStore::in_memory().unwrap(),
        7,
        FaultRates {
            load_refused: 100,
            ..FaultRates::default()
        },
    );
    let checkpoint = CheckpointId::parse("faults").unwrap();
    let day = NaiveDate::from_ymd_opt(2026, 3, 21).unwrap();
    assert!(store.load_day(&checkpoint, day).await.is_err());

    store.heal();

    assert!(store.load_day(&checkpoint, day).await.is_ok());
    assert_eq!(store.injected(), 1);
}

#[async_trait]
impl<S: SlotStore> LeaseStore for FaultyStore<S> {
    async fn take_job_lease(
        &self,
        job: &str,
        holder: Uuid,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.inner.take_job_lease(job, holder, now, until).await
    }
}

#[async_trait]
impl<S: SlotStore> DrawStore for FaultyStore<S> {
    async fn enter_draw(
        &self,
        entry: &DrawEntry,
        times: &DrawTimes,
        event: &DomainEvent,
        answer: Option<&AnswerRecord>,
    ) -> Result<Entering, StoreError> {
        self.inner.enter_draw(entry, times, event, answer).await
    }

    async fn draw_entry(&self, id: Uuid) -> Result<Option<(DrawEntry, DayDraw)>, StoreError> {
        self.inner.draw_entry(id).await
    }

    async fn day_draw(
        &self,
        checkpoint: &CheckpointId,
        day: NaiveDate,
    ) -> Result<Option<(DayDraw, Vec<DrawEntry>)>, StoreError> {
        self.inner.day_draw(checkpoint, day).await
    }

    async fn due_draws(&self, now: DateTime<Utc>) -> Result<Vec<DayDraw>, StoreError> {
        self.inner.due_draws(now).await
    }

    async fn closed_draws(
        &self,
        checkpoint: &CheckpointId,
        limit: usize,
    ) -> Result<Vec<DayDraw>, StoreError> {
        self.inner.closed_draws(checkpoint, limit).await
    }
}

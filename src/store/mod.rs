//! Durable state behind the schedule actors.
//!
//! One trait per concern, shaped for its callers rather than for generic CRUD:
//! [`ScheduleStore`] loads a day and commits batches of decided changes atomically (with an
//! outbox row for every event and the answers of idempotent requests), [`OutboxStore`] feeds
//! the relay and the consumers, and the others serve statistics, staff, the audit log, carriers
//! and strikes. [`SlotStore`] is all of them, which each backend implements: PostgreSQL in
//! `postgres/`, SQLite in `embedded/`, one file per concern in each.
//!
//! A commit either applies all of a batch or nothing ([`write_plan`] is the one write both
//! backends execute); a booking update is refused unless the stored row is at the version the
//! actor decided from, and window counts are guarded by `held + confirmed <= capacity` in the
//! schema itself.

pub mod answers;
pub mod deadline;
pub mod embedded;
pub mod migrations;
mod outbox_rows;
pub mod postgres;
mod processed;
pub mod rows;
mod statements;
mod statistics_sql;
pub mod write_plan;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use thiserror::Error;
use uuid::Uuid;

pub use self::answers::{
    AnswerRecord, AnswerSeal, KeyClaim, RequestDigest, StoredResponse, answer_key_id,
};
pub use self::processed::ProcessedEvent;

use crate::auth::{ApiKey, AuditEntry, StaffAccount};
use crate::domain::Plate;
use crate::domain::draw::{DayDraw, DrawEntry, DrawTimes};
use crate::domain::statistics::{HourlyCount, StatisticsDelta, WindowTotals};
use crate::domain::strikes::Strike;

use crate::domain::{
    Booking, BookingCode, BookingId, Category, ChangeSet, Checkpoint, CheckpointId, DomainEvent,
    ScheduleChange, SlotWindow, WaitlistEntry, WaitlistId,
};

#[derive(Debug, Error)]
pub enum StoreError {
    /// The store cannot be reached or is overloaded; the same request may succeed later.
    #[error("the store is unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// The stored state is not what the writer decided from (another writer got there first,
    /// or a constraint refused the change); reload before deciding again.
    #[error("the stored state changed underneath the writer: {0}")]
    Conflict(String),
    /// Another request already stored its answer under one of the batch's idempotency keys
    /// (the same key sent to two replicas at once); nothing of the batch was stored.
    #[error("an answer is already stored for {} idempotency key(s)", .0.len())]
    AnswerTaken(Vec<uuid::Uuid>),
    /// The connection failed while the commit was in flight, and whether it was applied could
    /// not be found out before giving up: the batch may or may not be stored.
    #[error("the outcome of the commit is unknown")]
    OutcomeUnknown(#[source] anyhow::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl StoreError {
    /// The same kind of error for another waiter of one failed write (errors do not clone).
    pub fn duplicate(&self) -> StoreError {
        match self {
            StoreError::Unavailable(e) => StoreError::Unavailable(anyhow::anyhow!("{e:#}")),
            StoreError::Conflict(reason) => StoreError::Conflict(reason.clone()),
            StoreError::AnswerTaken(keys) => StoreError::AnswerTaken(keys.clone()),
            StoreError::OutcomeUnknown(e) => StoreError::OutcomeUnknown(anyhow::anyhow!("{e:#}")),
            StoreError::Other(e) => StoreError::Other(anyhow::anyhow!("{e:#}")),
        }
    }
    /// What whoever gets this error should do about it; every caller (the schedule actors,
    /// the HTTP front end, the event consumers) decides from this one table.
    pub fn recovery(&self) -> Recovery {
        match self {
            StoreError::Conflict(_) => Recovery::Reload,
            StoreError::Unavailable(_) => Recovery::Later,
            StoreError::AnswerTaken(_) => Recovery::AnswerStored,
            StoreError::OutcomeUnknown(_) => Recovery::AskAgain,
            StoreError::Other(_) => Recovery::Never,
        }
    }
}

/// How a failed store call can still succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// Nothing was stored and what was decided from is stale: read again, decide again.
    Reload,
    /// Nothing was stored; the store cannot be reached or is overloaded now.
    Later,
    /// Nothing was stored; another request's answer is stored under the key.
    AnswerStored,
    /// It may have been stored: only the same request with its idempotency key can learn which.
    AskAgain,
    /// A fault (a bug, unreadable data) that repeating the same call will not fix.
    Never,
}

/// Everything a schedule actor needs to rebuild its day.
#[derive(Debug, Clone, Default)]
pub struct DayRecord {
    pub windows: Vec<SlotWindow>,
    pub bookings: Vec<Booking>,
    /// Transfer holds whose source already gave up its place (their code points to them):
    /// the move only has to be completed.
    pub completed_moves: Vec<BookingId>,
    /// Every entry of the day's waitlist, ended ones included.
    pub waitlist: Vec<WaitlistEntry>,
}

/// The decided changes of one or more requests to one day, written in one transaction.
#[derive(Debug, Clone)]
pub struct CommitBatch {
    pub checkpoint: CheckpointId,
    pub day: NaiveDate,
    pub changes: Vec<ScheduleChange>,
    pub events: Vec<DomainEvent>,
    /// The answers to idempotent requests whose changes the batch carries.
    pub answers: Vec<AnswerRecord>,
}

impl CommitBatch {
    pub fn new(checkpoint: CheckpointId, day: NaiveDate) -> Self {
        Self {
            checkpoint,
            day,
            changes: Vec::new(),
            events: Vec::new(),
            answers: Vec::new(),
        }
    }

    pub fn push(&mut self, set: ChangeSet) {
        self.changes.extend(set.changes);
        self.events.extend(set.events);
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.events.is_empty() && self.answers.is_empty()
    }
}

/// How a day's write stands to the day's previous one when both are in flight.
pub struct Chain {
    /// The transaction of the day's previous write, which had done everything but its COMMIT
    /// when this one was sent: this write commits only if that one did.
    pub after: Option<uuid::Uuid>,
    /// Told the id of this write's transaction once everything but its COMMIT is done, so
    /// that the day's next write can be sent to follow it.
    pub prepared: tokio::sync::oneshot::Sender<uuid::Uuid>,
}

/// One event waiting in the outbox.
#[derive(Debug, Clone)]
pub struct OutboxEntry {
    /// Where it is stored; shared by the events of one transaction in a store that keeps
    /// them in one row.
    pub seq: i64,
    pub event: DomainEvent,
}

/// Held while relaying; `release` gives the right back. Dropped without `release` (a panic,
/// a cancelled task) it still ends, if less tidily.
pub struct RelayLease {
    release: Option<Box<dyn ReleaseRelay>>,
}

#[async_trait]
pub trait ReleaseRelay: Send {
    async fn release(self: Box<Self>);
}

impl RelayLease {
    pub fn new(release: Option<Box<dyn ReleaseRelay>>) -> Self {
        Self { release }
    }

    pub async fn release(mut self) {
        if let Some(release) = self.release.take() {
            release.release().await;
        }
    }
}

/// Totals of a full consistency check of the stored data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditReport {
    pub windows: u64,
    pub active_bookings: u64,
    pub windows_over_capacity: u64,
    pub windows_miscounted: u64,
    pub plates_booked_twice: u64,
    pub codes_without_booking: u64,
}

impl AuditReport {
    pub fn violations(&self) -> u64 {
        self.windows_over_capacity
            + self.windows_miscounted
            + self.plates_booked_twice
            + self.codes_without_booking
    }
}

/// The rows of a bulk statistics write with one row per key, the last one given winning, so
/// that a write never touches a key twice (PostgreSQL refuses that in one statement).
fn last_row_per_key(rows: &[StatisticsDelta]) -> Vec<StatisticsDelta> {
    let mut by_key = std::collections::BTreeMap::new();
    for row in rows {
        by_key.insert(row.key.clone(), row.counts);
    }
    by_key
        .into_iter()
        .map(|(key, counts)| StatisticsDelta { key, counts })
        .collect()
}

/// The schedule itself: checkpoints, their windows and bookings, the batches of decided
/// changes, and the check of every invariant over them.
#[async_trait]
pub trait ScheduleStore: Send + Sync + 'static {
    async fn ping(&self) -> Result<(), StoreError>;

    async fn checkpoints(&self) -> Result<Vec<Checkpoint>, StoreError>;

    async fn upsert_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError>;

    /// Stores the windows of a day that has none yet; a day that has windows is left as is.
    async fn ensure_windows(
        &self,
        checkpoint: &CheckpointId,
        day: NaiveDate,
        windows: &[SlotWindow],
    ) -> Result<(), StoreError>;

    async fn load_day(
        &self,
        checkpoint: &CheckpointId,
        day: NaiveDate,
    ) -> Result<DayRecord, StoreError>;

    /// Applies the whole batch or nothing. Takes the batch by value: a backend that writes
    /// on another thread can move it there instead of copying it.
    async fn commit(&self, batch: CommitBatch) -> Result<(), StoreError>;

    /// [`commit`](Self::commit), for a day that may send its next write while this one is
    /// committing. A store that can take such a write tells `chain.prepared` once the batch
    /// waits only for its COMMIT; one that cannot never tells it, and so is never given an
    /// `after`.
    async fn commit_chained(&self, batch: CommitBatch, chain: Chain) -> Result<(), StoreError> {
        if chain.after.is_some() {
            return Err(StoreError::Other(anyhow::anyhow!(
                "this store cannot follow a write that is still committing"
            )));
        }
        self.commit(batch).await
    }

    /// The booking a code currently belongs to.
    async fn find_booking(&self, code: &BookingCode) -> Result<Option<Booking>, StoreError>;

    /// A waitlist entry by its id, as last stored.
    async fn find_waitlist_entry(
        &self,
        id: WaitlistId,
    ) -> Result<Option<WaitlistEntry>, StoreError>;

    /// Confirmed bookings whose window starts in `[from, to)`, by start.
    async fn confirmed_starting_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Booking>, StoreError>;

    /// Checks every invariant over the whole store.
    async fn audit(&self) -> Result<AuditReport, StoreError>;
}

/// Answers stored under idempotency keys (written by `ScheduleStore::commit` with their change).
#[async_trait]
pub trait AnswerStore: Send + Sync + 'static {
    /// The stored answer to a client's idempotency key, if a request with it changed
    /// something.
    async fn stored_answer(
        &self,
        scope: &str,
        key: &str,
    ) -> Result<Option<AnswerRecord>, StoreError>;

    /// Forgets keys first used before `before`, and the commit log of that age; returns how
    /// many keys.
    async fn idempotency_prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// Events on their way to the bus, and the consumers' records of what they processed.
#[async_trait]
pub trait OutboxStore: Send + Sync + 'static {
    /// Unpublished events, oldest first: about `limit` of them, more when a store keeps a
    /// transaction's events under one `seq` (they come, and are marked published, together).
    async fn outbox_pending(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError>;

    /// The right to relay the outbox, held by one process at a time so that events go out once
    /// and in order however many replicas run the relay; `None` while another holds it.
    async fn lock_relay(&self) -> Result<Option<RelayLease>, StoreError>;

    /// Forgets up to `limit` outbox rows published before `published_before` and the consumers'
    /// records of events processed before `processed_before`; returns how many rows went.
    async fn prune_delivered(
        &self,
        published_before: DateTime<Utc>,
        processed_before: DateTime<Utc>,
        limit: usize,
    ) -> Result<u64, StoreError>;

    /// How many events wait unpublished, and when the oldest of them happened.
    async fn outbox_backlog(&self) -> Result<(u64, Option<DateTime<Utc>>), StoreError>;

    async fn outbox_mark_published(
        &self,
        seqs: &[i64],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Records that `consumer` has dealt with `events` and applies their statistics, all or
    /// nothing, in one transaction. Per event, in order: `false` (and no change) when the
    /// consumer had recorded it before, or it came earlier in `events`, so a redelivered event
    /// counts once.
    async fn record_processed(
        &self,
        consumer: &str,
        events: &[ProcessedEvent],
        at: DateTime<Utc>,
    ) -> Result<Vec<bool>, StoreError>;

    async fn is_processed(&self, consumer: &str, event_id: Uuid) -> Result<bool, StoreError>;
}

/// Statistics rows and the aggregates that reports and forecasts read.
#[async_trait]
pub trait StatisticsStore: Send + Sync + 'static {
    /// Statistics rows of a checkpoint for local days `from..=to`, in key order.
    async fn statistics(
        &self,
        checkpoint: &CheckpointId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<StatisticsDelta>, StoreError>;

    /// Writes statistics rows in bulk, replacing the counts of every key given (not adding to
    /// them), in one transaction; writing the same rows twice leaves the same table.
    async fn upsert_statistics(&self, rows: &[StatisticsDelta]) -> Result<(), StoreError>;

    /// Confirmations of a checkpoint per local day and hour for days `from..=to`, summed over
    /// categories or of `category` only, in day and hour order. Hours without a statistics row
    /// are left out.
    async fn confirmations_by_hour(
        &self,
        checkpoint: &CheckpointId,
        from: NaiveDate,
        to: NaiveDate,
        category: Option<Category>,
    ) -> Result<Vec<HourlyCount>, StoreError>;

    /// The stored windows of a checkpoint's day added up per direction, category and the local
    /// hour (in the checkpoint's time zone) they start in, in no particular order.
    async fn window_totals(
        &self,
        checkpoint: &CheckpointId,
        day: NaiveDate,
    ) -> Result<Vec<WindowTotals>, StoreError>;
}

/// Staff accounts and their refresh tokens.
#[async_trait]
pub trait StaffStore: Send + Sync + 'static {
    /// Stores a new account; `Conflict` if the name is taken.
    async fn create_staff_account(&self, account: &StaffAccount) -> Result<(), StoreError>;

    async fn staff_account_by_name(&self, name: &str) -> Result<Option<StaffAccount>, StoreError>;

    async fn staff_account(&self, id: Uuid) -> Result<Option<StaffAccount>, StoreError>;

    async fn save_refresh_token(
        &self,
        digest: &str,
        account: Uuid,
        issued_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Spends a refresh token: revokes it and names its account, if it was live at `now`. A
    /// token is good for one refresh only, so a stolen copy used later finds it spent.
    async fn spend_refresh_token(
        &self,
        digest: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Uuid>, StoreError>;
}

/// What staff did, in the order they did it.
#[async_trait]
pub trait AuditLogStore: Send + Sync + 'static {
    async fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError>;

    /// The latest `limit` audit entries, newest first.
    async fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError>;
}

/// Carriers' API keys and the bookings made with them.
#[async_trait]
pub trait CarrierStore: Send + Sync + 'static {
    /// Stores a new key, with the answer to the request that made it when it had an
    /// idempotency key (`AnswerTaken` and no key if that answer exists already).
    async fn create_api_key(
        &self,
        key: &ApiKey,
        answer: Option<&AnswerRecord>,
    ) -> Result<(), StoreError>;

    async fn api_key(&self, id: Uuid) -> Result<Option<ApiKey>, StoreError>;

    /// Every key, newest first, revoked ones included.
    async fn api_keys(&self) -> Result<Vec<ApiKey>, StoreError>;

    /// Revokes a key; `false` if there is no such live key.
    async fn revoke_api_key(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError>;

    /// A carrier's held, confirmed and arrived bookings, by window start.
    async fn carrier_bookings(&self, carrier: Uuid) -> Result<Vec<Booking>, StoreError>;

    /// How many of those there are (what the carrier's cap is checked against).
    async fn count_carrier_bookings(&self, carrier: Uuid) -> Result<u64, StoreError>;
}

/// Who a booking belongs to among the people signed in through the OpenID Connect provider.
#[async_trait]
pub trait AccountStore: Send + Sync + 'static {
    /// Makes `subject` (of `organisation`, if any) the booking's owner, in place of any
    /// earlier one.
    async fn claim_booking(
        &self,
        booking: BookingId,
        subject: &str,
        organisation: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The owner of a booking: its claim's subject, and the organisation that sees it (its
    /// claim's, or the name of the carrier key that made it).
    async fn booking_owner(&self, booking: BookingId) -> Result<BookingOwner, StoreError>;

    /// The held, confirmed and arrived bookings `subject` owns or, with `organisation`, that
    /// organisation sees, by window start.
    async fn account_bookings(
        &self,
        subject: &str,
        organisation: Option<&str>,
    ) -> Result<Vec<Booking>, StoreError>;
}

/// Who may reach a booking without its manage token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BookingOwner {
    pub subject: Option<String>,
    pub organisation: Option<String>,
}

/// Strikes against plates, and the bars admins lift.
#[async_trait]
pub trait StrikeStore: Send + Sync + 'static {
    /// Records a strike against a plate once per event; `false` if it was recorded before.
    async fn record_strike(&self, event_id: Uuid, strike: &Strike) -> Result<bool, StoreError>;

    /// Strikes since `since`, every plate's, oldest first.
    async fn strikes_since(&self, since: DateTime<Utc>) -> Result<Vec<Strike>, StoreError>;

    /// When an admin last lifted each plate's bar.
    async fn bar_lifts(&self) -> Result<Vec<(String, DateTime<Utc>)>, StoreError>;

    async fn lift_bar(&self, plate: &Plate, at: DateTime<Utc>, by: &str) -> Result<(), StoreError>;
}

/// Leases on periodic jobs, so that one process at a time runs each.
#[async_trait]
pub trait LeaseStore: Send + Sync + 'static {
    /// Takes or renews `holder`'s lease on `job` until `until`; `false` (and no change) while
    /// another holder's lease is live at `now`.
    async fn take_job_lease(
        &self,
        job: &str,
        holder: Uuid,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}

/// What entering an opening draw came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entering {
    /// Stored, with the draw's count of entrants with this one.
    Entered { entrants: u32 },
    /// The plate has entered this day's draw in this direction already; nothing was stored.
    PlateEntered,
    /// The draw has run meanwhile (another replica's clock ran ahead); nothing was stored, and
    /// the day is booked first come now.
    Closed,
}

/// Opening draws: their entries, made durable before anyone is told they entered, and their
/// results (which `ScheduleStore::commit` writes with the bookings the draw made).
#[async_trait]
pub trait DrawStore: Send + Sync + 'static {
    /// Enters `entry` into its day's open draw (opened with `times` by the first entry), with
    /// the answer of its idempotent request and `event` (its `draw.entered`, to which the store
    /// adds `entrants`), all or nothing. `AnswerTaken` and nothing stored if the key was
    /// answered before.
    async fn enter_draw(
        &self,
        entry: &DrawEntry,
        times: &DrawTimes,
        event: &DomainEvent,
        answer: Option<&AnswerRecord>,
    ) -> Result<Entering, StoreError>;

    /// One entry, with its outcome once drawn, and the draw it entered.
    async fn draw_entry(&self, id: Uuid) -> Result<Option<(DrawEntry, DayDraw)>, StoreError>;

    /// A checkpoint day's draw and its entries in the order they entered; `None` while nobody
    /// has entered and it has not run.
    async fn day_draw(
        &self,
        checkpoint: &CheckpointId,
        day: NaiveDate,
    ) -> Result<Option<(DayDraw, Vec<DrawEntry>)>, StoreError>;

    /// Open draws whose period ended by `now`, the longest due first.
    async fn due_draws(&self, now: DateTime<Utc>) -> Result<Vec<DayDraw>, StoreError>;

    /// A checkpoint's latest `limit` draws that have run, the latest day first.
    async fn closed_draws(
        &self,
        checkpoint: &CheckpointId,
        limit: usize,
    ) -> Result<Vec<DayDraw>, StoreError>;
}

/// Everything the service keeps: each concern's store, from one backend.
pub trait SlotStore:
    ScheduleStore
    + AnswerStore
    + OutboxStore
    + StatisticsStore
    + StaffStore
    + AuditLogStore
    + CarrierStore
    + AccountStore
    + StrikeStore
    + LeaseStore
    + DrawStore
{
}

impl<T> SlotStore for T where
    T: ScheduleStore
        + AnswerStore
        + OutboxStore
        + StatisticsStore
        + StaffStore
        + AuditLogStore
        + CarrierStore
        + AccountStore
        + StrikeStore
        + LeaseStore
        + DrawStore
{
}

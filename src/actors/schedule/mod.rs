//! `ScheduleActor`: the only writer of one checkpoint day.
//!
//! It owns the day's `DaySchedule` in memory and handles every hold, confirm, cancel, move,
//! block and expiry in its mailbox's serial order, so two requests can never both take the
//! last place. A decision is made at once against memory; its changes join the open batch and
//! the request is answered only when that batch is durable (group commit). While one batch is
//! being written the next collects, so one disk flush serves many bookings.
//!
//! Batches reach the store in decision order. On a store that can chain writes, the next
//! batch is sent once the one in flight waits only for its COMMIT, and commits only after it
//! and only if it did (so at most two are in flight); elsewhere, and for a batch that needs
//! rows the one in flight has not committed yet, the next waits for the commit.
//!
//! If a write fails, the day is reloaded from the store, which is the last durable state, once
//! no write of it is in flight any more: that undoes the failed batch's decisions, and the
//! decisions made after it (which may rest on them) are answered with an error too. Reads of
//! availability come from memory.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use chrono::{DateTime, NaiveDate, Utc};
use thiserror::Error;
use tokio::sync::oneshot;

use crate::domain::window::generate_windows;
use crate::domain::{
    AllocationError, Booking, BookingId, Category, ChangeSet, Checkpoint, DaySchedule, Direction,
    HoldRequest, LaneQueue, Plate, Policy, ScheduleChange, SlotWindow, WindowKey, WindowSelection,
};
use crate::store::{AnswerRecord, Chain, CommitBatch, Recovery, StoreError};

mod draws;
mod messages;
mod queries;
mod reslots;
mod waitlist;

pub use draws::*;
pub use messages::*;
pub use queries::*;
pub use reslots::*;
pub use waitlist::*;

use super::answer::{AnswerTicket, DecidedAnswer, Held};
use super::registry::{DayServices, Departure, Revision};
use uuid::Uuid;

/// Why a request to a schedule got no decision or its decision is not durable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ScheduleError {
    #[error(transparent)]
    Allocation(#[from] AllocationError),
    /// The write failed and the decision was undone; nothing changed.
    #[error("the change could not be stored; nothing was changed")]
    NotDurable,
    /// The decision was made on a view of the day that the store refused as out of date
    /// (another writer got there first), or it was queued behind such a decision; nothing was
    /// stored, and the request can be decided again on the reloaded day.
    #[error("the decision rested on an outdated view of the day")]
    Retry,
    /// The schedule could not be reached in time (overloaded, loading failed, or stopping).
    #[error("the schedule is not available right now")]
    Unavailable,
    /// Another request with the same idempotency key stored its answer first; nothing of this
    /// one was stored, and the stored answer is the one to give.
    #[error("an answer to this idempotency key is stored already")]
    AnswerTaken,
}

type Reply = Box<dyn FnOnce(Result<(), ScheduleError>) + Send>;

/// A decided change waiting to be written, and who to tell when it is.
struct PendingChange {
    changes: ChangeSet,
    /// The idempotent request that decided it, whose answer is stored with it.
    answer: Option<RenderedAnswer>,
    reply: Option<Reply>,
}

/// An idempotent request's answer, rendered and sealed as soon as its decision is made: the
/// day's writes are one serial stream, and a batch must not wait for its answers to be phrased
/// once the previous batch is durable.
struct RenderedAnswer {
    key: Uuid,
    /// `None` when the answer could not be phrased (logged); nothing is stored for it.
    record: Option<AnswerRecord>,
    /// Kept until the change is durable or refused, even if the request is gone by then.
    held: Option<Held>,
}

impl From<DecidedAnswer> for RenderedAnswer {
    fn from(decided: DecidedAnswer) -> Self {
        Self {
            key: decided.key(),
            held: decided.held(),
            record: decided.record(),
        }
    }
}

/// Who waits for a batch: their reply, and the idempotency key their answer is stored under.
struct Waiter {
    key: Option<Uuid>,
    reply: Reply,
    /// Released once the reply is given.
    _held: Option<Held>,
}

/// A batch being written.
struct WriteInFlight {
    seq: u64,
    /// The bookings it inserts: rows a write that follows it cannot see before it commits.
    inserted: HashSet<BookingId>,
    /// Its transaction, once only its COMMIT is left: the day's next write may follow it.
    prepared: Option<Uuid>,
    /// Turns `true` when its outcome is known, for a reload to wait on.
    done: tokio::sync::watch::Receiver<bool>,
}

pub struct ScheduleActor {
    checkpoint: Arc<Checkpoint>,
    date: NaiveDate,
    services: DayServices,
    departure: Departure,
    revision: Revision,
    day: Option<DaySchedule>,
    pending: VecDeque<PendingChange>,
    /// The day's writes in flight, oldest first.
    writes: VecDeque<WriteInFlight>,
    next_write: u64,
    /// Counts the reloads after failed writes: a write of an earlier count rested on decisions
    /// that were undone, and its outcome only answers its own waiters.
    reloads: u64,
    /// Writes of an earlier count whose waiters are not answered yet: the actor stays (and in
    /// the registry) until they are, as they may still have committed.
    unanswered: usize,
    /// The armed expiry timer and the moment it is for.
    expiry_timer: Option<(DateTime<Utc>, SpawnHandle)>,
    last_activity: Instant,
    stop_requested: bool,
    /// The request whose message is being handled, stamped on the events it causes.
    request_id: Option<String>,
    /// The answer ticket of the idempotent request being handled, for its decision to render.
    answer: Option<AnswerTicket>,
    /// Whether the day's opening draw is decided in the day as memory has it (or there is none
    /// to run); a reload forgets it, as the draw may not have been stored.
    draw_done: bool,
}

impl ScheduleActor {
    pub fn new(
        checkpoint: Arc<Checkpoint>,
        date: NaiveDate,
        services: DayServices,
        (departure, revision): (Departure, Revision),
    ) -> Self {
        Self {
            checkpoint,
            date,
            services,
            departure,
            revision,
            day: None,
            pending: VecDeque::new(),
            writes: VecDeque::new(),
            next_write: 0,
            reloads: 0,
            unanswered: 0,
            expiry_timer: None,
            last_activity: Instant::now(),
            stop_requested: false,
            request_id: None,
            answer: None,
            draw_done: false,
        }
    }

    /// Loads the day from the store, creating its windows from the template on first use.
    /// The mailbox waits meanwhile, so no decision is made on a partial day.
    fn load(&mut self, ctx: &mut Context<Self>) {
        self.draw_done = false;
        let store = self.services.store.clone();
        let checkpoint = self.checkpoint.clone();
        let date = self.date;
        let load = async move {
            let mut record = store.load_day(&checkpoint.id, date).await?;
            if record.windows.is_empty() {
                let windows = generate_windows(&checkpoint, date);
                store.ensure_windows(&checkpoint.id, date, &windows).await?;
                record = store.load_day(&checkpoint.id, date).await?;
            }
            let completed_moves = record.completed_moves.clone();
            let day = DaySchedule::from_parts(
                checkpoint.id.clone(),
                checkpoint.time_zone,
                date,
                record.windows,
                record.bookings,
            )
            .and_then(|day| day.with_waitlist(record.waitlist))
            .map_err(|reason| anyhow::anyhow!("stored day is inconsistent: {reason}"))?;
            Ok::<_, anyhow::Error>((day, completed_moves))
        };
        ctx.wait(load.into_actor(self).map(|result, actor, ctx| match result {
            Ok((day, completed_moves)) => {
                tracing::debug!(checkpoint = %actor.checkpoint.id, day = %actor.date, "schedule loaded");
                actor.day = Some(day);
                actor.revision.advance();
                for id in completed_moves {
                    actor.finish_move(ctx, id);
                }
                actor.run_expiry(ctx);
                // Places that are free while drivers wait for them (the template gave the day
                // more room, say) go to the waitlist before anyone else sees them.
                let (now, policy) = (actor.services.clock.now(), actor.services.policy);
                if let Some(day) = actor.day.as_mut() {
                    let offers = day.offer_free_places(&policy, now);
                    actor.enqueue_silent(ctx, offers);
                    actor.arm_expiry_timer(ctx);
                }
            }
            Err(error) => {
                tracing::error!(
                    checkpoint = %actor.checkpoint.id,
                    day = %actor.date,
                    error.cause_chain = ?error,
                    "failed to load schedule day; stopping"
                );
                actor.day = None;
                ctx.stop();
            }
        }));
    }

    fn day_mut(&mut self) -> Result<&mut DaySchedule, ScheduleError> {
        self.day.as_mut().ok_or(ScheduleError::Unavailable)
    }

    /// Queues a decided change and returns a future that resolves when it is durable.
    fn enqueue<T: Send + 'static>(
        &mut self,
        ctx: &mut Context<Self>,
        changes: ChangeSet,
        value: T,
    ) -> ResponseFuture<Result<T, ScheduleError>> {
        self.enqueue_outcome(ctx, changes, None, Ok(value))
    }

    /// Like `enqueue`, for a decision that may be a refusal. A refusal changes nothing, but it
    /// still waits for the writes queued before it, so no one is told "full" on the strength of
    /// holds that might yet fail to be stored, and a client that is refused and then reads the
    /// booking sees the state the refusal was decided on.
    fn enqueue_outcome<T: Send + 'static>(
        &mut self,
        ctx: &mut Context<Self>,
        changes: ChangeSet,
        answer: Option<RenderedAnswer>,
        decided: Result<T, ScheduleError>,
    ) -> ResponseFuture<Result<T, ScheduleError>> {
        let mut changes = changes;
        self.observe_waitlist(&changes);
        if let Some(request_id) = &self.request_id {
            for event in &mut changes.events {
                event.request_id = Some(request_id.clone());
            }
        }
        if !changes.is_empty() {
            self.revision.advance();
        }
        if !self.writing() && self.pending.is_empty() && changes.is_empty() && answer.is_none() {
            return Box::pin(async move { decided });
        }
        let (tx, rx) = oneshot::channel();
        let reply: Reply = Box::new(move |outcome| {
            let _ = tx.send(outcome.and(decided));
        });
        self.pending.push_back(PendingChange {
            changes,
            answer,
            reply: Some(reply),
        });
        self.flush(ctx);
        Box::pin(async move { rx.await.unwrap_or(Err(ScheduleError::NotDurable)) })
    }

    /// Queues a change nobody waits for (expiries, completing moves).
    fn enqueue_silent(&mut self, ctx: &mut Context<Self>, changes: ChangeSet) {
        if changes.is_empty() {
            return;
        }
        self.observe_waitlist(&changes);
        self.revision.advance();
        self.pending.push_back(PendingChange {
            changes,
            answer: None,
            reply: None,
        });
        self.flush(ctx);
    }

    /// Counts what a decision did to the waitlist, and how long the day's waitlist is now.
    fn observe_waitlist(&self, changes: &ChangeSet) {
        let touches_waitlist = changes.changes.iter().any(|c| {
            matches!(
                c,
                ScheduleChange::InsertWaitlist(_) | ScheduleChange::UpdateWaitlist(_)
            )
        });
        if !touches_waitlist {
            return;
        }
        let checkpoint = self.checkpoint.id.as_str();
        crate::metrics::record_waitlist(checkpoint, &changes.events);
        if let Some(day) = &self.day {
            crate::metrics::record_waitlist_length(checkpoint, self.date, day.waitlist_active());
        }
    }

    fn writing(&self) -> bool {
        !self.writes.is_empty() || self.unanswered > 0
    }

    /// Starts writing the collected changes: at once if nothing is in flight, behind the write
    /// in flight if it waits only for its COMMIT and the changes do not need its rows.
    fn flush(&mut self, ctx: &mut Context<Self>) {
        let take = self
            .pending
            .len()
            .min(self.services.settings.batch_size_max.max(1));
        if take == 0 {
            return;
        }
        let after = match self.writes.len() {
            0 => None,
            1 if self.services.settings.writes_in_flight_max >= 2 => {
                let front = &self.writes[0];
                let Some(prepared) = front.prepared else {
                    return;
                };
                let entries = self.pending.range(..take);
                if !writes_anything(entries.clone()) || !may_follow(entries, &front.inserted) {
                    return;
                }
                Some(prepared)
            }
            _ => return,
        };
        let mut batch = CommitBatch::new(self.checkpoint.id.clone(), self.date);
        let mut waiters = Vec::with_capacity(take);
        for entry in self.pending.drain(..take) {
            batch.push(entry.changes);
            let (key, held) = match entry.answer {
                Some(answer) => {
                    batch.answers.extend(answer.record);
                    (Some(answer.key), answer.held)
                }
                None => (None, None),
            };
            if let Some(reply) = entry.reply {
                waiters.push(Waiter {
                    key,
                    reply,
                    _held: held,
                });
            }
        }
        if batch.is_empty() {
            // Nothing to write: everything before these entries is already durable.
            for waiter in waiters {
                (waiter.reply)(Ok(()));
            }
            return self.flush(ctx);
        }
        self.send(ctx, batch, waiters, after);
    }

    /// Writes `batch` (following the transaction `after`, if any) and answers its waiters.
    fn send(
        &mut self,
        ctx: &mut Context<Self>,
        batch: CommitBatch,
        waiters: Vec<Waiter>,
        after: Option<Uuid>,
    ) {
        let seq = self.next_write;
        self.next_write += 1;
        if after.is_some() {
            crate::metrics::record_chained_write();
        }
        let inserted = batch
            .changes
            .iter()
            .filter_map(|change| match change {
                ScheduleChange::InsertBooking(booking) => Some(booking.id),
                _ => None,
            })
            .collect();
        let (prepared, told) = oneshot::channel();
        let (finished, done) = tokio::sync::watch::channel(false);
        self.writes.push_back(WriteInFlight {
            seq,
            inserted,
            prepared: None,
            done,
        });
        let store = self.services.store.clone();
        let requests = waiters.len();
        let reloads = self.reloads;
        // A task of its own, so that its outcome is known even while the actor waits (for a
        // reload to begin once no write is in flight).
        let write = actix::spawn(async move {
            let started = Instant::now();
            let outcome = store.commit_chained(batch, Chain { after, prepared }).await;
            let _ = finished.send(true);
            (outcome, started.elapsed())
        });
        ctx.spawn(told.into_actor(self).map(move |told, actor, ctx| {
            let Ok(transaction) = told else { return };
            if let Some(write) = actor.writes.iter_mut().find(|w| w.seq == seq) {
                write.prepared = Some(transaction);
                actor.flush(ctx);
            }
        }));
        ctx.spawn(write.into_actor(self).map(move |joined, actor, ctx| {
            let (outcome, elapsed) = joined.unwrap_or_else(|_| {
                let lost = anyhow::anyhow!("the write's task ended without an outcome");
                (Err(StoreError::OutcomeUnknown(lost)), Duration::ZERO)
            });
            if reloads == actor.reloads {
                actor.writes.retain(|w| w.seq != seq);
            } else {
                actor.unanswered -= 1;
            }
            match outcome {
                Ok(()) => {
                    crate::metrics::record_commit(requests, elapsed);
                    for waiter in waiters {
                        (waiter.reply)(Ok(()));
                    }
                }
                Err(error) => {
                    for waiter in waiters {
                        (waiter.reply)(Err(failed_write_answer(&error, waiter.key.as_ref())));
                    }
                    if reloads == actor.reloads {
                        tracing::error!(
                            checkpoint = %actor.checkpoint.id,
                            day = %actor.date,
                            requests,
                            error.cause_chain = ?error,
                            "batch write failed; reloading the day from the store"
                        );
                        actor.reload_after_failed_write(ctx);
                    }
                }
            }
            actor.flush(ctx);
            if actor.stop_requested && !actor.writing() {
                ctx.stop();
            }
        }));
    }

    /// Undoes a failed write's decisions and every one made after it: they are answered with
    /// an error, and the day is read again once the writes in flight have their outcome (one
    /// of them may still commit).
    fn reload_after_failed_write(&mut self, ctx: &mut Context<Self>) {
        // These never reached the store.
        for entry in self.pending.drain(..) {
            if let Some(reply) = entry.reply {
                reply(Err(ScheduleError::Retry));
            }
        }
        self.reloads += 1;
        self.day = None;
        self.revision.advance();
        let in_flight: Vec<_> = self.writes.drain(..).map(|w| w.done).collect();
        self.unanswered += in_flight.len();
        if in_flight.is_empty() {
            return self.load(ctx);
        }
        let settled = async move {
            for mut done in in_flight {
                let _ = done.wait_for(|done| *done).await;
            }
        };
        ctx.wait(
            settled
                .into_actor(self)
                .map(|(), actor, ctx| actor.load(ctx)),
        );
    }

    /// Runs `decision` against the day after expiring what ran out, so a decision never
    /// counts a hold that is already over, and keeps the decided value of the idempotent
    /// request being handled (if any), for its answer to be rendered with the batch.
    fn decide<T, F>(
        &mut self,
        ctx: &mut Context<Self>,
        decision: F,
    ) -> ResponseFuture<Result<T, ScheduleError>>
    where
        T: Clone + Send + 'static,
        F: FnOnce(
            &mut DaySchedule,
            &Policy,
            DateTime<Utc>,
        ) -> Result<(T, ChangeSet), AllocationError>,
    {
        self.last_activity = Instant::now();
        self.run_expiry(ctx);
        let now = self.services.clock.now();
        let policy = self.services.policy;
        let ticket = self.answer.take();
        let outcome = match self.day_mut() {
            Ok(day) => decision(day, &policy, now).map_err(ScheduleError::from),
            Err(e) => Err(e),
        };
        match outcome {
            Ok((value, mut changes)) => {
                // A place this decision gave back goes to the waitlist first, in the same
                // decision: nobody else can see it free in between.
                if let Some(day) = self.day.as_mut() {
                    day.offer_places_freed_by(&mut changes, &policy, now);
                }
                self.arm_expiry_timer(ctx);
                // Only a decision is answered from the store on a retry: a refusal changed
                // nothing, so its retry is decided afresh.
                let answer = ticket
                    .map(|ticket| RenderedAnswer::from(DecidedAnswer::new(ticket, value.clone())));
                self.enqueue_outcome(ctx, changes, answer, Ok(value))
            }
            Err(error) => self.enqueue_outcome(ctx, ChangeSet::default(), None, Err(error)),
        }
    }

    /// Expires holds that ran out, and sets the timer for the next one.
    fn run_expiry(&mut self, ctx: &mut Context<Self>) -> usize {
        let now = self.services.clock.now();
        let Some(day) = self.day.as_mut() else {
            return 0;
        };
        let (mut changes, transfers) = day.expire_due(now);
        let expired = changes.events.len();
        if expired > 0 {
            crate::metrics::record_holds_expired(self.checkpoint.id.as_str(), expired);
            // An expired hold or offer passes its place to the next waiting driver.
            let policy = self.services.policy;
            day.offer_places_freed_by(&mut changes, &policy, now);
        }
        self.enqueue_silent(ctx, changes);
        for id in transfers {
            self.resolve_transfer(ctx, id);
        }
        self.arm_expiry_timer(ctx);
        expired
    }

    fn arm_expiry_timer(&mut self, ctx: &mut Context<Self>) {
        let Some(next) = self.day.as_ref().and_then(DaySchedule::next_hold_expiry) else {
            return;
        };
        if self.expiry_timer.is_some_and(|(armed, _)| armed <= next) {
            return;
        }
        if let Some((_, handle)) = self.expiry_timer.take() {
            ctx.cancel_future(handle);
        }
        let delay = (next - self.services.clock.now())
            .to_std()
            .unwrap_or(Duration::ZERO)
            + Duration::from_millis(10);
        let handle = ctx.run_later(delay, |actor, ctx| {
            actor.expiry_timer = None;
            actor.run_expiry(ctx);
        });
        self.expiry_timer = Some((next, handle));
    }

    /// A transfer hold ran out: the move either completed (the code points here) or not.
    fn resolve_transfer(&mut self, ctx: &mut Context<Self>, id: BookingId) {
        let Some(code) = self
            .day
            .as_ref()
            .and_then(|d| d.booking(id))
            .map(|b| b.code.clone())
        else {
            return;
        };
        let store = self.services.store.clone();
        // The mailbox waits for this one read so that no request sees the transfer hold in
        // between; it happens only when a move was interrupted.
        ctx.wait(
            async move { store.find_booking(&code).await }
                .into_actor(self)
                .map(move |found, actor, ctx| match found {
                    Ok(Some(owner)) if owner.id == id => actor.finish_move(ctx, id),
                    Ok(_) => {
                        let now = actor.services.clock.now();
                        let policy = actor.services.policy;
                        if let Some(Ok(changes)) = actor.day.as_mut().map(|d| {
                            d.abandon_transfer(id, now).map(|mut changes| {
                                d.offer_places_freed_by(&mut changes, &policy, now);
                                changes
                            })
                        }) {
                            actor.enqueue_silent(ctx, changes);
                            actor.arm_expiry_timer(ctx);
                        }
                    }
                    Err(error) => {
                        tracing::warn!(error.cause_chain = ?error, %id, "could not resolve transfer hold; will retry");
                    }
                }),
        );
    }

    fn finish_move(&mut self, ctx: &mut Context<Self>, id: BookingId) {
        let now = self.services.clock.now();
        let policy = self.services.policy;
        if let Some(Ok((_, changes))) = self
            .day
            .as_mut()
            .map(|d| d.complete_transfer(id, &policy, now))
        {
            self.enqueue_silent(ctx, changes);
        }
    }
}

impl Actor for ScheduleActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(self.services.settings.mailbox_capacity);
        self.load(ctx);
        ctx.run_interval(self.services.settings.idle_check_interval, |actor, ctx| {
            let idle = actor.last_activity.elapsed() >= actor.services.settings.idle_ttl;
            let quiet = !actor.writing() && actor.pending.is_empty();
            let no_holds = actor
                .day
                .as_ref()
                .is_none_or(|d| d.next_hold_expiry().is_none());
            if idle && quiet && no_holds {
                ctx.stop();
            }
        });
    }

    fn stopping(&mut self, ctx: &mut Self::Context) -> Running {
        // The actor stays in the registry until it has stopped, so that a second actor for the
        // same day never loads while this one still has writes in flight.
        if self.writing() || !self.pending.is_empty() {
            // Answer what was decided before going: the last write stops the actor.
            self.stop_requested = true;
            self.flush(ctx);
            return Running::Continue;
        }
        Running::Stop
    }

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        self.departure.leave();
        tracing::debug!(checkpoint = %self.checkpoint.id, day = %self.date, "schedule actor stopped");
    }
}

/// Whether these changes may be written behind a batch that inserts `inserted` and has not
/// committed: they must not update its bookings (their rows are not visible to another
/// transaction yet), and they must be of the kinds a write sends in one flight.
fn may_follow<'a>(
    entries: impl Iterator<Item = &'a PendingChange>,
    inserted: &HashSet<BookingId>,
) -> bool {
    entries
        .flat_map(|entry| &entry.changes.changes)
        .all(|change| match change {
            ScheduleChange::InsertBooking(_)
            | ScheduleChange::AdjustWindow { .. }
            | ScheduleChange::RecordOwner { .. } => true,
            ScheduleChange::UpdateBooking(booking) => !inserted.contains(&booking.id),
            _ => false,
        })
}

/// Whether these entries carry anything to store; entries that do not (refusals, answers that
/// could not be phrased) only wait for the writes before them.
fn writes_anything<'a>(mut entries: impl Iterator<Item = &'a PendingChange>) -> bool {
    entries.any(|entry| {
        !entry.changes.is_empty()
            || entry
                .answer
                .as_ref()
                .is_some_and(|answer| answer.record.is_some())
    })
}

/// How the waiters of a failed batch are answered.
fn failed_write_answer(error: &StoreError, key: Option<&Uuid>) -> ScheduleError {
    match error.recovery() {
        // Refused before anything was stored: decide again on the reloaded day.
        Recovery::Reload => ScheduleError::Retry,
        // Nothing was stored; whoever's key was taken has its answer already, and everyone
        // else in the batch is decided again.
        Recovery::AnswerStored => match (error, key) {
            (StoreError::AnswerTaken(taken), Some(key)) if taken.contains(key) => {
                ScheduleError::AnswerTaken
            }
            _ => ScheduleError::Retry,
        },
        // Nothing was stored but the store cannot be written now; or the batch may or may not
        // be stored, and a retry with the same idempotency key learns which (without one, the
        // client has to look).
        Recovery::Later | Recovery::AskAgain | Recovery::Never => ScheduleError::NotDurable,
    }
}

/// A message on behalf of an HTTP request: the request's id goes onto the events the message
/// causes, and an idempotent request's answer ticket into the batch that stores its change.
pub struct ForRequest<M> {
    pub request_id: Option<String>,
    pub answer: Option<AnswerTicket>,
    pub message: M,
}

impl<M: Message> Message for ForRequest<M> {
    type Result = M::Result;
}

/// `Handler<ForRequest<M>>` for each message a request may send (a blanket impl over every
/// `M` sends the trait solver in circles).
macro_rules! handle_for_request {
    ($($message:ty),* $(,)?) => {$(
        impl Handler<ForRequest<$message>> for ScheduleActor {
            type Result = <ScheduleActor as Handler<$message>>::Result;

            fn handle(
                &mut self,
                envelope: ForRequest<$message>,
                ctx: &mut Self::Context,
            ) -> Self::Result {
                // Decisions happen within the inner handle, so the id covers exactly their
                // events.
                self.request_id = envelope.request_id;
                self.answer = envelope.answer;
                let result = <Self as Handler<$message>>::handle(self, envelope.message, ctx);
                self.request_id = None;
                self.answer = None;
                result
            }
        }
    )*};
}

handle_for_request!(
    Hold,
    Confirm,
    Cancel,
    MoveWithinDay,
    HoldForTransfer,
    ReleaseForTransfer,
    CompleteTransfer,
    AbandonTransfer,
    Block,
    BlockMoving,
    CutCapacityMoving,
    HoldForReslot,
    ReleaseForReslot,
    CancelReslot,
    AcceptReslot,
    Reserve,
    SetCapacity,
    WalkUp,
    CheckIn,
    Unblock,
    ExpireDue,
    MarkNoShows,
    QueryAvailability,
    QueryQueue,
    GetBooking,
    FindByPlate,
    RunDraw,
    JoinWaitlist,
    AcceptOffer,
    DeclineOffer,
    LeaveWaitlist,
    GetWaitlistEntry,
);

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> Uuid {
        crate::store::answer_key_id("ip:127.0.0.1", name)
    }

    #[test]
    fn a_taken_key_is_told_so_and_the_rest_of_its_batch_is_decided_again() {
        let taken = StoreError::AnswerTaken(vec![key("a")]);

        assert_eq!(
            failed_write_answer(&taken, Some(&key("a"))),
            ScheduleError::AnswerTaken
        );
        assert_eq!(
            failed_write_answer(&taken, Some(&key("b"))),
            ScheduleError::Retry
        );
        assert_eq!(failed_write_answer(&taken, None), ScheduleError::Retry);
    }

    #[test]
    fn only_a_refused_write_is_decided_again_and_an_unknown_outcome_is_never_retried_blindly() {
        let unavailable = StoreError::Unavailable(anyhow::anyhow!("down"));
        let unknown = StoreError::OutcomeUnknown(anyhow::anyhow!("lost"));
        let conflict = StoreError::Conflict("stale".into());

        assert_eq!(failed_write_answer(&conflict, None), ScheduleError::Retry);
        assert_eq!(
            failed_write_answer(&unavailable, Some(&key("a"))),
            ScheduleError::NotDurable
        );
        assert_eq!(
            failed_write_answer(&unknown, Some(&key("a"))),
            ScheduleError::NotDurable
        );
    }
}

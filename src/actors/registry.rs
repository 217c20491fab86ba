//! `ScheduleRegistry`: finds the one live `ScheduleActor` of a checkpoint day, starting it on
//! first use, and forgets it when it stops (idle days stop by themselves).
//!
//! Actors run on a fixed set of arbiters (threads) owned by the registry rather than on the
//! HTTP workers, so they outlive any one worker and can be drained on shutdown after the HTTP
//! server has stopped taking requests.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use actix::prelude::*;
use chrono::NaiveDate;
use dashmap::DashMap;
use dashmap::mapref::entry::Entry;

use crate::clock::Clock;
use crate::domain::{AllocationError, Checkpoint, CheckpointId, Policy};
use crate::store::SlotStore;

use super::answer::AnswerTicket;
use super::schedule::{ForRequest, ScheduleActor, ScheduleError, Shutdown};

/// What every day's actor shares with the registry that starts it.
#[derive(Clone)]
pub struct DayServices {
    pub store: Arc<dyn SlotStore>,
    pub clock: Arc<dyn Clock>,
    pub policy: Policy,
    pub settings: ActorSettings,
}

/// Limits and timings of the schedule actors; each is spelled out rather than left to a
/// library default.
#[derive(Debug, Clone, Copy)]
pub struct ActorSettings {
    /// Messages an actor's mailbox holds before senders wait.
    pub mailbox_capacity: usize,
    /// Requests written in one store transaction at most; 1 turns group commit off.
    pub batch_size_max: usize,
    /// A day's writes in flight at once (1 or 2); a second is sent only to a store that can
    /// make it follow the first.
    pub writes_in_flight_max: usize,
    /// A day with no requests and no holds for this long stops its actor.
    pub idle_ttl: Duration,
    pub idle_check_interval: Duration,
    /// How long a request waits for its actor's answer, over every attempt, before it is
    /// refused as unavailable. With the store's own deadline before COMMIT (2 s by default)
    /// this bounds how long a request waits while the database is away.
    pub request_timeout: Duration,
    /// Threads that host the actors.
    pub arbiters: usize,
}

impl Default for ActorSettings {
    fn default() -> Self {
        Self {
            mailbox_capacity: 4096,
            batch_size_max: 1024,
            writes_in_flight_max: 2,
            idle_ttl: Duration::from_secs(600),
            idle_check_interval: Duration::from_secs(30),
            request_timeout: Duration::from_secs(3),
            arbiters: 2,
        }
    }
}

type DayKey = (CheckpointId, NaiveDate);

/// How often one request is offered to a day's actor before it is refused as unavailable.
const ASK_ATTEMPTS_MAX: usize = 4;

struct LiveActor {
    generation: u64,
    addr: Addr<ScheduleActor>,
    revision: Revision,
}

static NEXT_REVISION: AtomicU64 = AtomicU64::new(1);

/// Names the state of one day's windows in its actor: it changes whenever they may have
/// changed, so that what was rendered from them can be served again until it does. Values
/// are unique in the process, so a day's next actor never repeats one of its predecessor's.
#[derive(Clone)]
pub struct Revision(Arc<AtomicU64>);

impl Revision {
    fn new() -> Self {
        Self(Arc::new(AtomicU64::new(
            NEXT_REVISION.fetch_add(1, Ordering::Relaxed),
        )))
    }

    pub fn advance(&self) {
        let next = NEXT_REVISION.fetch_add(1, Ordering::Relaxed);
        self.0.store(next, Ordering::Release);
    }

    fn current(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }
}

/// Handed to each actor so that, when it stops, it removes its own entry and not a successor's.
pub struct Departure {
    actors: Weak<DashMap<DayKey, LiveActor>>,
    key: DayKey,
    generation: u64,
}

impl Departure {
    pub fn leave(&self) {
        if let Some(actors) = self.actors.upgrade() {
            actors.remove_if(&self.key, |_, live| live.generation == self.generation);
        }
    }
}

pub struct ScheduleRegistry {
    actors: Arc<DashMap<DayKey, LiveActor>>,
    checkpoints: DashMap<CheckpointId, Arc<Checkpoint>>,
    arbiters: Mutex<Vec<Arbiter>>,
    handles: Vec<ArbiterHandle>,
    next_generation: AtomicU64,
    services: DayServices,
}

impl ScheduleRegistry {
    /// Must be called inside a running actix `System`.
    pub fn new(
        checkpoints: Vec<Checkpoint>,
        store: Arc<dyn SlotStore>,
        clock: Arc<dyn Clock>,
        policy: Policy,
        settings: ActorSettings,
    ) -> Self {
        let arbiters: Vec<Arbiter> = (0..settings.arbiters.max(1))
            .map(|_| Arbiter::new())
            .collect();
        let handles = arbiters.iter().map(Arbiter::handle).collect();
        Self {
            actors: Arc::new(DashMap::new()),
            checkpoints: checkpoints
                .into_iter()
                .map(|c| (c.id.clone(), Arc::new(c)))
                .collect(),
            arbiters: Mutex::new(arbiters),
            handles,
            next_generation: AtomicU64::new(1),
            services: DayServices {
                store,
                clock,
                policy,
                settings,
            },
        }
    }

    pub fn policy(&self) -> &Policy {
        &self.services.policy
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.services.clock
    }

    pub fn store(&self) -> &Arc<dyn SlotStore> {
        &self.services.store
    }

    pub fn checkpoint(&self, id: &CheckpointId) -> Option<Arc<Checkpoint>> {
        self.checkpoints.get(id).map(|c| Arc::clone(&c))
    }

    /// Adds a checkpoint or replaces its template; days already running keep their windows.
    pub fn put_checkpoint(&self, checkpoint: Checkpoint) {
        self.checkpoints
            .insert(checkpoint.id.clone(), Arc::new(checkpoint));
    }

    pub fn checkpoints(&self) -> Vec<Arc<Checkpoint>> {
        let mut all: Vec<Arc<Checkpoint>> =
            self.checkpoints.iter().map(|c| Arc::clone(&c)).collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        all
    }

    pub fn live_actors(&self) -> usize {
        self.actors.len()
    }

    /// The revision of the day's windows, while its actor runs.
    pub fn revision(&self, checkpoint: &CheckpointId, day: NaiveDate) -> Option<u64> {
        self.actors
            .get(&(checkpoint.clone(), day))
            .filter(|live| live.addr.connected())
            .map(|live| live.revision.current())
    }

    /// Sends `message` to the actor of `checkpoint` on `day`, starting it if needed.
    pub async fn ask<M, R>(
        &self,
        checkpoint: &CheckpointId,
        day: NaiveDate,
        message: M,
    ) -> Result<R, ScheduleError>
    where
        M: Message<Result = Result<R, ScheduleError>> + Send + Clone + 'static,
        R: Send + 'static,
        ScheduleActor: Handler<ForRequest<M>>,
    {
        self.ask_with(checkpoint, day, || message.clone()).await
    }

    /// Like `ask`, for the message that carries an idempotent request's change: its answer is
    /// rendered by the actor and stored in the same batch.
    pub async fn ask_answered<M, R>(
        &self,
        checkpoint: &CheckpointId,
        day: NaiveDate,
        message: M,
        answer: Option<AnswerTicket>,
    ) -> Result<R, ScheduleError>
    where
        M: Message<Result = Result<R, ScheduleError>> + Send + Clone + 'static,
        R: Send + 'static,
        ScheduleActor: Handler<ForRequest<M>>,
    {
        self.ask_with_answered(checkpoint, day, || message.clone(), answer)
            .await
    }

    /// Like `ask`, with a new message for every attempt: a booking code that collided with
    /// one stored for another day must not be tried again.
    pub async fn ask_with<M, R>(
        &self,
        checkpoint: &CheckpointId,
        day: NaiveDate,
        message: impl FnMut() -> M,
    ) -> Result<R, ScheduleError>
    where
        M: Message<Result = Result<R, ScheduleError>> + Send + 'static,
        R: Send + 'static,
        ScheduleActor: Handler<ForRequest<M>>,
    {
        self.ask_with_answered(checkpoint, day, message, None).await
    }

    /// `ask_with` and `ask_answered` in one.
    pub async fn ask_with_answered<M, R>(
        &self,
        checkpoint: &CheckpointId,
        day: NaiveDate,
        mut message: impl FnMut() -> M,
        answer: Option<AnswerTicket>,
    ) -> Result<R, ScheduleError>
    where
        M: Message<Result = Result<R, ScheduleError>> + Send + 'static,
        R: Send + 'static,
        ScheduleActor: Handler<ForRequest<M>>,
    {
        let depth = metrics::gauge!(
            crate::metrics::prometheus::SCHEDULE_QUEUE_DEPTH,
            "checkpoint" => checkpoint.to_string()
        );
        depth.increment(1.0);
        let outcome = self
            .ask_attempts(checkpoint, day, &mut message, answer.as_ref())
            .await;
        depth.decrement(1.0);
        outcome
    }

    async fn ask_attempts<M, R>(
        &self,
        checkpoint: &CheckpointId,
        day: NaiveDate,
        message: &mut impl FnMut() -> M,
        answer: Option<&AnswerTicket>,
    ) -> Result<R, ScheduleError>
    where
        M: Message<Result = Result<R, ScheduleError>> + Send + 'static,
        R: Send + 'static,
        ScheduleActor: Handler<ForRequest<M>>,
    {
        // Sending again is safe in two cases: a message refused as `Closed` never reached a
        // handler (its actor stopped between lookup and delivery), and a `Retry` answer means
        // nothing was stored and the actor has reloaded the day before its next message.
        let deadline = tokio::time::Instant::now() + self.services.settings.request_timeout;
        for _ in 0..ASK_ATTEMPTS_MAX {
            let addr = self.actor(checkpoint, day)?;
            let envelope = ForRequest {
                request_id: crate::telemetry::request_id::current(),
                answer: answer.cloned(),
                message: message(),
            };
            match addr
                .send(envelope)
                .timeout(deadline.saturating_duration_since(tokio::time::Instant::now()))
                .await
            {
                Ok(Err(ScheduleError::Retry)) | Err(MailboxError::Closed) => continue,
                Ok(result) => return result,
                Err(MailboxError::Timeout) => return Err(ScheduleError::Unavailable),
            }
        }
        Err(ScheduleError::Unavailable)
    }

    fn actor(
        &self,
        checkpoint: &CheckpointId,
        day: NaiveDate,
    ) -> Result<Addr<ScheduleActor>, ScheduleError> {
        let key = (checkpoint.clone(), day);
        if let Some(live) = self.actors.get(&key)
            && live.addr.connected()
        {
            return Ok(live.addr.clone());
        }
        let template = self
            .checkpoint(checkpoint)
            .ok_or(AllocationError::UnknownCheckpoint)?;
        match self.actors.entry(key.clone()) {
            Entry::Occupied(live) if live.get().addr.connected() => Ok(live.get().addr.clone()),
            entry => {
                let generation = self.next_generation.fetch_add(1, Ordering::Relaxed);
                let departure = Departure {
                    actors: Arc::downgrade(&self.actors),
                    key: key.clone(),
                    generation,
                };
                let services = self.services.clone();
                let arbiter = &self.handles[arbiter_index(&key, self.handles.len())];
                let revision = Revision::new();
                let actor_revision = revision.clone();
                let addr = ScheduleActor::start_in_arbiter(arbiter, move |_| {
                    ScheduleActor::new(template, day, services, (departure, actor_revision))
                });
                entry.insert(LiveActor {
                    generation,
                    addr: addr.clone(),
                    revision,
                });
                Ok(addr)
            }
        }
    }

    /// Stops every actor once its decided changes are durable, then the arbiters.
    pub async fn shutdown(&self, deadline: Duration) {
        let addrs: Vec<Addr<ScheduleActor>> =
            self.actors.iter().map(|live| live.addr.clone()).collect();
        tracing::info!(actors = addrs.len(), "stopping schedule actors");
        for addr in addrs {
            addr.do_send(Shutdown);
        }
        let started = std::time::Instant::now();
        while !self.actors.is_empty() && started.elapsed() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let arbiters =
            std::mem::take(&mut *self.arbiters.lock().unwrap_or_else(|e| e.into_inner()));
        for arbiter in arbiters {
            arbiter.stop();
            let _ = arbiter.join();
        }
        tracing::info!("schedule actors stopped");
    }
}

fn arbiter_index(key: &DayKey, count: usize) -> usize {
    let mut hasher = DefaultHasher::new();
    key.hash(&mut hasher);
    (hasher.finish() % count as u64) as usize
}

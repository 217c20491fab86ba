//! The event bus between the outbox relay and the data-processing consumers.
//!
//! Delivery is at least once: the relay marks an event sent only after the bus confirmed it,
//! and a consumer acknowledges it only after its work is stored, so after a crash or an outage
//! an event may arrive twice. Every consumer is therefore idempotent by event id.
//!
//! Two implementations: [`in_process::InProcessBus`] (the default: handlers run inside the
//! relay's publish call) and [`rabbitmq::RabbitBus`] (when `AMQP_URL` is set: one broker or
//! several nodes of a cluster).

pub mod decode;
pub mod in_process;
pub mod rabbitmq;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use thiserror::Error;

use crate::domain::DomainEvent;

/// Deliveries of one event to one consumer group before it is set aside as dead.
pub const DELIVERY_ATTEMPTS_MAX: u32 = 3;

pub(crate) fn unavailable(error: impl std::fmt::Display) -> BusError {
    BusError::Unavailable(error.to_string())
}

#[derive(Debug, Error)]
pub enum BusError {
    #[error("the message broker is unreachable: {0}")]
    Unavailable(String),
    #[error("the message broker refused an event: {0}")]
    Refused(String),
}

/// Why a consumer could not finish an event.
#[derive(Debug, Error)]
pub enum HandlerError {
    /// Something the consumer depends on is away (the store, a mail relay, a webhook
    /// endpoint): the event waits and is tried again, without counting as an attempt, so an
    /// outage never sends events to the dead letters.
    #[error("a dependency is unavailable: {0:#}")]
    Transient(anyhow::Error),
    /// The event cannot be handled as it is; after `DELIVERY_ATTEMPTS_MAX` attempts it is set
    /// aside as a dead letter.
    #[error("{0:#}")]
    Permanent(anyhow::Error),
}

impl From<crate::store::StoreError> for HandlerError {
    fn from(error: crate::store::StoreError) -> Self {
        use crate::store::Recovery;
        match error.recovery() {
            // An outage: the event waits, however long it lasts.
            Recovery::Later => HandlerError::Transient(error.into()),
            // A race lost to another writer is handled again as a counted attempt, so one that
            // keeps recurring ends as a dead letter instead of looping.
            Recovery::Reload | Recovery::AnswerStored | Recovery::AskAgain | Recovery::Never => {
                HandlerError::Permanent(error.into())
            }
        }
    }
}

impl From<anyhow::Error> for HandlerError {
    fn from(error: anyhow::Error) -> Self {
        HandlerError::Permanent(error)
    }
}

/// One consumer group's work on an event.
#[async_trait]
pub trait EventHandler: Send + Sync {
    /// Must be idempotent by event id: the same event may be delivered again.
    async fn handle(&self, event: &DomainEvent) -> Result<(), HandlerError>;

    /// Handles `events`: an answer per event, in their order. Fewer answers than events means
    /// the rest were not tried, as this one does from the first event that waits for a
    /// dependency on. A handler whose work on many events costs much less together (one
    /// transaction) does them together.
    async fn handle_batch(&self, events: &[DomainEvent]) -> Vec<Result<(), HandlerError>> {
        let mut answers = Vec::with_capacity(events.len());
        for event in events {
            let answer = self.handle(event).await;
            let waits = matches!(answer, Err(HandlerError::Transient(_)));
            answers.push(answer);
            if waits {
                break;
            }
        }
        answers
    }
}

/// Counts one delivery to a consumer group and how old its event was by then.
pub(crate) fn record_delivery(group: &str, event: Option<&DomainEvent>, done: bool) {
    DeliveryTally::new(group).count(event, done);
}

/// Deliveries to one consumer group, counted as they are handled and recorded when the tally
/// is dropped: a metric's labels are looked up and hashed on every update, and once per event
/// that was a noticeable share of a busy consumer's work.
pub(crate) struct DeliveryTally<'a> {
    group: &'a str,
    done: u64,
    failed: u64,
    last: Option<DateTime<Utc>>,
}

impl<'a> DeliveryTally<'a> {
    pub(crate) fn new(group: &'a str) -> Self {
        Self {
            group,
            done: 0,
            failed: 0,
            last: None,
        }
    }

    pub(crate) fn count(&mut self, event: Option<&DomainEvent>, done: bool) {
        if done {
            self.done += 1;
        } else {
            self.failed += 1;
        }
        // The lag is that of the last event handled, as when it was set per event: a delivery
        // set aside and handled again later keeps its old time, and shows here.
        if let Some(event) = event {
            self.last = Some(event.occurred_at);
        }
    }
}

impl Drop for DeliveryTally<'_> {
    fn drop(&mut self) {
        use crate::metrics::prometheus::{CONSUMER_LAG, EVENTS_CONSUMED};
        let group = self.group.to_owned();
        for (outcome, count) in [("done", self.done), ("failed", self.failed)] {
            if count > 0 {
                metrics::counter!(EVENTS_CONSUMED, "group" => group.clone(), "outcome" => outcome)
                    .increment(count);
            }
        }
        if let Some(last) = self.last {
            let age = (Utc::now() - last).num_milliseconds().max(0);
            metrics::gauge!(CONSUMER_LAG, "group" => group).set(age as f64 / 1000.0);
        }
    }
}

pub(crate) fn record_dead_letter(group: &str) {
    metrics::counter!(crate::metrics::prometheus::EVENTS_DEAD_LETTERED, "group" => group.to_owned())
        .increment(1);
}

/// An event a consumer group gave up on after `DELIVERY_ATTEMPTS_MAX` attempts.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    pub group: String,
    pub event: DomainEvent,
    pub error: String,
}

#[async_trait]
pub trait EventBus: Send + Sync {
    /// Publishes `events` in order; `Ok` only once the bus has taken responsibility for all.
    async fn publish(&self, events: &[DomainEvent]) -> Result<(), BusError>;

    /// Delivers every event published from now on (and, with a broker, every one still queued
    /// for the group) to `handler`, in the background until `shutdown`.
    async fn subscribe(&self, group: &'static str, handler: Arc<dyn EventHandler>);

    /// Whether events can be published now.
    async fn is_ready(&self) -> bool;

    /// Stops the consumers and waits for the event each is working on.
    async fn shutdown(&self);
}

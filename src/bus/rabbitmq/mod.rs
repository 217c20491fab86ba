//! RabbitMQ through lapin: one broker, or several nodes of a cluster (`AMQP_URL` a
//! comma-separated list), with classic or quorum queues (`topology`).
//!
//! The namespace (`borderslot` unless `AMQP_NAMESPACE` says otherwise) prefixes every name, so
//! several deployments can share one broker. Because the groups' queues exist before the first
//! publish, and publishes are `mandatory`, an event the broker confirms is queued for every
//! group.
//!
//! Publishing: persistent messages on a channel in confirm mode, in order; the call returns
//! once the broker confirmed every one. A publish that breaks or stalls fails as a whole, the
//! relay keeps its events in the outbox and publishes them again (consumers absorb the
//! duplicates by event id), and the next attempt connects to the next broker of the list.
//! Consuming: see `consumer`.

pub mod brokers;
mod consumer;
pub mod dead_letters;
pub mod topology;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex as StdMutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use lapin::options::BasicPublishOptions;
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Confirmation, Connection};
use tokio::sync::{Mutex, watch};
use tokio::task::JoinHandle;

pub use self::topology::QueueType;
use super::{BusError, EventBus, EventHandler, unavailable};
use crate::domain::DomainEvent;
use crate::secret::Secret;

pub(crate) const ATTEMPTS_HEADER: &str = "x-attempts";
pub(crate) const LAST_ERROR_HEADER: &str = "x-last-error";
/// A publish whose confirmations have not all come back by then counts as failed.
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(15);
/// A publish whose next confirmation keeps it waiting this long counts as failed too: when a
/// quorum queue's leader dies, publishes in flight may never be confirmed, and waiting the
/// whole `CONFIRM_TIMEOUT` for them would stall the relay that long.
const CONFIRM_STALL_MAX: Duration = Duration::from_secs(2);
/// A connection whose topology cannot be declared in this time (a quorum queue without a
/// majority of its nodes, say) counts as failed, so that neither a publish nor a shutdown
/// waits on it.
const OPEN_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct RabbitSettings {
    /// Every broker that may be connected to, in the order they are tried. Carry passwords;
    /// never shown.
    pub urls: Vec<Secret>,
    /// Prefix of the exchange and queue names.
    pub namespace: String,
    /// Every consumer group whose queue must exist before events are published.
    pub groups: Vec<&'static str>,
    /// Unacknowledged deliveries per consumer.
    pub prefetch: u16,
    pub queue_type: QueueType,
    /// With quorum queues, deliveries of one message before the broker dead-letters it.
    pub delivery_limit: u32,
}

impl RabbitSettings {
    /// Settings for the brokers of `urls` (one URL or a comma-separated list) with classic
    /// queues, the defaults of a deployment that sets nothing else.
    pub fn new(
        urls: &Secret,
        namespace: impl Into<String>,
        groups: Vec<&'static str>,
    ) -> Result<Self, String> {
        Ok(Self {
            urls: brokers::parse_broker_urls(urls)?,
            namespace: namespace.into(),
            groups,
            prefetch: 32,
            queue_type: QueueType::Classic,
            delivery_limit: DELIVERY_LIMIT_DEFAULT,
        })
    }

    pub fn exchange(&self) -> String {
        format!("{}.events", self.namespace)
    }

    pub fn queue(&self, group: &str) -> String {
        format!("{}.{group}", self.namespace)
    }

    pub fn dead_letter_queue(&self, group: &str) -> String {
        format!("{}.{group}.dead", self.namespace)
    }
}

/// Deliveries of one message to consumers that died holding it before a quorum queue
/// dead-letters it (RabbitMQ 4's own default).
pub const DELIVERY_LIMIT_DEFAULT: u32 = 20;

struct Publisher {
    // Kept so the channel's connection is not dropped.
    _connection: Connection,
    channel: Channel,
}

pub struct RabbitBus {
    settings: RabbitSettings,
    /// Whether the publisher's channel was open at its last use, for readiness probes that
    /// must not wait behind a publish.
    connected: AtomicBool,
    /// The broker the publisher connects to first.
    broker: AtomicUsize,
    publisher: Mutex<Option<Publisher>>,
    stop: watch::Sender<bool>,
    consumers: StdMutex<Vec<JoinHandle<()>>>,
}

fn persistent(event_id: &str, headers: FieldTable) -> BasicProperties {
    BasicProperties::default()
        .with_delivery_mode(2)
        .with_content_type("application/json".into())
        .with_message_id(event_id.into())
        .with_headers(headers)
}

/// Publishes one message and waits for the broker's confirmation that it was routed.
async fn publish_confirmed(
    channel: &Channel,
    exchange: &str,
    routing_key: &str,
    body: &[u8],
    properties: BasicProperties,
) -> Result<(), BusError> {
    let confirmation = channel
        .basic_publish(
            exchange.into(),
            routing_key.into(),
            BasicPublishOptions {
                mandatory: true,
                ..BasicPublishOptions::default()
            },
            body,
            properties,
        )
        .await
        .map_err(unavailable)?;
    let confirmation = tokio::time::timeout(CONFIRM_TIMEOUT, confirmation)
        .await
        .map_err(|_| unavailable("no confirmation in time"))?
        .map_err(unavailable)?;
    check(confirmation)
}

fn check(confirmation: Confirmation) -> Result<(), BusError> {
    match confirmation {
        Confirmation::Ack(None) => Ok(()),
        Confirmation::Ack(Some(_)) => Err(BusError::Refused("no queue took the message".into())),
        Confirmation::Nack(_) => Err(BusError::Refused("the broker did not store it".into())),
        Confirmation::NotRequested => {
            Err(BusError::Refused("the channel is not confirming".into()))
        }
    }
}

impl RabbitBus {
    /// Connects and declares the topology. A broker that is down now does not stop the
    /// process (bookings go on, events wait in the outbox): the first publish connects.
    pub async fn connect(settings: RabbitSettings) -> Self {
        let bus = Self {
            connected: AtomicBool::new(false),
            broker: AtomicUsize::new(0),
            settings,
            publisher: Mutex::new(None),
            stop: watch::channel(false).0,
            consumers: StdMutex::new(Vec::new()),
        };
        let mut publisher = bus.publisher.lock().await;
        match bus.open_publisher().await {
            Ok(opened) => *publisher = Some(opened),
            Err(error) => {
                tracing::warn!(%error, "RabbitMQ is unreachable at start-up; events wait in the outbox");
            }
        }
        drop(publisher);
        bus
    }

    /// Opens the publisher's channel on the first broker that answers, starting with the
    /// one after the broker whose connection failed last.
    async fn open_publisher(&self) -> Result<Publisher, BusError> {
        let opening = async {
            let first = self.broker.load(Ordering::Relaxed);
            let connected =
                brokers::connect_any(&self.settings.urls, first, "borderslot-publisher").await?;
            self.broker.store(connected.broker, Ordering::Relaxed);
            let channel =
                brokers::confirming_channel(&connected.connection, Some(&self.settings)).await?;
            Ok(Publisher {
                _connection: connected.connection,
                channel,
            })
        };
        let opened = tokio::time::timeout(OPEN_TIMEOUT, opening)
            .await
            .unwrap_or_else(|_| Err(unavailable("the broker did not open a channel in time")));
        self.connected.store(opened.is_ok(), Ordering::Relaxed);
        if opened.is_err() {
            self.broker.fetch_add(1, Ordering::Relaxed);
        }
        opened
    }

    async fn publish_all(
        channel: &Channel,
        exchange: &str,
        events: &[DomainEvent],
    ) -> Result<(), BusError> {
        // Sent back to back, then every confirmation awaited: one round trip for the lot.
        let mut pending = Vec::with_capacity(events.len());
        for event in events {
            let body = serde_json::to_vec(event).map_err(|e| BusError::Refused(e.to_string()))?;
            let confirm = channel
                .basic_publish(
                    exchange.into(),
                    event.event_type.as_str().into(),
                    BasicPublishOptions {
                        mandatory: true,
                        ..BasicPublishOptions::default()
                    },
                    &body,
                    persistent(&event.id.to_string(), FieldTable::default()),
                )
                .await
                .map_err(unavailable)?;
            pending.push(confirm);
        }
        for confirm in pending {
            let confirmation = tokio::time::timeout(CONFIRM_STALL_MAX, confirm)
                .await
                .map_err(|_| unavailable("confirmations stalled"))?
                .map_err(unavailable)?;
            check(confirmation)?;
        }
        Ok(())
    }
}

#[async_trait]
impl EventBus for RabbitBus {
    async fn publish(&self, events: &[DomainEvent]) -> Result<(), BusError> {
        let mut publisher = self.publisher.lock().await;
        let usable = publisher
            .as_ref()
            .is_some_and(|p| p.channel.status().connected());
        if !usable {
            *publisher = Some(self.open_publisher().await?);
        }
        let channel = &publisher
            .as_ref()
            .expect("a publisher was just set")
            .channel;
        let result = tokio::time::timeout(
            CONFIRM_TIMEOUT,
            Self::publish_all(channel, &self.settings.exchange(), events),
        )
        .await
        .unwrap_or_else(|_| Err(unavailable("no confirmation in time")));
        if result.is_err() {
            // A fresh channel on the next broker for the next attempt: a channel that saw a
            // quorum queue lose its leader may go on refusing publishes to it for seconds
            // after a new leader took over, and one refused as unroutable declares the
            // topology again on reconnecting. The broker that failed is asked last.
            *publisher = None;
            self.connected.store(false, Ordering::Relaxed);
            self.broker.fetch_add(1, Ordering::Relaxed);
        }
        result
    }

    async fn subscribe(&self, group: &'static str, handler: Arc<dyn EventHandler>) {
        let consumer = tokio::spawn(consumer::consume_forever(
            self.settings.clone(),
            group,
            handler,
            self.stop.subscribe(),
        ));
        self.consumers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(consumer);
    }

    async fn is_ready(&self) -> bool {
        // A publish in progress holds the lock; its outcome will update the flag.
        let Ok(mut publisher) = self.publisher.try_lock() else {
            return self.connected.load(Ordering::Relaxed);
        };
        if publisher
            .as_ref()
            .is_some_and(|p| p.channel.status().connected())
        {
            return true;
        }
        match self.open_publisher().await {
            Ok(opened) => {
                *publisher = Some(opened);
                true
            }
            Err(_) => false,
        }
    }

    async fn shutdown(&self) {
        let _ = self.stop.send(true);
        let consumers: Vec<_> = self
            .consumers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
            .collect();
        for consumer in consumers {
            let _ = consumer.await;
        }
    }
}

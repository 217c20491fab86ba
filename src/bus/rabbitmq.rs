//! RabbitMQ through lapin.
//!
//! Topology, declared by publisher and consumers alike so that neither depends on the other
//! starting first: a durable topic exchange `<namespace>.events` (routing key = event type),
//! and for every consumer group a durable queue `<namespace>.<group>` bound with `#` plus a
//! durable dead-letter queue `<namespace>.<group>.dead`. The namespace (`borderslot` unless
//! `AMQP_NAMESPACE` says otherwise) lets several deployments share one broker. Because the groups' queues exist before
//! the first publish, and publishes are `mandatory`, an event the broker confirms is queued for
//! every group.
//!
//! Each group's queue has a single active consumer (`x-single-active-consumer`): replicas
//! stand by and take over, and a group sees events in publish order.
//!
//! Publishing: persistent messages on a channel in confirm mode, in order; the call returns
//! once the broker confirmed every one. Consuming: a connection per group, `prefetch` messages
//! in flight, acknowledged after the handler's work is stored. A failed event is published
//! again to the end of its queue with its attempt count in the `x-attempts` header; after
//! `DELIVERY_ATTEMPTS_MAX` attempts it goes to the group's dead-letter queue instead, with the
//! last error in `x-last-error`. Lost connections are re-established with backoff.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex as StdMutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{
    BasicProperties, Channel, Confirmation, Connection, ConnectionProperties, ExchangeKind,
};
use tokio::sync::{Mutex, watch};
use tokio::task::JoinHandle;

use super::{BusError, DELIVERY_ATTEMPTS_MAX, EventBus, EventHandler, HandlerError};
use crate::domain::DomainEvent;

const ATTEMPTS_HEADER: &str = "x-attempts";
const LAST_ERROR_HEADER: &str = "x-last-error";
const RECONNECT_DELAY_MIN: Duration = Duration::from_millis(200);
const RECONNECT_DELAY_MAX: Duration = Duration::from_secs(10);
/// A publish whose confirmations have not all come back by then counts as failed.
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(15);
/// lapin has no connect timeout of its own; an unreachable host would hang for minutes.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Pause before an event whose handler waits for a dependency goes back to the queue.
const TRANSIENT_RETRY_DELAY: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub struct RabbitSettings {
    /// Carries the password; never shown.
    pub url: crate::secret::Secret,
    /// Prefix of the exchange and queue names.
    pub namespace: String,
    /// Every consumer group whose queue must exist before events are published.
    pub groups: Vec<&'static str>,
    /// Unacknowledged deliveries per consumer.
    pub prefetch: u16,
}

impl RabbitSettings {
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
    publisher: Mutex<Option<Publisher>>,
    stop: watch::Sender<bool>,
    consumers: StdMutex<Vec<JoinHandle<()>>>,
}

fn unavailable(error: impl std::fmt::Display) -> BusError {
    BusError::Unavailable(error.to_string())
}

async fn open_channel(
    settings: &RabbitSettings,
    name: &str,
) -> Result<(Connection, Channel), BusError> {
    tokio::time::timeout(CONNECT_TIMEOUT, declare_topology(settings, name))
        .await
        .map_err(|_| unavailable("no connection within the connect timeout"))?
        .map_err(unavailable)
}

async fn declare_topology(
    settings: &RabbitSettings,
    name: &str,
) -> lapin::Result<(Connection, Channel)> {
    let properties = ConnectionProperties::default().with_connection_name(name.into());
    let connection = Connection::connect(settings.url.expose(), properties).await?;
    let channel = connection.create_channel().await?;
    channel
        .exchange_declare(
            settings.exchange().as_str().into(),
            ExchangeKind::Topic,
            ExchangeDeclareOptions {
                durable: true,
                ..ExchangeDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await?;
    let durable = QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    };
    // One consumer of a group at a time (the others wait as standbys), so events reach a
    // group in the order they were published even with several replicas.
    let mut single_consumer = FieldTable::default();
    single_consumer.insert("x-single-active-consumer".into(), AMQPValue::Boolean(true));
    for group in &settings.groups {
        channel
            .queue_declare(
                settings.queue(group).as_str().into(),
                durable,
                single_consumer.clone(),
            )
            .await?;
        channel
            .queue_declare(
                settings.dead_letter_queue(group).as_str().into(),
                durable,
                FieldTable::default(),
            )
            .await?;
        channel
            .queue_bind(
                settings.queue(group).as_str().into(),
                settings.exchange().as_str().into(),
                "#".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
    }
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    Ok((connection, channel))
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
        .map_err(unavailable)?
        .await
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
        let publisher = match open_channel(&settings, "borderslot-publisher").await {
            Ok((connection, channel)) => Some(Publisher {
                _connection: connection,
                channel,
            }),
            Err(error) => {
                tracing::warn!(%error, "RabbitMQ is unreachable at start-up; events wait in the outbox");
                None
            }
        };
        Self {
            connected: AtomicBool::new(publisher.is_some()),
            settings,
            publisher: Mutex::new(publisher),
            stop: watch::channel(false).0,
            consumers: StdMutex::new(Vec::new()),
        }
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
            check(confirm.await.map_err(unavailable)?)?;
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
            let opened = open_channel(&self.settings, "borderslot-publisher").await;
            self.connected.store(opened.is_ok(), Ordering::Relaxed);
            let (connection, channel) = opened?;
            *publisher = Some(Publisher {
                _connection: connection,
                channel,
            });
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
        if matches!(result, Err(BusError::Unavailable(_))) {
            *publisher = None;
            self.connected.store(false, Ordering::Relaxed);
        }
        result
    }

    async fn subscribe(&self, group: &'static str, handler: Arc<dyn EventHandler>) {
        let consumer = tokio::spawn(consume_forever(
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
        let opened = open_channel(&self.settings, "borderslot-publisher").await;
        self.connected.store(opened.is_ok(), Ordering::Relaxed);
        match opened {
            Ok((connection, channel)) => {
                *publisher = Some(Publisher {
                    _connection: connection,
                    channel,
                });
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

/// Consumes for `group` until stopped, reconnecting with backoff whenever the broker goes.
async fn consume_forever(
    settings: RabbitSettings,
    group: &'static str,
    handler: Arc<dyn EventHandler>,
    mut stop: watch::Receiver<bool>,
) {
    let mut delay = RECONNECT_DELAY_MIN;
    loop {
        if *stop.borrow() {
            return;
        }
        match consume(&settings, group, handler.as_ref(), &mut stop, &mut delay).await {
            Ok(()) => return,
            Err(error) => {
                tracing::warn!(group, %error, retry_in = ?delay, "event consumer lost the broker");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = stop.changed() => return,
        }
        delay = (delay * 2).min(RECONNECT_DELAY_MAX);
    }
}

async fn consume(
    settings: &RabbitSettings,
    group: &'static str,
    handler: &dyn EventHandler,
    stop: &mut watch::Receiver<bool>,
    delay: &mut Duration,
) -> Result<(), BusError> {
    let (_connection, channel) = open_channel(settings, &format!("borderslot-{group}")).await?;
    channel
        .basic_qos(settings.prefetch, BasicQosOptions::default())
        .await
        .map_err(unavailable)?;
    let mut deliveries = channel
        .basic_consume(
            settings.queue(group).as_str().into(),
            format!("borderslot-{group}").as_str().into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(unavailable)?;
    *delay = RECONNECT_DELAY_MIN;
    tracing::info!(group, "event consumer connected");
    loop {
        let delivery = tokio::select! {
            next = deliveries.next() => next,
            _ = stop.changed() => return Ok(()),
        };
        match delivery {
            Some(Ok(delivery)) => settle(settings, &channel, group, handler, delivery).await?,
            Some(Err(error)) => return Err(unavailable(error)),
            None => {
                return Err(BusError::Unavailable(
                    "the broker cancelled the consumer".into(),
                ));
            }
        }
    }
}

fn attempts_so_far(delivery: &Delivery) -> u32 {
    delivery
        .properties
        .headers()
        .as_ref()
        .and_then(|headers| headers.inner().get(ATTEMPTS_HEADER))
        .and_then(|value| match value {
            AMQPValue::LongUInt(n) => Some(*n),
            AMQPValue::LongLongInt(n) => u32::try_from(*n).ok(),
            AMQPValue::LongInt(n) => u32::try_from(*n).ok(),
            _ => None,
        })
        .unwrap_or(0)
}

/// Handles one delivery and acknowledges it once its outcome is safely stored somewhere:
/// done by the handler, queued again, or dead-lettered.
async fn settle(
    settings: &RabbitSettings,
    channel: &Channel,
    group: &'static str,
    handler: &dyn EventHandler,
    delivery: Delivery,
) -> Result<(), BusError> {
    let attempts = attempts_so_far(&delivery) + 1;
    let outcome = match serde_json::from_slice::<DomainEvent>(&delivery.data) {
        Ok(event) => {
            let handled = handler.handle(&event).await;
            super::record_delivery(group, Some(&event), handled.is_ok());
            match handled {
                Ok(()) => Ok(()),
                Err(HandlerError::Transient(error)) => {
                    // Back to the queue as it is, attempts uncounted, after a pause so that a
                    // dependency that is down is not hammered.
                    tracing::warn!(group, event.id = %event.id, error.cause_chain = ?error, "event handler waits for a dependency");
                    tokio::time::sleep(TRANSIENT_RETRY_DELAY).await;
                    return delivery
                        .nack(BasicNackOptions {
                            requeue: true,
                            ..BasicNackOptions::default()
                        })
                        .await
                        .map(|_| ())
                        .map_err(unavailable);
                }
                Err(HandlerError::Permanent(error)) => Err((format!("{error:#}"), attempts)),
            }
        }
        // An unreadable message will never succeed: no point trying it again.
        Err(error) => Err((format!("unreadable event: {error}"), DELIVERY_ATTEMPTS_MAX)),
    };
    if let Err((error, attempts)) = outcome {
        let message_id = delivery
            .properties
            .message_id()
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        let mut headers = FieldTable::default();
        headers.insert(ATTEMPTS_HEADER.into(), AMQPValue::LongUInt(attempts));
        let queue = if attempts >= DELIVERY_ATTEMPTS_MAX {
            tracing::error!(group, message_id, attempts, %error, "event dead-lettered");
            super::record_dead_letter(group);
            let error: String = error.chars().take(200).collect();
            headers.insert(
                LAST_ERROR_HEADER.into(),
                AMQPValue::LongString(error.into()),
            );
            settings.dead_letter_queue(group)
        } else {
            tracing::warn!(group, message_id, attempts, %error, "event handler failed; queued again");
            tokio::time::sleep(Duration::from_millis(50 * u64::from(attempts))).await;
            settings.queue(group)
        };
        let properties = persistent(&message_id, headers);
        publish_confirmed(channel, "", &queue, &delivery.data, properties).await?;
    }
    delivery
        .ack(BasicAckOptions::default())
        .await
        .map(|_| ())
        .map_err(unavailable)
}

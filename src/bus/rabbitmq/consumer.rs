//! A consumer group's side of RabbitMQ: a connection per group, `prefetch` messages in
//! flight, each acknowledged once its outcome is stored somewhere — done by the handler, queued
//! again, set aside as a dead letter, or knowingly skipped.
//!
//! - A handler failure is counted in the `x-attempts` header of a copy published again to the
//!   end of the queue; after `DELIVERY_ATTEMPTS_MAX` attempts the copy goes to the group's
//!   dead-letter queue instead, with the last error in `x-last-error`. Copies, not requeues,
//!   because a quorum queue counts every requeue against its delivery limit, which is kept for
//!   consumers that die holding a message.
//! - A handler waiting for a dependency (the store, a mail relay) keeps the message and tries
//!   again in place with backoff: an outage is no attempt, and the group's order holds.
//! - An event type this release does not know is acknowledged without work and counted in
//!   `borderslot_events_skipped_total`: with a single active consumer a requeued event would
//!   come straight back here, and on a quorum queue each return spends its delivery limit until
//!   it is dead-lettered as poison, which it is not (see `docs/events.md`).
//! - Lost connections are re-established with backoff, to the next broker of the list.

use std::time::Duration;

use futures_util::{FutureExt, StreamExt};
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicQosOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, Connection};
use tokio::sync::watch;

use super::brokers::connect_any;
use super::{ATTEMPTS_HEADER, LAST_ERROR_HEADER, RabbitSettings, persistent, publish_confirmed};
use crate::bus::decode::{Decoded, decode};
use crate::bus::{BusError, DELIVERY_ATTEMPTS_MAX, EventHandler, HandlerError, unavailable};
use crate::domain::DomainEvent;
use crate::metrics::prometheus::{DEAD_LETTER_EVENTS, EVENTS_SKIPPED};

const RECONNECT_DELAY_MIN: Duration = Duration::from_millis(200);
const RECONNECT_DELAY_MAX: Duration = Duration::from_secs(10);
/// First pause before a handler waiting for a dependency tries again; it doubles up to the max.
const TRANSIENT_RETRY_DELAY_MIN: Duration = Duration::from_millis(500);
const TRANSIENT_RETRY_DELAY_MAX: Duration = Duration::from_secs(10);
/// How often the number of dead letters waiting is read from the broker.
const DEAD_LETTER_CHECK_INTERVAL: Duration = Duration::from_secs(15);

/// Consumes for `group` until stopped, reconnecting with backoff whenever the broker goes.
pub async fn consume_forever(
    settings: RabbitSettings,
    group: &'static str,
    handler: std::sync::Arc<dyn EventHandler>,
    mut stop: watch::Receiver<bool>,
) {
    let mut delay = RECONNECT_DELAY_MIN;
    let mut broker = 0;
    loop {
        if *stop.borrow() {
            return;
        }
        match consume(
            &settings,
            group,
            handler.as_ref(),
            &mut stop,
            &mut delay,
            &mut broker,
        )
        .await
        {
            Ok(()) => return,
            Err(error) => {
                tracing::warn!(group, %error, retry_in = ?delay, "event consumer lost the broker");
                // The broker that failed is asked last next time.
                broker += 1;
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = stop.changed() => return,
        }
        delay = (delay * 2).min(RECONNECT_DELAY_MAX);
    }
}

async fn open(
    settings: &RabbitSettings,
    group: &str,
    broker: &mut usize,
) -> Result<(Connection, Channel), BusError> {
    let connected = connect_any(&settings.urls, *broker, &format!("borderslot-{group}")).await?;
    *broker = connected.broker;
    let connection = connected.connection;
    // Copies published again (attempts, dead letters) are confirmed before the original is
    // acknowledged, so none is lost between the two.
    let channel = super::brokers::confirming_channel(&connection, Some(settings)).await?;
    Ok((connection, channel))
}

async fn consume(
    settings: &RabbitSettings,
    group: &'static str,
    handler: &dyn EventHandler,
    stop: &mut watch::Receiver<bool>,
    delay: &mut Duration,
    broker: &mut usize,
) -> Result<(), BusError> {
    let (connection, channel) = tokio::select! {
        opened = tokio::time::timeout(super::OPEN_TIMEOUT, open(settings, group, broker)) => {
            opened.map_err(|_| unavailable("the broker did not open a channel in time"))??
        }
        _ = stop.changed() => return Ok(()),
    };
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
    // Its own channel: a failed check must not close the one that consumes.
    let checks = connection.create_channel().await.map_err(unavailable)?;
    let mut check_dead_letters = tokio::time::interval(DEAD_LETTER_CHECK_INTERVAL);
    *delay = RECONNECT_DELAY_MIN;
    tracing::info!(group, broker = *broker + 1, "event consumer connected");
    // What the stream gave while a batch was being gathered, other than a delivery.
    let mut held_back = None;
    loop {
        let delivery = match held_back.take() {
            Some(next) => next,
            None => tokio::select! {
                next = deliveries.next() => next,
                _ = check_dead_letters.tick() => {
                    record_dead_letters_waiting(settings, &checks, group).await;
                    continue;
                }
                _ = stop.changed() => return Ok(()),
            },
        };
        match delivery {
            Some(Ok(delivery)) => {
                // Whatever else has arrived is handled with it, up to the prefetch.
                let mut batch = vec![delivery];
                while batch.len() < usize::from(settings.prefetch.max(1)) {
                    match deliveries.next().now_or_never() {
                        Some(Some(Ok(more))) => batch.push(more),
                        Some(other) => {
                            held_back = Some(other);
                            break;
                        }
                        None => break,
                    }
                }
                if !settle(settings, &channel, group, handler, batch, stop).await? {
                    return Ok(());
                }
            }
            Some(Err(error)) => return Err(unavailable(error)),
            None => {
                return Err(BusError::Unavailable(
                    "the broker cancelled the consumer".into(),
                ));
            }
        }
    }
}

async fn record_dead_letters_waiting(settings: &RabbitSettings, channel: &Channel, group: &str) {
    let passive = QueueDeclareOptions {
        passive: true,
        ..QueueDeclareOptions::default()
    };
    match channel
        .queue_declare(
            settings.dead_letter_queue(group).as_str().into(),
            passive,
            FieldTable::default(),
        )
        .await
    {
        Ok(queue) => {
            metrics::gauge!(DEAD_LETTER_EVENTS, "group" => group.to_owned())
                .set(f64::from(queue.message_count()));
        }
        Err(error) => tracing::warn!(group, %error, "could not count the dead letters"),
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

/// Runs the handler on `events` (together, as far as it can), waiting in place for as long as
/// any of them waits for a dependency. `None` when the consumer was stopped meanwhile: the
/// messages then go back to the queue unacknowledged.
async fn handle_waiting(
    group: &str,
    handler: &dyn EventHandler,
    events: &[DomainEvent],
    stop: &mut watch::Receiver<bool>,
) -> Option<Vec<Result<(), anyhow::Error>>> {
    let mut outcomes: Vec<Option<Result<(), anyhow::Error>>> =
        events.iter().map(|_| None).collect();
    let mut pause = TRANSIENT_RETRY_DELAY_MIN;
    loop {
        let waiting: Vec<usize> = (0..events.len())
            .filter(|&i| outcomes[i].is_none())
            .collect();
        if waiting.is_empty() {
            return Some(outcomes.into_iter().flatten().collect());
        }
        // Copies only when some of them are tried again.
        let again: Vec<DomainEvent>;
        let batch = if waiting.len() == events.len() {
            events
        } else {
            again = waiting.iter().map(|&i| events[i].clone()).collect();
            &again
        };
        let answers = handler.handle_batch(batch).await;
        let mut tally = crate::bus::DeliveryTally::new(group);
        for (&i, answer) in waiting.iter().zip(answers) {
            tally.count(Some(&events[i]), answer.is_ok());
            match answer {
                Ok(()) => outcomes[i] = Some(Ok(())),
                Err(HandlerError::Permanent(error)) => outcomes[i] = Some(Err(error)),
                Err(HandlerError::Transient(error)) => {
                    tracing::warn!(group, event.id = %events[i].id, error.cause_chain = ?error, retry_in = ?pause, "event handler waits for a dependency");
                }
            }
        }
        drop(tally);
        if outcomes.iter().any(Option::is_none) {
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = stop.changed() => return None,
            }
            pause = (pause * 2).min(TRANSIENT_RETRY_DELAY_MAX);
        }
    }
}

/// Handles a batch of deliveries and acknowledges each once its outcome is stored, in the
/// order they came. `Ok(false)` when the consumer was stopped before the outcome was known.
async fn settle(
    settings: &RabbitSettings,
    channel: &Channel,
    group: &'static str,
    handler: &dyn EventHandler,
    deliveries: Vec<Delivery>,
    stop: &mut watch::Receiver<bool>,
) -> Result<bool, BusError> {
    let decoded: Vec<Decoded> = deliveries.iter().map(|d| decode(&d.data)).collect();
    let events: Vec<DomainEvent> = decoded
        .iter()
        .filter_map(|d| match d {
            Decoded::Event(event) => Some(event.as_ref().clone()),
            _ => None,
        })
        .collect();
    let Some(outcomes) = handle_waiting(group, handler, &events, stop).await else {
        return Ok(false);
    };
    let mut outcomes = outcomes.into_iter();
    for (delivery, decoded) in deliveries.iter().zip(decoded) {
        let attempts = attempts_so_far(delivery) + 1;
        let failure = match decoded {
            Decoded::Event(_) => match outcomes.next() {
                Some(Err(error)) => Some((format!("{error:#}"), attempts)),
                _ => None,
            },
            Decoded::UnknownType(event_type) => {
                tracing::warn!(
                    group,
                    event_type,
                    "event of a type this release does not know skipped"
                );
                metrics::counter!(EVENTS_SKIPPED, "group" => group, "reason" => "unknown_type")
                    .increment(1);
                None
            }
            // An unreadable message will never succeed: no point trying it again.
            Decoded::Unreadable(error) => {
                crate::bus::record_delivery(group, None, false);
                Some((error, DELIVERY_ATTEMPTS_MAX))
            }
        };
        if let Some((error, attempts)) = failure {
            set_aside(settings, channel, group, delivery, &error, attempts).await?;
        }
        delivery
            .ack(BasicAckOptions::default())
            .await
            .map_err(unavailable)?;
    }
    Ok(true)
}

/// Publishes a failed delivery's copy again: to the end of the group's queue, or after the last
/// attempt to its dead-letter queue with the error.
async fn set_aside(
    settings: &RabbitSettings,
    channel: &Channel,
    group: &'static str,
    delivery: &Delivery,
    error: &str,
    attempts: u32,
) -> Result<(), BusError> {
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
        crate::bus::record_dead_letter(group);
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
    publish_confirmed(channel, "", &queue, &delivery.data, properties).await
}

//! What operators do with a consumer group's dead letters: read them with the reason each was
//! set aside, and send them back to the group once the cause is fixed.
//!
//! Reading takes every message waiting in the dead-letter queue without acknowledging it, then
//! closes the channel, which returns them all in their order: a look changes nothing but the
//! broker's redelivered flag. A replay publishes a fresh copy to the group's queue (no attempts
//! counted, confirmed by the broker) before it acknowledges the dead letter, so a replay cut
//! short leaves the letter where it was, or at worst delivers it twice, which consumers absorb
//! by event id.

use std::time::{Duration, Instant};

use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicGetOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, Connection};

use super::brokers::connect_any;
use super::{ATTEMPTS_HEADER, LAST_ERROR_HEADER, RabbitSettings, persistent, publish_confirmed};
use crate::bus::{BusError, unavailable};

/// Time for one read from the broker; the queue's length bounds how many there are.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a look waits for the queue to take back the messages it looked at; after that,
/// something else (a replay) has taken them.
const RETURN_WITHIN: Duration = Duration::from_secs(2);

/// One dead letter as an operator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetterEntry {
    /// The event id (the message id), empty for a message that had none.
    pub id: String,
    pub event_type: String,
    /// Deliveries the consumer group made before giving up.
    pub attempts: u32,
    /// The handler's last error, or the broker's reason for setting it aside.
    pub last_error: String,
}

/// Which dead letters to send back.
#[derive(Debug, Clone)]
pub enum Replay {
    All,
    Ids(Vec<String>),
}

impl Replay {
    fn takes(&self, id: &str) -> bool {
        match self {
            Replay::All => true,
            Replay::Ids(ids) => ids.iter().any(|wanted| wanted == id),
        }
    }
}

async fn open(settings: &RabbitSettings) -> Result<(Connection, Channel), BusError> {
    let connected = connect_any(&settings.urls, 0, "borderslot-dead-letters").await?;
    let channel = super::brokers::confirming_channel(&connected.connection, None).await?;
    Ok((connected.connection, channel))
}

/// Takes every message waiting in `group`'s dead-letter queue, unacknowledged.
async fn take_all(
    settings: &RabbitSettings,
    channel: &Channel,
    group: &str,
) -> Result<Vec<Delivery>, BusError> {
    let queue = settings.dead_letter_queue(group);
    let waiting = waiting(settings, channel, group).await?;
    let mut taken = Vec::new();
    for _ in 0..waiting {
        let got = tokio::time::timeout(
            READ_TIMEOUT,
            channel.basic_get(queue.as_str().into(), BasicGetOptions { no_ack: false }),
        )
        .await
        .map_err(|_| unavailable("the broker did not answer in time"))?
        .map_err(unavailable)?;
        match got {
            Some(message) => taken.push(message.delivery),
            None => break,
        }
    }
    Ok(taken)
}

/// How many messages of `group`'s dead-letter queue are ready to be taken.
async fn waiting(
    settings: &RabbitSettings,
    channel: &Channel,
    group: &str,
) -> Result<u32, BusError> {
    let queue = settings.dead_letter_queue(group);
    let passive = QueueDeclareOptions {
        passive: true,
        ..QueueDeclareOptions::default()
    };
    Ok(tokio::time::timeout(
        READ_TIMEOUT,
        channel.queue_declare(queue.as_str().into(), passive, FieldTable::default()),
    )
    .await
    .map_err(|_| unavailable("the broker did not answer in time"))?
    .map_err(|error| BusError::Refused(format!("no dead-letter queue {queue}: {error}")))?
    .message_count())
}

/// Waits, for [`RETURN_WITHIN`] at most, until `group`'s dead-letter queue has `count`
/// messages ready again. The broker answers the close of a channel before its queue has taken
/// back what the channel held (a quorum queue takes them back through its log), and a look
/// straight after this one must see them.
async fn taken_back(settings: &RabbitSettings, group: &str, count: usize) {
    if count == 0 {
        return;
    }
    let Ok((connection, channel)) = open(settings).await else {
        return;
    };
    let started = Instant::now();
    while started.elapsed() < RETURN_WITHIN {
        match waiting(settings, &channel, group).await {
            Ok(ready) if usize::try_from(ready).is_ok_and(|ready| ready >= count) => break,
            Ok(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            Err(_) => break,
        }
    }
    let _ = connection.close(200, "OK".into()).await;
}

fn header<'a>(delivery: &'a Delivery, name: &str) -> Option<&'a AMQPValue> {
    delivery
        .properties
        .headers()
        .as_ref()
        .and_then(|headers| headers.inner().get(name))
}

fn as_text(value: &AMQPValue) -> Option<String> {
    match value {
        AMQPValue::LongString(text) => Some(text.to_string()),
        AMQPValue::ShortString(text) => Some(text.to_string()),
        _ => None,
    }
}

fn as_count(value: &AMQPValue) -> Option<u32> {
    match value {
        AMQPValue::LongUInt(n) => Some(*n),
        AMQPValue::LongInt(n) => u32::try_from(*n).ok(),
        AMQPValue::LongLongInt(n) => u32::try_from(*n).ok(),
        _ => None,
    }
}

/// The broker's own record of why it dead-lettered a message (`x-death`, newest first).
fn broker_reason(delivery: &Delivery) -> Option<(String, u32)> {
    let AMQPValue::FieldArray(deaths) = header(delivery, "x-death")? else {
        return None;
    };
    let AMQPValue::FieldTable(latest) = deaths.as_slice().first()? else {
        return None;
    };
    let field = |name: &str| latest.inner().get(name);
    let reason = field("reason").and_then(as_text).unwrap_or_default();
    let queue = field("queue").and_then(as_text).unwrap_or_default();
    let count = field("count").and_then(as_count).unwrap_or(1);
    Some((
        format!("set aside by the broker: {reason} in {queue}"),
        count,
    ))
}

fn entry(delivery: &Delivery) -> DeadLetterEntry {
    let id = delivery
        .properties
        .message_id()
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    let event_type = serde_json::from_slice::<serde_json::Value>(&delivery.data)
        .ok()
        .and_then(|event| {
            event
                .get("type")
                .and_then(|t| t.as_str())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "(unreadable)".to_owned());
    let attempts = header(delivery, ATTEMPTS_HEADER).and_then(as_count);
    let (last_error, attempts) = match (
        header(delivery, LAST_ERROR_HEADER).and_then(as_text),
        broker_reason(delivery),
    ) {
        (Some(error), _) => (error, attempts.unwrap_or(0)),
        (None, Some((reason, count))) => (reason, attempts.unwrap_or(count)),
        (None, None) => ("no reason recorded".to_owned(), attempts.unwrap_or(0)),
    };
    DeadLetterEntry {
        id,
        event_type,
        attempts,
        last_error,
    }
}

/// Every dead letter of `group`, oldest first; they stay where they are.
pub async fn list(
    settings: &RabbitSettings,
    group: &str,
) -> Result<Vec<DeadLetterEntry>, BusError> {
    let (connection, channel) = open(settings).await?;
    let taken = take_all(settings, &channel, group).await;
    // Closing returns every message taken to the queue, in order.
    let _ = connection.close(200, "OK".into()).await;
    let taken = taken?;
    taken_back(settings, group, taken.len()).await;
    Ok(taken.iter().map(entry).collect())
}

/// Sends `which` of `group`'s dead letters back to the group's queue; returns those sent.
pub async fn replay(
    settings: &RabbitSettings,
    group: &str,
    which: &Replay,
) -> Result<Vec<DeadLetterEntry>, BusError> {
    let (connection, channel) = open(settings).await?;
    let outcome = replay_on(settings, &channel, group, which).await;
    let _ = connection.close(200, "OK".into()).await;
    outcome
}

async fn replay_on(
    settings: &RabbitSettings,
    channel: &Channel,
    group: &str,
    which: &Replay,
) -> Result<Vec<DeadLetterEntry>, BusError> {
    let mut replayed = Vec::new();
    for delivery in take_all(settings, channel, group).await? {
        let dead = entry(&delivery);
        if !which.takes(&dead.id) {
            continue;
        }
        // A fresh start: no attempts, no error, no broker history.
        let properties = persistent(&dead.id, FieldTable::default());
        publish_confirmed(
            channel,
            "",
            &settings.queue(group),
            &delivery.data,
            properties,
        )
        .await?;
        delivery
            .ack(BasicAckOptions::default())
            .await
            .map_err(unavailable)?;
        replayed.push(dead);
    }
    Ok(replayed)
}

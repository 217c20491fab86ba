//! The exchange and queues, declared by publisher and consumers alike so that neither depends
//! on the other starting first.
//!
//! A durable topic exchange `<namespace>.events` (routing key = event type); for every consumer
//! group a durable queue `<namespace>.<group>` bound with `#`, and its dead-letter queue
//! `<namespace>.<group>.dead`. Each group's queue has a single active consumer: replicas stand
//! by and take over, and a group sees events in publish order.
//!
//! The queue type is fixed when a queue is first declared; declaring it again with other
//! arguments fails (`PRECONDITION_FAILED`), so classic queues keep exactly the arguments they
//! always had. Quorum queues are replicated over the cluster's nodes and survive the loss of a
//! minority of them; the broker itself counts each message's deliveries and, past
//! `delivery_limit` (a consumer that died holding it that often), moves it to the group's
//! dead-letter queue at least once (`x-dead-letter-strategy`, which needs `x-overflow` to be
//! `reject-publish`).

use clap::ValueEnum;
use lapin::Channel;
use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable};

use super::RabbitSettings;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QueueType {
    /// On one node: lost with it. What deployments before quorum queues declared.
    Classic,
    /// Replicated over the cluster (Raft); needs three nodes to survive one.
    Quorum,
}

fn text(value: &str) -> AMQPValue {
    AMQPValue::LongString(value.into())
}

/// The arguments of a group's queue.
pub fn queue_arguments(settings: &RabbitSettings, group: &str) -> FieldTable {
    let mut arguments = FieldTable::default();
    // One consumer of a group at a time (the others wait as standbys), so events reach a
    // group in the order they were published even with several replicas.
    arguments.insert("x-single-active-consumer".into(), AMQPValue::Boolean(true));
    match settings.queue_type {
        QueueType::Classic => {}
        QueueType::Quorum => {
            arguments.insert("x-queue-type".into(), text("quorum"));
            arguments.insert(
                "x-delivery-limit".into(),
                AMQPValue::LongInt(i32::try_from(settings.delivery_limit).unwrap_or(i32::MAX)),
            );
            // The default exchange routes by queue name, straight to the group's own
            // dead-letter queue.
            arguments.insert("x-dead-letter-exchange".into(), text(""));
            arguments.insert(
                "x-dead-letter-routing-key".into(),
                text(&settings.dead_letter_queue(group)),
            );
            arguments.insert("x-dead-letter-strategy".into(), text("at-least-once"));
            arguments.insert("x-overflow".into(), text("reject-publish"));
        }
    }
    arguments
}

/// The arguments of a group's dead-letter queue: replicated like the queue it serves, so a
/// dead letter outlives a node too.
pub fn dead_letter_queue_arguments(settings: &RabbitSettings) -> FieldTable {
    let mut arguments = FieldTable::default();
    if settings.queue_type == QueueType::Quorum {
        arguments.insert("x-queue-type".into(), text("quorum"));
    }
    arguments
}

pub async fn declare(settings: &RabbitSettings, channel: &Channel) -> lapin::Result<()> {
    channel
        .exchange_declare(
            settings.exchange().as_str().into(),
            lapin::ExchangeKind::Topic,
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
    for group in &settings.groups {
        // The dead-letter queue first: a quorum queue's dead letters need somewhere to go.
        channel
            .queue_declare(
                settings.dead_letter_queue(group).as_str().into(),
                durable,
                dead_letter_queue_arguments(settings),
            )
            .await?;
        channel
            .queue_declare(
                settings.queue(group).as_str().into(),
                durable,
                queue_arguments(settings, group),
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
    Ok(())
}

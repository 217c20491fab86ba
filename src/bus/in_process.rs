//! The bus of a single process with no broker: publishing runs every subscribed handler on the
//! event before it returns, so the relay marks an event sent only once it has been processed.
//! A handler waiting for a dependency fails the publish (the relay tries again later); an
//! event a handler fails on three times is logged and kept in memory as a dead letter.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;

use super::{
    BusError, DELIVERY_ATTEMPTS_MAX, DeadLetter, DeliveryTally, EventBus, EventHandler,
    HandlerError,
};
use crate::domain::DomainEvent;

#[derive(Default)]
pub struct InProcessBus {
    subscribers: Mutex<Vec<(&'static str, Arc<dyn EventHandler>)>>,
    dead_letters: Mutex<Vec<DeadLetter>>,
}

impl InProcessBus {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn dead_letters(&self) -> Vec<DeadLetter> {
        self.dead_letters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Runs one group's handler on the events, together first; an event that failed is tried
    /// again on its own. A transient failure fails the publish, so the relay keeps the events
    /// and tries again later (what was handled is not handled twice: handlers go by event id).
    async fn deliver_all(
        &self,
        group: &str,
        handler: &dyn EventHandler,
        events: &[DomainEvent],
    ) -> Result<(), BusError> {
        let answers = handler.handle_batch(events).await;
        let tried = answers.len();
        // Recorded before any failed event is tried again (after pauses of its own).
        let mut tally = DeliveryTally::new(group);
        for (event, answer) in events.iter().zip(&answers) {
            tally.count(Some(event), answer.is_ok());
        }
        drop(tally);
        for (event, answer) in events.iter().zip(answers) {
            match answer {
                Ok(()) => {}
                Err(HandlerError::Transient(error)) => return Err(waits(group, event, &error)),
                Err(HandlerError::Permanent(error)) => {
                    let first = failed(group, event, 1, &error).await;
                    self.deliver(group, handler, event, (2, first)).await?;
                }
            }
        }
        match events.get(tried) {
            None => Ok(()),
            Some(untried) => Err(BusError::Unavailable(format!(
                "{group}: stopped before event {}",
                untried.id
            ))),
        }
    }

    /// Runs one group's handler on an event again, from attempt `first_attempt` on, after the
    /// `last_error` of the attempt before; a transient failure fails the publish.
    async fn deliver(
        &self,
        group: &str,
        handler: &dyn EventHandler,
        event: &DomainEvent,
        (first_attempt, mut last_error): (u32, String),
    ) -> Result<(), BusError> {
        for attempt in first_attempt..=DELIVERY_ATTEMPTS_MAX {
            let outcome = handler.handle(event).await;
            super::record_delivery(group, Some(event), outcome.is_ok());
            match outcome {
                Ok(()) => return Ok(()),
                Err(HandlerError::Transient(error)) => return Err(waits(group, event, &error)),
                Err(HandlerError::Permanent(error)) => {
                    last_error = failed(group, event, attempt, &error).await;
                }
            }
        }
        tracing::error!(group, event.id = %event.id, "event dead-lettered after {DELIVERY_ATTEMPTS_MAX} attempts");
        super::record_dead_letter(group);
        self.dead_letters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(DeadLetter {
                group: group.to_owned(),
                event: event.clone(),
                error: last_error,
            });
        Ok(())
    }
}

/// Logs a failed attempt and pauses a little longer after each; the error, for the record.
async fn failed(group: &str, event: &DomainEvent, attempt: u32, error: &anyhow::Error) -> String {
    tracing::warn!(group, event.id = %event.id, attempt, error.cause_chain = ?error, "event handler failed");
    tokio::time::sleep(Duration::from_millis(20 * u64::from(attempt))).await;
    format!("{error:#}")
}

fn waits(group: &str, event: &DomainEvent, error: &anyhow::Error) -> BusError {
    tracing::warn!(group, event.id = %event.id, error.cause_chain = ?error, "event handler waits for a dependency");
    BusError::Unavailable(format!("{group}: {error:#}"))
}

#[async_trait]
impl EventBus for InProcessBus {
    async fn publish(&self, events: &[DomainEvent]) -> Result<(), BusError> {
        let subscribers = self
            .subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for (group, handler) in &subscribers {
            self.deliver_all(group, handler.as_ref(), events).await?;
        }
        Ok(())
    }

    async fn subscribe(&self, group: &'static str, handler: Arc<dyn EventHandler>) {
        self.subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((group, handler));
    }

    async fn is_ready(&self) -> bool {
        true
    }

    async fn shutdown(&self) {}
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::domain::{CheckpointId, EventType};

    /// Waits for a dependency on its first two calls, then works.
    struct Recovering(AtomicU32);

    #[async_trait]
    impl EventHandler for Recovering {
        async fn handle(&self, _event: &DomainEvent) -> Result<(), HandlerError> {
            if self.0.fetch_add(1, Ordering::SeqCst) < 2 {
                return Err(HandlerError::Transient(anyhow::anyhow!("store away")));
            }
            Ok(())
        }
    }

    fn event() -> DomainEvent {
        DomainEvent::new(
            EventType::WindowBlocked,
            CheckpointId::parse("narva").unwrap(),
            chrono::NaiveDate::from_ymd_opt(2026, 3, 21).unwrap(),
            serde_json::json!({}),
            chrono::Utc::now(),
        )
    }

    #[actix_web::test]
    async fn a_handler_waiting_for_a_dependency_fails_the_publish_not_the_event() {
        let bus = InProcessBus::new();
        let handler = Arc::new(Recovering(AtomicU32::new(0)));
        bus.subscribe("test", handler.clone()).await;
        let events = [event()];

        assert!(matches!(
            bus.publish(&events).await,
            Err(BusError::Unavailable(_))
        ));
        assert!(bus.publish(&events).await.is_err());
        bus.publish(&events).await.unwrap();

        assert!(bus.dead_letters().is_empty());
        assert_eq!(handler.0.load(Ordering::SeqCst), 3);
    }

    /// Takes events in batches, and can never handle the one it was told to refuse.
    struct Batches {
        sizes: Mutex<Vec<usize>>,
        refused: uuid::Uuid,
    }

    #[async_trait]
    impl EventHandler for Batches {
        async fn handle(&self, event: &DomainEvent) -> Result<(), HandlerError> {
            self.handle_batch(std::slice::from_ref(event))
                .await
                .pop()
                .unwrap()
        }

        async fn handle_batch(&self, events: &[DomainEvent]) -> Vec<Result<(), HandlerError>> {
            self.sizes.lock().unwrap().push(events.len());
            events
                .iter()
                .map(|e| match e.id == self.refused {
                    true => Err(HandlerError::Permanent(anyhow::anyhow!("never"))),
                    false => Ok(()),
                })
                .collect()
        }
    }

    #[actix_web::test]
    async fn a_group_gets_the_whole_round_at_once_and_a_failed_event_is_tried_alone_until_set_aside()
     {
        let bus = InProcessBus::new();
        let events: Vec<DomainEvent> = (0..5).map(|_| event()).collect();
        let handler = Arc::new(Batches {
            sizes: Mutex::default(),
            refused: events[2].id,
        });
        bus.subscribe("test", handler.clone()).await;

        bus.publish(&events).await.unwrap();

        let tries_alone = vec![1; usize::try_from(DELIVERY_ATTEMPTS_MAX).unwrap() - 1];
        assert_eq!(
            *handler.sizes.lock().unwrap(),
            [vec![5], tries_alone].concat()
        );
        let dead = bus.dead_letters();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].event.id, events[2].id);
        assert_eq!(dead[0].error, "never");
    }
}

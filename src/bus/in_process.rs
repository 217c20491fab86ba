//! The bus of a single process with no broker: publishing runs every subscribed handler on the
//! event before it returns, so the relay marks an event sent only once it has been processed.
//! Dead letters are kept in memory and logged.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;

use super::{BusError, DELIVERY_ATTEMPTS_MAX, DeadLetter, EventBus, EventHandler};
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

    async fn deliver(&self, group: &str, handler: &dyn EventHandler, event: &DomainEvent) {
        let mut last_error = String::new();
        for attempt in 1..=DELIVERY_ATTEMPTS_MAX {
            let outcome = handler.handle(event).await;
            super::record_delivery(group, Some(event), outcome.is_ok());
            match outcome {
                Ok(()) => return,
                Err(error) => {
                    tracing::warn!(group, event.id = %event.id, attempt, error.cause_chain = ?error, "event handler failed");
                    last_error = format!("{error:#}");
                    tokio::time::sleep(Duration::from_millis(20 * u64::from(attempt))).await;
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
    }
}

#[async_trait]
impl EventBus for InProcessBus {
    async fn publish(&self, events: &[DomainEvent]) -> Result<(), BusError> {
        let subscribers = self
            .subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for event in events {
            for (group, handler) in &subscribers {
                self.deliver(group, handler.as_ref(), event).await;
            }
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

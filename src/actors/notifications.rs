//! The notifications consumer and the sender that reminders use: tell drivers and carriers about their
//! bookings, once per event and channel.
//!
//! Sending runs in a `NotificationActor` on an arbiter of its own, because the HTTP client of
//! the webhook channel is tied to one thread; consumers and jobs (which may run anywhere) hand
//! it a notification and wait for the outcome. With neither channel configured, the consumer
//! writes the log line itself. The actor records each channel's delivery
//! (`notifications:email`, `notifications:webhook`, keyed by event id) right after it, and
//! skips channels already recorded, so a redelivered event — or one retried because another
//! channel failed — reaches nobody twice. A crash between sending and recording can still send
//! once more; receivers deduplicate by event id.

use std::sync::Arc;

use actix::{Actor, Addr, Arbiter, Context, Handler, Message, ResponseFuture};
use async_trait::async_trait;
use uuid::Uuid;

use crate::auth::token::TokenKeys;
use crate::bus::{EventHandler, HandlerError};
use crate::clock::Clock;
use crate::domain::{DomainEvent, EventType, WaitlistId};
use crate::notify::{
    LogChannel, Notification, Notifier, NotifyConfig, RenderError, render_event, render_offer,
};
use crate::store::{ProcessedEvent, SlotStore};

pub const NOTIFICATIONS_GROUP: &str = "notifications";
/// Consumer name under which reminders are recorded (keyed by booking id).
pub const REMINDERS: &str = "reminders";

pub struct NotificationActor {
    notifier: Arc<Notifier>,
    store: Arc<dyn SlotStore>,
    clock: Arc<dyn Clock>,
}

impl Actor for NotificationActor {
    type Context = Context<Self>;
}

/// Deliver a notification through every channel that applies and has not had it yet; `record`
/// names the consumer under which each channel's delivery is recorded.
#[derive(Message)]
#[rtype(result = "Result<(), HandlerError>")]
pub struct Deliver {
    pub notification: Notification,
    pub record: &'static str,
    /// The key deliveries are recorded under: the event's id, or for a reminder its booking's.
    pub key: Uuid,
}

impl Handler<Deliver> for NotificationActor {
    type Result = ResponseFuture<Result<(), HandlerError>>;

    fn handle(&mut self, deliver: Deliver, _ctx: &mut Self::Context) -> Self::Result {
        let (notifier, store, clock) = (
            self.notifier.clone(),
            self.store.clone(),
            self.clock.clone(),
        );
        Box::pin(async move {
            let channels = notifier.channels_for(&deliver.notification);
            // No channel applies (nothing configured, or no e-mail for a phone contact): the
            // log, which needs no record, since a line written again after a crash harms no one;
            // a transaction per event would bound how fast events are relayed.
            if channels.is_empty() {
                return notifier
                    .send_through("log", &deliver.notification)
                    .await
                    .map_err(handler_error);
            }
            let mut failure = None;
            for channel in channels {
                let record = format!("{}:{channel}", deliver.record);
                if store.is_processed(&record, deliver.key).await? {
                    continue;
                }
                match notifier.send_through(channel, &deliver.notification).await {
                    Ok(()) => {
                        store
                            .record_processed(
                                &record,
                                &[ProcessedEvent::new(deliver.key, None)],
                                clock.now(),
                            )
                            .await?;
                    }
                    Err(error) => {
                        failure.get_or_insert(handler_error(error));
                    }
                }
            }
            failure.map_or(Ok(()), Err)
        })
    }
}

/// A channel that may take the notification later makes the event wait; one that refused it
/// for good makes it fail.
fn handler_error(error: crate::notify::NotifyError) -> HandlerError {
    let retryable = error.is_retryable();
    let error = anyhow::Error::new(error);
    if retryable {
        HandlerError::Transient(error)
    } else {
        HandlerError::Permanent(error)
    }
}

/// Starts the sending actor on a thread of its own.
pub fn start_sender(
    config: &NotifyConfig,
    store: Arc<dyn SlotStore>,
    clock: Arc<dyn Clock>,
) -> Addr<NotificationActor> {
    let notifier = Arc::new(Notifier::from_config(config));
    let arbiter = Arbiter::new();
    NotificationActor::start_in_arbiter(&arbiter.handle(), move |_| NotificationActor {
        notifier,
        store,
        clock,
    })
}

pub async fn deliver(
    sender: &Addr<NotificationActor>,
    message: Deliver,
) -> Result<(), HandlerError> {
    sender.send(message).await.map_err(|e| {
        HandlerError::Transient(anyhow::anyhow!("the notification sender is gone: {e}"))
    })?
}

pub struct NotificationsConsumer {
    sender: Addr<NotificationActor>,
    /// Nothing but the log is configured: it is written here, since a trip to the sender's
    /// thread per event (to wake it) cost more than the line, and nothing is rendered while the
    /// log's level drops the line anyway (so an event that could not be rendered goes unseen
    /// then, as its line would).
    log_only: bool,
    links: Option<WaitlistLinks>,
}

/// The links an offer's notification carries: the entry's page with its token, which only
/// the server's secret can make.
#[derive(Clone)]
pub struct WaitlistLinks {
    pub keys: TokenKeys,
    /// Where drivers reach the pages, without a trailing `/`.
    pub public_url: String,
}

impl WaitlistLinks {
    /// The page of entry `id` that shows its offer with the button to accept it.
    pub fn entry_page(&self, id: WaitlistId) -> String {
        format!(
            "{}/waitlist/{}?token={}",
            self.public_url,
            id,
            self.keys.waitlist_token(id.0)
        )
    }
}

impl NotificationsConsumer {
    /// `config` is the one the sender was started with.
    pub fn new(sender: Addr<NotificationActor>, config: &NotifyConfig) -> Self {
        Self {
            sender,
            log_only: config.log_only(),
            links: None,
        }
    }

    /// Tells waiting drivers of their offers with a link to accept them.
    pub fn with_waitlist_links(mut self, links: WaitlistLinks) -> Self {
        self.links = Some(links);
        self
    }

    fn render(&self, event: &DomainEvent) -> Result<Option<Notification>, RenderError> {
        if event.event_type == EventType::WaitlistOffered
            && let Some(links) = &self.links
        {
            #[derive(serde::Deserialize)]
            struct Offered {
                entry: OfferedEntry,
            }
            #[derive(serde::Deserialize)]
            struct OfferedEntry {
                id: WaitlistId,
            }
            let id = event.payload.read::<Offered>().ok().map(|o| o.entry.id);
            if let Some(id) = id {
                return render_offer(event, &links.entry_page(id));
            }
        }
        render_event(event)
    }
}

#[async_trait]
impl EventHandler for NotificationsConsumer {
    async fn handle(&self, event: &DomainEvent) -> Result<(), HandlerError> {
        if self.log_only && !LogChannel::records() {
            return Ok(());
        }
        let Some(notification) = self.render(event).map_err(anyhow::Error::new)? else {
            return Ok(());
        };
        if self.log_only {
            LogChannel::record(&notification);
            return Ok(());
        }
        deliver(
            &self.sender,
            Deliver {
                notification,
                record: NOTIFICATIONS_GROUP,
                key: event.id,
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use tracing::instrument::WithSubscriber;

    use super::*;
    use crate::clock::SystemClock;
    use crate::domain::BookingStatus;
    use crate::notify::tests::fixtures::{booking, event_time};
    use crate::store::embedded::EmbeddedStore;

    /// What a subscriber wrote, line by line.
    #[derive(Clone, Default)]
    struct Written(Arc<Mutex<Vec<u8>>>);

    impl Write for Written {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A consumer with nothing but the log configured, whose sender has stopped: anything
    /// handed to the sender would fail.
    async fn log_only_consumer() -> NotificationsConsumer {
        let store: Arc<dyn SlotStore> = Arc::new(EmbeddedStore::in_memory().unwrap());
        let config = NotifyConfig::default();
        let sender = start_sender(&config, store, Arc::new(SystemClock));
        let consumer = NotificationsConsumer::new(sender.clone(), &config);
        sender.send(Stop).await.unwrap();
        consumer
    }

    #[derive(Message)]
    #[rtype(result = "()")]
    struct Stop;

    impl Handler<Stop> for NotificationActor {
        type Result = ();

        fn handle(&mut self, _: Stop, ctx: &mut Self::Context) {
            actix::ActorContext::stop(ctx);
        }
    }

    async fn log_of_handling(
        level: tracing::Level,
        event: &DomainEvent,
    ) -> (Result<(), HandlerError>, String) {
        let consumer = log_only_consumer().await;
        let written = Written::default();
        let into = written.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_writer(move || into.clone())
            .finish();
        let handled = consumer.handle(event).with_subscriber(subscriber).await;
        let log = String::from_utf8(written.0.lock().unwrap().clone()).unwrap();
        (handled, log)
    }

    #[actix_web::test]
    async fn with_the_log_alone_a_notification_is_written_there_without_the_sender() {
        let confirmed = booking(BookingStatus::Confirmed, "driver@example.test");
        let event = DomainEvent::for_booking(EventType::BookingConfirmed, &confirmed, event_time());
        let (handled, log) = log_of_handling(tracing::Level::INFO, &event).await;
        handled.unwrap();
        assert!(
            log.contains("Notification recorded in the log only"),
            "{log}"
        );
        assert!(log.contains("ABCD-2345"), "{log}");
    }

    #[actix_web::test]
    async fn with_the_log_alone_and_its_level_filtered_out_nothing_is_made_or_written() {
        // Rendered, this event would fail: only a consumer that does not render it is fine.
        let unreadable = DomainEvent::new(
            EventType::BookingConfirmed,
            crate::domain::CheckpointId::parse("narva").unwrap(),
            event_time().date_naive(),
            serde_json::json!({ "not": "a booking" }),
            event_time(),
        );
        let (handled, log) = log_of_handling(tracing::Level::WARN, &unreadable).await;
        handled.unwrap();
        assert_eq!(log, "");
        let (rendered, _) = log_of_handling(tracing::Level::INFO, &unreadable).await;
        assert!(rendered.is_err());
    }
}

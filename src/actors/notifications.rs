//! The notifications consumer and the reminders: tell drivers and carriers about their
//! bookings, once per event.
//!
//! Sending runs in a `NotificationActor` on an arbiter of its own, because the HTTP client of
//! the webhook channel is tied to one thread; consumers and jobs (which may run anywhere) hand
//! it a notification and wait for the outcome. Before sending, the consumer checks whether the
//! event was already notified, and records it once sent, so a redelivered event does not
//! notify twice. A crash between sending and recording can still send once more; receivers
//! deduplicate by event id.

use std::sync::Arc;

use actix::{Actor, Addr, Arbiter, Context, Handler, Message, ResponseFuture};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use crate::bus::EventHandler;
use crate::clock::Clock;
use crate::domain::DomainEvent;
use crate::jobs::Outcome;
use crate::notify::{Notification, Notifier, NotifyConfig, render_event, render_reminder};
use crate::store::SlotStore;

pub const NOTIFICATIONS_GROUP: &str = "notifications";
/// Consumer name under which sent reminders are recorded (keyed by booking id).
const REMINDERS: &str = "reminders";

pub struct NotificationActor {
    notifier: Arc<Notifier>,
}

impl Actor for NotificationActor {
    type Context = Context<Self>;
}

#[derive(Message)]
#[rtype(result = "Result<(), String>")]
pub struct Send(pub Notification);

impl Handler<Send> for NotificationActor {
    type Result = ResponseFuture<Result<(), String>>;

    fn handle(&mut self, Send(notification): Send, _ctx: &mut Self::Context) -> Self::Result {
        let notifier = self.notifier.clone();
        Box::pin(async move {
            notifier
                .send(&notification)
                .await
                .map_err(|error| error.to_string())
        })
    }
}

/// Starts the sending actor on a thread of its own.
pub fn start_sender(config: &NotifyConfig) -> Addr<NotificationActor> {
    let notifier = Arc::new(Notifier::from_config(config));
    let arbiter = Arbiter::new();
    NotificationActor::start_in_arbiter(&arbiter.handle(), move |_| NotificationActor { notifier })
}

async fn deliver(
    sender: &Addr<NotificationActor>,
    notification: Notification,
) -> anyhow::Result<()> {
    sender
        .send(Send(notification))
        .await
        .map_err(|e| anyhow::anyhow!("the notification sender is gone: {e}"))?
        .map_err(|e| anyhow::anyhow!(e))
}

pub struct NotificationsConsumer {
    store: Arc<dyn SlotStore>,
    clock: Arc<dyn Clock>,
    sender: Addr<NotificationActor>,
}

impl NotificationsConsumer {
    pub fn new(
        store: Arc<dyn SlotStore>,
        clock: Arc<dyn Clock>,
        sender: Addr<NotificationActor>,
    ) -> Self {
        Self {
            store,
            clock,
            sender,
        }
    }
}

#[async_trait]
impl EventHandler for NotificationsConsumer {
    async fn handle(&self, event: &DomainEvent) -> anyhow::Result<()> {
        if self
            .store
            .is_processed(NOTIFICATIONS_GROUP, event.id)
            .await?
        {
            return Ok(());
        }
        if let Some(notification) = render_event(event)? {
            deliver(&self.sender, notification).await?;
        }
        self.store
            .record_processed(NOTIFICATIONS_GROUP, event.id, None, self.clock.now())
            .await?;
        Ok(())
    }
}

/// Reminds the drivers of confirmed bookings whose window starts within `lead`, once each.
pub async fn send_reminders(
    store: &dyn SlotStore,
    sender: &Addr<NotificationActor>,
    now: DateTime<Utc>,
    lead: Duration,
) -> anyhow::Result<Outcome> {
    let mut sent = 0;
    for booking in store.confirmed_starting_between(now, now + lead).await? {
        // Booked this close to the window: the confirmation was the reminder.
        if booking.created_at + lead > booking.window_start {
            continue;
        }
        // The booking's id is the reminder's id: the same on every attempt.
        if store.is_processed(REMINDERS, booking.id.0).await? {
            continue;
        }
        if let Some(reminder) = render_reminder(&booking, booking.id.0) {
            deliver(sender, reminder).await?;
            sent += 1;
        }
        store
            .record_processed(REMINDERS, booking.id.0, None, now)
            .await?;
    }
    Ok(if sent == 0 {
        Outcome::Idle
    } else {
        Outcome::Worked(sent)
    })
}

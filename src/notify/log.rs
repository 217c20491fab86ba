//! The channel of last resort: writes the whole message to the log, so that a deployment with
//! neither SMTP nor a webhook configured still keeps a record of what would have been sent.

use async_trait::async_trait;

use super::channel::NotificationChannel;
use super::error::NotifyError;
use super::notification::Notification;

#[derive(Debug, Default, Clone, Copy)]
pub struct LogChannel;

impl LogChannel {
    /// Whether the log keeps what [`record`](Self::record) writes: when its level is filtered
    /// out, a notification for the log alone need not be made at all.
    pub fn records() -> bool {
        tracing::enabled!(tracing::Level::INFO)
    }

    pub fn record(notification: &Notification) {
        tracing::info!(
            event_id = %notification.event_id,
            kind = notification.kind.as_str(),
            email_to = notification.email_to.as_ref().map(tracing::field::display),
            booking_code = notification.booking_code.as_ref().map(tracing::field::display),
            subject = %notification.subject,
            text = %notification.text,
            "Notification recorded in the log only"
        );
    }
}

#[async_trait(?Send)]
impl NotificationChannel for LogChannel {
    fn name(&self) -> &'static str {
        "log"
    }

    fn applies_to(&self, _notification: &Notification) -> bool {
        true
    }

    async fn send(&self, notification: &Notification) -> Result<(), NotifyError> {
        Self::record(notification);
        Ok(())
    }
}

//! Delivery through every channel that applies, each retried with exponential backoff.
//!
//! Channels are tried concurrently and independently: one failing does not stop the others,
//! and the first failure is returned once all have finished. A notification no configured
//! channel applies to is written to the log instead of being dropped.

use futures_util::future::join_all;

use super::channel::NotificationChannel;
use super::config::{NotifyConfig, RetryPolicy};
use super::error::NotifyError;
use super::log::LogChannel;
use super::notification::Notification;
use super::smtp::SmtpChannel;
use super::webhook::WebhookChannel;

pub struct Notifier {
    channels: Vec<Box<dyn NotificationChannel>>,
    fallback: LogChannel,
    retry: RetryPolicy,
}

impl Notifier {
    /// `retry.attempts_max` below 1 is treated as 1.
    pub fn new(channels: Vec<Box<dyn NotificationChannel>>, retry: RetryPolicy) -> Self {
        Self {
            channels,
            fallback: LogChannel,
            retry,
        }
    }

    pub fn from_config(config: &NotifyConfig) -> Self {
        let mut channels: Vec<Box<dyn NotificationChannel>> = Vec::new();
        if let Some(smtp) = &config.smtp {
            channels.push(Box::new(SmtpChannel::new(smtp)));
        }
        if let Some(webhook) = &config.webhook {
            channels.push(Box::new(WebhookChannel::new(webhook.clone())));
        }
        if channels.is_empty() {
            tracing::warn!("No SMTP relay or webhook configured; notifications go to the log only");
        }
        Self::new(channels, config.retry)
    }

    /// Delivers `notification` through every channel that applies.
    ///
    /// Not idempotent: calling it again sends again, through every channel. A caller that
    /// retries an event after an error must accept duplicates or skip event ids it has already
    /// delivered; receivers are told to deduplicate by event id.
    #[tracing::instrument(
        name = "Send notification",
        skip_all,
        fields(event_id = %notification.event_id, kind = notification.kind.as_str())
    )]
    pub async fn send(&self, notification: &Notification) -> Result<(), NotifyError> {
        let applicable: Vec<&dyn NotificationChannel> = self
            .channels
            .iter()
            .map(AsRef::as_ref)
            .filter(|channel| channel.applies_to(notification))
            .collect();
        if applicable.is_empty() {
            return self.fallback.send(notification).await;
        }
        let outcomes = join_all(
            applicable
                .into_iter()
                .map(|channel| self.send_with_retry(channel, notification)),
        )
        .await;
        outcomes.into_iter().collect()
    }

    /// The channels `notification` would go through, by name; empty means the log only.
    pub fn channels_for(&self, notification: &Notification) -> Vec<&'static str> {
        self.channels
            .iter()
            .filter(|channel| channel.applies_to(notification))
            .map(|channel| channel.name())
            .collect()
    }

    /// Delivers through the named channel only (with its retries), or to the log when the
    /// name is not one of the channels; for callers that record each channel's delivery.
    pub async fn send_through(
        &self,
        channel: &str,
        notification: &Notification,
    ) -> Result<(), NotifyError> {
        match self.channels.iter().find(|c| c.name() == channel) {
            Some(channel) => self.send_with_retry(channel.as_ref(), notification).await,
            None => self.fallback.send(notification).await,
        }
    }

    async fn send_with_retry(
        &self,
        channel: &dyn NotificationChannel,
        notification: &Notification,
    ) -> Result<(), NotifyError> {
        let attempts_max = self.retry.attempts_max.max(1);
        let mut attempt = 1;
        loop {
            let error = match channel.send(notification).await {
                Ok(()) => return Ok(()),
                Err(error) => error,
            };
            if attempt >= attempts_max || !error.is_retryable() {
                let error = NotifyError::ChannelFailed {
                    channel: channel.name(),
                    attempts: attempt,
                    last: Box::new(error),
                };
                tracing::error!(
                    error.cause_chain = ?error,
                    channel = channel.name(),
                    "Notification not delivered"
                );
                return Err(error);
            }
            let backoff = self.retry.backoff_after(attempt);
            tracing::warn!(
                error.cause_chain = ?error,
                channel = channel.name(),
                attempt,
                backoff_ms = backoff.as_millis(),
                "Notification attempt failed; retrying"
            );
            tokio::time::sleep(backoff).await;
            attempt += 1;
        }
    }
}

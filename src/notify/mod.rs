//! Telling drivers and carriers what happened to their bookings.
//!
//! [`render_event`] turns a [`DomainEvent`](crate::domain::DomainEvent) into a [`Notification`]
//! without I/O; a [`Notifier`] then delivers it through every configured
//! [`NotificationChannel`] that applies (e-mail over SMTP, a signed webhook, or the log when
//! nothing else is configured).
//!
//! Delivery is at least once. A `Notifier` retries each channel a few times, but when it still
//! fails the whole event is handed back to the message bus and sent again later, through every
//! channel, including those that had already succeeded. Receivers deduplicate by event id: it
//! is the webhook body's `id` and the `X-Borderslot-Event-Id` header, and it is part of the
//! e-mail's `Message-ID`.
//!
//! The futures of [`NotificationChannel::send`] are not `Send`, because the HTTP client (`awc`)
//! lives on one thread: run a `Notifier` on the actix runtime (an actor, `actix_web::rt::spawn`
//! or a `LocalSet`), not on a multi-threaded tokio executor.

mod channel;
mod config;
mod error;
mod log;
mod notification;
mod notifier;
mod render;
mod signature;
mod smtp;
mod webhook;

#[cfg(test)]
pub(crate) mod tests;

pub use channel::NotificationChannel;
pub use config::{ConfigError, NotifyConfig, RetryPolicy, SmtpSettings, WebhookSettings};
pub use error::NotifyError;
pub use log::LogChannel;
pub use notification::{Notification, NotificationKind};
pub use notifier::Notifier;
pub use render::{RenderError, render_event, render_offer, render_reminder};
pub use signature::{sign_body, verify_signature};
pub use smtp::SmtpChannel;
pub use webhook::{
    EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookBody, WebhookChannel,
};

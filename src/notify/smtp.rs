//! E-mail through an SMTP relay, in plain text.
//!
//! The connection is unencrypted (`builder_dangerous`): this build has no TLS, so the relay must
//! sit on a trusted network. Each message opens its own connection; notifications are few.

use async_trait::async_trait;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::channel::NotificationChannel;
use super::config::SmtpSettings;
use super::error::NotifyError;
use super::notification::Notification;

pub struct SmtpChannel {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpChannel {
    pub fn new(settings: &SmtpSettings) -> Self {
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host.as_str())
                .port(settings.port)
                .timeout(Some(settings.timeout));
        if let Some(credentials) = &settings.credentials {
            builder = builder.credentials(credentials.clone());
        }
        Self {
            transport: builder.build(),
            from: settings.from.clone(),
        }
    }

    fn build_message(&self, notification: &Notification) -> Result<Option<Message>, NotifyError> {
        let Some(to) = &notification.email_to else {
            return Ok(None);
        };
        // Derived from the event id, so every retry of one event carries the same Message-ID
        // and mail clients can fold the duplicates.
        let message_id = format!(
            "<{}.{}@{}>",
            notification.event_id,
            notification.kind.as_str(),
            self.from.email.domain()
        );
        Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to.clone()))
            .subject(notification.subject.as_str())
            .message_id(Some(message_id))
            .header(ContentType::TEXT_PLAIN)
            .body(notification.text.clone())
            .map(Some)
            .map_err(NotifyError::EmailBuild)
    }
}

#[async_trait(?Send)]
impl NotificationChannel for SmtpChannel {
    fn name(&self) -> &'static str {
        "smtp"
    }

    fn applies_to(&self, notification: &Notification) -> bool {
        notification.email_to.is_some()
    }

    async fn send(&self, notification: &Notification) -> Result<(), NotifyError> {
        let Some(message) = self.build_message(notification)? else {
            return Ok(());
        };
        self.transport
            .send(message)
            .await
            .map_err(NotifyError::Smtp)?;
        Ok(())
    }
}

//! Notifications as signed JSON posts to one configured endpoint.
//!
//! Every request carries `X-Borderslot-Event-Id`, `X-Borderslot-Timestamp` (Unix seconds at
//! sending) and `X-Borderslot-Signature` (see [`sign_body`](super::sign_body)). The signature
//! covers the body only, which already holds the event id; the timestamp is informational.
//! Any status outside 2xx is a failure, redirects included, so a signed body never travels to
//! an address nobody configured.

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::clock::{Clock, SystemClock};
use crate::domain::BookingCode;

use super::channel::NotificationChannel;
use super::config::WebhookSettings;
use super::error::NotifyError;
use super::notification::{Notification, NotificationKind};
use super::signature::sign_body;

pub const EVENT_ID_HEADER: &str = "X-Borderslot-Event-Id";
pub const SIGNATURE_HEADER: &str = "X-Borderslot-Signature";
pub const TIMESTAMP_HEADER: &str = "X-Borderslot-Timestamp";

/// The JSON a webhook receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookBody {
    /// The event id; the same on every retry.
    pub id: Uuid,
    pub kind: NotificationKind,
    pub subject: String,
    pub text: String,
    /// As drivers see it, e.g. `ABCD-2345`; `null` for window notifications.
    pub booking_code: Option<BookingCode>,
}

impl From<&Notification> for WebhookBody {
    fn from(notification: &Notification) -> Self {
        Self {
            id: notification.event_id,
            kind: notification.kind,
            subject: notification.subject.clone(),
            text: notification.text.clone(),
            booking_code: notification.booking_code.clone(),
        }
    }
}

pub struct WebhookChannel {
    settings: WebhookSettings,
    clock: Arc<dyn Clock>,
}

impl WebhookChannel {
    pub fn new(settings: WebhookSettings) -> Self {
        Self {
            settings,
            clock: Arc::new(SystemClock),
        }
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
}

#[async_trait(?Send)]
impl NotificationChannel for WebhookChannel {
    fn name(&self) -> &'static str {
        "webhook"
    }

    /// The endpoint is the operator's integration, which hears about everything.
    fn applies_to(&self, _notification: &Notification) -> bool {
        true
    }

    async fn send(&self, notification: &Notification) -> Result<(), NotifyError> {
        let body = serde_json::to_vec(&WebhookBody::from(notification))
            .map_err(NotifyError::WebhookEncode)?;
        let signature = sign_body(self.settings.secret.as_bytes(), &body);
        // An awc client belongs to the thread that made it, so one is made per delivery; that
        // keeps the channel shareable across workers, and notifications are too rare for the
        // lost connection reuse to matter.
        let client = awc::Client::builder()
            .timeout(self.settings.timeout)
            .disable_redirects()
            .finish();
        let response = client
            .post(self.settings.url.clone())
            .content_type("application/json")
            .insert_header((EVENT_ID_HEADER, notification.event_id.to_string()))
            .insert_header((SIGNATURE_HEADER, signature))
            .insert_header((TIMESTAMP_HEADER, self.clock.now().timestamp().to_string()))
            .send_body(body)
            .await
            .map_err(|e| NotifyError::WebhookRequest(e.to_string()))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(NotifyError::WebhookStatus(status.as_u16()))
        }
    }
}

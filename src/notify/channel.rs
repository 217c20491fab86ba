//! The contract every delivery route fulfils.

use async_trait::async_trait;

use super::error::NotifyError;
use super::notification::Notification;

/// One way of delivering notifications.
///
/// `send` may be called again for a notification it already delivered (see the module docs),
/// so an implementation must not treat a repeat as an error.
#[async_trait(?Send)]
pub trait NotificationChannel: Send + Sync {
    /// A short fixed name for logs and errors, such as `smtp`.
    fn name(&self) -> &'static str;

    /// Whether this channel has anyone to deliver `notification` to.
    fn applies_to(&self, notification: &Notification) -> bool;

    async fn send(&self, notification: &Notification) -> Result<(), NotifyError>;
}

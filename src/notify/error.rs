//! Why a notification was not delivered, and whether trying again can help.

/// A delivery failure.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("could not build the e-mail")]
    EmailBuild(#[source] lettre::error::Error),
    #[error("the SMTP exchange failed")]
    Smtp(#[source] lettre::transport::smtp::Error),
    #[error("could not encode the webhook body")]
    WebhookEncode(#[source] serde_json::Error),
    /// `awc`'s errors are not `Send`, so only their message is kept.
    #[error("the webhook request failed: {0}")]
    WebhookRequest(String),
    #[error("the webhook answered with status {0}")]
    WebhookStatus(u16),
    #[error("the {channel} channel failed after {attempts} attempt(s)")]
    ChannelFailed {
        channel: &'static str,
        attempts: u32,
        #[source]
        last: Box<NotifyError>,
    },
}

impl NotifyError {
    /// Whether the same request may succeed later. A caller that gets `false` should park the
    /// event for a person to look at instead of sending it again.
    pub fn is_retryable(&self) -> bool {
        match self {
            NotifyError::EmailBuild(_) => false,
            NotifyError::Smtp(error) => !error.is_permanent(),
            NotifyError::WebhookEncode(_) => false,
            NotifyError::WebhookRequest(_) => true,
            NotifyError::WebhookStatus(status) => {
                *status >= 500 || *status == 408 || *status == 429
            }
            NotifyError::ChannelFailed { last, .. } => last.is_retryable(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::NotifyError;

    #[test]
    fn server_errors_and_throttling_are_retryable_but_client_errors_are_not() {
        for status in [500, 502, 503, 408, 429] {
            assert!(
                NotifyError::WebhookStatus(status).is_retryable(),
                "{status}"
            );
        }
        for status in [301, 400, 401, 404, 422] {
            assert!(
                !NotifyError::WebhookStatus(status).is_retryable(),
                "{status}"
            );
        }
    }
}

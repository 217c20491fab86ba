//! Where notifications go and how hard to try.
//!
//! Read from the environment by [`NotifyConfig::from_env`]; tests build it in code with
//! [`NotifyConfig::default`] and the `with_*` methods. An empty variable counts as unset.
//!
//! | Variable              | Meaning                                                        |
//! |-----------------------|----------------------------------------------------------------|
//! | `SMTP_URL`            | `smtp://[user:password@]host[:port]`, port 25 by default       |
//! | `SMTP_FROM`           | sender, e.g. `Borderslot <noreply@example.org>`; required with `SMTP_URL` |
//! | `WEBHOOK_URL`         | `http://…` endpoint that receives every notification           |
//! | `WEBHOOK_SECRET`      | HMAC key for the signature header; required with `WEBHOOK_URL` |
//! | `NOTIFY_ATTEMPTS_MAX` | attempts per channel before giving up, 5 by default            |
//!
//! The build has no TLS: SMTP is plain (credentials included) and webhooks must be `http://`.
//! That suits a mail relay or an integration endpoint on the local network, not the internet.

use std::fmt;
use std::time::Duration;

use awc::http::Uri;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{key} must be set when {because} is set")]
    Missing {
        key: &'static str,
        because: &'static str,
    },
    #[error("{key} is invalid: {reason}")]
    Invalid { key: &'static str, reason: String },
}

#[derive(Debug, Clone, Default)]
pub struct NotifyConfig {
    pub smtp: Option<SmtpSettings>,
    pub webhook: Option<WebhookSettings>,
    pub retry: RetryPolicy,
}

impl NotifyConfig {
    /// Neither SMTP nor a webhook: every notification goes to the log.
    pub fn log_only(&self) -> bool {
        self.smtp.is_none() && self.webhook.is_none()
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Like [`from_env`](Self::from_env), reading variables through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let read = |key: &str| lookup(key).filter(|value| !value.trim().is_empty());
        let mut config = Self::default();
        if let Some(url) = read("SMTP_URL") {
            let from = read("SMTP_FROM").ok_or(ConfigError::Missing {
                key: "SMTP_FROM",
                because: "SMTP_URL",
            })?;
            let from = from.trim().parse().map_err(|e| ConfigError::Invalid {
                key: "SMTP_FROM",
                reason: format!("{e}"),
            })?;
            config.smtp = Some(SmtpSettings::from_url(&url, from)?);
        }
        if let Some(url) = read("WEBHOOK_URL") {
            let secret = read("WEBHOOK_SECRET").ok_or(ConfigError::Missing {
                key: "WEBHOOK_SECRET",
                because: "WEBHOOK_URL",
            })?;
            config.webhook = Some(WebhookSettings::new(&url, secret)?);
        }
        if let Some(attempts) = read("NOTIFY_ATTEMPTS_MAX") {
            config.retry.attempts_max = attempts
                .trim()
                .parse()
                .ok()
                .filter(|&n: &u32| n >= 1)
                .ok_or(ConfigError::Invalid {
                    key: "NOTIFY_ATTEMPTS_MAX",
                    reason: "must be a whole number of at least 1".into(),
                })?;
        }
        Ok(config)
    }

    pub fn with_smtp(mut self, smtp: SmtpSettings) -> Self {
        self.smtp = Some(smtp);
        self
    }

    pub fn with_webhook(mut self, webhook: WebhookSettings) -> Self {
        self.webhook = Some(webhook);
        self
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }
}

/// How often and how patiently one channel is tried for one notification: the wait before
/// attempt `n + 1` is `backoff_initial * 2^(n - 1)`, at most `backoff_max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// At least 1; counts the first attempt.
    pub attempts_max: u32,
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
}

impl Default for RetryPolicy {
    /// Five attempts over about three seconds: long enough to ride out a restarting relay,
    /// short enough not to hold up the consumer; the message bus retries beyond that.
    fn default() -> Self {
        Self {
            attempts_max: 5,
            backoff_initial: Duration::from_millis(200),
            backoff_max: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// The wait after `failures` failed attempts (`failures >= 1`).
    pub fn backoff_after(&self, failures: u32) -> Duration {
        let factor = 1u32
            .checked_shl(failures.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.backoff_initial
            .saturating_mul(factor)
            .min(self.backoff_max)
    }
}

#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    /// Sent in the clear: there is no TLS in this build.
    pub credentials: Option<Credentials>,
    pub from: Mailbox,
    /// For each SMTP command; lettre's own default is 60 s.
    pub timeout: Duration,
}

impl SmtpSettings {
    pub const PORT_DEFAULT: u16 = 25;
    pub const TIMEOUT_DEFAULT: Duration = Duration::from_secs(10);

    pub fn new(host: impl Into<String>, port: u16, from: Mailbox) -> Self {
        Self {
            host: host.into(),
            port,
            credentials: None,
            from,
            timeout: Self::TIMEOUT_DEFAULT,
        }
    }

    pub fn with_credentials(
        mut self,
        user: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        self.credentials = Some(Credentials::new(user.into(), password.into()));
        self
    }

    /// Parses `smtp://[user:password@]host[:port]`; user and password may be percent-encoded.
    pub fn from_url(url: &str, from: Mailbox) -> Result<Self, ConfigError> {
        let invalid = |reason: &str| ConfigError::Invalid {
            key: "SMTP_URL",
            reason: reason.to_owned(),
        };
        let url = url.trim();
        let Some(rest) = url.strip_prefix("smtp://") else {
            return Err(invalid(if url.starts_with("smtps://") {
                "smtps:// needs TLS, which this build does not include; use smtp:// to a relay on the local network"
            } else {
                "must start with smtp://"
            }));
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['/', '?', '#']) {
            return Err(invalid("a path, query or fragment is not supported"));
        }
        let (user_info, host_port) = match rest.rsplit_once('@') {
            Some((user_info, host_port)) => (Some(user_info), host_port),
            None => (None, rest),
        };
        let (host, port) = split_host_port(host_port).ok_or_else(|| invalid("bad host or port"))?;
        let mut settings = Self::new(host, port, from);
        if let Some(user_info) = user_info {
            let (user, password) = user_info
                .split_once(':')
                .ok_or_else(|| invalid("credentials must be user:password"))?;
            let decode = |part| percent_decode(part).ok_or_else(|| invalid("bad percent-encoding"));
            settings = settings.with_credentials(decode(user)?, decode(password)?);
        }
        Ok(settings)
    }
}

/// Splits `host[:port]` or `[ipv6][:port]`.
fn split_host_port(host_port: &str) -> Option<(String, u16)> {
    let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']')?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':')?)),
        }
    } else {
        match host_port.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };
    if host.is_empty() {
        return None;
    }
    let port = match port {
        Some(port) => port.parse().ok().filter(|&p| p != 0)?,
        None => SmtpSettings::PORT_DEFAULT,
    };
    Some((host.to_owned(), port))
}

fn percent_decode(encoded: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(encoded.len());
    let mut rest = encoded.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%' {
            let digits = std::str::from_utf8(tail.get(..2)?).ok()?;
            bytes.push(u8::from_str_radix(digits, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(byte);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

#[derive(Clone)]
pub struct WebhookSettings {
    pub url: Uri,
    pub secret: String,
    /// For the whole request, until the response headers arrive.
    pub timeout: Duration,
}

impl WebhookSettings {
    pub const TIMEOUT_DEFAULT: Duration = Duration::from_secs(10);

    pub fn new(url: &str, secret: impl Into<String>) -> Result<Self, ConfigError> {
        let invalid = |reason: &str| ConfigError::Invalid {
            key: "WEBHOOK_URL",
            reason: reason.to_owned(),
        };
        let url: Uri = url.trim().parse().map_err(|_| invalid("not a URL"))?;
        match url.scheme_str() {
            Some("http") => {}
            Some("https") => {
                return Err(invalid(
                    "https:// needs TLS, which this build does not include; use http:// on the local network",
                ));
            }
            _ => return Err(invalid("must start with http://")),
        }
        if url.host().is_none_or(str::is_empty) {
            return Err(invalid("has no host"));
        }
        let secret = secret.into();
        if secret.is_empty() {
            return Err(ConfigError::Invalid {
                key: "WEBHOOK_SECRET",
                reason: "must not be empty".into(),
            });
        }
        Ok(Self {
            url,
            secret,
            timeout: Self::TIMEOUT_DEFAULT,
        })
    }
}

impl fmt::Debug for WebhookSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSettings")
            .field("url", &self.url)
            .field("secret", &"<redacted>")
            .field("timeout", &self.timeout)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |key| vars.get(key).cloned()
    }

    #[test]
    fn nothing_set_configures_no_channel_and_the_default_retry() {
        let config = NotifyConfig::from_lookup(lookup(&[])).unwrap();

        assert!(config.smtp.is_none());
        assert!(config.webhook.is_none());
        assert_eq!(config.retry, RetryPolicy::default());
    }

    #[test]
    fn an_smtp_url_gives_host_port_credentials_and_sender() {
        let config = NotifyConfig::from_lookup(lookup(&[
            ("SMTP_URL", "smtp://mailer:p%40ss%3Aword@relay.local:2525"),
            ("SMTP_FROM", "Borderslot <noreply@example.org>"),
        ]))
        .unwrap();

        let smtp = config.smtp.unwrap();
        assert_eq!(smtp.host, "relay.local");
        assert_eq!(smtp.port, 2525);
        assert_eq!(
            smtp.credentials,
            Some(Credentials::new("mailer".into(), "p@ss:word".into()))
        );
        assert_eq!(smtp.from.email.to_string(), "noreply@example.org");
    }

    #[test]
    fn an_smtp_url_without_port_uses_25_and_ipv6_hosts_are_accepted() {
        let from: Mailbox = "noreply@example.org".parse().unwrap();

        let plain = SmtpSettings::from_url("smtp://127.0.0.1", from.clone()).unwrap();
        let ipv6 = SmtpSettings::from_url("smtp://[::1]:2525/", from).unwrap();

        assert_eq!((plain.host.as_str(), plain.port), ("127.0.0.1", 25));
        assert!(plain.credentials.is_none());
        assert_eq!((ipv6.host.as_str(), ipv6.port), ("::1", 2525));
    }

    #[test]
    fn bad_smtp_urls_are_refused() {
        let from: Mailbox = "noreply@example.org".parse().unwrap();
        for bad in [
            "smtps://relay.local",
            "http://relay.local",
            "smtp://",
            "smtp://relay.local:0",
            "smtp://relay.local:port",
            "smtp://user@relay.local",
            "smtp://relay.local/ehlo",
            "smtp://u:%zz@relay.local",
        ] {
            assert!(SmtpSettings::from_url(bad, from.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn smtp_without_a_sender_is_refused() {
        let error = NotifyConfig::from_lookup(lookup(&[("SMTP_URL", "smtp://127.0.0.1:2525")]))
            .unwrap_err();

        assert!(matches!(
            error,
            ConfigError::Missing {
                key: "SMTP_FROM",
                ..
            }
        ));
    }

    #[test]
    fn a_webhook_needs_a_secret_and_plain_http() {
        let without_secret =
            NotifyConfig::from_lookup(lookup(&[("WEBHOOK_URL", "http://hooks.local/in")]));
        let with_empty_secret = NotifyConfig::from_lookup(lookup(&[
            ("WEBHOOK_URL", "http://hooks.local/in"),
            ("WEBHOOK_SECRET", ""),
        ]));
        let over_https = WebhookSettings::new("https://hooks.local/in", "s");

        assert!(matches!(
            without_secret,
            Err(ConfigError::Missing {
                key: "WEBHOOK_SECRET",
                ..
            })
        ));
        assert!(matches!(
            with_empty_secret,
            Err(ConfigError::Missing {
                key: "WEBHOOK_SECRET",
                ..
            })
        ));
        assert!(matches!(
            over_https,
            Err(ConfigError::Invalid {
                key: "WEBHOOK_URL",
                ..
            })
        ));
    }

    #[test]
    fn a_webhook_secret_never_appears_in_debug_output() {
        let settings = WebhookSettings::new("http://hooks.local/in", "hunter2").unwrap();

        assert!(!format!("{settings:?}").contains("hunter2"));
    }

    #[test]
    fn attempts_max_can_be_set_but_not_to_zero() {
        let seven = NotifyConfig::from_lookup(lookup(&[("NOTIFY_ATTEMPTS_MAX", "7")])).unwrap();
        let zero = NotifyConfig::from_lookup(lookup(&[("NOTIFY_ATTEMPTS_MAX", "0")]));

        assert_eq!(seven.retry.attempts_max, 7);
        assert!(zero.is_err());
    }

    #[test]
    fn backoff_doubles_from_the_initial_wait_up_to_the_cap() {
        let policy = RetryPolicy::default();

        let waits: Vec<_> = (1..=7).map(|n| policy.backoff_after(n)).collect();

        assert_eq!(
            waits,
            [200, 400, 800, 1600, 3200, 5000, 5000].map(Duration::from_millis)
        );
        assert_eq!(policy.backoff_after(100), Duration::from_secs(5));
    }
}

//! Values that must never reach a log line or `Debug` output: signing keys, passwords and the
//! URLs that carry them. Settings hold them as `Secret`; only the code that uses one reads it.

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for the one place that needs it (a connection, a key derivation).
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

/// A URL shows where it points with its password hidden, so a misconfigured host can still
/// be told apart in a log; anything else shows nothing at all.
impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A list of URLs (the brokers of a cluster) shows each one redacted, or nothing.
        let redacted: Option<Vec<String>> = self.0.split(',').map(redacted_url).collect();
        match redacted.map(|urls| urls.join(",")) {
            Some(url) => write!(f, "Secret({url:?})"),
            None => f.write_str("Secret(\"***\")"),
        }
    }
}

/// `scheme://user:***@host/…` for a URL with credentials, `scheme://host/…` unchanged; `None`
/// for anything that is not a URL.
fn redacted_url(value: &str) -> Option<String> {
    let (scheme, rest) = value.split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+')
    {
        return None;
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let shown = match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
            None => format!("{scheme}://{user_info}@{host}"),
        },
        None => format!("{scheme}://{authority}"),
    };
    // A query string can carry a password too (`?password=`): it is never shown.
    let path = path.split(['?', '#']).next().unwrap_or_default();
    Some(format!("{shown}{path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_of_urls_shows_every_one_without_its_password() {
        let shown = format!(
            "{:?}",
            Secret::new("amqp://app:one@mq-0:5672/%2f,amqp://app:two@mq-1:5672/%2f")
        );
        assert_eq!(
            shown,
            "Secret(\"amqp://app:***@mq-0:5672/%2f,amqp://app:***@mq-1:5672/%2f\")"
        );
        let shown = format!("{:?}", Secret::new("amqp://app:one@mq-0/,not a url:two"));
        assert_eq!(shown, "Secret(\"***\")");
    }

    #[test]
    fn a_plain_secret_shows_nothing() {
        let shown = format!("{:?}", Secret::new("correct horse battery staple"));
        assert_eq!(shown, "Secret(\"***\")");
    }

    #[test]
    fn a_url_shows_its_host_but_not_its_password() {
        let shown = format!(
            "{:?}",
            Secret::new("postgres://app:s3cr%40t@db.internal:5432/borderslot?sslmode=require")
        );
        assert_eq!(
            shown,
            "Secret(\"postgres://app:***@db.internal:5432/borderslot\")"
        );
        assert!(!shown.contains("s3cr"));
        let shown = format!("{:?}", Secret::new("amqp://guest@mq:5672/%2f"));
        assert_eq!(shown, "Secret(\"amqp://guest@mq:5672/%2f\")");
        let shown = format!("{:?}", Secret::new("amqp://mq:5672?password=x"));
        assert_eq!(shown, "Secret(\"amqp://mq:5672\")");
    }
}

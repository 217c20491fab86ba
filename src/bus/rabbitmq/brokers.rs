//! The brokers a process may connect to: every node of a RabbitMQ cluster (or one URL behind a
//! load balancer), given as a comma-separated `AMQP_URL`.
//!
//! A connection goes to one broker at a time. After a connection error the next attempt starts
//! at the following broker, so a node that died is not the first one asked again while its
//! peers carry on; each broker is tried once per attempt, within `CONNECT_TIMEOUT` each.

use std::time::Duration;

use lapin::options::ConfirmSelectOptions;
use lapin::{Channel, Connection, ConnectionProperties};

use super::super::{BusError, unavailable};
use super::RabbitSettings;
use crate::secret::Secret;

/// lapin has no connect timeout of its own; an unreachable host would hang for minutes.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Splits a comma-separated list of AMQP URLs, refusing an empty list or an item that is not
/// an AMQP URL. Errors name the item by position, never by value: it carries a password.
pub fn parse_broker_urls(list: &Secret) -> Result<Vec<Secret>, String> {
    let urls: Vec<Secret> = list
        .expose()
        .split(',')
        .map(str::trim)
        .filter(|url| !url.is_empty())
        .map(Secret::new)
        .collect();
    if urls.is_empty() {
        return Err("AMQP_URL names no broker".to_owned());
    }
    for (position, url) in urls.iter().enumerate() {
        if url.expose().parse::<lapin::uri::AMQPUri>().is_err() {
            return Err(format!(
                "AMQP_URL item {} is not an amqp:// or amqps:// URL",
                position + 1
            ));
        }
    }
    Ok(urls)
}

/// A connection and which broker of the list it went to.
pub struct Connected {
    pub connection: Connection,
    pub broker: usize,
}

/// Connects to the first broker that answers, starting at `first` and going round the list
/// once.
pub async fn connect_any(urls: &[Secret], first: usize, name: &str) -> Result<Connected, BusError> {
    let mut last_error = String::from("no broker configured");
    for step in 0..urls.len() {
        let broker = (first + step) % urls.len();
        let properties = ConnectionProperties::default().with_connection_name(name.into());
        let attempt = Connection::connect(urls[broker].expose(), properties);
        match tokio::time::timeout(CONNECT_TIMEOUT, attempt).await {
            Ok(Ok(connection)) => {
                if step > 0 {
                    tracing::info!(
                        connection = name,
                        broker = broker + 1,
                        "connected to another broker"
                    );
                }
                return Ok(Connected { connection, broker });
            }
            Ok(Err(error)) => {
                tracing::warn!(connection = name, broker = broker + 1, %error, "broker unreachable");
                last_error = format!("broker {}: {error}", broker + 1);
            }
            Err(_) => {
                tracing::warn!(
                    connection = name,
                    broker = broker + 1,
                    "broker did not answer in time"
                );
                last_error = format!(
                    "broker {}: no connection within {CONNECT_TIMEOUT:?}",
                    broker + 1
                );
            }
        }
    }
    Err(BusError::Unavailable(last_error))
}

/// A channel on `connection` whose publishes the broker confirms, with the queues and
/// exchanges of `topology` declared on it when given. Every publisher here waits for
/// confirmations before it lets go of what it published (an outbox row, an original message).
pub async fn confirming_channel(
    connection: &Connection,
    topology: Option<&RabbitSettings>,
) -> Result<Channel, BusError> {
    let channel = connection.create_channel().await.map_err(unavailable)?;
    if let Some(settings) = topology {
        super::topology::declare(settings, &channel)
            .await
            .map_err(unavailable)?;
    }
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .map_err(unavailable)?;
    Ok(channel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_url_is_a_list_of_one() {
        let urls = parse_broker_urls(&Secret::new("amqp://u:p@mq:5672/%2f")).unwrap();
        assert_eq!(urls.len(), 1);
        assert_eq!(urls[0].expose(), "amqp://u:p@mq:5672/%2f");
    }

    #[test]
    fn a_list_is_split_on_commas_with_blanks_and_empty_items_dropped() {
        let urls = parse_broker_urls(&Secret::new(
            " amqp://u:p@a:5672/%2f, ,amqp://u:p@b:5672/%2f,",
        ))
        .unwrap();
        let shown: Vec<&str> = urls.iter().map(Secret::expose).collect();
        assert_eq!(shown, ["amqp://u:p@a:5672/%2f", "amqp://u:p@b:5672/%2f"]);
    }

    #[test]
    fn a_bad_item_is_named_by_position_without_its_password() {
        let error = parse_broker_urls(&Secret::new("amqp://u:p@a:5672/%2f,http://u:hunter2@b/"))
            .unwrap_err();
        assert!(error.contains("item 2"), "{error}");
        assert!(!error.contains("hunter2"), "{error}");
        assert!(parse_broker_urls(&Secret::new(" , ")).is_err());
    }
}

//! `borderslot dead-letters`: the operators' view of the consumer groups' dead-letter queues
//! on RabbitMQ, and the replay once the cause is fixed (docs/operations.md).

use clap::{Args, Subcommand};

use crate::bus::rabbitmq::dead_letters::{self, DeadLetterEntry, Replay};
use crate::config::ServeArgs;
use crate::startup::{CONSUMER_GROUPS, rabbit_settings};

#[derive(Debug, Subcommand)]
pub enum DeadLettersCommand {
    /// Print every dead letter, one line each: group, event id, event type, attempts and the
    /// last error (the handler's, or the broker's reason). They stay where they are.
    List {
        /// Only this consumer group (default: every one).
        #[arg(long, value_parser = group_name)]
        group: Option<String>,
        #[command(flatten)]
        settings: ServeArgs,
    },
    /// Send dead letters back to their group's queue, for another attempt.
    Replay {
        #[arg(long, value_parser = group_name)]
        group: String,
        #[command(flatten)]
        which: Which,
        #[command(flatten)]
        settings: ServeArgs,
    },
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct Which {
    /// Every dead letter of the group.
    #[arg(long)]
    all: bool,
    /// Only these event ids (repeat the flag or separate them with commas).
    #[arg(long, value_delimiter = ',')]
    id: Vec<uuid::Uuid>,
}

fn group_name(name: &str) -> Result<String, String> {
    CONSUMER_GROUPS
        .iter()
        .find(|group| **group == name)
        .map(|group| (*group).to_owned())
        .ok_or_else(|| format!("one of {}", CONSUMER_GROUPS.join(", ")))
}

fn line(group: &str, dead: &DeadLetterEntry) -> String {
    let id = if dead.id.is_empty() { "-" } else { &dead.id };
    // One line each, whatever the error says, so the output stays a table.
    let error: String = dead
        .last_error
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!(
        "{group}\t{id}\t{}\t{}\t{error}",
        dead.event_type, dead.attempts
    )
}

/// Runs the subcommand, printing to stdout; the count goes to stderr for scripts that parse.
pub async fn run(command: DeadLettersCommand) -> anyhow::Result<()> {
    match command {
        DeadLettersCommand::List { group, settings } => {
            let settings = settings.into_settings();
            let urls = settings.amqp_url.clone().ok_or_else(|| {
                anyhow::anyhow!("AMQP_URL is not set: dead letters live in RabbitMQ")
            })?;
            let rabbit = rabbit_settings(&settings, &urls)?;
            let groups: Vec<&str> = match &group {
                Some(group) => vec![group.as_str()],
                None => CONSUMER_GROUPS.to_vec(),
            };
            println!("group\tid\ttype\tattempts\tlast_error");
            let mut total = 0;
            for group in groups {
                for dead in dead_letters::list(&rabbit, group).await? {
                    println!("{}", line(group, &dead));
                    total += 1;
                }
            }
            eprintln!("{total} dead letters");
        }
        DeadLettersCommand::Replay {
            group,
            which,
            settings,
        } => {
            let settings = settings.into_settings();
            let urls = settings.amqp_url.clone().ok_or_else(|| {
                anyhow::anyhow!("AMQP_URL is not set: dead letters live in RabbitMQ")
            })?;
            let rabbit = rabbit_settings(&settings, &urls)?;
            let replay = if which.all {
                Replay::All
            } else {
                Replay::Ids(which.id.iter().map(ToString::to_string).collect())
            };
            let replayed = dead_letters::replay(&rabbit, &group, &replay).await?;
            for dead in &replayed {
                println!("{}", line(&group, dead));
            }
            eprintln!("{} dead letters replayed", replayed.len());
            if let Replay::Ids(ids) = &replay {
                let missing: Vec<&String> = ids
                    .iter()
                    .filter(|id| !replayed.iter().any(|dead| &dead.id == *id))
                    .collect();
                if !missing.is_empty() {
                    anyhow::bail!("not among {group}'s dead letters: {missing:?}");
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_keeps_one_row_whatever_the_error_holds() {
        let dead = DeadLetterEntry {
            id: String::new(),
            event_type: "booking.held".into(),
            attempts: 3,
            last_error: "first\nsecond\tthird".into(),
        };
        assert_eq!(
            line("statistics", &dead),
            "statistics\t-\tbooking.held\t3\tfirst second third"
        );
    }

    #[test]
    fn only_known_groups_are_taken() {
        assert_eq!(group_name("statistics").unwrap(), "statistics");
        assert!(group_name("nobody").unwrap_err().contains("statistics"));
    }
}

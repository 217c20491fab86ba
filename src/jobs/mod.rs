//! Background work on timers. Each job is a loop of "tick or stop"; `try_run_once` does one
//! round so tests can drive a job without waiting for its timer.

pub mod daily_report;
pub mod draws;
pub mod generate_schedule;
pub mod lease;
pub mod no_shows;
pub mod outbox_relay;
pub mod prune_delivered;
pub mod prune_idempotency;
pub mod reminders;
pub mod runner;

pub use lease::JobLeases;
pub use runner::{JobRunner, Outcome};

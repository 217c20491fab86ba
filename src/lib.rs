//! # borderslot
//!
//! Arrival-slot reservations for road border checkpoints.
//!
//! # Layout
//! - [`domain`]: pure types and allocation rules.
//! - [`auth`]: staff accounts, access tokens and carriers' API keys.
//! - [`analytics`]: demand forecasts and synthetic booking history (pure).
//! - [`store`]: the `SlotStore` trait and its backends.
//! - [`actors`]: one `ScheduleActor` per checkpoint day, and the registry that finds them.
//! - [`http`]: the JSON API.
//! - [`reports`]: the daily report and the demand forecast analysts read.
//! - [`bus`]: the event bus (in-process or RabbitMQ) from the outbox to the consumers.
//! - [`jobs`]: background work on timers.
//! - [`notify`]: notifications to drivers and carriers by e-mail and signed webhook.
//! - [`config`]: settings from flags and the environment, checked at start-up; [`secret`]
//!   keeps keys and passwords out of logs.

// The hand-written OpenAPI document is one large `json!` literal.
#![recursion_limit = "512"]

pub mod actors;
pub mod analytics;
pub mod auth;
pub mod bus;
pub mod clock;
pub mod config;
pub mod domain;
pub mod http;
pub mod jobs;
pub mod loadtest;
pub mod metrics;
pub mod notify;
pub mod reports;
pub mod secret;
pub mod seed;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod web;

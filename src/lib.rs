//! # borderslot
//!
//! Arrival-slot reservations for road border checkpoints.
//!
//! # Layout
//! Each module uses only those listed before it (the top-level graph has no cycles).
//! - [`domain`]: pure types and allocation rules; [`clock`]: the time, fixed in tests.
//! - [`secret`]: keys and passwords kept out of logs; [`metrics`], [`telemetry`]: Prometheus
//!   names, logs and the id of the request a task serves.
//! - [`analytics`]: demand forecasts and synthetic booking history (pure).
//! - [`auth`]: staff accounts, access tokens and carriers' API keys.
//! - [`oidc`]: accounts at an external OpenID Connect provider: discovery, keys, token checks.
//! - [`store`]: the `SlotStore` trait and its backends; [`seed`]: demo checkpoints and history.
//! - [`bus`]: the event bus (in-process or RabbitMQ) from the outbox to the consumers.
//! - [`notify`]: notifications to drivers and carriers by e-mail and signed webhook.
//! - [`actors`]: one `ScheduleActor` per checkpoint day, the registry that finds them, and the
//!   event consumers.
//! - [`reports`]: the daily report and the demand forecast analysts read.
//! - [`config`]: settings from flags and the environment, checked at start-up.
//! - [`jobs`]: background work on timers.
//! - [`app`]: the use cases both front ends call, with typed inputs.
//! - [`http`]: the JSON API; [`web`]: the web pages; [`routes`]: the one route table for both.
//! - [`startup`]: wiring a process of any role; [`cli`]: the jobs as one-shot commands.
//! - [`loadtest`]: the load generator behind `borderslot loadtest`.

pub mod actors;
pub mod analytics;
pub mod app;
pub mod auth;
pub mod bus;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod http;
pub mod jobs;
pub mod loadtest;
pub mod metrics;
pub mod notify;
pub mod oidc;
pub mod reports;
pub mod routes;
pub mod secret;
pub mod seed;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod web;

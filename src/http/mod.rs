//! The JSON API over actix-web. Handlers read the request, parse its input into domain types,
//! call the use cases in `app`, and write the answer; every refusal is a problem document.

pub mod account;
pub mod admin;
pub mod admin_checkpoints;
pub mod analysts;
pub mod auth;
pub mod best_times;
pub mod bookings;
pub mod carrier;
pub mod checkpoints;
pub mod docs;
pub mod draws;
pub mod forecast;
pub mod health;
pub mod ics;
pub mod idempotency;
pub mod metrics;
pub mod openapi;
pub mod operator;
mod recent_keys;
pub mod rendered;
pub mod reports;
pub mod stats;
pub mod status;
pub mod views;
pub mod waitlist;

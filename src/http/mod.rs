//! The JSON API over actix-web. Handlers parse input into domain types, ask the schedule
//! actors, and map every refusal through `ApiError`.

pub mod admin;
pub mod admin_checkpoints;
pub mod auth;
pub mod bookings;
pub mod carrier;
pub mod checkpoints;
pub mod endpoint;
pub mod error;
pub mod forecast;
pub mod health;
pub mod ics;
pub mod idempotency;
pub mod input;
pub mod limits;
pub mod metrics;
pub mod observe;
pub mod openapi;
pub mod reports;
pub mod routes;
pub mod state;
pub mod stats;
pub mod status;
pub mod views;

pub use state::AppState;

//! One integration-test binary: the modules below share `helpers`.

mod actors;
mod auth;
mod bookings;
mod browser;
mod carriers;
mod concurrency;
mod errors;
mod events;
mod forecast;
mod helpers;
mod idempotency;
mod limits;
mod metrics;
mod migrations;
mod model;
mod notifications;
mod openapi;
mod replicas;
mod reports;
mod restart;
mod store_contract;
mod strikes;
mod web_browser;
mod web_driver;
mod web_session;
mod web_staff;

//! What the command line runs besides serving: the jobs, once each, as a Kubernetes Job or
//! CronJob runs them, the container's health check, and the dead letters' list and replay.

pub mod dead_letters;
pub mod healthcheck;
pub mod job;

//! What the command line runs besides serving: the jobs, once each, as a Kubernetes Job or
//! CronJob runs them, and the container's health check.

pub mod healthcheck;
pub mod job;

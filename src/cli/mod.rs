//! What the command line runs besides serving: the jobs, once each, as a Kubernetes Job or
//! CronJob runs them.

pub mod job;

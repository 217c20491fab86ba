//! Runs jobs on an interval until told to stop, and waits for them on shutdown.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::JobLeases;

/// The longest a frequent job waits after failed rounds before trying again; a job with a
/// longer interval waits at most its interval.
const FAILURE_DELAY_MAX: Duration = Duration::from_secs(5);

fn failure_delay(interval: Duration, failures: u32) -> Duration {
    let base = interval.max(Duration::from_millis(100));
    base.saturating_mul(1 << failures.min(16).saturating_sub(1))
        .min(FAILURE_DELAY_MAX.max(interval))
}

/// What one round of a job did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Worked(u64),
    Idle,
}

pub struct JobRunner {
    stop: watch::Sender<bool>,
    handles: Vec<(&'static str, JoinHandle<()>)>,
}

impl Default for JobRunner {
    fn default() -> Self {
        Self::new()
    }
}

impl JobRunner {
    pub fn new() -> Self {
        Self {
            stop: watch::channel(false).0,
            handles: Vec::new(),
        }
    }

    /// Like [`JobRunner::spawn`], but a round runs only while this process holds the job's
    /// lease, so one replica at a time runs the job.
    pub fn spawn_leased<F, Fut>(
        &mut self,
        name: &'static str,
        interval: Duration,
        leases: JobLeases,
        round: F,
    ) where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = anyhow::Result<Outcome>> + Send + 'static,
    {
        // The round is started only once the lease is held: starting it may already read the
        // clock or take work.
        let round = Arc::new(Mutex::new(round));
        self.spawn(name, interval, move || {
            let (leases, round) = (leases.clone(), round.clone());
            async move {
                if !leases.hold(name, interval).await? {
                    return Ok(Outcome::Idle);
                }
                let work = (round.lock().unwrap_or_else(PoisonError::into_inner))();
                work.await
            }
        });
    }

    /// Runs `round` every `interval` until stopped. A round that did work is followed at once
    /// by the next (to drain a backlog); a failed round is logged and retried after a delay
    /// that doubles with each failure in a row, up to `FAILURE_DELAY_MAX` (or the interval).
    pub fn spawn<F, Fut>(&mut self, name: &'static str, interval: Duration, mut round: F)
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = anyhow::Result<Outcome>> + Send + 'static,
    {
        let mut stop = self.stop.subscribe();
        let handle = tokio::spawn(async move {
            let mut failures = 0u32;
            let mut wait = Duration::ZERO;
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stop.changed() => break,
                }
                wait = match round().await {
                    Ok(Outcome::Worked(n)) => {
                        tracing::debug!(job = name, items = n, "job round done");
                        failures = 0;
                        Duration::ZERO
                    }
                    Ok(Outcome::Idle) => {
                        failures = 0;
                        interval
                    }
                    Err(error) => {
                        failures = failures.saturating_add(1);
                        let delay = failure_delay(interval, failures);
                        tracing::warn!(job = name, failures, retry_in = ?delay, error.cause_chain = ?error, "job round failed");
                        delay
                    }
                };
            }
        });
        self.handles.push((name, handle));
    }

    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for (name, handle) in self.handles {
            let _ = handle.await;
            tracing::info!(job = name, "job stopped");
        }
    }
}

//! Runs jobs on an interval until told to stop, and waits for them on shutdown.

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

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

    /// Runs `round` every `interval` until stopped. A failed round is logged and retried on
    /// the next tick.
    pub fn spawn<F, Fut>(&mut self, name: &'static str, interval: Duration, mut round: F)
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = anyhow::Result<Outcome>> + Send + 'static,
    {
        let mut stop = self.stop.subscribe();
        let handle = tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = ticker.tick() => {
                        match round().await {
                            Ok(Outcome::Worked(n)) => tracing::debug!(job = name, items = n, "job round done"),
                            Ok(Outcome::Idle) => {}
                            Err(error) => tracing::warn!(job = name, error.cause_chain = ?error, "job round failed"),
                        }
                    }
                    _ = stop.changed() => break,
                }
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

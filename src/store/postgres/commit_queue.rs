//! Group commit across schedule days.
//!
//! Each schedule actor already gathers its own requests into one batch, but when bookings
//! spread over many days every actor has only a few requests waiting, and a transaction per
//! actor pays the round trips and the WAL flush for a handful of rows. Batches therefore go
//! through a queue: a few writers each take every batch waiting and write them together in
//! one transaction. An actor still has at most one batch in flight, so per day the order of
//! writes is unchanged.
//!
//! A failed merged write does not say which batch failed, so the batches are then written one
//! by one and each gets its own answer: a conflict or bad row of one day never fails another.
//!
//! Every transaction records its own id in `commit_log`. When the connection fails while the
//! COMMIT is in flight, the server may or may not have applied it; a fresh connection then
//! inserts the same id. That insert waits for the first transaction if it is still open, so
//! its answer is final: the id was there (the batch is stored) or the insert took it (the
//! first transaction can never commit now). Only if the database stays unreachable is the
//! outcome reported as unknown.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Mutex, mpsc, oneshot};
use uuid::Uuid;

use super::StoreError;
use super::batch_write::apply_batches;
use crate::store::CommitBatch;

struct PendingCommit {
    batch: CommitBatch,
    reply: oneshot::Sender<Result<(), StoreError>>,
}

#[derive(Clone)]
pub(super) struct CommitQueue {
    sender: mpsc::UnboundedSender<PendingCommit>,
}

impl CommitQueue {
    /// Starts `writers` writer tasks on the current runtime; they stop with the last handle.
    pub(super) fn start(pool: deadpool_postgres::Pool, writers: usize, batches_max: usize) -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        let receiver = Arc::new(Mutex::new(receiver));
        for _ in 0..writers.max(1) {
            tokio::spawn(write_merged_batches(
                pool.clone(),
                receiver.clone(),
                batches_max.max(1),
            ));
        }
        Self { sender }
    }

    pub(super) async fn commit(&self, batch: CommitBatch) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(PendingCommit { batch, reply })
            .map_err(|_| writer_gone())?;
        answer.await.map_err(|_| writer_gone())?
    }
}

fn writer_gone() -> StoreError {
    StoreError::Unavailable(anyhow::anyhow!("the commit writers have stopped"))
}

async fn write_merged_batches(
    pool: deadpool_postgres::Pool,
    receiver: Arc<Mutex<mpsc::UnboundedReceiver<PendingCommit>>>,
    batches_max: usize,
) {
    while let Some(pending) = next_group(&receiver, batches_max).await {
        let (batches, replies): (Vec<CommitBatch>, Vec<_>) =
            pending.into_iter().map(|p| (p.batch, p.reply)).unzip();
        match write(&pool, &batches).await {
            Ok(()) => {
                for reply in replies {
                    let _ = reply.send(Ok(()));
                }
            }
            // Whatever failed may concern one day only: give each its own answer.
            Err(_) if batches.len() > 1 => {
                for (batch, reply) in batches.into_iter().zip(replies) {
                    let result = write(&pool, std::slice::from_ref(&batch)).await;
                    let _ = reply.send(result);
                }
            }
            Err(error) => {
                for reply in replies {
                    let _ = reply.send(Err(error.duplicate()));
                }
            }
        }
    }
}

/// How long a commit whose answer was lost is looked up before it is reported as unknown.
const RESOLVE_WITHIN: Duration = Duration::from_secs(5);
const RESOLVE_PAUSE: Duration = Duration::from_millis(200);

async fn write(pool: &deadpool_postgres::Pool, batches: &[CommitBatch]) -> Result<(), StoreError> {
    let mut client = pool.get().await.map_err(|e| {
        StoreError::Unavailable(anyhow::Error::new(e).context("no database connection"))
    })?;
    let batch_id = Uuid::new_v4();
    let tx = client.transaction().await?;
    apply_batches(&tx, batches, batch_id).await?;
    match tx.commit().await {
        Ok(()) => Ok(()),
        // A refusal with an SQLSTATE came from the server: nothing was applied.
        Err(error) if error.code().is_some() => Err(error.into()),
        Err(error) => {
            tracing::warn!(error.cause_chain = ?error, %batch_id, "connection lost during COMMIT; looking the outcome up");
            resolve(pool, batch_id).await
        }
    }
}

/// Whether the transaction `batch_id` committed, learnt on another connection.
pub(super) async fn resolve(
    pool: &deadpool_postgres::Pool,
    batch_id: Uuid,
) -> Result<(), StoreError> {
    let started = Instant::now();
    loop {
        match claim_batch_id(pool, batch_id).await {
            Ok(true) => {
                crate::metrics::record_commit_resolution("committed");
                return Ok(());
            }
            Ok(false) => {
                crate::metrics::record_commit_resolution("not_committed");
                return Err(StoreError::Unavailable(anyhow::anyhow!(
                    "the connection failed during COMMIT and the transaction was not applied"
                )));
            }
            Err(error) if started.elapsed() < RESOLVE_WITHIN => {
                tracing::debug!(error.cause_chain = ?error, %batch_id, "commit outcome not known yet");
                tokio::time::sleep(RESOLVE_PAUSE).await;
            }
            Err(error) => {
                crate::metrics::record_commit_resolution("unknown");
                return Err(StoreError::OutcomeUnknown(
                    anyhow::Error::new(error)
                        .context(format!("commit {batch_id} could not be looked up")),
                ));
            }
        }
    }
}

/// `true` if `batch_id` was logged by its own transaction, `false` if this call took it.
async fn claim_batch_id(
    pool: &deadpool_postgres::Pool,
    batch_id: Uuid,
) -> Result<bool, StoreError> {
    let client = pool.get().await.map_err(|e| {
        StoreError::Unavailable(anyhow::Error::new(e).context("no database connection"))
    })?;
    let inserted = client
        .execute(
            "INSERT INTO commit_log (batch_id) VALUES ($1) ON CONFLICT DO NOTHING",
            &[&batch_id],
        )
        .await?;
    Ok(inserted == 0)
}

/// Waits for the next item, then takes every item waiting behind it, up to `max` in all;
/// `None` once every sender is gone. One task takes at a time, so groups do not interleave.
pub(super) async fn next_group<T>(
    receiver: &Mutex<mpsc::UnboundedReceiver<T>>,
    max: usize,
) -> Option<Vec<T>> {
    let mut receiver = receiver.lock().await;
    let mut group = vec![receiver.recv().await?];
    while group.len() < max {
        match receiver.try_recv() {
            Ok(next) => group.push(next),
            Err(_) => break,
        }
    }
    Some(group)
}

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

use std::sync::Arc;

use tokio::sync::{Mutex, mpsc, oneshot};

use super::{StoreError, apply_batches};
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
    loop {
        let mut pending = Vec::new();
        {
            let mut receiver = receiver.lock().await;
            let Some(first) = receiver.recv().await else {
                return;
            };
            pending.push(first);
            while pending.len() < batches_max {
                match receiver.try_recv() {
                    Ok(next) => pending.push(next),
                    Err(_) => break,
                }
            }
        }
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

async fn write(pool: &deadpool_postgres::Pool, batches: &[CommitBatch]) -> Result<(), StoreError> {
    let mut client = pool.get().await.map_err(|e| {
        StoreError::Unavailable(anyhow::Error::new(e).context("no database connection"))
    })?;
    let tx = client.transaction().await?;
    apply_batches(&tx, batches).await?;
    tx.commit().await?;
    Ok(())
}

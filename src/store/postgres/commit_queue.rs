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
//!
//! A day may send its next batch while its previous one is committing (a chained write): it
//! is sent once the previous transaction has done everything but its COMMIT, its statements
//! run meanwhile (waiting only for rows the previous one holds), and last it inserts the
//! previous transaction's id. That insert waits for the previous transaction and leaves a
//! claim only if it did not commit, in which case the chained write fails too: a day's
//! batches commit in the order they were decided, and none without the ones before it.
//!
//! A chained write waits for the COMMIT before it, which has no deadline: when its own
//! deadline comes while that COMMIT is still under way, it gets the same time again from
//! when that COMMIT ends, as a batch waiting in its day's actor would.
//!
//! Everything before COMMIT (waiting in the queue, for a connection, for the statements) has
//! a deadline counted from when the batch was queued: a batch that misses it is not written,
//! and a transaction that misses it is abandoned on a connection that is then closed, since it
//! may be stuck behind a server that stopped answering. Either way nothing was stored, and the
//! batch fails as unavailable. COMMIT itself has no deadline: cancelled while the server waits
//! for its synchronous standby, a COMMIT still commits (with only a warning), and a batch
//! reported as failed would then be stored after all. A COMMIT whose connection dies is looked
//! up as above.

use std::sync::Arc;
use std::time::{Duration, Instant};

use dashmap::DashMap;

use deadpool_postgres::{Object, Transaction};
use tokio::sync::{Mutex, mpsc, oneshot, watch};
use uuid::Uuid;

use super::StoreError;
use super::batch_write::{
    CLAIM_TRANSACTIONS, CLAIMED_TRANSACTIONS, apply_batches, name_taken_keys,
};
use crate::store::{Chain, CommitBatch};

struct PendingCommit {
    batch: CommitBatch,
    /// The transaction this batch's day wrote its previous batch in, still committing.
    after: Option<Uuid>,
    /// Told this batch's transaction once only its COMMIT is left.
    prepared: Option<oneshot::Sender<Uuid>>,
    /// When everything before its COMMIT must be done by.
    deadline: Instant,
    reply: oneshot::Sender<Result<(), StoreError>>,
}

#[derive(Clone)]
pub(super) struct CommitQueue {
    sender: mpsc::UnboundedSender<PendingCommit>,
    before_commit: Duration,
}

impl CommitQueue {
    /// Starts `writers` writer tasks on the current runtime; they stop with the last handle.
    /// A batch must reach its COMMIT within `before_commit` of being queued.
    pub(super) fn start(
        pool: deadpool_postgres::Pool,
        writers: usize,
        batches_max: usize,
        before_commit: Duration,
    ) -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        let receiver = Arc::new(Mutex::new(receiver));
        let committing = Committing::default();
        for _ in 0..writers.max(1) {
            tokio::spawn(write_merged_batches(
                Writer {
                    pool: pool.clone(),
                    committing: committing.clone(),
                    before_commit,
                },
                receiver.clone(),
                batches_max.max(1),
            ));
        }
        Self {
            sender,
            before_commit,
        }
    }

    pub(super) async fn commit(
        &self,
        batch: CommitBatch,
        chain: Option<Chain>,
    ) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        let deadline = Instant::now() + self.before_commit;
        let (after, prepared) = match chain {
            Some(chain) => (chain.after, Some(chain.prepared)),
            None => (None, None),
        };
        self.sender
            .send(PendingCommit {
                batch,
                after,
                prepared,
                deadline,
                reply,
            })
            .map_err(|_| writer_gone())?;
        answer.await.map_err(|_| writer_gone())?
    }
}

fn writer_gone() -> StoreError {
    StoreError::Unavailable(anyhow::anyhow!("the commit writers have stopped"))
}

/// Transactions whose COMMIT is under way, each with what turns `true` when it has ended.
type Committing = Arc<DashMap<Uuid, watch::Receiver<bool>>>;

/// What every writer task shares.
struct Writer {
    pool: deadpool_postgres::Pool,
    committing: Committing,
    /// How long a batch may take before its COMMIT.
    before_commit: Duration,
}

async fn write_merged_batches(
    writer: Writer,
    receiver: Arc<Mutex<mpsc::UnboundedReceiver<PendingCommit>>>,
    batches_max: usize,
) {
    while let Some(pending) = next_group(&receiver, batches_max).await {
        let now = Instant::now();
        let (late, pending): (Vec<_>, Vec<_>) =
            pending.into_iter().partition(|p| p.deadline <= now);
        for commit in late {
            let _ = commit
                .reply
                .send(Err(missed_deadline("waiting to be written")));
        }
        let Some(deadline) = pending.iter().map(|p| p.deadline).min() else {
            continue;
        };
        let mut batches = Vec::with_capacity(pending.len());
        let mut afters = Vec::with_capacity(pending.len());
        let mut prepared = Vec::with_capacity(pending.len());
        let mut replies = Vec::with_capacity(pending.len());
        for commit in pending {
            batches.push(commit.batch);
            afters.push(commit.after);
            prepared.push(commit.prepared);
            replies.push(commit.reply);
        }
        let after: Vec<Uuid> = afters.iter().flatten().copied().collect();
        match write(&writer, &batches, &after, &mut prepared, deadline).await {
            Ok(()) => {
                for reply in replies {
                    let _ = reply.send(Ok(()));
                }
            }
            // Whatever failed may concern one day only: give each its own answer.
            Err(_) if batches.len() > 1 => {
                let each = batches.into_iter().zip(afters).zip(prepared).zip(replies);
                for (((batch, after), prepared), reply) in each {
                    let after: Vec<Uuid> = after.into_iter().collect();
                    let result = write(
                        &writer,
                        std::slice::from_ref(&batch),
                        &after,
                        &mut [prepared],
                        deadline,
                    )
                    .await;
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
const CLAIM_WITHIN: Duration = Duration::from_secs(2);

fn missed_deadline(doing: &str) -> StoreError {
    crate::metrics::record_store_deadline_missed();
    StoreError::Unavailable(anyhow::anyhow!(
        "the batch was still {doing} at its deadline; nothing of it was stored"
    ))
}

/// Writes `batches` in one transaction that commits only if the transactions `after` did,
/// telling `prepared` its id once only its COMMIT is left.
async fn write(
    writer: &Writer,
    batches: &[CommitBatch],
    after: &[Uuid],
    prepared: &mut [Option<oneshot::Sender<Uuid>>],
    deadline: Instant,
) -> Result<(), StoreError> {
    let pool = &writer.pool;
    let deadline = tokio::time::Instant::from_std(deadline);
    let mut client = match tokio::time::timeout_at(deadline, pool.get()).await {
        Ok(got) => got.map_err(|e| {
            StoreError::Unavailable(anyhow::Error::new(e).context("no database connection"))
        })?,
        Err(_) => return Err(missed_deadline("waiting for a connection")),
    };
    let batch_id = crate::domain::time_ordered_id();
    let mut abandoned = false;
    let prepared_in_time = within_deadline(
        writer,
        prepare(&mut client, batch_id, batches, after),
        deadline,
        after,
    );
    let outcome = match prepared_in_time.await {
        Some(Ok(tx)) => {
            for told in prepared.iter_mut().filter_map(Option::take) {
                let _ = told.send(batch_id);
            }
            let (ended, watched) = watch::channel(false);
            writer.committing.insert(batch_id, watched);
            let committed = commit(pool, tx, batch_id).await;
            writer.committing.remove(&batch_id);
            let _ = ended.send(true);
            committed
        }
        Some(Err(error)) => Err(error),
        None => {
            abandoned = true;
            Err(missed_deadline("being written"))
        }
    };
    if let Err(StoreError::AnswerTaken(named)) = &outcome
        && named.is_empty()
    {
        return Err(taken_keys_named(&client, batches).await);
    }
    if abandoned {
        // The abandoned transaction may sit behind a statement the server never answered:
        // close its connection rather than lend it to the next caller.
        drop(Object::take(client));
    }
    outcome
}

/// `work` by `deadline`, or `None`; but while a transaction this write follows is still
/// committing at the deadline, the write waits for it and then has `before_commit` again.
async fn within_deadline<T>(
    writer: &Writer,
    work: impl std::future::Future<Output = T>,
    mut deadline: tokio::time::Instant,
    after: &[Uuid],
) -> Option<T> {
    tokio::pin!(work);
    loop {
        if let Ok(done) = tokio::time::timeout_at(deadline, &mut work).await {
            return Some(done);
        }
        let still_committing: Vec<_> = after
            .iter()
            .filter_map(|id| writer.committing.get(id).map(|ended| ended.clone()))
            .collect();
        if still_committing.is_empty() {
            return None;
        }
        let all_ended = async move {
            for mut ended in still_committing {
                // A sender gone means that COMMIT has ended too.
                let _ = ended.wait_for(|ended| *ended).await;
            }
        };
        tokio::select! {
            done = &mut work => return Some(done),
            () = all_ended => deadline = tokio::time::Instant::now() + writer.before_commit,
        }
    }
}

/// The answer to a batch refused for a key answered before, with the keys named: the batch's
/// transaction is rolled back, and its connection free for the question.
async fn taken_keys_named(client: &Object, batches: &[CommitBatch]) -> StoreError {
    match name_taken_keys(client, batches).await {
        Ok(taken) if !taken.is_empty() => StoreError::AnswerTaken(taken),
        Ok(_) => StoreError::Unavailable(anyhow::anyhow!(
            "an idempotency key of the batch was answered before, and its answer is gone"
        )),
        Err(error) => error,
    }
}

/// COMMIT, with no deadline; a connection lost under it leaves the outcome to be looked up.
async fn commit(
    pool: &deadpool_postgres::Pool,
    tx: Transaction<'_>,
    batch_id: Uuid,
) -> Result<(), StoreError> {
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

/// Everything of the batches' transaction up to its COMMIT.
async fn prepare<'c>(
    client: &'c mut Object,
    batch_id: Uuid,
    batches: &[CommitBatch],
    after: &[Uuid],
) -> Result<Transaction<'c>, StoreError> {
    let tx = client.transaction().await?;
    apply_batches(&tx, batches, batch_id, after).await?;
    Ok(tx)
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

/// `true` if `batch_id` was logged by its own transaction, `false` if it was claimed (by this
/// call or an earlier one).
///
/// An attempt that gets no answer within `CLAIM_WITHIN` is given up (and its connection
/// closed): the claim may still land, which only makes the batch's outcome "not committed", the
/// safe side of unknown.
async fn claim_batch_id(
    pool: &deadpool_postgres::Pool,
    batch_id: Uuid,
) -> Result<bool, StoreError> {
    let client = pool.get().await.map_err(|e| {
        StoreError::Unavailable(anyhow::Error::new(e).context("no database connection"))
    })?;
    let ids = [batch_id];
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&ids.as_slice()];
    let claim = async {
        client.execute(CLAIM_TRANSACTIONS, &params).await?;
        client.query(CLAIMED_TRANSACTIONS, &params).await
    };
    match tokio::time::timeout(CLAIM_WITHIN, claim).await {
        Ok(claimed) => Ok(claimed?.is_empty()),
        Err(_) => {
            drop(Object::take(client));
            Err(StoreError::Unavailable(anyhow::anyhow!(
                "no answer to the claim of commit {batch_id}"
            )))
        }
    }
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

//! Looking idempotency keys up in groups.
//!
//! A keyed request that was refused asks whether its key already has an answer (the refusal
//! may be its own first attempt's doing), and so does a retry of a key this process answered
//! lately. In a storm of refusals that is every request: one query each would cost a round
//! trip and a backend's work per request. Lookups therefore go through a queue, as commits
//! do: a reader (one by default, `DATABASE_ANSWER_READERS`) takes every lookup waiting, up to
//! 512 (`ANSWER_LOOKUPS_MAX`), and answers them with one query. A reader has one query in
//! flight, so under light load a lookup waits for nothing, and under heavy load one query
//! serves many. In a storm of keyed refusals one reader answered more than two, four or eight:
//! each query costs its round trip and planning whatever it carries, and that was worth more
//! than the waits a second reader saved.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{Mutex, mpsc, oneshot};

use super::StoreError;
use super::commit_queue::next_group;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::store::answers::stored_digest;
use crate::store::{AnswerRecord, KeyClaim, RequestDigest, StoredResponse, answer_key_id};

type Lookup = Result<Option<AnswerRecord>, StoreError>;

struct PendingLookup {
    key_id: Uuid,
    scope: String,
    key: String,
    reply: oneshot::Sender<Lookup>,
}

#[derive(Clone)]
pub(super) struct AnswerLookups {
    sender: mpsc::UnboundedSender<PendingLookup>,
}

impl AnswerLookups {
    /// Starts `readers` reader tasks on the current runtime; they stop with the last handle.
    pub(super) fn start(pool: deadpool_postgres::Pool, readers: usize, lookups_max: usize) -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        let receiver = Arc::new(Mutex::new(receiver));
        for _ in 0..readers.max(1) {
            tokio::spawn(answer_lookups(
                pool.clone(),
                receiver.clone(),
                lookups_max.max(1),
            ));
        }
        Self { sender }
    }

    pub(super) async fn lookup(&self, scope: &str, key: &str) -> Lookup {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(PendingLookup {
                key_id: answer_key_id(scope, key),
                scope: scope.to_owned(),
                key: key.to_owned(),
                reply,
            })
            .map_err(|_| readers_gone())?;
        answer.await.map_err(|_| readers_gone())?
    }
}

fn readers_gone() -> StoreError {
    StoreError::Unavailable(anyhow::anyhow!("the answer lookups have stopped"))
}

async fn answer_lookups(
    pool: deadpool_postgres::Pool,
    receiver: Arc<Mutex<mpsc::UnboundedReceiver<PendingLookup>>>,
    lookups_max: usize,
) {
    while let Some(pending) = next_group(&receiver, lookups_max).await {
        match look_up(&pool, &pending).await {
            Ok(mut found) => {
                for lookup in pending {
                    let record = found.remove(&lookup.key_id).map(
                        |(request_digest, created_at, response)| AnswerRecord {
                            claim: KeyClaim {
                                scope: lookup.scope,
                                key: lookup.key,
                                request_digest,
                            },
                            created_at,
                            response,
                        },
                    );
                    let _ = lookup.reply.send(Ok(record));
                }
            }
            Err(error) => {
                for lookup in pending {
                    let _ = lookup.reply.send(Err(error.duplicate()));
                }
            }
        }
    }
}

/// What is stored under a key besides the key itself.
type Stored = (RequestDigest, DateTime<Utc>, StoredResponse);

async fn look_up(
    pool: &deadpool_postgres::Pool,
    pending: &[PendingLookup],
) -> Result<HashMap<Uuid, Stored>, StoreError> {
    let client = pool.get().await.map_err(|e| {
        StoreError::Unavailable(anyhow::Error::new(e).context("no database connection"))
    })?;
    let key_ids: Vec<Uuid> = pending.iter().map(|p| p.key_id).collect();
    let statement = client
        .prepare_cached(
            "SELECT key_id, request_digest, created_at, status, content_type, body \
             FROM idempotency_keys WHERE key_id = ANY($1)",
        )
        .await?;
    client
        .query(&statement, &[&key_ids])
        .await?
        .iter()
        .map(|row| {
            let response = StoredResponse {
                status: u16::try_from(row.get::<_, i16>(3)).unwrap_or(500),
                content_type: row.get(4),
                body: row.get(5),
            };
            Ok((
                row.get(0),
                (stored_digest(row.get(1))?, row.get(2), response),
            ))
        })
        .collect()
}

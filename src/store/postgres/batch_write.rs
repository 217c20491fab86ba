//! Executes a [`WritePlan`] on PostgreSQL: each step is one statement over array parameters
//! (`unnest`), and the steps are pipelined: every statement is sent before the first answer is
//! awaited, so a transaction costs BEGIN, one flight of statements and COMMIT, whatever the
//! number of batches and rows it carries.
//!
//! The order of the statements matters (a booking gives up its place before another takes it),
//! and the server runs pipelined statements in the order they were sent, which is the order
//! their futures are first polled; [`pipelined`] polls in the order of the steps. A failed step
//! fails the transaction, and the statements sent after it are refused by the server or undone
//! with it.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::Transaction;
use tokio_postgres::Statement;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::count;
use crate::domain::{Booking, BookingCode, BookingId, BookingStatus, DomainEvent};
use crate::store::statements::{
    CARRY_OWNER, CLOSE_DRAW, MARK_CODE_RECEIVED, POINT_CODE, RAISE_WINDOW_CAPACITY_PG,
    RECORD_OWNER, SET_WINDOW_BLOCKED_REASON, SET_WINDOW_CAPACITY, SET_WINDOW_RESERVED,
};
use crate::store::write_plan::{
    self, BookingUpdate, CodeHandover, OwnerRecord, WindowDelta, WindowSetting, WindowValue,
    WritePlan,
};
use crate::store::{AnswerRecord, CommitBatch, StoreError, outbox_rows};

const LOG_BATCH: &str = "INSERT INTO commit_log (batch_id) VALUES ($1)";

/// Claims the ids of transactions that may still be committing. The insert waits for a
/// transaction that logged the id and has not ended; it leaves the row of one that committed
/// as it is, and claims the id of one that did not, which can then never commit. No row is
/// locked, so any number of writes may follow one transaction at once.
pub(super) const CLAIM_TRANSACTIONS: &str = "INSERT INTO commit_log (batch_id, claimed) \
     SELECT unnest($1::uuid[]), true ON CONFLICT DO NOTHING";

/// Which of the ids, once claimed as above, are claims (by that insert or an earlier one)
/// rather than the rows of transactions that committed.
pub(super) const CLAIMED_TRANSACTIONS: &str =
    "SELECT batch_id FROM commit_log WHERE batch_id = ANY($1) AND claimed";

const UPDATE_BOOKINGS: &str = "UPDATE bookings b SET window_start = u.window_start, \
     window_end = u.window_end, plate = u.plate, contact = u.contact, status = u.status, \
     version = u.version, updated_at = u.updated_at, hold_expires_at = u.hold_expires_at, \
     status_after_move = u.status_after_move, moved_to = u.moved_to, reschedules = u.reschedules, \
     reslotted_from = u.reslotted_from \
     FROM unnest($1::uuid[], $2::int8[], $3::bool[], $4::timestamptz[], $5::timestamptz[], \
                 $6::text[], $7::text[], $8::text[], $9::int8[], $10::timestamptz[], \
                 $11::timestamptz[], $12::text[], $13::uuid[], $14::int4[], $15::timestamptz[]) \
       AS u(id, expected_version, guarded, window_start, window_end, plate, contact, \
            status, version, updated_at, hold_expires_at, status_after_move, moved_to, \
            reschedules, reslotted_from) \
     WHERE b.id = u.id AND b.version = u.expected_version \
       AND (NOT u.guarded OR NOT b.code_received)";

const INSERT_BOOKINGS: &str = "INSERT INTO bookings (id, code, checkpoint_id, day, direction, \
     category, window_start, window_end, plate, contact, priority, status, version, \
     manage_token_digest, created_at, updated_at, hold_expires_at, moved_from, \
     status_after_move, moved_to, carrier_key_id, reschedules, reslotted_from) \
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::date[], $5::text[], \
         $6::text[], $7::timestamptz[], $8::timestamptz[], $9::text[], $10::text[], \
         $11::text[], $12::text[], $13::int8[], $14::text[], $15::timestamptz[], \
         $16::timestamptz[], $17::timestamptz[], $18::uuid[], $19::text[], $20::uuid[], \
         $21::uuid[], $22::int4[], $23::timestamptz[])";

const INSERT_CODES: &str =
    "INSERT INTO booking_codes (code, booking_id) SELECT * FROM unnest($1::text[], $2::uuid[])";

const APPLY_WINDOW_DELTAS: &str = "UPDATE windows w SET held = w.held + u.held, \
     confirmed = w.confirmed + u.confirmed \
     FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::int4[], \
                 $6::int4[], $7::bool[]) \
         AS u(checkpoint_id, direction, category, start_at, held, confirmed, requires_open) \
     WHERE w.checkpoint_id = u.checkpoint_id AND w.direction = u.direction \
       AND w.category = u.category AND w.start_at = u.start_at \
       AND (NOT u.requires_open OR w.blocked_reason IS NULL)";

/// A batch's answers, without `ON CONFLICT`: a speculative insertion costs every row an index
/// probe and a WAL record more, and a key answered before is rare (a retry that reached
/// another replica, or this one after a restart). Such a key fails the transaction with a
/// unique violation, and the keys are named afterwards ([`name_taken_keys`]).
const INSERT_ANSWERS: &str = "INSERT INTO idempotency_keys \
     (key_id, request_digest, created_at, status, content_type, body) \
     SELECT * FROM unnest($1::uuid[], $2::bytea[], $3::timestamptz[], $4::int2[], $5::text[], \
                          $6::bytea[])";

/// The statements of a write, prepared (or taken from the connection's cache) before any is
/// sent, so that preparing never stands between two steps of the pipeline.
struct Prepared {
    log_batch: Statement,
    /// Only when the write closes a draw: `(close, settle)`.
    draws: Option<(Statement, Statement)>,
    /// Only when the write follows transactions still committing: `(claim, claimed)`.
    follow: Option<(Statement, Statement)>,
    update_bookings: Statement,
    insert_bookings: Statement,
    insert_codes: Statement,
    apply_window_deltas: Statement,
    insert_answers: Statement,
    append_events: Statement,
}

impl Prepared {
    async fn on(
        tx: &Transaction<'_>,
        closes_draws: bool,
        follows: bool,
    ) -> Result<Self, StoreError> {
        let draws = if closes_draws {
            Some(tokio::try_join!(
                tx.prepare_cached(CLOSE_DRAW),
                tx.prepare_cached(super::draws::SETTLE_ENTRIES),
            )?)
        } else {
            None
        };
        let follow = if follows {
            Some(tokio::try_join!(
                tx.prepare_cached(CLAIM_TRANSACTIONS),
                tx.prepare_cached(CLAIMED_TRANSACTIONS),
            )?)
        } else {
            None
        };
        let (
            log_batch,
            update_bookings,
            insert_bookings,
            insert_codes,
            apply_window_deltas,
            insert_answers,
            append_events,
        ) = tokio::try_join!(
            tx.prepare_cached(LOG_BATCH),
            tx.prepare_cached(UPDATE_BOOKINGS),
            tx.prepare_cached(INSERT_BOOKINGS),
            tx.prepare_cached(INSERT_CODES),
            tx.prepare_cached(APPLY_WINDOW_DELTAS),
            tx.prepare_cached(INSERT_ANSWERS),
            tx.prepare_cached(outbox_rows::APPEND_EVENTS),
        )?;
        Ok(Self {
            log_batch,
            draws,
            follow,
            update_bookings,
            insert_bookings,
            insert_codes,
            apply_window_deltas,
            insert_answers,
            append_events,
        })
    }
}

type Step<'a> = Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send + 'a>>;

/// Writes the batches (of one or more schedule days) in `tx` as one plan, logging the
/// transaction as `batch_id` so that a lost COMMIT can be looked up.
pub(super) async fn apply_batches(
    tx: &Transaction<'_>,
    batches: &[CommitBatch],
    batch_id: Uuid,
    after: &[Uuid],
) -> Result<(), StoreError> {
    let plan = WritePlan::new(batches);
    let prepared = Prepared::on(tx, !plan.draws.is_empty(), !after.is_empty()).await?;
    let mut steps: Vec<Step<'_>> = vec![Box::pin(log_batch(tx, &prepared.log_batch, batch_id))];
    // A draw's row is locked first: of two replicas closing one draw, the second waits here
    // and is refused, before it has touched a booking or a window.
    if let Some((close, settle)) = &prepared.draws {
        steps.push(Box::pin(super::draws::close_draws(
            tx,
            close,
            settle,
            &plan.draws,
        )));
    }
    steps.extend::<Vec<Step<'_>>>(vec![
        Box::pin(apply_updates(
            tx,
            &prepared.update_bookings,
            &plan.releasing,
        )),
        Box::pin(apply_updates(tx, &prepared.update_bookings, &plan.updates)),
        Box::pin(insert_bookings(
            tx,
            &prepared.insert_bookings,
            &plan.inserts,
        )),
        Box::pin(insert_codes(tx, &prepared.insert_codes, &plan.new_codes)),
        Box::pin(record_owners(tx, &plan.owners, &plan.carried_owners)),
    ]);
    // The window counts last: their rows are the ones a chained write waits for while the
    // write before it commits, so everything else of it is done by then (and the rows are
    // locked for the shortest time).
    let tail: Vec<Step<'_>> = vec![
        Box::pin(store_answers(tx, &prepared.insert_answers, &plan.answers)),
        Box::pin(append_events(tx, &prepared.append_events, &plan.events)),
        Box::pin(apply_window_deltas(
            tx,
            &prepared.apply_window_deltas,
            &plan.window_deltas,
        )),
    ];
    // Window settings and code hand-overs (blocks, moves across days) are rare and take
    // round trips of their own, so they split the flight in two.
    // So are the waitlist's writes: a driver joining, or a place offered or answered.
    if plan.window_settings.is_empty()
        && plan.code_handovers.is_empty()
        && plan.waitlist_updates.is_empty()
        && plan.waitlist_inserts.is_empty()
    {
        steps.extend(tail);
        // Last, so that everything before runs while the transactions followed commit.
        steps.push(Box::pin(follow(tx, prepared.follow.as_ref(), after)));
        return pipelined(steps).await;
    }
    pipelined(steps).await?;
    apply_waitlist(tx, &plan).await?;
    apply_window_settings(tx, &plan.window_settings, RAISE_WINDOW_CAPACITY_PG).await?;
    apply_code_handovers(tx, &plan.code_handovers).await?;
    pipelined(tail).await?;
    apply_window_settings(tx, &plan.lowered_capacities, SET_WINDOW_CAPACITY).await?;
    follow(tx, prepared.follow.as_ref(), after).await
}

/// Waits for the transactions `after` (each of which logged its id and had done everything
/// but its COMMIT) and refuses the write unless every one of them committed.
async fn follow(
    tx: &Transaction<'_>,
    statements: Option<&(Statement, Statement)>,
    after: &[Uuid],
) -> Result<(), StoreError> {
    let Some((claim, claimed)) = statements else {
        return Ok(());
    };
    // Sent together: the second statement starts once the first has waited for every one.
    let params: [&(dyn ToSql + Sync); 1] = [&after];
    let (_, not_committed) =
        tokio::try_join!(tx.execute(claim, &params), tx.query(claimed, &params))?;
    if !not_committed.is_empty() {
        return Err(StoreError::Conflict(
            "the day's previous write was not stored, and this one followed it".into(),
        ));
    }
    Ok(())
}

/// Runs the steps concurrently on one connection, polling them in order so that their
/// statements are sent in order; the first failure (in that order) is the answer.
async fn pipelined(steps: Vec<Step<'_>>) -> Result<(), StoreError> {
    let mut steps: Vec<Option<Step<'_>>> = steps.into_iter().map(Some).collect();
    std::future::poll_fn(|cx| {
        let mut waiting = false;
        for slot in &mut steps {
            let Some(step) = slot else { continue };
            match step.as_mut().poll(cx) {
                Poll::Ready(Ok(())) => *slot = None,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => waiting = true,
            }
        }
        if waiting {
            Poll::Pending
        } else {
            Poll::Ready(Ok(()))
        }
    })
    .await
}

async fn log_batch(
    tx: &Transaction<'_>,
    statement: &Statement,
    batch_id: Uuid,
) -> Result<(), StoreError> {
    tx.execute(statement, &[&batch_id]).await?;
    Ok(())
}

/// The waitlist's entries: updates (each refused unless at the version decided from), then
/// inserts.
async fn apply_waitlist(tx: &Transaction<'_>, plan: &WritePlan<'_>) -> Result<(), StoreError> {
    let mut refused = 0;
    for update in &plan.waitlist_updates {
        let e = update.entry;
        let body = serde_json::to_value(e).context("Failed to encode a waitlist entry")?;
        let offer = e.offer.as_ref().map(|o| o.booking.0);
        let changed = tx
            .execute(
                "UPDATE waitlist_entries SET status = $1, version = $2, updated_at = $3, \
                 offer_booking_id = $4, body = $5 WHERE id = $6 AND version = $7",
                &[
                    &e.status.as_str(),
                    &e.version,
                    &e.updated_at,
                    &offer,
                    &body,
                    &e.id.0,
                    &update.expected_version,
                ],
            )
            .await?;
        refused += usize::from(changed != 1);
    }
    if refused > 0 {
        return Err(write_plan::stale_waitlist(
            refused,
            plan.waitlist_updates.len(),
        ));
    }
    for e in &plan.waitlist_inserts {
        let body = serde_json::to_value(e).context("Failed to encode a waitlist entry")?;
        let booking = e.booking.map(|id| id.0);
        let offer = e.offer.as_ref().map(|o| o.booking.0);
        tx.execute(
            "INSERT INTO waitlist_entries (id, checkpoint_id, day, direction, category, plate, \
             contact, priority, seq, status, version, token_digest, booking_id, \
             offer_booking_id, created_at, updated_at, body) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
            &[
                &e.id.0,
                &e.checkpoint.as_str(),
                &e.day,
                &e.direction.as_str(),
                &e.category.as_str(),
                &e.plate.as_str(),
                &e.contact.as_str(),
                &e.priority.as_str(),
                &e.seq,
                &e.status.as_str(),
                &e.version,
                &e.token_digest,
                &booking,
                &offer,
                &e.created_at,
                &e.updated_at,
                &body,
            ],
        )
        .await?;
    }
    Ok(())
}

fn plate_text(booking: &Booking) -> Option<&str> {
    booking.plate.as_ref().map(|p| p.as_str())
}

fn contact_text(booking: &Booking) -> Option<&str> {
    booking.contact.as_ref().map(|c| c.as_str())
}

async fn apply_updates(
    tx: &Transaction<'_>,
    statement: &Statement,
    updates: &[BookingUpdate<'_>],
) -> Result<(), StoreError> {
    if updates.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = updates.iter().map(|u| u.booking.id.0).collect();
    let expected: Vec<i64> = updates.iter().map(|u| u.expected_version).collect();
    let guarded: Vec<bool> = updates.iter().map(|u| u.unless_code_received).collect();
    let starts: Vec<DateTime<Utc>> = updates.iter().map(|u| u.booking.window_start).collect();
    let ends: Vec<DateTime<Utc>> = updates.iter().map(|u| u.booking.window_end).collect();
    let plates: Vec<Option<&str>> = updates.iter().map(|u| plate_text(u.booking)).collect();
    let contacts: Vec<Option<&str>> = updates.iter().map(|u| contact_text(u.booking)).collect();
    let statuses: Vec<&str> = updates.iter().map(|u| u.booking.status.as_str()).collect();
    let versions: Vec<i64> = updates.iter().map(|u| u.booking.version).collect();
    let updated: Vec<DateTime<Utc>> = updates.iter().map(|u| u.booking.updated_at).collect();
    let expiries: Vec<Option<DateTime<Utc>>> =
        updates.iter().map(|u| u.booking.hold_expires_at).collect();
    let after_move: Vec<Option<&str>> = updates
        .iter()
        .map(|u| u.booking.status_after_move.map(BookingStatus::as_str))
        .collect();
    let moved_to: Vec<Option<Uuid>> = updates
        .iter()
        .map(|u| u.booking.moved_to.map(|id| id.0))
        .collect();
    let reschedules: Vec<i32> = updates
        .iter()
        .map(|u| count(u.booking.reschedules))
        .collect();
    let reslotted_from: Vec<Option<DateTime<Utc>>> =
        updates.iter().map(|u| u.booking.reslotted_from).collect();
    let changed = tx
        .execute(
            statement,
            &[
                &ids,
                &expected,
                &guarded,
                &starts,
                &ends,
                &plates,
                &contacts,
                &statuses,
                &versions,
                &updated,
                &expiries,
                &after_move,
                &moved_to,
                &reschedules,
                &reslotted_from,
            ],
        )
        .await?;
    let changed = usize::try_from(changed).unwrap_or(usize::MAX);
    if changed != updates.len() {
        return Err(write_plan::stale_bookings(
            updates.len().saturating_sub(changed),
            updates.len(),
        ));
    }
    Ok(())
}

async fn insert_bookings(
    tx: &Transaction<'_>,
    statement: &Statement,
    bookings: &[&Booking],
) -> Result<(), StoreError> {
    if bookings.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = bookings.iter().map(|b| b.id.0).collect();
    let codes: Vec<&str> = bookings.iter().map(|b| b.code.as_str()).collect();
    let checkpoints: Vec<&str> = bookings.iter().map(|b| b.checkpoint.as_str()).collect();
    let days: Vec<NaiveDate> = bookings.iter().map(|b| b.day).collect();
    let directions: Vec<&str> = bookings.iter().map(|b| b.direction.as_str()).collect();
    let categories: Vec<&str> = bookings.iter().map(|b| b.category.as_str()).collect();
    let starts: Vec<DateTime<Utc>> = bookings.iter().map(|b| b.window_start).collect();
    let ends: Vec<DateTime<Utc>> = bookings.iter().map(|b| b.window_end).collect();
    let plates: Vec<Option<&str>> = bookings.iter().map(|b| plate_text(b)).collect();
    let contacts: Vec<Option<&str>> = bookings.iter().map(|b| contact_text(b)).collect();
    let priorities: Vec<&str> = bookings.iter().map(|b| b.priority.as_str()).collect();
    let statuses: Vec<&str> = bookings.iter().map(|b| b.status.as_str()).collect();
    let versions: Vec<i64> = bookings.iter().map(|b| b.version).collect();
    let digests: Vec<&str> = bookings
        .iter()
        .map(|b| b.manage_token_digest.as_str())
        .collect();
    let created: Vec<DateTime<Utc>> = bookings.iter().map(|b| b.created_at).collect();
    let updated: Vec<DateTime<Utc>> = bookings.iter().map(|b| b.updated_at).collect();
    let expiries: Vec<Option<DateTime<Utc>>> = bookings.iter().map(|b| b.hold_expires_at).collect();
    let moved_from: Vec<Option<Uuid>> = bookings
        .iter()
        .map(|b| b.moved_from.map(|id| id.0))
        .collect();
    let after_move: Vec<Option<&str>> = bookings
        .iter()
        .map(|b| b.status_after_move.map(BookingStatus::as_str))
        .collect();
    let moved_to: Vec<Option<Uuid>> = bookings.iter().map(|b| b.moved_to.map(|id| id.0)).collect();
    let carriers: Vec<Option<Uuid>> = bookings.iter().map(|b| b.carrier).collect();
    let reschedules: Vec<i32> = bookings.iter().map(|b| count(b.reschedules)).collect();
    let reslotted_from: Vec<Option<DateTime<Utc>>> =
        bookings.iter().map(|b| b.reslotted_from).collect();
    tx.execute(
        statement,
        &[
            &ids,
            &codes,
            &checkpoints,
            &days,
            &directions,
            &categories,
            &starts,
            &ends,
            &plates,
            &contacts,
            &priorities,
            &statuses,
            &versions,
            &digests,
            &created,
            &updated,
            &expiries,
            &moved_from,
            &after_move,
            &moved_to,
            &carriers,
            &reschedules,
            &reslotted_from,
        ],
    )
    .await?;
    Ok(())
}

async fn insert_codes(
    tx: &Transaction<'_>,
    statement: &Statement,
    new_codes: &[(&BookingCode, BookingId)],
) -> Result<(), StoreError> {
    if new_codes.is_empty() {
        return Ok(());
    }
    let (codes, ids): (Vec<&str>, Vec<Uuid>) = new_codes
        .iter()
        .map(|(code, id)| (code.as_str(), id.0))
        .unzip();
    tx.execute(statement, &[&codes, &ids]).await?;
    Ok(())
}

/// Rare (bookings made signed in, moves to another day), so prepared only when needed.
async fn record_owners(
    tx: &Transaction<'_>,
    owners: &[OwnerRecord<'_>],
    carried: &[(BookingId, BookingId)],
) -> Result<(), StoreError> {
    if !owners.is_empty() {
        let statement = tx.prepare_cached(RECORD_OWNER).await?;
        for owned in owners {
            let owner = owned.owner;
            tx.execute(
                &statement,
                &[
                    &owned.booking.0,
                    &owner.subject,
                    &owner.organisation,
                    &owned.at,
                ],
            )
            .await?;
        }
    }
    if !carried.is_empty() {
        let statement = tx.prepare_cached(CARRY_OWNER).await?;
        for (from, to) in carried {
            tx.execute(&statement, &[&from.0, &to.0]).await?;
        }
    }
    Ok(())
}

async fn apply_window_settings(
    tx: &Transaction<'_>,
    settings: &[WindowSetting<'_>],
    capacity_statement: &str,
) -> Result<(), StoreError> {
    for setting in settings {
        let reserved;
        let (statement, value): (&str, &(dyn ToSql + Sync)) = match &setting.value {
            WindowValue::BlockedReason(reason) => (SET_WINDOW_BLOCKED_REASON, reason),
            WindowValue::Reserved(places) => {
                reserved = count(*places);
                (SET_WINDOW_RESERVED, &reserved)
            }
            WindowValue::Capacity(places) => {
                reserved = count(*places);
                (capacity_statement, &reserved)
            }
        };
        let statement = tx.prepare_cached(statement).await?;
        tx.execute(
            &statement,
            &[
                value,
                &setting.checkpoint.as_str(),
                &setting.key.direction.as_str(),
                &setting.key.category.as_str(),
                &setting.key.start,
            ],
        )
        .await?;
    }
    Ok(())
}

async fn apply_code_handovers(
    tx: &Transaction<'_>,
    handovers: &[CodeHandover<'_>],
) -> Result<(), StoreError> {
    for handover in handovers {
        let statement = tx.prepare_cached(MARK_CODE_RECEIVED).await?;
        let received = tx.execute(&statement, &[&handover.booking.0]).await?;
        let pointed = if received == 1 {
            let statement = tx.prepare_cached(POINT_CODE).await?;
            tx.execute(&statement, &[&handover.booking.0, &handover.code.as_str()])
                .await?
        } else {
            0
        };
        if pointed != 1 {
            return Err(write_plan::handover_refused(handover));
        }
    }
    Ok(())
}

async fn apply_window_deltas(
    tx: &Transaction<'_>,
    statement: &Statement,
    deltas: &[WindowDelta<'_>],
) -> Result<(), StoreError> {
    if deltas.is_empty() {
        return Ok(());
    }
    let checkpoints: Vec<&str> = deltas.iter().map(|d| d.checkpoint.as_str()).collect();
    let directions: Vec<&str> = deltas.iter().map(|d| d.key.direction.as_str()).collect();
    let categories: Vec<&str> = deltas.iter().map(|d| d.key.category.as_str()).collect();
    let starts: Vec<DateTime<Utc>> = deltas.iter().map(|d| d.key.start).collect();
    let held: Vec<i32> = deltas.iter().map(|d| d.held).collect();
    let confirmed: Vec<i32> = deltas.iter().map(|d| d.confirmed).collect();
    let requires_open: Vec<bool> = deltas.iter().map(|d| d.requires_open).collect();
    let changed = tx
        .execute(
            statement,
            &[
                &checkpoints,
                &directions,
                &categories,
                &starts,
                &held,
                &confirmed,
                &requires_open,
            ],
        )
        .await?;
    if usize::try_from(changed).ok() != Some(deltas.len()) {
        return Err(write_plan::window_refused());
    }
    Ok(())
}

/// Writes one event to the outbox.
pub(super) async fn append_event(
    tx: &Transaction<'_>,
    event: &DomainEvent,
) -> Result<(), StoreError> {
    let statement = tx.prepare_cached(outbox_rows::APPEND_EVENTS).await?;
    append_events(tx, &statement, &[event]).await
}

async fn append_events(
    tx: &Transaction<'_>,
    statement: &Statement,
    events: &[&DomainEvent],
) -> Result<(), StoreError> {
    let Some(first) = events.first() else {
        return Ok(());
    };
    let count = i32::try_from(events.len()).context("Too many events for one outbox row")?;
    let body = outbox_rows::encode(events)?;
    tx.execute(statement, &[&count, &first.occurred_at, &body])
        .await?;
    Ok(())
}

/// Stores the answer of a request that has a transaction of its own; if another request
/// answered its key first, the transaction must not commit (`AnswerTaken`, naming the key).
pub(super) async fn insert_answer(
    tx: &Transaction<'_>,
    answer: Option<&AnswerRecord>,
) -> Result<(), StoreError> {
    let Some(answer) = answer else {
        return Ok(());
    };
    let statement = tx.prepare_cached(INSERT_ANSWERS).await?;
    match store_answers(tx, &statement, &[answer]).await {
        Err(StoreError::AnswerTaken(_)) => Err(StoreError::AnswerTaken(vec![answer.claim.id()])),
        outcome => outcome,
    }
}

/// Stores a batch's answers. A key answered before fails the transaction as `AnswerTaken`
/// with no keys named: [`name_taken_keys`] names them once the transaction is rolled back.
async fn store_answers(
    tx: &Transaction<'_>,
    statement: &Statement,
    answers: &[&AnswerRecord],
) -> Result<(), StoreError> {
    if answers.is_empty() {
        return Ok(());
    }
    let columns = AnswerColumns::of(answers);
    match tx.execute(statement, &columns.params()).await {
        Ok(_) => Ok(()),
        Err(error) if is_taken_key(&error) => Err(StoreError::AnswerTaken(Vec::new())),
        Err(error) => Err(error.into()),
    }
}

fn is_taken_key(error: &tokio_postgres::Error) -> bool {
    error.as_db_error().is_some_and(|db| {
        db.code() == &tokio_postgres::error::SqlState::UNIQUE_VIOLATION
            && db.table() == Some("idempotency_keys")
    })
}

/// Which of the batches' keys have an answer stored: after a batch failed as `AnswerTaken`
/// with no keys named, on the connection whose transaction was rolled back.
pub(super) async fn name_taken_keys(
    client: &deadpool_postgres::Object,
    batches: &[CommitBatch],
) -> Result<Vec<Uuid>, StoreError> {
    let key_ids: Vec<Uuid> = batches
        .iter()
        .flat_map(|batch| &batch.answers)
        .map(|answer| answer.claim.id())
        .collect();
    let statement = client
        .prepare_cached("SELECT key_id FROM idempotency_keys WHERE key_id = ANY($1)")
        .await?;
    Ok(client
        .query(&statement, &[&key_ids])
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect())
}

/// The answers' columns, as the arrays the insert statements take.
struct AnswerColumns<'a> {
    key_ids: Vec<Uuid>,
    digests: Vec<&'a [u8]>,
    created: Vec<DateTime<Utc>>,
    statuses: Vec<i16>,
    types: Vec<&'a str>,
    bodies: Vec<&'a [u8]>,
}

impl<'a> AnswerColumns<'a> {
    fn of(answers: &[&'a AnswerRecord]) -> Self {
        Self {
            key_ids: answers.iter().map(|a| a.claim.id()).collect(),
            digests: answers
                .iter()
                .map(|a| a.claim.request_digest.as_slice())
                .collect(),
            created: answers.iter().map(|a| a.created_at).collect(),
            statuses: answers
                .iter()
                .map(|a| i16::try_from(a.response.status).unwrap_or(500))
                .collect(),
            types: answers
                .iter()
                .map(|a| a.response.content_type.as_str())
                .collect(),
            bodies: answers.iter().map(|a| a.response.body.as_slice()).collect(),
        }
    }

    fn params(&self) -> [&(dyn ToSql + Sync); 6] {
        [
            &self.key_ids,
            &self.digests,
            &self.created,
            &self.statuses,
            &self.types,
            &self.bodies,
        ]
    }
}

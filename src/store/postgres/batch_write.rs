//! Executes a [`WritePlan`] on PostgreSQL: each step is one statement over array parameters
//! (`unnest`), so a transaction costs a fixed number of round trips whatever the number of
//! batches and rows it carries.

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::Transaction;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::count;
use crate::domain::{Booking, BookingStatus, DomainEvent};
use crate::store::statements::{
    MARK_CODE_RECEIVED, POINT_CODE, SET_WINDOW_BLOCKED_REASON, SET_WINDOW_RESERVED,
};
use crate::store::write_plan::{
    self, BookingUpdate, CodeHandover, WindowDelta, WindowSetting, WindowValue, WritePlan,
};
use crate::store::{AnswerRecord, CommitBatch, StoreError};

/// Writes the batches (of one or more schedule days) in `tx` as one plan.
pub(super) async fn apply_batches(
    tx: &Transaction<'_>,
    batches: &[CommitBatch],
) -> Result<(), StoreError> {
    let plan = WritePlan::new(batches);
    apply_updates(tx, &plan.releasing).await?;
    apply_updates(tx, &plan.updates).await?;
    apply_inserts(tx, &plan).await?;
    apply_window_settings(tx, &plan.window_settings).await?;
    apply_code_handovers(tx, &plan.code_handovers).await?;
    apply_window_deltas(tx, &plan.window_deltas).await?;
    insert_answers(tx, &plan.answers).await?;
    append_events(tx, &plan.events).await
}

fn plate_text(booking: &Booking) -> Option<&str> {
    booking.plate.as_ref().map(|p| p.as_str())
}

fn contact_text(booking: &Booking) -> Option<&str> {
    booking.contact.as_ref().map(|c| c.as_str())
}

async fn apply_updates(
    tx: &Transaction<'_>,
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
    let statement = tx
        .prepare_cached(
            "UPDATE bookings b SET window_start = u.window_start, window_end = u.window_end, \
             plate = u.plate, contact = u.contact, status = u.status, version = u.version, \
             updated_at = u.updated_at, hold_expires_at = u.hold_expires_at, \
             status_after_move = u.status_after_move, moved_to = u.moved_to, \
             reschedules = u.reschedules \
             FROM unnest($1::uuid[], $2::int8[], $3::bool[], $4::timestamptz[], $5::timestamptz[], \
                         $6::text[], $7::text[], $8::text[], $9::int8[], $10::timestamptz[], \
                         $11::timestamptz[], $12::text[], $13::uuid[], $14::int4[]) \
               AS u(id, expected_version, guarded, window_start, window_end, plate, contact, \
                    status, version, updated_at, hold_expires_at, status_after_move, moved_to, \
                    reschedules) \
             WHERE b.id = u.id AND b.version = u.expected_version \
               AND (NOT u.guarded OR NOT b.code_received)",
        )
        .await?;
    let changed = tx
        .execute(
            &statement,
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

async fn apply_inserts(tx: &Transaction<'_>, plan: &WritePlan<'_>) -> Result<(), StoreError> {
    let bookings = &plan.inserts;
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
    let statement = tx
        .prepare_cached(
            "INSERT INTO bookings (id, code, checkpoint_id, day, direction, category, window_start, \
             window_end, plate, contact, priority, status, version, manage_token_digest, created_at, \
             updated_at, hold_expires_at, moved_from, status_after_move, moved_to, carrier_key_id, \
             reschedules) \
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::date[], $5::text[], \
                 $6::text[], $7::timestamptz[], $8::timestamptz[], $9::text[], $10::text[], \
                 $11::text[], $12::text[], $13::int8[], $14::text[], $15::timestamptz[], \
                 $16::timestamptz[], $17::timestamptz[], $18::uuid[], $19::text[], $20::uuid[], \
                 $21::uuid[], $22::int4[])",
        )
        .await?;
    tx.execute(
        &statement,
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
        ],
    )
    .await?;
    if plan.new_codes.is_empty() {
        return Ok(());
    }
    let (new_codes, code_ids): (Vec<&str>, Vec<Uuid>) = plan
        .new_codes
        .iter()
        .map(|(code, id)| (code.as_str(), id.0))
        .unzip();
    let statement = tx
        .prepare_cached(
            "INSERT INTO booking_codes (code, booking_id) SELECT * FROM unnest($1::text[], $2::uuid[])",
        )
        .await?;
    tx.execute(&statement, &[&new_codes, &code_ids]).await?;
    Ok(())
}

async fn apply_window_settings(
    tx: &Transaction<'_>,
    settings: &[WindowSetting<'_>],
) -> Result<(), StoreError> {
    for setting in settings {
        let reserved;
        let (statement, value): (&str, &(dyn ToSql + Sync)) = match &setting.value {
            WindowValue::BlockedReason(reason) => (SET_WINDOW_BLOCKED_REASON, reason),
            WindowValue::Reserved(places) => {
                reserved = count(*places);
                (SET_WINDOW_RESERVED, &reserved)
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
    let statement = tx
        .prepare_cached(
            "UPDATE windows w SET held = w.held + u.held, confirmed = w.confirmed + u.confirmed \
             FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::int4[], \
                         $6::int4[], $7::bool[]) \
                 AS u(checkpoint_id, direction, category, start_at, held, confirmed, requires_open) \
             WHERE w.checkpoint_id = u.checkpoint_id AND w.direction = u.direction \
               AND w.category = u.category AND w.start_at = u.start_at \
               AND (NOT u.requires_open OR w.blocked_reason IS NULL)",
        )
        .await?;
    let changed = tx
        .execute(
            &statement,
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

async fn append_events(tx: &Transaction<'_>, events: &[&DomainEvent]) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    let checkpoints: Vec<&str> = events.iter().map(|e| e.checkpoint.as_str()).collect();
    let days: Vec<NaiveDate> = events.iter().map(|e| e.day).collect();
    let occurred: Vec<DateTime<Utc>> = events.iter().map(|e| e.occurred_at).collect();
    let bodies: Vec<serde_json::Value> = events
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<_, _>>()
        .context("Failed to encode an event")?;
    let statement = tx
        .prepare_cached(
            "INSERT INTO outbox (event_id, event_type, checkpoint_id, day, occurred_at, body) \
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::date[], \
                                  $5::timestamptz[], $6::jsonb[])",
        )
        .await?;
    tx.execute(
        &statement,
        &[&ids, &types, &checkpoints, &days, &occurred, &bodies],
    )
    .await?;
    Ok(())
}

/// Stores the answers of a transaction's idempotent requests; if another request answered one
/// of their keys first, the transaction must not commit (`AnswerTaken`).
pub(super) async fn insert_answers(
    tx: &Transaction<'_>,
    answers: &[&AnswerRecord],
) -> Result<(), StoreError> {
    if answers.is_empty() {
        return Ok(());
    }
    let scopes: Vec<&str> = answers.iter().map(|a| a.claim.scope.as_str()).collect();
    let keys: Vec<&str> = answers.iter().map(|a| a.claim.key.as_str()).collect();
    let digests: Vec<&str> = answers
        .iter()
        .map(|a| a.claim.request_digest.as_str())
        .collect();
    let created: Vec<DateTime<Utc>> = answers.iter().map(|a| a.created_at).collect();
    let statuses: Vec<i16> = answers
        .iter()
        .map(|a| i16::try_from(a.response.status).unwrap_or(500))
        .collect();
    let types: Vec<&str> = answers
        .iter()
        .map(|a| a.response.content_type.as_str())
        .collect();
    let bodies: Vec<&[u8]> = answers.iter().map(|a| a.response.body.as_slice()).collect();
    let statement = tx
        .prepare_cached(
            "INSERT INTO idempotency_keys \
             (scope, key, request_digest, created_at, status, content_type, body) \
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], \
                                  $5::int2[], $6::text[], $7::bytea[]) \
             ON CONFLICT DO NOTHING RETURNING scope, key",
        )
        .await?;
    let stored: std::collections::HashSet<(String, String)> = tx
        .query(
            &statement,
            &[
                &scopes, &keys, &digests, &created, &statuses, &types, &bodies,
            ],
        )
        .await?
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    if stored.len() == answers.len() {
        return Ok(());
    }
    Err(StoreError::AnswerTaken(
        answers
            .iter()
            .map(|a| a.claim.id())
            .filter(|id| !stored.contains(id))
            .collect(),
    ))
}

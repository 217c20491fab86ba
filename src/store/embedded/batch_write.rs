//! Executes a [`WritePlan`] on SQLite: one cached statement a row, in one immediate
//! transaction (SQLite has one writer, so the transaction takes the write lock at once
//! rather than failing to upgrade a read lock half way).

use anyhow::Context;
use rusqlite::{Connection, Transaction, TransactionBehavior, params};

use super::format_ts;
use crate::domain::{Booking, BookingStatus, Contact, DomainEvent, Plate};
use crate::store::statements::{
    CARRY_OWNER, MARK_CODE_RECEIVED, POINT_CODE, RAISE_WINDOW_CAPACITY_SQLITE, RECORD_OWNER,
    SET_WINDOW_BLOCKED_REASON, SET_WINDOW_CAPACITY, SET_WINDOW_RESERVED,
};
use crate::store::write_plan::{self, BookingUpdate, WindowSetting, WindowValue, WritePlan};
use crate::store::{AnswerRecord, CommitBatch, StoreError, outbox_rows};

/// Writes one schedule day's batch in its own transaction.
pub(super) fn apply_batch(
    connection: &mut Connection,
    batch: &CommitBatch,
) -> Result<(), StoreError> {
    let plan = WritePlan::new(std::slice::from_ref(batch));
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    super::draws::close_draws(&tx, &plan.draws)?;
    apply_updates(&tx, &plan.releasing)?;
    apply_updates(&tx, &plan.updates)?;
    for booking in &plan.inserts {
        insert_booking(&tx, booking)?;
    }
    for (code, booking) in &plan.new_codes {
        tx.prepare_cached("INSERT INTO booking_codes (code, booking_id) VALUES ($1, $2)")?
            .execute(params![code.as_str(), booking.to_string()])?;
    }
    for owned in &plan.owners {
        tx.prepare_cached(RECORD_OWNER)?.execute(params![
            owned.booking.to_string(),
            owned.owner.subject,
            owned.owner.organisation,
            format_ts(owned.at),
        ])?;
    }
    for (from, to) in &plan.carried_owners {
        tx.prepare_cached(CARRY_OWNER)?
            .execute(params![from.to_string(), to.to_string()])?;
    }
    apply_waitlist(&tx, &plan)?;
    apply_window_settings(&tx, &plan.window_settings, RAISE_WINDOW_CAPACITY_SQLITE)?;
    for handover in &plan.code_handovers {
        let booking = handover.booking.to_string();
        let received = tx
            .prepare_cached(MARK_CODE_RECEIVED)?
            .execute(params![booking])?;
        let pointed = if received == 1 {
            tx.prepare_cached(POINT_CODE)?
                .execute(params![booking, handover.code.as_str()])?
        } else {
            0
        };
        if pointed != 1 {
            return Err(write_plan::handover_refused(handover));
        }
    }
    for delta in &plan.window_deltas {
        let changed = tx
            .prepare_cached(
                "UPDATE windows SET held = held + $1, confirmed = confirmed + $2 \
                 WHERE checkpoint_id = $3 AND direction = $4 AND category = $5 AND start_at = $6 \
                 AND (NOT $7 OR blocked_reason IS NULL)",
            )?
            .execute(params![
                delta.held,
                delta.confirmed,
                delta.checkpoint.as_str(),
                delta.key.direction.as_str(),
                delta.key.category.as_str(),
                format_ts(delta.key.start),
                delta.requires_open,
            ])?;
        if changed != 1 {
            return Err(write_plan::window_refused());
        }
    }
    insert_answers(&tx, &plan.answers)?;
    append_events(&tx, &plan.events)?;
    apply_window_settings(&tx, &plan.lowered_capacities, SET_WINDOW_CAPACITY)?;
    tx.commit()?;
    Ok(())
}

/// Writes one event to the outbox.
pub(super) fn append_event(tx: &Connection, event: &DomainEvent) -> Result<(), StoreError> {
    append_events(tx, &[event])
}

fn append_events(tx: &Connection, events: &[&DomainEvent]) -> Result<(), StoreError> {
    let Some(first) = events.first() else {
        return Ok(());
    };
    let body = outbox_rows::encode(events)?;
    tx.prepare_cached(outbox_rows::APPEND_EVENTS)?
        .execute(params![
            i64::try_from(events.len()).unwrap_or(i64::MAX),
            format_ts(first.occurred_at),
            body
        ])?;
    Ok(())
}

fn apply_updates(tx: &Transaction<'_>, updates: &[BookingUpdate<'_>]) -> Result<(), StoreError> {
    let mut refused = 0;
    for update in updates {
        let b = update.booking;
        refused += 1 - tx
            .prepare_cached(
                "UPDATE bookings SET window_start = $1, window_end = $2, plate = $3, contact = $4, \
                 status = $5, version = $6, updated_at = $7, hold_expires_at = $8, \
                 status_after_move = $9, moved_to = $10, reschedules = $11, \
                 reslotted_from = $12 \
                 WHERE id = $13 AND version = $14 AND (NOT $15 OR NOT code_received)",
            )?
            .execute(params![
                format_ts(b.window_start),
                format_ts(b.window_end),
                b.plate.as_ref().map(Plate::as_str),
                b.contact.as_ref().map(Contact::as_str),
                b.status.as_str(),
                b.version,
                format_ts(b.updated_at),
                b.hold_expires_at.map(format_ts),
                b.status_after_move.map(BookingStatus::as_str),
                b.moved_to.map(|id| id.to_string()),
                b.reschedules,
                b.reslotted_from.map(format_ts),
                b.id.to_string(),
                update.expected_version,
                update.unless_code_received,
            ])?
            .min(1);
    }
    if refused > 0 {
        return Err(write_plan::stale_bookings(refused, updates.len()));
    }
    Ok(())
}

fn insert_booking(tx: &Transaction<'_>, b: &Booking) -> rusqlite::Result<usize> {
    tx.prepare_cached(
        "INSERT INTO bookings (id, code, checkpoint_id, day, direction, category, window_start, \
         window_end, plate, contact, priority, status, version, manage_token_digest, created_at, \
         updated_at, hold_expires_at, moved_from, status_after_move, moved_to, carrier_key_id, \
         reschedules, reslotted_from) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
                 $19, $20, $21, $22, $23)",
    )?
    .execute(params![
        b.id.to_string(),
        b.code.as_str(),
        b.checkpoint.as_str(),
        b.day.to_string(),
        b.direction.as_str(),
        b.category.as_str(),
        format_ts(b.window_start),
        format_ts(b.window_end),
        b.plate.as_ref().map(Plate::as_str),
        b.contact.as_ref().map(Contact::as_str),
        b.priority.as_str(),
        b.status.as_str(),
        b.version,
        b.manage_token_digest,
        format_ts(b.created_at),
        format_ts(b.updated_at),
        b.hold_expires_at.map(format_ts),
        b.moved_from.map(|id| id.to_string()),
        b.status_after_move.map(BookingStatus::as_str),
        b.moved_to.map(|id| id.to_string()),
        b.carrier.map(|id| id.to_string()),
        b.reschedules,
        b.reslotted_from.map(format_ts),
    ])
}

fn apply_waitlist(tx: &Transaction<'_>, plan: &WritePlan<'_>) -> Result<(), StoreError> {
    let mut refused = 0;
    for update in &plan.waitlist_updates {
        let e = update.entry;
        let body = serde_json::to_string(e).context("Failed to encode a waitlist entry")?;
        refused += 1 - tx
            .prepare_cached(
                "UPDATE waitlist_entries SET status = $1, version = $2, updated_at = $3, \
                 offer_booking_id = $4, body = $5 WHERE id = $6 AND version = $7",
            )?
            .execute(params![
                e.status.as_str(),
                e.version,
                format_ts(e.updated_at),
                e.offer.as_ref().map(|o| o.booking.to_string()),
                body,
                e.id.to_string(),
                update.expected_version,
            ])?
            .min(1);
    }
    if refused > 0 {
        return Err(write_plan::stale_waitlist(
            refused,
            plan.waitlist_updates.len(),
        ));
    }
    for e in &plan.waitlist_inserts {
        let body = serde_json::to_string(e).context("Failed to encode a waitlist entry")?;
        tx.prepare_cached(
            "INSERT INTO waitlist_entries (id, checkpoint_id, day, direction, category, plate, \
             contact, priority, seq, status, version, token_digest, booking_id, \
             offer_booking_id, created_at, updated_at, body) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        )?
        .execute(params![
            e.id.to_string(),
            e.checkpoint.as_str(),
            e.day.to_string(),
            e.direction.as_str(),
            e.category.as_str(),
            e.plate.as_str(),
            e.contact.as_str(),
            e.priority.as_str(),
            e.seq,
            e.status.as_str(),
            e.version,
            e.token_digest,
            e.booking.map(|id| id.to_string()),
            e.offer.as_ref().map(|o| o.booking.to_string()),
            format_ts(e.created_at),
            format_ts(e.updated_at),
            body,
        ])?;
    }
    Ok(())
}

fn apply_window_settings(
    tx: &Transaction<'_>,
    settings: &[WindowSetting<'_>],
    capacity_statement: &str,
) -> Result<(), StoreError> {
    for setting in settings {
        let (statement, value): (&str, &dyn rusqlite::ToSql) = match &setting.value {
            WindowValue::BlockedReason(reason) => (SET_WINDOW_BLOCKED_REASON, reason),
            WindowValue::Reserved(reserved) => (SET_WINDOW_RESERVED, reserved),
            WindowValue::Capacity(capacity) => (capacity_statement, capacity),
        };
        tx.prepare_cached(statement)?.execute(params![
            value,
            setting.checkpoint.as_str(),
            setting.key.direction.as_str(),
            setting.key.category.as_str(),
            format_ts(setting.key.start),
        ])?;
    }
    Ok(())
}

/// Stores the answers of a transaction's idempotent requests; if another request answered one
/// of their keys first, the transaction must not commit (`AnswerTaken`).
pub(super) fn insert_answers(tx: &Connection, answers: &[&AnswerRecord]) -> Result<(), StoreError> {
    let mut taken = Vec::new();
    for answer in answers {
        let key_id = answer.claim.id();
        let inserted = tx
            .prepare_cached(
                "INSERT INTO idempotency_keys \
                 (key_id, request_digest, created_at, status, content_type, body) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            )?
            .execute(params![
                key_id.to_string(),
                answer.claim.request_digest.as_slice(),
                format_ts(answer.created_at),
                answer.response.status,
                answer.response.content_type,
                answer.response.body,
            ])?;
        if inserted == 0 {
            taken.push(key_id);
        }
    }
    if taken.is_empty() {
        Ok(())
    } else {
        Err(StoreError::AnswerTaken(taken))
    }
}

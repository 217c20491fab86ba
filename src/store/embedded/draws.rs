//! Opening draws: entries and the draws they enter.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use uuid::Uuid;

use super::{EmbeddedStore, format_ts};
use crate::domain::draw::{Admission, DayDraw, DrawClose, DrawEntry, DrawTimes};
use crate::domain::{CheckpointId, Contact, DomainEvent, Plate};
use crate::store::rows::{self, DAY_DRAW_COLUMNS, DRAW_ENTRY_COLUMN_COUNT, DRAW_ENTRY_COLUMNS};
use crate::store::statements::{
    CLOSE_DRAW, DUE_DRAWS, ENTER_OPEN_DRAW, INSERT_DRAW_ENTRY, PLATE_IN_DRAW,
};
use crate::store::write_plan;
use crate::store::{AnswerRecord, DrawStore, Entering, StoreError};

#[async_trait]
impl DrawStore for EmbeddedStore {
    async fn enter_draw(
        &self,
        entry: &DrawEntry,
        times: &DrawTimes,
        event: &DomainEvent,
        answer: Option<&AnswerRecord>,
    ) -> Result<Entering, StoreError> {
        let (entry, times, mut event) = (entry.clone(), *times, event.clone());
        let answer = answer.cloned();
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let day = entry.day.to_string();
            let entrants: Option<i64> = tx
                .prepare_cached(ENTER_OPEN_DRAW)?
                .query_row(
                    params![
                        entry.checkpoint.as_str(),
                        day,
                        format_ts(times.draw_opens_at),
                        format_ts(times.opens_at),
                        format_ts(times.closes_at),
                    ],
                    |r| r.get(0),
                )
                .optional()?;
            // Dropped without a commit, the transaction stores nothing.
            let Some(entrants) = entrants else {
                return Ok(Entering::Closed);
            };
            if let Some(plate) = &entry.plate {
                let entered: i64 = tx.prepare_cached(PLATE_IN_DRAW)?.query_row(
                    params![
                        entry.checkpoint.as_str(),
                        day,
                        entry.window.direction.as_str(),
                        plate.as_str()
                    ],
                    |r| r.get(0),
                )?;
                if entered > 0 {
                    return Ok(Entering::PlateEntered);
                }
            }
            tx.prepare_cached(INSERT_DRAW_ENTRY)?.execute(params![
                entry.id.to_string(),
                entry.checkpoint.as_str(),
                day,
                entry.booking_id.to_string(),
                entry.manage_token_digest,
                entry.window.direction.as_str(),
                entry.window.category.as_str(),
                format_ts(entry.window.start),
                entry.plate.as_ref().map(Plate::as_str),
                entry.contact.as_ref().map(Contact::as_str),
                entry.priority.as_str(),
                entry.confirm,
                entry.carrier.map(|id| id.to_string()),
                format_ts(entry.entered_at),
            ])?;
            let answers: Vec<&AnswerRecord> = answer.iter().collect();
            super::batch_write::insert_answers(&tx, &answers)?;
            let mut payload = event.payload.to_value();
            payload["entrants"] = entrants.into();
            event.payload = payload.into();
            super::batch_write::append_event(&tx, &event)?;
            tx.commit()?;
            Ok(Entering::Entered {
                entrants: u32::try_from(entrants).unwrap_or(u32::MAX),
            })
        })
        .await
    }

    async fn draw_entry(&self, id: Uuid) -> Result<Option<(DrawEntry, DayDraw)>, StoreError> {
        self.read(move |c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {DRAW_ENTRY_COLUMNS}, {DAY_DRAW_COLUMNS} FROM draw_entries e \
                 JOIN opening_draws d ON d.checkpoint_id = e.checkpoint_id AND d.day = e.day \
                 WHERE e.id = ?1"
            ))?
            .query_row(params![id.to_string()], |r| {
                Ok((
                    rows::draw_entry(r)?,
                    rows::day_draw_from(r, DRAW_ENTRY_COLUMN_COUNT)?,
                ))
            })
            .optional()?)
        })
        .await
    }

    async fn day_draw(
        &self,
        checkpoint: &CheckpointId,
        day: NaiveDate,
    ) -> Result<Option<(DayDraw, Vec<DrawEntry>)>, StoreError> {
        let checkpoint = checkpoint.clone();
        self.read(move |c| {
            let tx = c.transaction()?;
            let day = day.to_string();
            let draw = tx
                .prepare_cached(&format!(
                    "SELECT {DAY_DRAW_COLUMNS} FROM opening_draws d \
                     WHERE d.checkpoint_id = ?1 AND d.day = ?2"
                ))?
                .query_row(params![checkpoint.as_str(), day], |r| rows::day_draw(r))
                .optional()?;
            let Some(draw) = draw else {
                return Ok(None);
            };
            let entries = tx
                .prepare_cached(&format!(
                    "SELECT {DRAW_ENTRY_COLUMNS} FROM draw_entries e \
                     WHERE e.checkpoint_id = ?1 AND e.day = ?2 ORDER BY e.entered_at, e.id"
                ))?
                .query_map(params![checkpoint.as_str(), day], |r| rows::draw_entry(r))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Some((draw, entries)))
        })
        .await
    }

    async fn due_draws(&self, now: DateTime<Utc>) -> Result<Vec<DayDraw>, StoreError> {
        self.read(move |c| {
            let mut statement = c.prepare_cached(DUE_DRAWS)?;
            let rows = statement.query_map(params![format_ts(now)], |r| rows::day_draw(r))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn closed_draws(
        &self,
        checkpoint: &CheckpointId,
        limit: usize,
    ) -> Result<Vec<DayDraw>, StoreError> {
        let checkpoint = checkpoint.clone();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {DAY_DRAW_COLUMNS} FROM opening_draws d \
                 WHERE d.checkpoint_id = ?1 AND d.closed_at IS NOT NULL \
                 ORDER BY d.day DESC LIMIT ?2"
            ))?;
            let rows =
                statement.query_map(params![checkpoint.as_str(), limit], |r| rows::day_draw(r))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }
}

/// Closes the draws of a transaction and settles every entrant's outcome; a draw closed already
/// or with another number of entrants refuses the transaction.
pub(super) fn close_draws(tx: &Connection, draws: &[&DrawClose]) -> Result<(), StoreError> {
    for draw in draws {
        let closed = tx.prepare_cached(CLOSE_DRAW)?.execute(params![
            draw.checkpoint.as_str(),
            draw.day.to_string(),
            format_ts(draw.times.draw_opens_at),
            format_ts(draw.times.opens_at),
            format_ts(draw.times.closes_at),
            draw.entrants,
            format_ts(draw.closed.closed_at),
            draw.closed.seed,
            draw.closed.admitted,
        ])?;
        if closed != 1 {
            return Err(write_plan::draw_refused(draw));
        }
        let mut settled = 0;
        for (id, outcome) in &draw.outcomes {
            let (code, problem, detail) = match &outcome.admission {
                Admission::Admitted { code } => (Some(code.as_str()), None, None),
                Admission::Refused(refusal) => (
                    None,
                    Some(refusal.problem.as_str()),
                    Some(refusal.detail.as_str()),
                ),
            };
            settled += tx
                .prepare_cached(
                    "UPDATE draw_entries SET position = $1, outcome = $2, code = $3, \
                     refusal_type = $4, refusal_detail = $5 WHERE id = $6 AND outcome IS NULL",
                )?
                .execute(params![
                    outcome.position,
                    outcome.admission.as_str(),
                    code,
                    problem,
                    detail,
                    id.to_string(),
                ])?;
        }
        if settled != draw.outcomes.len() {
            return Err(write_plan::draw_refused(draw));
        }
    }
    Ok(())
}

//! Opening draws: entries and the draws they enter.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::Transaction;
use tokio_postgres::Statement;
use uuid::Uuid;

use super::{PostgresStore, count};
use crate::domain::draw::{Admission, DayDraw, DrawClose, DrawEntry, DrawTimes};
use crate::domain::{CheckpointId, DomainEvent};
use crate::store::rows::{self, DAY_DRAW_COLUMNS, DRAW_ENTRY_COLUMN_COUNT, DRAW_ENTRY_COLUMNS};
use crate::store::statements::{DUE_DRAWS, ENTER_OPEN_DRAW, INSERT_DRAW_ENTRY, PLATE_IN_DRAW};
use crate::store::write_plan;
use crate::store::{AnswerRecord, DrawStore, Entering, StoreError};

/// Every entrant's outcome of the draws of a transaction, only where none is recorded yet.
pub(super) const SETTLE_ENTRIES: &str = "UPDATE draw_entries e SET position = u.position, \
     outcome = u.outcome, code = u.code, refusal_type = u.refusal_type, \
     refusal_detail = u.refusal_detail \
     FROM unnest($1::uuid[], $2::int4[], $3::text[], $4::text[], $5::text[], $6::text[]) \
       AS u(id, position, outcome, code, refusal_type, refusal_detail) \
     WHERE e.id = u.id AND e.outcome IS NULL";

#[async_trait]
impl DrawStore for PostgresStore {
    async fn enter_draw(
        &self,
        entry: &DrawEntry,
        times: &DrawTimes,
        event: &DomainEvent,
        answer: Option<&AnswerRecord>,
    ) -> Result<Entering, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let checkpoint = entry.checkpoint.as_str();
        let entered = tx
            .query_opt(
                ENTER_OPEN_DRAW,
                &[
                    &checkpoint,
                    &entry.day,
                    &times.draw_opens_at,
                    &times.opens_at,
                    &times.closes_at,
                ],
            )
            .await?;
        // Dropped without a commit, the transaction is rolled back.
        let Some(entered) = entered else {
            return Ok(Entering::Closed);
        };
        let entrants: i32 = entered.get(0);
        if let Some(plate) = &entry.plate {
            let taken: i64 = tx
                .query_one(
                    PLATE_IN_DRAW,
                    &[
                        &checkpoint,
                        &entry.day,
                        &entry.window.direction.as_str(),
                        &plate.as_str(),
                    ],
                )
                .await?
                .get(0);
            if taken > 0 {
                return Ok(Entering::PlateEntered);
            }
        }
        tx.execute(
            INSERT_DRAW_ENTRY,
            &[
                &entry.id,
                &checkpoint,
                &entry.day,
                &entry.booking_id.0,
                &entry.manage_token_digest,
                &entry.window.direction.as_str(),
                &entry.window.category.as_str(),
                &entry.window.start,
                &entry.plate.as_ref().map(|p| p.as_str()),
                &entry.contact.as_ref().map(|c| c.as_str()),
                &entry.priority.as_str(),
                &entry.confirm,
                &entry.carrier,
                &entry.entered_at,
            ],
        )
        .await?;
        super::batch_write::insert_answer(&tx, answer).await?;
        let mut event = event.clone();
        let mut payload = event.payload.to_value();
        payload["entrants"] = entrants.into();
        event.payload = payload.into();
        super::batch_write::append_event(&tx, &event).await?;
        tx.commit().await?;
        Ok(Entering::Entered {
            entrants: u32::try_from(entrants).unwrap_or(0),
        })
    }

    async fn draw_entry(&self, id: Uuid) -> Result<Option<(DrawEntry, DayDraw)>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&format!(
                "SELECT {DRAW_ENTRY_COLUMNS}, {DAY_DRAW_COLUMNS} FROM draw_entries e \
                 JOIN opening_draws d ON d.checkpoint_id = e.checkpoint_id AND d.day = e.day \
                 WHERE e.id = $1"
            ))
            .await?;
        let Some(row) = client.query_opt(&statement, &[&id]).await? else {
            return Ok(None);
        };
        Ok(Some((
            rows::draw_entry(&row)?,
            rows::day_draw_from(&row, DRAW_ENTRY_COLUMN_COUNT)?,
        )))
    }

    async fn day_draw(
        &self,
        checkpoint: &CheckpointId,
        day: NaiveDate,
    ) -> Result<Option<(DayDraw, Vec<DrawEntry>)>, StoreError> {
        let mut client = self.client().await?;
        // One snapshot for the draw and its entries.
        let tx = super::snapshot(&mut client).await?;
        let draw = tx
            .query_opt(
                &format!(
                    "SELECT {DAY_DRAW_COLUMNS} FROM opening_draws d \
                     WHERE d.checkpoint_id = $1 AND d.day = $2"
                ),
                &[&checkpoint.as_str(), &day],
            )
            .await?;
        let Some(draw) = draw else {
            return Ok(None);
        };
        let draw = rows::day_draw(&draw)?;
        let entries = tx
            .query(
                &format!(
                    "SELECT {DRAW_ENTRY_COLUMNS} FROM draw_entries e \
                     WHERE e.checkpoint_id = $1 AND e.day = $2 ORDER BY e.entered_at, e.id"
                ),
                &[&checkpoint.as_str(), &day],
            )
            .await?
            .iter()
            .map(rows::draw_entry)
            .collect::<Result<Vec<_>, _>>()?;
        tx.commit().await?;
        Ok(Some((draw, entries)))
    }

    async fn due_draws(&self, now: DateTime<Utc>) -> Result<Vec<DayDraw>, StoreError> {
        let client = self.client().await?;
        let statement = client.prepare_cached(DUE_DRAWS).await?;
        client
            .query(&statement, &[&now])
            .await?
            .iter()
            .map(rows::day_draw)
            .collect()
    }

    async fn closed_draws(
        &self,
        checkpoint: &CheckpointId,
        limit: usize,
    ) -> Result<Vec<DayDraw>, StoreError> {
        let client = self.client().await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        client
            .query(
                &format!(
                    "SELECT {DAY_DRAW_COLUMNS} FROM opening_draws d \
                     WHERE d.checkpoint_id = $1 AND d.closed_at IS NOT NULL \
                     ORDER BY d.day DESC LIMIT $2"
                ),
                &[&checkpoint.as_str(), &limit],
            )
            .await?
            .iter()
            .map(rows::day_draw)
            .collect()
    }
}

/// Closes the draws of a transaction, then settles every entrant's outcome; a draw closed
/// already or with another number of entrants refuses the transaction.
pub(super) async fn close_draws(
    tx: &Transaction<'_>,
    close: &Statement,
    settle: &Statement,
    draws: &[&DrawClose],
) -> Result<(), StoreError> {
    for draw in draws {
        let closed = tx
            .execute(
                close,
                &[
                    &draw.checkpoint.as_str(),
                    &draw.day,
                    &draw.times.draw_opens_at,
                    &draw.times.opens_at,
                    &draw.times.closes_at,
                    &count(draw.entrants),
                    &draw.closed.closed_at,
                    &draw.closed.seed,
                    &count(draw.closed.admitted),
                ],
            )
            .await?;
        if closed != 1 {
            return Err(write_plan::draw_refused(draw));
        }
    }
    let outcomes: Vec<_> = draws.iter().flat_map(|d| &d.outcomes).collect();
    if outcomes.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = outcomes.iter().map(|(id, _)| *id).collect();
    let positions: Vec<i32> = outcomes.iter().map(|(_, o)| count(o.position)).collect();
    let kinds: Vec<&str> = outcomes.iter().map(|(_, o)| o.admission.as_str()).collect();
    let mut codes: Vec<Option<&str>> = Vec::with_capacity(outcomes.len());
    let mut problems: Vec<Option<&str>> = Vec::with_capacity(outcomes.len());
    let mut details: Vec<Option<&str>> = Vec::with_capacity(outcomes.len());
    for (_, outcome) in &outcomes {
        match &outcome.admission {
            Admission::Admitted { code } => {
                codes.push(Some(code.as_str()));
                problems.push(None);
                details.push(None);
            }
            Admission::Refused(refusal) => {
                codes.push(None);
                problems.push(Some(refusal.problem.as_str()));
                details.push(Some(refusal.detail.as_str()));
            }
        }
    }
    let settled = tx
        .execute(
            settle,
            &[&ids, &positions, &kinds, &codes, &problems, &details],
        )
        .await?;
    if usize::try_from(settled).ok() != Some(outcomes.len())
        && let Some(draw) = draws.first()
    {
        return Err(write_plan::draw_refused(draw));
    }
    Ok(())
}

//! Admins shape a day's windows: close a range to new bookings (keeping the bookings in it,
//! cancelling them, or moving them to the nearest windows with room), open it again, or keep places of each window for priority classes. Each
//! change is decided by the day's schedule actor, like a booking, and audited.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::error::ApiError;
use super::input::parse_instant;
use super::reslot::{
    Unplaceable, block_moved_outcome, block_moving, capacity_cut_outcome, place_on_next_day,
};
use super::staff::{Staff, audit};
use crate::actors::answer::AnswerTicket;
use crate::actors::schedule::{Block, CutCapacityMoving, Reserve, SetCapacity, Unblock};
use crate::auth::StaffRole;
use crate::domain::window::local_date;
use crate::domain::{
    BlockMoved, CapacityCut, Category, CheckpointId, Direction, InputError, WindowKey,
    WindowSelection,
};

/// A range of one day's windows: from one instant to another, in one direction or both, of
/// some categories or all.
#[derive(Debug, Clone)]
pub struct WindowRange {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub direction: Option<Direction>,
    pub categories: Vec<Category>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockMode {
    /// Existing bookings stay; only new bookings are refused.
    FreeOnly,
    /// Existing bookings in the blocked windows are cancelled (their drivers are notified).
    CancelAffected,
    /// Existing bookings move to the nearest windows with room, the same day first, then the
    /// next (their drivers are notified, and may keep, move or cancel); see `app::reslot`.
    MoveAffected,
}

impl BlockMode {
    pub fn parse(raw: Option<&str>) -> Result<Self, InputError> {
        match raw.unwrap_or("free_only") {
            "free_only" => Ok(BlockMode::FreeOnly),
            "cancel_affected" => Ok(BlockMode::CancelAffected),
            "move_affected" => Ok(BlockMode::MoveAffected),
            _ => Err(InputError::new(
                "mode",
                "free_only, cancel_affected or move_affected",
            )),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            BlockMode::FreeOnly => "free_only",
            BlockMode::CancelAffected => "cancel_affected",
            BlockMode::MoveAffected => "move_affected",
        }
    }
}

/// What to do with a range of windows.
#[derive(Debug, Clone)]
pub enum WindowAction {
    Block {
        reason: String,
        mode: BlockMode,
    },
    Unblock,
    Reserve {
        reserved: u32,
    },
    /// Places per window, for a day already scheduled; with a reason, the bookings a window
    /// then has too many of move (mode `move_affected`).
    Capacity {
        capacity: u32,
        moving: Option<String>,
    },
}

/// A range of windows and what to do with it as a request names them, before it is checked:
/// the JSON body of the admin window routes, or the fields of the staff pages' forms.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowRequest {
    pub from: String,
    pub to: String,
    pub direction: Option<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    pub reason: Option<String>,
    pub mode: Option<String>,
    /// Places kept for priority classes, for `/reserved`.
    pub reserved: Option<u32>,
    /// Places per window, for `/capacity`.
    pub capacity: Option<u32>,
}

impl WindowRequest {
    fn range(&self) -> Result<WindowRange, InputError> {
        Ok(WindowRange {
            from: parse_instant("from", &self.from)?,
            to: parse_instant("to", &self.to)?,
            direction: self
                .direction
                .as_deref()
                .map(str::parse::<Direction>)
                .transpose()?,
            categories: self
                .categories
                .iter()
                .map(|c| c.parse::<Category>())
                .collect::<Result<Vec<_>, _>>()?,
        })
    }

    pub fn block(self) -> Result<(WindowRange, WindowAction), InputError> {
        let range = self.range()?;
        let mode = BlockMode::parse(self.mode.as_deref())?;
        // The schedule checks the reason (1 to 500 characters, trimmed); a missing one is said here.
        let reason = self
            .reason
            .map(|reason| reason.trim().to_owned())
            .ok_or_else(|| {
                InputError::new("reason", "why the windows close, for drivers and staff")
            })?;
        Ok((range, WindowAction::Block { reason, mode }))
    }

    pub fn unblock(self) -> Result<(WindowRange, WindowAction), InputError> {
        Ok((self.range()?, WindowAction::Unblock))
    }

    pub fn reserve(self) -> Result<(WindowRange, WindowAction), InputError> {
        let range = self.range()?;
        let reserved = self.reserved.ok_or_else(|| {
            InputError::new(
                "reserved",
                "places of each window kept for priority classes",
            )
        })?;
        Ok((range, WindowAction::Reserve { reserved }))
    }

    pub fn capacity(self) -> Result<(WindowRange, WindowAction), InputError> {
        let range = self.range()?;
        let capacity = self
            .capacity
            .ok_or_else(|| InputError::new("capacity", "places of each window"))?;
        let moving = match BlockMode::parse(self.mode.as_deref())? {
            BlockMode::FreeOnly => None,
            BlockMode::MoveAffected => Some(
                self.reason
                    .map(|reason| reason.trim().to_owned())
                    .ok_or_else(|| {
                        InputError::new("reason", "why the bookings move, for their drivers")
                    })?,
            ),
            BlockMode::CancelAffected => {
                return Err(InputError::new(
                    "mode",
                    "free_only (never below the places taken) or move_affected",
                ));
            }
        };
        Ok((range, WindowAction::Capacity { capacity, moving }))
    }
}

/// What changing a range of windows did: the windows it changed on which day, and the JSON
/// the API answers with and the audit log keeps.
#[derive(Debug)]
pub struct WindowChange {
    pub day: NaiveDate,
    pub windows: Vec<WindowKey>,
    pub outcome: serde_json::Value,
}

/// The selection of a range and the checkpoint day it lies in (one day per request, as one
/// schedule actor decides it).
fn selection(
    state: &AppState,
    checkpoint_id: &CheckpointId,
    range: WindowRange,
) -> Result<(NaiveDate, WindowSelection), ApiError> {
    let checkpoint = state
        .checkpoint(checkpoint_id)
        .map_err(|_| ApiError::NotFound("checkpoint"))?;
    let day = local_date(checkpoint.time_zone, range.from);
    if range.to <= range.from {
        return Err(InputError::new("to", "the range must end after it starts").into());
    }
    if local_date(
        checkpoint.time_zone,
        range.to - chrono::Duration::seconds(1),
    ) != day
    {
        return Err(InputError::new("to", "within the same local day as `from`").into());
    }
    Ok((
        day,
        WindowSelection {
            from: range.from,
            to: range.to,
            direction: range.direction,
            categories: range.categories,
        },
    ))
}

fn window_list(keys: &[WindowKey]) -> Vec<serde_json::Value> {
    keys.iter()
        .map(|k| json!({ "direction": k.direction, "category": k.category, "start": k.start }))
        .collect()
}

/// Does `action` to the windows of `range`, as an admin; audited.
pub async fn change_windows(
    state: &AppState,
    staff: &Staff,
    checkpoint_id: &CheckpointId,
    range: WindowRange,
    action: WindowAction,
    answer: Option<AnswerTicket>,
) -> Result<WindowChange, ApiError> {
    staff.require(&[StaffRole::Admin])?;
    let (day, selection) = selection(state, checkpoint_id, range)?;
    let (audit_action, windows, outcome) = match action {
        WindowAction::Block {
            reason,
            mode: BlockMode::MoveAffected,
        } => {
            let (blocked, outcome, audited) =
                block_moving_audited(state, checkpoint_id, day, selection, reason, answer).await?;
            audit(
                state,
                staff,
                "windows.block",
                format!("{checkpoint_id}/{day}"),
                audited,
            )
            .await?;
            return Ok(WindowChange {
                day,
                windows: blocked,
                outcome,
            });
        }
        WindowAction::Block { reason, mode } => {
            let outcome_of = {
                let reason = reason.clone();
                move |blocked: &[WindowKey]| json!({ "blocked": window_list(blocked), "reason": reason, "mode": mode.as_str() })
            };
            let block = Block {
                selection,
                reason,
                cancel_affected: mode == BlockMode::CancelAffected,
            };
            let answer = window_change_answer(answer, day, outcome_of.clone());
            let blocked = state
                .registry
                .ask_answered(checkpoint_id, day, block, answer)
                .await?;
            let outcome = outcome_of(&blocked);
            ("windows.block", blocked, outcome)
        }
        WindowAction::Unblock => {
            let outcome_of = |opened: &[WindowKey]| json!({ "unblocked": window_list(opened) });
            let answer = window_change_answer(answer, day, outcome_of);
            let opened = state
                .registry
                .ask_answered(checkpoint_id, day, Unblock { selection }, answer)
                .await?;
            let outcome = outcome_of(&opened);
            ("windows.unblock", opened, outcome)
        }
        WindowAction::Reserve { reserved } => {
            let outcome_of = move |changed: &[WindowKey]| json!({ "windows": window_list(changed), "reserved": reserved });
            let reserve = Reserve {
                selection,
                reserved,
            };
            let answer = window_change_answer(answer, day, outcome_of);
            let changed = state
                .registry
                .ask_answered(checkpoint_id, day, reserve, answer)
                .await?;
            let outcome = outcome_of(&changed);
            ("windows.reserve", changed, outcome)
        }
        WindowAction::Capacity {
            capacity,
            moving: Some(reason),
        } => {
            let (changed, outcome, audited) = cut_capacity_audited(
                state,
                checkpoint_id,
                day,
                selection,
                capacity,
                reason,
                answer,
            )
            .await?;
            audit(
                state,
                staff,
                "windows.capacity",
                format!("{checkpoint_id}/{day}"),
                audited,
            )
            .await?;
            return Ok(WindowChange {
                day,
                windows: changed,
                outcome,
            });
        }
        WindowAction::Capacity {
            capacity,
            moving: None,
        } => {
            let outcome_of = move |changed: &[WindowKey]| json!({ "windows": window_list(changed), "capacity": capacity });
            let set = SetCapacity {
                selection,
                capacity,
            };
            let answer = window_change_answer(answer, day, outcome_of);
            let changed = state
                .registry
                .ask_answered(checkpoint_id, day, set, answer)
                .await?;
            let outcome = outcome_of(&changed);
            ("windows.capacity", changed, outcome)
        }
    };
    audit(
        state,
        staff,
        audit_action,
        format!("{checkpoint_id}/{day}"),
        outcome.clone(),
    )
    .await?;
    Ok(WindowChange {
        day,
        windows,
        outcome,
    })
}

/// Lowers the places of windows moving the bookings they have too many of: the answer tells
/// what was decided at once, the audit entry also where the bookings left for the next day
/// went. Once those have gone, the windows are lowered the rest of the way.
async fn cut_capacity_audited(
    state: &AppState,
    checkpoint_id: &CheckpointId,
    day: NaiveDate,
    selection: WindowSelection,
    capacity: u32,
    reason: String,
    answer: Option<AnswerTicket>,
) -> Result<(Vec<WindowKey>, serde_json::Value, serde_json::Value), ApiError> {
    let outcome_of = {
        let reason = reason.clone();
        move |decided: &CapacityCut| {
            capacity_cut_outcome(
                &json!(window_list(&decided.windows)),
                capacity,
                &reason,
                decided,
            )
        }
    };
    let answer = answer.map(|ticket| {
        let outcome_of = outcome_of.clone();
        ticket.adapt(move |decided: &CapacityCut| WindowChange {
            day,
            windows: decided.windows.clone(),
            outcome: outcome_of(decided),
        })
    });
    let cut = CutCapacityMoving {
        selection: selection.clone(),
        capacity,
        reason: reason.clone(),
    };
    let decided = state
        .registry
        .ask_answered(checkpoint_id, day, cut, answer)
        .await?;
    let outcome = outcome_of(&decided);
    let next_day = place_on_next_day(state, &decided.unplaced, &reason, Unplaceable::Keep).await;
    let mut audited = outcome.clone();
    audited["next_day"] = json!(next_day);
    if !decided.unplaced.is_empty() {
        let rest = CutCapacityMoving {
            selection,
            capacity,
            reason,
        };
        let lowered = state.registry.ask(checkpoint_id, day, rest).await?;
        audited["then"] = json!(window_list(&lowered.windows));
    }
    Ok((decided.windows, outcome, audited))
}

/// Closes windows moving their bookings: the answer tells what the block decided at once, the
/// audit entry also where the bookings left for the next day went.
async fn block_moving_audited(
    state: &AppState,
    checkpoint_id: &CheckpointId,
    day: NaiveDate,
    selection: WindowSelection,
    reason: String,
    answer: Option<AnswerTicket>,
) -> Result<(Vec<WindowKey>, serde_json::Value, serde_json::Value), ApiError> {
    let answer = answer.map(|ticket| {
        let reason = reason.clone();
        ticket.adapt(move |decided: &BlockMoved| WindowChange {
            day,
            windows: decided.blocked.clone(),
            outcome: block_moved_outcome(&json!(window_list(&decided.blocked)), &reason, decided),
        })
    });
    let decided =
        block_moving(state, checkpoint_id, day, selection, reason.clone(), answer).await?;
    let outcome = block_moved_outcome(&json!(window_list(&decided.blocked)), &reason, &decided);
    let next_day = place_on_next_day(state, &decided.unplaced, &reason, Unplaceable::Cancel).await;
    let mut audited = outcome.clone();
    audited["next_day"] = json!(next_day);
    Ok((decided.blocked, outcome, audited))
}

/// The ticket of a window action for the actor's step, which decides the changed windows.
fn window_change_answer(
    answer: Option<AnswerTicket>,
    day: NaiveDate,
    outcome_of: impl Fn(&[WindowKey]) -> serde_json::Value + Send + Sync + 'static,
) -> Option<AnswerTicket> {
    answer.map(|ticket| {
        ticket.adapt(move |windows: &Vec<WindowKey>| WindowChange {
            day,
            windows: windows.clone(),
            outcome: outcome_of(windows),
        })
    })
}

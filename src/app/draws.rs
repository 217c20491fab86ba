//! Fair openings, as both front ends use them: whether a day can be booked now, entering its
//! draw, running a draw that is due before anyone books the day first come, an entry's outcome,
//! and the public log of a draw.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::AppState;
use super::error::ApiError;
use crate::actors::answer::AnswerTicket;
use crate::actors::schedule::{DRAW_RECORDED_WITHIN, DrawRun, RunDraw};
use crate::domain::draw::{
    Admission, DayDraw, DayPhase, DrawEntry, DrawSeed, DrawTimes, ORDER_RULE, Refusal,
};
use crate::domain::window::generate_windows;
use crate::domain::{
    AllocationError, Checkpoint, CheckpointId, DomainEvent, HoldRequest, InputError, Policy,
};
use crate::store::Entering;

/// How a day of a checkpoint may be booked now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayAccess {
    /// The checkpoint publishes no opening: the day is within the booking horizon.
    Horizon,
    /// Not open yet: refused, saying when it opens.
    NotOpen(DrawTimes),
    /// Requests enter the day's draw.
    Draw(DrawTimes),
    /// Open, first come, once the draw (if due) has run.
    Open(DrawTimes),
}

/// How `day` of `checkpoint` may be booked at this moment. A day in the past, or beyond the
/// horizon of a checkpoint without an opening, is refused as before openings existed.
pub fn day_access(
    state: &AppState,
    checkpoint: &Checkpoint,
    day: NaiveDate,
) -> Result<DayAccess, ApiError> {
    let today = state.today_at(checkpoint);
    let Some(opening) = &checkpoint.opening else {
        state.policy().check_day(day, today)?;
        return Ok(DayAccess::Horizon);
    };
    if day < today {
        return Err(AllocationError::WindowClosed("the day is in the past").into());
    }
    Ok(
        match opening.phase(checkpoint.time_zone, day, state.now()) {
            DayPhase::NotOpen(times) => DayAccess::NotOpen(times),
            DayPhase::Draw(times) => DayAccess::Draw(times),
            DayPhase::Open(times) => DayAccess::Open(times),
        },
    )
}

/// The refusal of a day that opens later.
pub fn not_open(state: &AppState, times: DrawTimes) -> ApiError {
    let wait = (times.draw_opens_at - state.now()).num_seconds().max(1);
    ApiError::NotOpenYet {
        times,
        retry_after: u64::try_from(wait).unwrap_or(1),
    }
}

/// The last day a checkpoint's windows are shown for: the booking horizon, and with an opening
/// at least the next day to open, so that its page can count down to the opening.
pub fn last_shown_day(state: &AppState, checkpoint: &Checkpoint) -> NaiveDate {
    let today = state.today_at(checkpoint);
    let horizon = state.policy().horizon_days;
    let days = checkpoint
        .opening
        .map_or(horizon, |opening| horizon.max(opening.days_ahead + 1));
    today
        .checked_add_days(chrono::Days::new(u64::from(days)))
        .unwrap_or(today)
}

/// Whether `day`'s windows may be shown (not whether they may be booked).
pub fn check_shown(
    state: &AppState,
    checkpoint: &Checkpoint,
    day: NaiveDate,
) -> Result<(), ApiError> {
    let today = state.today_at(checkpoint);
    if day < today {
        return Err(AllocationError::WindowClosed("the day is in the past").into());
    }
    if day > last_shown_day(state, checkpoint) {
        return Err(AllocationError::WindowClosed("the day is beyond the booking horizon").into());
    }
    Ok(())
}

/// The days whose opening draw this process has seen durable. A closed draw never opens again,
/// so a request for such a day goes straight to booking: asking the day's actor would make it
/// wait for the day's next write, on the busiest morning of the day's life.
pub struct DrawnDays(moka::sync::Cache<(CheckpointId, NaiveDate), ()>);

/// More days than a process sees opening within [`DRAW_RECORDED_WITHIN`].
const DRAWN_DAYS_MAX: u64 = 10_000;

impl Default for DrawnDays {
    fn default() -> Self {
        let kept = DRAW_RECORDED_WITHIN.to_std().unwrap_or_default();
        Self(
            moka::sync::Cache::builder()
                .max_capacity(DRAWN_DAYS_MAX)
                .time_to_live(kept)
                .build(),
        )
    }
}

/// Runs the day's draw if its period has ended and it has not run, so that nobody is served
/// first come before the entrants. Once this process has seen it durable, nothing is asked.
pub async fn settle(
    state: &AppState,
    checkpoint: &Checkpoint,
    day: NaiveDate,
    times: DrawTimes,
) -> Result<(), ApiError> {
    let now = state.now();
    if now < times.closes_at || now >= times.closes_at + DRAW_RECORDED_WITHIN {
        return Ok(());
    }
    let drawn = (checkpoint.id.clone(), day);
    if state.drawn_days.0.contains_key(&drawn) {
        return Ok(());
    }
    match state
        .registry
        .ask(&checkpoint.id, day, RunDraw { times })
        .await?
    {
        DrawRun::NotDue => {}
        DrawRun::Ran { .. } | DrawRun::Done => state.drawn_days.0.insert(drawn, ()),
    }
    Ok(())
}

/// Runs the draw of the day `access` names if it is due; nothing for other days.
pub async fn settle_access(
    state: &AppState,
    checkpoint: &Checkpoint,
    day: NaiveDate,
    access: DayAccess,
) -> Result<(), ApiError> {
    match access {
        DayAccess::Open(times) => settle(state, checkpoint, day, times).await,
        DayAccess::Horizon | DayAccess::NotOpen(_) | DayAccess::Draw(_) => Ok(()),
    }
}

/// A request that entered a draw, with the manage token shown only now.
#[derive(Debug, Clone)]
pub struct EnteredDraw {
    pub entry: DrawEntry,
    pub checkpoint: Arc<Checkpoint>,
    pub times: DrawTimes,
    pub manage_token: String,
}

/// Checks a request for a place as a hold would be checked before its turn comes (the window
/// exists and is open, a confirmation has a plate and a contact); occupancy is the draw's.
fn check_request(
    checkpoint: &Checkpoint,
    hold: &HoldRequest,
    policy: &Policy,
    now: DateTime<Utc>,
    day: NaiveDate,
) -> Result<(), ApiError> {
    if hold.confirm && (hold.plate.is_none() || hold.contact.is_none()) {
        return Err(InputError::new(
            "confirm",
            "a booking is confirmed with the vehicle's plate and a contact",
        )
        .into());
    }
    if !generate_windows(checkpoint, day)
        .iter()
        .any(|w| w.key == hold.window)
    {
        return Err(AllocationError::UnknownWindow.into());
    }
    policy.check_window_open(hold.window.start, now)?;
    Ok(())
}

/// Enters `hold` into the draw of its day, durably, with the answer its idempotent request is
/// given (`Some` of the entry), or `None` when the draw has run meanwhile and the day is booked
/// first come.
pub async fn enter(
    state: &AppState,
    checkpoint: &Arc<Checkpoint>,
    hold: &HoldRequest,
    manage_token: &str,
    times: DrawTimes,
    answer: Option<&AnswerTicket>,
) -> Result<Option<EnteredDraw>, ApiError> {
    let now = state.now();
    let day = crate::domain::window::local_date(checkpoint.time_zone, hold.window.start);
    check_request(checkpoint, hold, state.policy(), now, day)?;
    let entry = DrawEntry {
        id: Uuid::new_v4(),
        checkpoint: checkpoint.id.clone(),
        day,
        booking_id: hold.id,
        manage_token_digest: hold.manage_token_digest.clone(),
        window: hold.window,
        plate: hold.plate.clone(),
        contact: hold.contact.clone(),
        priority: hold.priority,
        confirm: hold.confirm,
        carrier: hold.carrier,
        entered_at: now,
        outcome: None,
    };
    let entered = EnteredDraw {
        entry: entry.clone(),
        checkpoint: checkpoint.clone(),
        times,
        manage_token: manage_token.to_owned(),
    };
    let mut event = DomainEvent::for_draw_entry(&entry);
    event.request_id = crate::telemetry::request_id::current();
    // The answer is stored with the entry, so a retry with the key gets this very answer.
    let record =
        answer.and_then(|ticket| ticket.record(&super::bookings::Booked::Entered(entered.clone())));
    match state
        .store
        .enter_draw(&entry, &times, &event, record.as_ref())
        .await?
    {
        Entering::Entered { entrants } => {
            crate::metrics::record_draw_entered(checkpoint.id.as_str());
            tracing::debug!(checkpoint = %checkpoint.id, %day, entry = %entry.id, entrants, "entered the opening draw");
            Ok(Some(entered))
        }
        Entering::PlateEntered => Err(ApiError::AlreadyEntered),
        Entering::Closed => Ok(None),
    }
}

/// An entry the asker may see (`may_open`), with its draw and checkpoint; any other looks
/// unknown. A draw that is due is run first, so the entry comes back with its outcome.
pub async fn find_entry(
    state: &AppState,
    id: &str,
    may_open: impl Fn(&DrawEntry) -> bool,
) -> Result<(DrawEntry, DayDraw, Arc<Checkpoint>), ApiError> {
    let id = Uuid::parse_str(id).map_err(|_| ApiError::NotFound("draw entry"))?;
    let found = |entry: Option<(DrawEntry, DayDraw)>| {
        entry
            .filter(|(e, _)| may_open(e))
            .ok_or(ApiError::NotFound("draw entry"))
    };
    let (entry, draw) = found(state.store.draw_entry(id).await?)?;
    let checkpoint = state
        .checkpoint(&entry.checkpoint)
        .map_err(|_| ApiError::NotFound("draw entry"))?;
    if entry.outcome.is_some() || draw.closed.is_some() || state.now() < draw.times.closes_at {
        return Ok((entry, draw, checkpoint));
    }
    let run = RunDraw { times: draw.times };
    state
        .registry
        .ask(&entry.checkpoint, entry.day, run)
        .await?;
    let (entry, draw) = found(state.store.draw_entry(id).await?)?;
    Ok((entry, draw, checkpoint))
}

/// The problem document an entrant's refusal reads as: the one a booking request refused for
/// the same reason would have got.
pub fn refusal_problem(refusal: &Refusal) -> Value {
    use AllocationError as A;
    let like = match refusal.problem.as_str() {
        "window-full" => A::WindowFull,
        "window-blocked" => A::WindowBlocked(String::new()),
        "unknown-window" => A::UnknownWindow,
        "window-closed" => A::WindowClosed(""),
        "plate-already-booked" => A::PlateAlreadyBooked,
        "too-many-holds" => A::TooManyHolds(0),
        "invalid-input" => A::Invalid(InputError::new("body", "")),
        _ => A::InvalidTransition(""),
    };
    let (title, status) = ApiError::from(like).title_and_status();
    json!({
        "type": format!("/problems/{}", refusal.problem),
        "title": title,
        "status": status.as_u16(),
        "detail": refusal.detail,
    })
}

/// A draw's times as the API shows them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = DrawTimes)]
pub struct DrawTimesView {
    pub draw_opens_at: DateTime<Utc>,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub time_zone: String,
}

impl DrawTimesView {
    pub fn new(times: DrawTimes, checkpoint: &Checkpoint) -> Self {
        Self {
            draw_opens_at: times.draw_opens_at,
            opens_at: times.opens_at,
            closes_at: times.closes_at,
            time_zone: checkpoint.time_zone.name().to_owned(),
        }
    }
}

/// Where a draw stands, as its log says.
fn draw_state(times: DrawTimes, closed: bool, now: DateTime<Utc>) -> &'static str {
    if closed {
        "closed"
    } else if now < times.draw_opens_at {
        "upcoming"
    } else if now < times.closes_at {
        "open"
    } else {
        "due"
    }
}

/// Where a draw stands, as `DrawLog::state` spells it.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[expect(dead_code, reason = "describes the values of `DrawLog::state`")]
enum DrawState {
    Upcoming,
    Open,
    Due,
    Closed,
}

/// What the draw did for an entrant, as `LoggedEntrant::outcome` spells it.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[expect(dead_code, reason = "describes the values of `LoggedEntrant::outcome`")]
enum DrawOutcome {
    Admitted,
    Refused,
}

/// One entrant in a published draw log: its pseudonym, rank key, place and outcome. Never its
/// plate or contact.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LoggedEntrant {
    #[schema(minimum = 1)]
    pub position: u32,
    #[schema(value_type = String, format = "uuid")]
    pub entrant: Uuid,
    /// hex(HMAC-SHA256(seed, entrant id))
    pub key: String,
    #[schema(value_type = DrawOutcome)]
    pub outcome: &'static str,
}

/// The public log of one day's opening draw.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DrawLog {
    pub day: NaiveDate,
    #[schema(value_type = DrawState)]
    pub state: &'static str,
    #[serde(flatten)]
    pub times: DrawTimesView,
    pub entrants: u32,
    pub closed_at: Option<DateTime<Utc>>,
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub seed: Option<String>,
    pub admitted: Option<u32>,
    pub refused: Option<u32>,
    /// Every entrant in the order of admission; empty until the draw has run.
    pub order: Vec<LoggedEntrant>,
}

impl DrawLog {
    fn new(
        checkpoint: &Checkpoint,
        draw: &DayDraw,
        entries: &[DrawEntry],
        now: DateTime<Utc>,
    ) -> Self {
        let seed = draw
            .closed
            .as_ref()
            .and_then(|closed| DrawSeed::from_hex(&closed.seed));
        let mut order: Vec<LoggedEntrant> = entries
            .iter()
            .filter_map(|entry| {
                let outcome = entry.outcome.as_ref()?;
                Some(LoggedEntrant {
                    position: outcome.position,
                    entrant: entry.id,
                    key: seed.map(|s| s.key(entry.id)).unwrap_or_default(),
                    outcome: outcome.admission.as_str(),
                })
            })
            .collect();
        order.sort_by_key(|logged| logged.position);
        let admitted = draw.closed.as_ref().map(|closed| closed.admitted);
        Self {
            day: draw.day,
            state: draw_state(draw.times, draw.closed.is_some(), now),
            times: DrawTimesView::new(draw.times, checkpoint),
            entrants: draw.entrants,
            closed_at: draw.closed.as_ref().map(|closed| closed.closed_at),
            seed: draw.closed.as_ref().map(|closed| closed.seed.clone()),
            admitted,
            refused: admitted.map(|admitted| draw.entrants.saturating_sub(admitted)),
            order,
        }
    }

    /// The log of an opening nobody has entered (yet).
    fn without_entrants(
        checkpoint: &Checkpoint,
        day: NaiveDate,
        times: DrawTimes,
        now: DateTime<Utc>,
    ) -> Self {
        let over = now >= times.closes_at;
        Self {
            day,
            state: if over {
                "closed"
            } else {
                draw_state(times, false, now)
            },
            times: DrawTimesView::new(times, checkpoint),
            entrants: 0,
            closed_at: None,
            seed: None,
            admitted: over.then_some(0),
            refused: over.then_some(0),
            order: Vec::new(),
        }
    }
}

/// What `GET /checkpoints/{id}/draws` answers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DrawLogs {
    #[schema(value_type = CheckpointId)]
    pub checkpoint: String,
    /// How the order is recomputed from a log's seed and entrant ids.
    pub rule: &'static str,
    pub draws: Vec<DrawLog>,
}

/// How many draws the log lists without a date.
const LOGS_LISTED: usize = 30;

/// The published log of the draw that opens `day` (with `Some`), or of the latest draws that
/// have run.
pub async fn draw_logs(
    state: &AppState,
    checkpoint: &Checkpoint,
    day: Option<NaiveDate>,
) -> Result<DrawLogs, ApiError> {
    let now = state.now();
    let draws = match day {
        Some(day) => match state.store.day_draw(&checkpoint.id, day).await? {
            Some((draw, entries)) => vec![DrawLog::new(checkpoint, &draw, &entries, now)],
            None => match &checkpoint.opening {
                Some(opening) => vec![DrawLog::without_entrants(
                    checkpoint,
                    day,
                    opening.times(checkpoint.time_zone, day),
                    now,
                )],
                None => Vec::new(),
            },
        },
        None => {
            let mut logs = Vec::new();
            for draw in state
                .store
                .closed_draws(&checkpoint.id, LOGS_LISTED)
                .await?
            {
                if let Some((draw, entries)) =
                    state.store.day_draw(&checkpoint.id, draw.day).await?
                {
                    logs.push(DrawLog::new(checkpoint, &draw, &entries, now));
                }
            }
            logs
        }
    };
    Ok(DrawLogs {
        checkpoint: checkpoint.id.to_string(),
        rule: ORDER_RULE,
        draws,
    })
}

/// The admission of an entry, once drawn.
pub fn admission(entry: &DrawEntry) -> Option<&Admission> {
    entry.outcome.as_ref().map(|outcome| &outcome.admission)
}

/// The end of the window an entry asked for, from the template's window length.
pub fn window_end(checkpoint: &Checkpoint, entry: &DrawEntry) -> DateTime<Utc> {
    entry.window.start + Duration::minutes(i64::from(checkpoint.window_minutes))
}

//! The waitlist as drivers use it, through the API or the pages: join it for windows that
//! are full (or, with a booking, for earlier ones), see where one stands, accept or decline a
//! place offered, leave. Every change is decided by the schedule actor of the entry's day.
//!
//! An entry is opened with its own token, like a booking with its manage token. The token is
//! made from the server's secret and the entry's id (only its digest is stored), so the
//! notification of an offer can carry a link that opens the entry without the token being kept
//! anywhere.

use std::sync::Arc;

use chrono::NaiveDate;
use uuid::Uuid;

use super::AppState;
use super::bookings::{LaneKey, Requester};
use super::error::ApiError;
use crate::actors::answer::AnswerTicket;
use crate::actors::schedule::{
    AcceptOffer, DeclineOffer, GetWaitlistEntry, JoinWaitlist, LeaveWaitlist,
};
use crate::domain::token::ManageToken;
use crate::domain::window::local_date;
use crate::domain::{
    Booking, Checkpoint, Contact, JoinRequest, Plate, PriorityClass, WaitRange, WaitlistEntry,
    WaitlistId, WaitlistStanding,
};

/// A request to wait for a place.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub lane: LaneKey,
    pub range: WaitRange,
    pub plate: Plate,
    pub contact: Contact,
    pub priority: PriorityClass,
    /// The driver's booking, opened with its manage token, to move to an earlier window.
    pub booking: Option<Booking>,
}

/// An entry just made, with the token that opens it (shown now; its link carries it).
#[derive(Debug, Clone)]
pub struct JoinedWaitlist {
    pub standing: WaitlistStanding,
    pub checkpoint: Arc<Checkpoint>,
    pub token: String,
}

/// What accepting an offer did: the entry, and the booking it made or moved.
#[derive(Debug, Clone)]
pub struct AcceptedOffer {
    pub entry: WaitlistEntry,
    pub booking: Booking,
    pub checkpoint: Arc<Checkpoint>,
}

/// The day an entry of `range` belongs to: the local day its first window starts on.
pub fn entry_day(checkpoint: &Checkpoint, range: &WaitRange) -> NaiveDate {
    local_date(checkpoint.time_zone, range.from)
}

/// Puts a driver on the waitlist of the day `input` names, under the limits that apply to
/// whoever asks (the same as for a new booking).
pub async fn join_waitlist(
    state: &AppState,
    input: NewEntry,
    requester: Requester,
    answer: Option<AnswerTicket>,
) -> Result<JoinedWaitlist, ApiError> {
    let checkpoint = state.lane(&input.lane)?;
    let day = entry_day(&checkpoint, &input.range);
    state.policy().check_day(day, state.today_at(&checkpoint))?;
    if let Some(booking) = &input.booking
        && (booking.day != day || booking.checkpoint != checkpoint.id)
    {
        return Err(crate::domain::InputError::new(
            "window_starts",
            "a booking waits for an earlier window of its own day",
        )
        .into());
    }
    if let Some(until) = state.bars.barred_until(&input.plate, state.now()) {
        return Err(ApiError::PlateBarred(until));
    }
    if input.priority.is_priority() && !requester.carrier.as_ref().is_some_and(|key| key.privileged)
    {
        return Err(ApiError::Forbidden(
            "priority classes are booked by operators and authorised carriers",
        ));
    }
    if requester.carrier.is_none() {
        state.limits.check_new_booking(requester.address)?;
    }
    let id = WaitlistId::new_random();
    let token = state.tokens.waitlist_token(id.0);
    let request = JoinRequest {
        id,
        token_digest: ManageToken::digest(&token),
        direction: input.lane.direction,
        category: input.lane.category,
        range: input.range,
        plate: input.plate,
        contact: input.contact,
        priority: input.priority,
        booking: input.booking.map(|b| b.id),
        carrier: requester.carrier.as_ref().map(|key| key.id),
    };
    let answer = answer.map(|ticket| {
        let (checkpoint, token) = (checkpoint.clone(), token.clone());
        ticket.adapt(move |standing: &WaitlistStanding| JoinedWaitlist {
            standing: standing.clone(),
            checkpoint: checkpoint.clone(),
            token: token.clone(),
        })
    });
    let standing = state
        .registry
        .ask_answered(&checkpoint.id, day, JoinWaitlist(request), answer)
        .await?;
    Ok(JoinedWaitlist {
        standing,
        checkpoint,
        token,
    })
}

/// An entry id as a path gives it: one that cannot be an id is not found, like one that names
/// no entry.
pub fn entry_id(raw: &str) -> Result<WaitlistId, ApiError> {
    Uuid::parse_str(raw.trim())
        .map(WaitlistId)
        .map_err(|_| ApiError::NotFound("waitlist entry"))
}

/// The entry `id` that `token` opens, and where it stands now; a wrong token looks like an
/// unknown entry.
pub async fn find_entry(
    state: &AppState,
    id: WaitlistId,
    token: &str,
) -> Result<(WaitlistStanding, Arc<Checkpoint>), ApiError> {
    let stored = state
        .store
        .find_waitlist_entry(id)
        .await?
        .filter(|entry| ManageToken::verify(token, &entry.token_digest))
        .ok_or(ApiError::NotFound("waitlist entry"))?;
    let checkpoint = state
        .checkpoint(&stored.checkpoint)
        .map_err(|_| ApiError::NotFound("waitlist entry"))?;
    let live = state
        .registry
        .ask(&stored.checkpoint, stored.day, GetWaitlistEntry { id })
        .await?;
    let standing = live.unwrap_or(WaitlistStanding {
        entry: stored,
        position: None,
        active: 0,
    });
    Ok((standing, checkpoint))
}

/// Takes the place offered to `entry`.
pub async fn accept_offer(
    state: &AppState,
    entry: &WaitlistEntry,
    checkpoint: Arc<Checkpoint>,
    answer: Option<AnswerTicket>,
) -> Result<AcceptedOffer, ApiError> {
    let answer = answer.map(|ticket| {
        let checkpoint = checkpoint.clone();
        ticket.adapt(
            move |(entry, booking): &(WaitlistEntry, Booking)| AcceptedOffer {
                entry: entry.clone(),
                booking: booking.clone(),
                checkpoint: checkpoint.clone(),
            },
        )
    });
    let (entry, booking) = state
        .registry
        .ask_answered(
            &entry.checkpoint,
            entry.day,
            AcceptOffer { id: entry.id },
            answer,
        )
        .await?;
    Ok(AcceptedOffer {
        entry,
        booking,
        checkpoint,
    })
}

/// Turns the place offered to `entry` down; it goes to the next driver waiting.
pub async fn decline_offer(
    state: &AppState,
    entry: &WaitlistEntry,
    answer: Option<AnswerTicket>,
) -> Result<WaitlistEntry, ApiError> {
    Ok(state
        .registry
        .ask_answered(
            &entry.checkpoint,
            entry.day,
            DeclineOffer { id: entry.id },
            answer,
        )
        .await?)
}

/// Takes `entry` off the waitlist.
pub async fn leave_waitlist(
    state: &AppState,
    entry: &WaitlistEntry,
    answer: Option<AnswerTicket>,
) -> Result<WaitlistEntry, ApiError> {
    Ok(state
        .registry
        .ask_answered(
            &entry.checkpoint,
            entry.day,
            LeaveWaitlist { id: entry.id },
            answer,
        )
        .await?)
}

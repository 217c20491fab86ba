//! Rows into domain values: one decoder per kind of row, shared by both stores.
//!
//! A store gives a row's columns through [`Columns`] in its own types (PostgreSQL's native
//! `uuid`, `timestamptz` and `jsonb`; SQLite's text), and every rule about what a stored value
//! may be lives here once: a count that does not fit its type, an unknown status or a plate
//! that no longer parses is an error from either store, never a silent default.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::auth::{ApiKey, StaffAccount};
use crate::domain::draw::{
    Admission, ClosedDraw, DayDraw, DrawEntry, DrawTimes, EntryOutcome, Refusal,
};
use crate::domain::statistics::{
    BookingCounts, HourlyCount, StatisticsDelta, StatisticsKey, WindowTotals,
};
use crate::domain::strikes::{Strike, StrikeKind};
use crate::domain::{
    Booking, BookingCode, BookingId, Checkpoint, CheckpointId, Contact, Plate, SlotWindow,
    WaitlistEntry, WindowKey,
};

/// A stored value that does not decode into what its column should hold.
#[derive(Debug, thiserror::Error)]
#[error("stored {what} {raw:?} in column {column} is unreadable: {reason}")]
pub struct Unreadable {
    pub column: usize,
    pub what: &'static str,
    pub raw: String,
    pub reason: String,
}

/// The columns of one result row, by position.
pub trait Columns {
    type Error: From<Unreadable>;

    fn text(&self, column: usize) -> Result<String, Self::Error>;
    fn opt_text(&self, column: usize) -> Result<Option<String>, Self::Error>;
    fn uuid(&self, column: usize) -> Result<Uuid, Self::Error>;
    fn opt_uuid(&self, column: usize) -> Result<Option<Uuid>, Self::Error>;
    fn time(&self, column: usize) -> Result<DateTime<Utc>, Self::Error>;
    fn opt_time(&self, column: usize) -> Result<Option<DateTime<Utc>>, Self::Error>;
    fn date(&self, column: usize) -> Result<NaiveDate, Self::Error>;
    fn int(&self, column: usize) -> Result<i64, Self::Error>;
    fn flag(&self, column: usize) -> Result<bool, Self::Error>;
    fn json<T: DeserializeOwned>(&self, column: usize) -> Result<T, Self::Error>;
}

fn parse_text<T, E>(
    raw: String,
    column: usize,
    what: &'static str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, Unreadable>
where
    E: std::fmt::Display,
{
    parse(&raw).map_err(|e| Unreadable {
        column,
        what,
        reason: e.to_string(),
        raw,
    })
}

fn parsed<C: Columns, T>(row: &C, column: usize, what: &'static str) -> Result<T, C::Error>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    Ok(parse_text(row.text(column)?, column, what, T::from_str)?)
}

fn opt_parsed<C: Columns, T, E: std::fmt::Display>(
    row: &C,
    column: usize,
    what: &'static str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<Option<T>, C::Error> {
    match row.opt_text(column)? {
        Some(raw) => Ok(Some(parse_text(raw, column, what, parse)?)),
        None => Ok(None),
    }
}

/// A stored whole number, which must fit `T` (a count is never negative).
fn int_as<C: Columns, T: TryFrom<i64>>(
    row: &C,
    column: usize,
    what: &'static str,
) -> Result<T, C::Error>
where
    T::Error: std::fmt::Display,
{
    let raw = row.int(column)?;
    Ok(T::try_from(raw).map_err(|e| Unreadable {
        column,
        what,
        raw: raw.to_string(),
        reason: e.to_string(),
    })?)
}

fn count<C: Columns>(row: &C, column: usize, what: &'static str) -> Result<u32, C::Error> {
    int_as(row, column, what)
}

/// The columns [`booking`] reads, in its order, of `bookings b`.
pub const BOOKING_COLUMNS: &str = "b.id, b.code, b.checkpoint_id, b.day, b.direction, \
     b.category, b.window_start, b.window_end, b.plate, b.contact, b.priority, b.status, \
     b.version, b.manage_token_digest, b.created_at, b.updated_at, b.hold_expires_at, \
     b.moved_from, b.status_after_move, b.moved_to, b.carrier_key_id, b.reschedules, \
     b.reslotted_from";

pub fn booking<C: Columns>(row: &C) -> Result<Booking, C::Error> {
    Ok(Booking {
        id: BookingId(row.uuid(0)?),
        code: parse_text(row.text(1)?, 1, "code", BookingCode::parse)?,
        checkpoint: parse_text(row.text(2)?, 2, "checkpoint", CheckpointId::parse)?,
        day: row.date(3)?,
        direction: parsed(row, 4, "direction")?,
        category: parsed(row, 5, "category")?,
        window_start: row.time(6)?,
        window_end: row.time(7)?,
        plate: opt_parsed(row, 8, "plate", Plate::parse)?,
        contact: opt_parsed(row, 9, "contact", Contact::parse)?,
        priority: parsed(row, 10, "priority")?,
        status: parsed(row, 11, "status")?,
        version: row.int(12)?,
        manage_token_digest: row.text(13)?,
        created_at: row.time(14)?,
        updated_at: row.time(15)?,
        hold_expires_at: row.opt_time(16)?,
        moved_from: row.opt_uuid(17)?.map(BookingId),
        status_after_move: opt_parsed(row, 18, "status", str::parse)?,
        moved_to: row.opt_uuid(19)?.map(BookingId),
        carrier: row.opt_uuid(20)?,
        reschedules: count(row, 21, "reschedules")?,
        reslotted_from: row.opt_time(22)?,
    })
}

/// The columns [`window`] reads, in its order, of `windows`.
/// The columns [`waitlist_entry`] reads.
pub const WAITLIST_COLUMNS: &str = "w.body, w.token_digest";

/// A waitlist entry: its stored document, with the digest of its token beside it.
pub fn waitlist_entry<C: Columns>(row: &C) -> Result<WaitlistEntry, C::Error> {
    let mut entry: WaitlistEntry = row.json(0)?;
    entry.token_digest = row.text(1)?;
    Ok(entry)
}

pub const WINDOW_COLUMNS: &str =
    "direction, category, start_at, end_at, capacity, reserved, held, confirmed, blocked_reason";

pub fn window<C: Columns>(row: &C) -> Result<SlotWindow, C::Error> {
    Ok(SlotWindow {
        key: WindowKey {
            direction: parsed(row, 0, "direction")?,
            category: parsed(row, 1, "category")?,
            start: row.time(2)?,
        },
        end: row.time(3)?,
        capacity: count(row, 4, "capacity")?,
        reserved: count(row, 5, "reserved")?,
        held: count(row, 6, "held")?,
        confirmed: count(row, 7, "confirmed")?,
        priority_taken: 0,
        blocked: row.opt_text(8)?,
    })
}

/// The columns [`checkpoint`] reads, in its order, of `checkpoints`.
pub const CHECKPOINT_COLUMNS: &str = "id, name, time_zone, window_minutes, directions, capacity, \
     calendar, neighbour_time_zone, opening";

pub fn checkpoint<C: Columns>(row: &C) -> Result<Checkpoint, C::Error> {
    Ok(Checkpoint {
        id: parse_text(row.text(0)?, 0, "checkpoint", CheckpointId::parse)?,
        name: row.text(1)?,
        time_zone: parsed(row, 2, "time zone")?,
        window_minutes: count(row, 3, "window length")?,
        directions: row.json(4)?,
        capacity: row.json(5)?,
        calendar: row.json(6)?,
        neighbour_time_zone: opt_parsed(
            row,
            7,
            "neighbour time zone",
            str::parse::<chrono_tz::Tz>,
        )?,
        opening: row.json(8)?,
    })
}

/// The columns [`draw_entry`] reads, in its order, of `draw_entries e`.
pub const DRAW_ENTRY_COLUMNS: &str = "e.id, e.checkpoint_id, e.day, e.booking_id, \
     e.manage_token_digest, e.direction, e.category, e.window_start, e.plate, e.contact, \
     e.priority, e.confirm, e.carrier_key_id, e.entered_at, e.position, e.outcome, e.code, \
     e.refusal_type, e.refusal_detail";

pub fn draw_entry<C: Columns>(row: &C) -> Result<DrawEntry, C::Error> {
    let outcome = match row.opt_text(15)?.as_deref() {
        None => None,
        Some(outcome) => {
            let admission = match outcome {
                "admitted" => Admission::Admitted {
                    code: parse_text(row.text(16)?, 16, "code", BookingCode::parse)?,
                },
                "refused" => Admission::Refused(Refusal {
                    problem: row.opt_text(17)?.unwrap_or_default(),
                    detail: row.opt_text(18)?.unwrap_or_default(),
                }),
                other => {
                    return Err(Unreadable {
                        column: 15,
                        what: "draw outcome",
                        raw: other.to_owned(),
                        reason: "neither admitted nor refused".to_owned(),
                    }
                    .into());
                }
            };
            Some(EntryOutcome {
                position: count(row, 14, "draw position")?,
                admission,
            })
        }
    };
    Ok(DrawEntry {
        id: row.uuid(0)?,
        checkpoint: parse_text(row.text(1)?, 1, "checkpoint", CheckpointId::parse)?,
        day: row.date(2)?,
        booking_id: BookingId(row.uuid(3)?),
        manage_token_digest: row.text(4)?,
        window: WindowKey {
            direction: parsed(row, 5, "direction")?,
            category: parsed(row, 6, "category")?,
            start: row.time(7)?,
        },
        plate: opt_parsed(row, 8, "plate", Plate::parse)?,
        contact: opt_parsed(row, 9, "contact", Contact::parse)?,
        priority: parsed(row, 10, "priority")?,
        confirm: row.flag(11)?,
        carrier: row.opt_uuid(12)?,
        entered_at: row.time(13)?,
        outcome,
    })
}

/// The columns [`day_draw`] reads, in its order, of `opening_draws d`.
pub const DAY_DRAW_COLUMNS: &str = "d.checkpoint_id, d.day, d.draw_opens_at, d.opens_at, \
     d.closes_at, d.entrants, d.closed_at, d.seed, d.admitted";

pub fn day_draw<C: Columns>(row: &C) -> Result<DayDraw, C::Error> {
    day_draw_from(row, 0)
}

/// A draw whose columns ([`DAY_DRAW_COLUMNS`]) begin at column `at`, after others.
pub fn day_draw_from<C: Columns>(row: &C, at: usize) -> Result<DayDraw, C::Error> {
    let closed = match (row.opt_time(at + 6)?, row.opt_text(at + 7)?) {
        (Some(closed_at), Some(seed)) => Some(ClosedDraw {
            closed_at,
            seed,
            admitted: count(row, at + 8, "admitted")?,
        }),
        _ => None,
    };
    Ok(DayDraw {
        checkpoint: parse_text(row.text(at)?, at, "checkpoint", CheckpointId::parse)?,
        day: row.date(at + 1)?,
        times: DrawTimes {
            draw_opens_at: row.time(at + 2)?,
            opens_at: row.time(at + 3)?,
            closes_at: row.time(at + 4)?,
        },
        entrants: count(row, at + 5, "entrants")?,
        closed,
    })
}

/// How many columns [`DRAW_ENTRY_COLUMNS`] names: a draw joined to an entry begins there.
pub const DRAW_ENTRY_COLUMN_COUNT: usize = 19;

/// The columns [`staff_account`] reads, in its order, of `staff_accounts`.
pub const ACCOUNT_COLUMNS: &str =
    "id, name, role, password_hash, created_at, disabled_at IS NOT NULL";

pub fn staff_account<C: Columns>(row: &C) -> Result<StaffAccount, C::Error> {
    Ok(StaffAccount {
        id: row.uuid(0)?,
        name: row.text(1)?,
        role: parsed(row, 2, "role")?,
        password_hash: row.text(3)?,
        created_at: row.time(4)?,
        disabled: row.flag(5)?,
    })
}

/// The columns [`api_key`] reads, in its order, of `api_keys`.
pub const API_KEY_COLUMNS: &str = "id, name, digest, privileged, requests_per_second, burst, \
     active_bookings_max, created_at, revoked_at IS NOT NULL";

pub fn api_key<C: Columns>(row: &C) -> Result<ApiKey, C::Error> {
    Ok(ApiKey {
        id: row.uuid(0)?,
        name: row.text(1)?,
        digest: row.text(2)?,
        privileged: row.flag(3)?,
        requests_per_second: count(row, 4, "requests per second")?,
        burst: count(row, 5, "burst")?,
        active_bookings_max: count(row, 6, "active bookings")?,
        created_at: row.time(7)?,
        revoked: row.flag(8)?,
    })
}

/// The columns [`strike`] reads, in its order, of `strikes`.
pub const STRIKE_COLUMNS: &str = "plate, kind, at";

pub fn strike<C: Columns>(row: &C) -> Result<Strike, C::Error> {
    let kind = match row.text(1)?.as_str() {
        "no_show" => StrikeKind::NoShow,
        "cancellation" => StrikeKind::Cancellation,
        other => {
            return Err(Unreadable {
                column: 1,
                what: "strike kind",
                raw: other.to_owned(),
                reason: "not a kind of strike".to_owned(),
            }
            .into());
        }
    };
    Ok(Strike {
        plate: parse_text(row.text(0)?, 0, "plate", Plate::parse)?,
        kind,
        at: row.time(2)?,
    })
}

/// A row of `statistics_sql::SELECT_STATISTICS`, of `checkpoint`.
pub fn statistics_row<C: Columns>(
    row: &C,
    checkpoint: &CheckpointId,
) -> Result<StatisticsDelta, C::Error> {
    Ok(StatisticsDelta {
        key: StatisticsKey {
            checkpoint: checkpoint.clone(),
            day: row.date(0)?,
            hour: int_as(row, 1, "hour")?,
            category: parsed(row, 2, "category")?,
        },
        counts: BookingCounts {
            holds: row.int(3)?,
            confirmations: row.int(4)?,
            cancellations: row.int(5)?,
            expiries: row.int(6)?,
            reschedules: row.int(7)?,
            arrivals: row.int(8)?,
            no_shows: row.int(9)?,
            lead_time_seconds: row.int(10)?,
            lead_times: row.int(11)?,
            waitlist_joins: row.int(12)?,
            waitlist_offers: row.int(13)?,
            waitlist_accepted: row.int(14)?,
            waitlist_expired: row.int(15)?,
        },
    })
}

/// A row of day, hour and a sum of confirmations.
pub fn hourly_count<C: Columns>(row: &C) -> Result<HourlyCount, C::Error> {
    Ok(HourlyCount {
        day: row.date(0)?,
        hour: int_as(row, 1, "hour")?,
        count: row.int(2)?,
    })
}

/// A row of direction, category, local hour, windows, blocked windows and the sums of
/// capacity, held and confirmed places.
pub fn window_totals<C: Columns>(row: &C) -> Result<WindowTotals, C::Error> {
    Ok(WindowTotals {
        direction: parsed(row, 0, "direction")?,
        category: parsed(row, 1, "category")?,
        hour: int_as(row, 2, "hour")?,
        windows: count(row, 3, "windows")?,
        blocked_windows: count(row, 4, "blocked windows")?,
        capacity: int_as(row, 5, "capacity")?,
        held: int_as(row, 6, "held places")?,
        confirmed: int_as(row, 7, "confirmed places")?,
    })
}

//! Fair openings: a checkpoint's day opens for booking at a published moment, and the requests
//! that arrive during a draw period around it are not served first come: they enter a draw, and
//! when the period ends they are admitted in a random order that anyone can check.
//!
//! The order comes from a seed of 32 random bytes drawn when the draw closes and published with
//! the result: every entrant is ranked by HMAC-SHA256 keyed with the seed over its entrant id
//! (a random UUID that names no plate and no contact), lowest first. Nobody can steer it, since
//! the seed is drawn after the last entry, and everybody can recompute it from what is
//! published; a bot that fires at the opening millisecond has no better rank than a phone that
//! enters twenty seconds later.

use chrono::{DateTime, Days, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

use super::booking::{BookingId, PriorityClass};
use super::checkpoint::CheckpointId;
use super::code::BookingCode;
use super::contact::Contact;
use super::error::{AllocationError, InputError};
use super::plate::Plate;
use super::token::to_hex;
use super::window::WindowKey;

/// How a checkpoint's days open: each day `days_ahead` days before itself at `local_time` on the
/// checkpoint's clocks, with a draw from `draw_before_seconds` before that moment until
/// `draw_after_seconds` after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opening {
    pub days_ahead: u32,
    #[serde(with = "local_time")]
    pub local_time: NaiveTime,
    #[serde(default = "Opening::default_before")]
    pub draw_before_seconds: u32,
    #[serde(default = "Opening::default_after")]
    pub draw_after_seconds: u32,
}

/// The longest a draw period may be on either side of the opening, so that a typo cannot turn a
/// day's opening into a week-long lottery.
pub const DRAW_SECONDS_MAX: u32 = 24 * 3600;
/// The furthest ahead a day may open.
pub const DAYS_AHEAD_MAX: u32 = 366;

impl Opening {
    pub const DRAW_BEFORE_DEFAULT: u32 = 300;
    pub const DRAW_AFTER_DEFAULT: u32 = 60;

    fn default_before() -> u32 {
        Self::DRAW_BEFORE_DEFAULT
    }

    fn default_after() -> u32 {
        Self::DRAW_AFTER_DEFAULT
    }

    /// Refuses what cannot be an opening.
    pub fn check(&self) -> Result<(), InputError> {
        if self.days_ahead > DAYS_AHEAD_MAX {
            return Err(InputError::new(
                "opening",
                format!("days_ahead is 0 to {DAYS_AHEAD_MAX}"),
            ));
        }
        if self.draw_before_seconds > DRAW_SECONDS_MAX || self.draw_after_seconds > DRAW_SECONDS_MAX
        {
            return Err(InputError::new(
                "opening",
                format!(
                    "a draw lasts at most {DRAW_SECONDS_MAX} seconds either side of the opening"
                ),
            ));
        }
        Ok(())
    }

    /// When `day` opens for booking, and its draw period.
    pub fn times(&self, tz: Tz, day: NaiveDate) -> DrawTimes {
        let date = day
            .checked_sub_days(Days::new(u64::from(self.days_ahead)))
            .unwrap_or(NaiveDate::MIN);
        let opens_at = local_instant(tz, date.and_time(self.local_time));
        // At the ends of the calendar a period that does not fit is cut to the opening.
        DrawTimes {
            draw_opens_at: opens_at
                .checked_sub_signed(Duration::seconds(i64::from(self.draw_before_seconds)))
                .unwrap_or(opens_at),
            opens_at,
            closes_at: opens_at
                .checked_add_signed(Duration::seconds(i64::from(self.draw_after_seconds)))
                .unwrap_or(opens_at),
        }
    }

    /// Where `day` stands at `now`.
    pub fn phase(&self, tz: Tz, day: NaiveDate, now: DateTime<Utc>) -> DayPhase {
        let times = self.times(tz, day);
        if now < times.draw_opens_at {
            DayPhase::NotOpen(times)
        } else if now < times.closes_at {
            DayPhase::Draw(times)
        } else {
            DayPhase::Open(times)
        }
    }
}

/// The instant a local time names; in a gap a change of the clocks leaves, the first instant
/// after it.
fn local_instant(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    for minutes in 0..=24 * 60 {
        let Some(shifted) = local.checked_add_signed(Duration::minutes(minutes)) else {
            break;
        };
        if let Some(instant) = tz.from_local_datetime(&shifted).earliest() {
            return instant.with_timezone(&Utc);
        }
    }
    Utc.from_utc_datetime(&local)
}

/// `HH:MM` or `HH:MM:SS`.
pub fn parse_local_time(raw: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(raw, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(raw, "%H:%M"))
        .ok()
}

mod local_time {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(time: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&time.format("%H:%M:%S").to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        let raw = String::deserialize(d)?;
        super::parse_local_time(&raw)
            .ok_or_else(|| serde::de::Error::custom("a local time as HH:MM or HH:MM:SS"))
    }
}

/// The moments of one day's opening.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawTimes {
    /// From here requests enter the draw.
    pub draw_opens_at: DateTime<Utc>,
    /// The published opening.
    pub opens_at: DateTime<Utc>,
    /// Entries end here; the draw is run, and booking is first come from then on.
    pub closes_at: DateTime<Utc>,
}

/// Where a day of a checkpoint with an opening stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayPhase {
    /// Not bookable yet.
    NotOpen(DrawTimes),
    /// Requests enter the draw.
    Draw(DrawTimes),
    /// The draw is over: first come, first served.
    Open(DrawTimes),
}

/// The random bytes a draw's order comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct DrawSeed(pub [u8; 32]);

impl std::fmt::Debug for DrawSeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DrawSeed({})", self.to_hex())
    }
}

impl DrawSeed {
    pub fn to_hex(&self) -> String {
        to_hex(&self.0)
    }

    pub fn from_hex(raw: &str) -> Option<Self> {
        if raw.len() != 64 {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(raw.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Self(bytes))
    }

    /// An entrant's rank key: HMAC-SHA256 keyed with the seed over the entrant id as lowercase,
    /// hyphenated text, as hex. The draw admits the lowest key first.
    pub fn key(&self, entrant: Uuid) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(entrant.hyphenated().to_string().as_bytes());
        to_hex(&mac.finalize().into_bytes())
    }

    /// The entrants in the order the draw admits them.
    pub fn order(&self, entrants: impl IntoIterator<Item = Uuid>) -> Vec<Uuid> {
        let mut keyed: Vec<(String, Uuid)> = entrants
            .into_iter()
            .map(|entrant| (self.key(entrant), entrant))
            .collect();
        keyed.sort();
        keyed.into_iter().map(|(_, entrant)| entrant).collect()
    }
}

/// How the order is derived, in words, as the draw log publishes it.
pub const ORDER_RULE: &str = "Entrants are admitted in ascending order of \
     hex(HMAC-SHA256(key = the 32 bytes of the seed, message = the entrant id as lowercase \
     hyphenated UTF-8 text)).";

/// One request that entered a draw: what it asked for, and once drawn, what it got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawEntry {
    /// The entrant id the draw log publishes: random, naming no plate or contact.
    pub id: Uuid,
    pub checkpoint: CheckpointId,
    pub day: NaiveDate,
    /// The id the booking gets if the entry is admitted.
    pub booking_id: BookingId,
    pub manage_token_digest: String,
    pub window: WindowKey,
    pub plate: Option<Plate>,
    pub contact: Option<Contact>,
    pub priority: PriorityClass,
    pub confirm: bool,
    pub carrier: Option<Uuid>,
    pub entered_at: DateTime<Utc>,
    pub outcome: Option<EntryOutcome>,
}

/// Where an entrant came in the draw (1 first) and what that gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryOutcome {
    pub position: u32,
    pub admission: Admission,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// The booking was made, with this code.
    Admitted { code: BookingCode },
    /// The booking could not be made when the entrant's turn came.
    Refused(Refusal),
}

impl Admission {
    pub fn as_str(&self) -> &'static str {
        match self {
            Admission::Admitted { .. } => "admitted",
            Admission::Refused(_) => "refused",
        }
    }
}

/// Why an entrant's booking could not be made: the problem type a booking request would have
/// been refused with, and its detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub problem: String,
    pub detail: String,
}

impl Refusal {
    pub fn of(error: &AllocationError) -> Self {
        Self {
            problem: error.problem_type().to_owned(),
            detail: error.to_string(),
        }
    }
}

/// A checkpoint day's draw as stored: open while `closed` is `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayDraw {
    pub checkpoint: CheckpointId,
    pub day: NaiveDate,
    pub times: DrawTimes,
    pub entrants: u32,
    pub closed: Option<ClosedDraw>,
}

/// What a draw that has run publishes besides its entrants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedDraw {
    pub closed_at: DateTime<Utc>,
    /// 64 hex characters.
    pub seed: String,
    pub admitted: u32,
}

/// The durable result of a draw: the draw closed with its seed, and every entrant's outcome.
/// The store refuses it unless the draw is still open with exactly `entrants` entries, so a
/// draw runs once, and never without an entry that arrived meanwhile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawClose {
    pub checkpoint: CheckpointId,
    pub day: NaiveDate,
    pub times: DrawTimes,
    pub entrants: u32,
    pub closed: ClosedDraw,
    pub outcomes: Vec<(Uuid, EntryOutcome)>,
}

#[cfg(test)]
mod tests {
    use chrono::Timelike;
    use sha2::Digest;

    use super::*;

    fn opening() -> Opening {
        Opening {
            days_ahead: 30,
            local_time: NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
            draw_before_seconds: 300,
            draw_after_seconds: 60,
        }
    }

    fn at(raw: &str) -> DateTime<Utc> {
        raw.parse().unwrap()
    }

    #[test]
    fn a_day_opens_days_ahead_at_the_local_time_with_its_draw_around_it() {
        let tz: Tz = "Europe/Tallinn".parse().unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 7, 31).unwrap();

        let times = opening().times(tz, day);

        // 1 July 10:00 in Tallinn is 07:00 UTC (summer time, UTC+3).
        assert_eq!(times.opens_at, at("2026-07-01T07:00:00Z"));
        assert_eq!(times.draw_opens_at, at("2026-07-01T06:55:00Z"));
        assert_eq!(times.closes_at, at("2026-07-01T07:01:00Z"));
        let phase = |now| opening().phase(tz, day, at(now));
        assert_eq!(phase("2026-07-01T06:54:59Z"), DayPhase::NotOpen(times));
        assert_eq!(phase("2026-07-01T06:55:00Z"), DayPhase::Draw(times));
        assert_eq!(phase("2026-07-01T07:00:59Z"), DayPhase::Draw(times));
        assert_eq!(phase("2026-07-01T07:01:00Z"), DayPhase::Open(times));
    }

    #[test]
    fn an_opening_in_a_skipped_hour_happens_when_the_clocks_have_moved_on() {
        let tz: Tz = "Europe/Tallinn".parse().unwrap();
        let mut at_three = opening();
        at_three.local_time = NaiveTime::from_hms_opt(3, 30, 0).unwrap();
        at_three.days_ahead = 0;

        // 29 March 2026: 03:00 becomes 04:00 in Tallinn.
        let times = at_three.times(tz, NaiveDate::from_ymd_opt(2026, 3, 29).unwrap());

        assert_eq!(times.opens_at.with_timezone(&tz).hour(), 4);
    }

    #[test]
    fn openings_and_local_times_read_and_are_checked() {
        let parsed: Opening =
            serde_json::from_str(r#"{"days_ahead": 30, "local_time": "10:00"}"#).unwrap();
        assert_eq!(parsed, opening());
        assert_eq!(
            serde_json::to_value(parsed).unwrap()["local_time"],
            "10:00:00"
        );
        assert!(
            serde_json::from_str::<Opening>(r#"{"days_ahead": 1, "local_time": "25:00"}"#).is_err()
        );
        let mut long = opening();
        long.draw_before_seconds = DRAW_SECONDS_MAX + 1;
        assert!(long.check().is_err());
        assert!(opening().check().is_ok());
    }

    #[test]
    fn a_seed_round_trips_through_hex_and_ranks_by_its_published_rule() {
        let seed = DrawSeed([7; 32]);
        assert_eq!(DrawSeed::from_hex(&seed.to_hex()), Some(seed));
        assert_eq!(DrawSeed::from_hex("zz"), None);
        let ids: Vec<Uuid> = (0..50u8).map(|i| uuid_from(&[i])).collect();

        let order = seed.order(ids.clone());

        let mut by_hand: Vec<(String, Uuid)> = ids
            .iter()
            .map(|id| {
                let mut mac = Hmac::<Sha256>::new_from_slice(&[7; 32]).unwrap();
                mac.update(id.to_string().as_bytes());
                (to_hex(&mac.finalize().into_bytes()), *id)
            })
            .collect();
        by_hand.sort();
        assert_eq!(
            order,
            by_hand.into_iter().map(|(_, id)| id).collect::<Vec<_>>()
        );
        assert_ne!(order, ids, "the order is not the arrival order");
        assert_ne!(
            order,
            DrawSeed([8; 32]).order(ids.clone()),
            "another seed, another order"
        );
    }

    fn uuid_from(bytes: &[u8]) -> Uuid {
        let digest = Sha256::digest(bytes);
        uuid::Builder::from_random_bytes(digest[..16].try_into().unwrap()).into_uuid()
    }

    /// Spearman's rank correlation of two rankings of the same `n` items.
    fn rank_correlation(ranks: &[(usize, usize)]) -> f64 {
        let n = ranks.len() as f64;
        let squares: f64 = ranks
            .iter()
            .map(|&(a, b)| (a as f64 - b as f64).powi(2))
            .sum();
        1.0 - 6.0 * squares / (n * (n * n - 1.0))
    }

    /// The order owes nothing to when entrants arrived: over many entrants and several seeds,
    /// arrival rank and admission rank are uncorrelated. Seeds and ids are fixed, so the bound
    /// (six standard deviations of a correlation of 1000 ranks) is checked on the same numbers
    /// every run.
    #[test]
    fn the_order_is_not_the_arrival_order() {
        const ENTRANTS: usize = 1000;
        let arrivals: Vec<Uuid> = (0..ENTRANTS)
            .map(|i| uuid_from(&(i as u64).to_le_bytes()))
            .collect();
        let mut firsts_from_early_arrivals = 0;
        for seed in 0..20u8 {
            let seed = DrawSeed(Sha256::digest([seed]).into());
            let order = seed.order(arrivals.iter().copied());
            let ranks: Vec<(usize, usize)> = order
                .iter()
                .enumerate()
                .map(|(admitted, id)| {
                    let arrived = arrivals.iter().position(|a| a == id).unwrap();
                    (arrived, admitted)
                })
                .collect();
            let rho = rank_correlation(&ranks);
            assert!(rho.abs() < 6.0 / (ENTRANTS as f64).sqrt(), "rho = {rho}");
            if ranks[0].0 < ENTRANTS / 10 {
                firsts_from_early_arrivals += 1;
            }
        }
        // The first tenth of arrivals wins the first place about one draw in ten.
        assert!(
            firsts_from_early_arrivals <= 8,
            "{firsts_from_early_arrivals} of 20"
        );
    }
}

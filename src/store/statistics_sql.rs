//! SQL of the statistics and processed-event tables, the same for both stores: SQLite numbers
//! `$n` parameters in order of appearance, which here is `n`.

pub const RECORD_PROCESSED: &str = "INSERT INTO processed_events (consumer, event_id, processed_at) \
     VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";

pub const IS_PROCESSED: &str =
    "SELECT 1 FROM processed_events WHERE consumer = $1 AND event_id = $2";

/// What a row of counts adds to the stored row of its key, created at zero first.
macro_rules! add_to_stored_counts {
    () => {
        " ON CONFLICT (checkpoint_id, day, hour, category) DO UPDATE SET \
       holds = s.holds + excluded.holds, \
       confirmations = s.confirmations + excluded.confirmations, \
       cancellations = s.cancellations + excluded.cancellations, \
       expiries = s.expiries + excluded.expiries, \
       reschedules = s.reschedules + excluded.reschedules, \
       arrivals = s.arrivals + excluded.arrivals, \
       no_shows = s.no_shows + excluded.no_shows, \
       lead_time_seconds = s.lead_time_seconds + excluded.lead_time_seconds, \
       lead_times = s.lead_times + excluded.lead_times, \
       waitlist_joins = s.waitlist_joins + excluded.waitlist_joins, \
       waitlist_offers = s.waitlist_offers + excluded.waitlist_offers, \
       waitlist_accepted = s.waitlist_accepted + excluded.waitlist_accepted, \
       waitlist_expired = s.waitlist_expired + excluded.waitlist_expired"
    };
}

macro_rules! statistics_columns {
    () => {
        "checkpoint_id, day, hour, category, holds, confirmations, cancellations, expiries, \
         reschedules, arrivals, no_shows, lead_time_seconds, lead_times, waitlist_joins, \
         waitlist_offers, waitlist_accepted, waitlist_expired"
    };
}

macro_rules! statistics_from_arrays {
    () => {
        "SELECT * FROM unnest($1::text[], $2::date[], $3::int2[], $4::text[], $5::int8[], \
           $6::int8[], $7::int8[], $8::int8[], $9::int8[], $10::int8[], $11::int8[], \
           $12::int8[], $13::int8[], $14::int8[], $15::int8[], $16::int8[], $17::int8[])"
    };
}

/// Adds one delta to a statistics row.
pub const ADD_STATISTICS: &str = concat!(
    "INSERT INTO booking_statistics AS s (",
    statistics_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    add_to_stored_counts!()
);

/// Adds deltas given as arrays ([`STATISTICS_FROM_ARRAYS`]) to statistics rows; no two deltas
/// may share a key.
pub const ADD_STATISTICS_ROWS: &str = concat!(
    "INSERT INTO booking_statistics AS s (",
    statistics_columns!(),
    ") ",
    statistics_from_arrays!(),
    add_to_stored_counts!()
);

pub const SELECT_STATISTICS: &str = "SELECT day, hour, category, holds, confirmations, \
       cancellations, expiries, reschedules, arrivals, no_shows, lead_time_seconds, lead_times, \
       waitlist_joins, waitlist_offers, waitlist_accepted, waitlist_expired \
     FROM booking_statistics WHERE checkpoint_id = $1 AND day BETWEEN $2 AND $3 \
     ORDER BY day, hour, category";

/// The columns of a statistics row, in the order both stores bind them.
pub const STATISTICS_COLUMNS: &str = statistics_columns!();

/// Statistics rows given as one array per column, in the order of [`STATISTICS_COLUMNS`]
/// (PostgreSQL only).
pub const STATISTICS_FROM_ARRAYS: &str = statistics_from_arrays!();

/// The tail of a bulk statistics write: a row that exists takes the given counts (it is not
/// added to), so writing the same rows twice leaves the same table.
pub const REPLACE_COUNTS: &str = "ON CONFLICT (checkpoint_id, day, hour, category) DO UPDATE SET \
       holds = excluded.holds, \
       confirmations = excluded.confirmations, \
       cancellations = excluded.cancellations, \
       expiries = excluded.expiries, \
       reschedules = excluded.reschedules, \
       arrivals = excluded.arrivals, \
       no_shows = excluded.no_shows, \
       lead_time_seconds = excluded.lead_time_seconds, \
       lead_times = excluded.lead_times, \
       waitlist_joins = excluded.waitlist_joins, \
       waitlist_offers = excluded.waitlist_offers, \
       waitlist_accepted = excluded.waitlist_accepted, \
       waitlist_expired = excluded.waitlist_expired";

//! Statements whose text both stores share.
//!
//! Parameters are written `$1`, `$2`, … in the order they first appear: PostgreSQL numbers
//! them by the digits, SQLite (which reads `$1` as a name) by first appearance, and the two
//! agree only in that order. Values are bound in each store's own types (SQLite keeps times
//! and ids as text).

/// Sets a window's blocked reason (`NULL` reopens it).
pub const SET_WINDOW_BLOCKED_REASON: &str = "UPDATE windows SET blocked_reason = $1 \
     WHERE checkpoint_id = $2 AND direction = $3 AND category = $4 AND start_at = $5";

/// Sets how many places of a window are kept for priority classes.
pub const SET_WINDOW_RESERVED: &str = "UPDATE windows SET reserved = $1 \
     WHERE checkpoint_id = $2 AND direction = $3 AND category = $4 AND start_at = $5";

/// Sets a window's places (never below those taken: the schema's check refuses it).
pub const SET_WINDOW_CAPACITY: &str = "UPDATE windows SET capacity = $1 \
     WHERE checkpoint_id = $2 AND direction = $3 AND category = $4 AND start_at = $5";

/// Raises a window's capacity to `$1` if it has fewer places, in PostgreSQL's words.
pub const RAISE_WINDOW_CAPACITY_PG: &str = "UPDATE windows SET capacity = GREATEST(capacity, $1) \
     WHERE checkpoint_id = $2 AND direction = $3 AND category = $4 AND start_at = $5";

/// Raises a window's capacity to `$1` if it has fewer places, in SQLite's words.
pub const RAISE_WINDOW_CAPACITY_SQLITE: &str = "UPDATE windows SET capacity = MAX(capacity, $1) \
     WHERE checkpoint_id = $2 AND direction = $3 AND category = $4 AND start_at = $5";

/// Marks a transfer hold as having received its source's code, only while it is still held;
/// the row lock it takes serialises the hand-over with an abandonment of the same hold.
pub const MARK_CODE_RECEIVED: &str = "UPDATE bookings SET code_received = true \
     WHERE id = $1 AND status = 'held' AND status_after_move IS NOT NULL";

/// Makes a code resolve to another booking.
pub const POINT_CODE: &str = "UPDATE booking_codes SET booking_id = $1 WHERE code = $2";

/// A carrier's active bookings, counted by the partial index on them.
pub const ACTIVE_CARRIER_BOOKINGS_COUNT: &str = "SELECT count(*) FROM bookings \
     WHERE carrier_key_id = $1 AND status IN ('held', 'confirmed', 'arrived')";

/// Takes a job's lease for `$2` until `$3`, or renews it: it goes to `$2` when it is free, is
/// `$2`'s already, or expired by `$4`; a row comes back only when `$2` holds it now.
pub const TAKE_JOB_LEASE: &str = "INSERT INTO job_leases (job, holder, expires_at) \
     VALUES ($1, $2, $3) \
     ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
     WHERE job_leases.holder = excluded.holder OR job_leases.expires_at <= $4 \
     RETURNING job";

/// Makes booking `$1` the account `$2`'s (and organisation `$3`'s) as of `$4`; a booking has one
/// owner, the latest.
pub const RECORD_OWNER: &str = "INSERT INTO booking_claims \
     (booking_id, subject, organisation, claimed_at) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (booking_id) DO UPDATE SET subject = excluded.subject, \
     organisation = excluded.organisation, claimed_at = excluded.claimed_at";

/// Gives booking `$2`, moved from `$1`, the owner `$1` has, if any.
pub const CARRY_OWNER: &str = "INSERT INTO booking_claims \
     (booking_id, subject, organisation, claimed_at) \
     SELECT b.id, c.subject, c.organisation, c.claimed_at \
     FROM booking_claims c, bookings b WHERE c.booking_id = $1 AND b.id = $2 \
     ON CONFLICT (booking_id) DO NOTHING";
/// Counts one more entrant into the open draw of a checkpoint's day (`$1`, `$2`), opening the
/// draw with its times on the first entry. A row (the count with this entry) comes back only
/// while the draw is open; the row lock it takes serialises entries with the draw's close.
pub const ENTER_OPEN_DRAW: &str = "INSERT INTO opening_draws \
     (checkpoint_id, day, draw_opens_at, opens_at, closes_at, entrants) \
     VALUES ($1, $2, $3, $4, $5, 1) \
     ON CONFLICT (checkpoint_id, day) DO UPDATE SET entrants = opening_draws.entrants + 1 \
     WHERE opening_draws.closed_at IS NULL \
     RETURNING entrants";

/// Whether a plate has entered a day's draw already, in a direction.
pub const PLATE_IN_DRAW: &str = "SELECT count(*) FROM draw_entries \
     WHERE checkpoint_id = $1 AND day = $2 AND direction = $3 AND plate = $4";

pub const INSERT_DRAW_ENTRY: &str = "INSERT INTO draw_entries (id, checkpoint_id, day, \
     booking_id, manage_token_digest, direction, category, window_start, plate, contact, \
     priority, confirm, carrier_key_id, entered_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";

/// Closes a checkpoint day's draw with its seed, making its row when nobody entered: only while
/// it is open with exactly `$6` entrants, so one row changes, or none when another replica
/// closed it first or an entry came in since it was decided.
pub const CLOSE_DRAW: &str = "INSERT INTO opening_draws (checkpoint_id, day, draw_opens_at, \
     opens_at, closes_at, entrants, closed_at, seed, admitted) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
     ON CONFLICT (checkpoint_id, day) DO UPDATE SET closed_at = excluded.closed_at, \
     seed = excluded.seed, admitted = excluded.admitted \
     WHERE opening_draws.closed_at IS NULL AND opening_draws.entrants = excluded.entrants";

/// The open draws whose period ended by `$1`.
pub const DUE_DRAWS: &str = "SELECT d.checkpoint_id, d.day, d.draw_opens_at, d.opens_at, \
     d.closes_at, d.entrants, d.closed_at, d.seed, d.admitted FROM opening_draws d \
     WHERE d.closed_at IS NULL AND d.closes_at <= $1 ORDER BY d.closes_at LIMIT 100";

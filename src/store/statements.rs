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

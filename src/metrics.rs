//! What the system measures about itself: group-commit figures the benchmarks read directly,
//! and the Prometheus metrics served at `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

static COMMITS_TOTAL: AtomicU64 = AtomicU64::new(0);
static COMMITTED_REQUESTS_TOTAL: AtomicU64 = AtomicU64::new(0);
static COMMIT_BATCH_REQUESTS_MAX: AtomicU64 = AtomicU64::new(0);
static COMMIT_MICROSECONDS_TOTAL: AtomicU64 = AtomicU64::new(0);

/// Counts one durable batch that answered `requests` waiting requests.
pub fn record_commit(requests: usize, elapsed: Duration) {
    metrics::histogram!(prometheus::COMMIT_BATCH_REQUESTS).record(requests as f64);
    metrics::histogram!(prometheus::COMMIT_DURATION).record(elapsed.as_secs_f64());
    let requests = requests as u64;
    COMMITS_TOTAL.fetch_add(1, Ordering::Relaxed);
    COMMITTED_REQUESTS_TOTAL.fetch_add(requests, Ordering::Relaxed);
    COMMIT_BATCH_REQUESTS_MAX.fetch_max(requests, Ordering::Relaxed);
    COMMIT_MICROSECONDS_TOTAL.fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
}

/// Counts a day's write sent while the day's previous one was committing.
pub fn record_chained_write() {
    metrics::counter!(prometheus::CHAINED_WRITES).increment(1);
}

/// Counts a commit whose answer was lost, by what looking it up found (committed,
/// not_committed, unknown).
pub fn record_commit_resolution(outcome: &'static str) {
    metrics::counter!(prometheus::COMMIT_RESOLUTIONS, "outcome" => outcome).increment(1);
}

/// Counts store calls given up because the database did not answer in time.
pub fn record_store_deadline_missed() {
    metrics::counter!(prometheus::STORE_DEADLINES_MISSED).increment(1);
}

/// Counts holds that ran out unconfirmed, by checkpoint.
pub fn record_holds_expired(checkpoint: &str, holds: usize) {
    metrics::counter!(prometheus::HOLDS_EXPIRED, "checkpoint" => checkpoint.to_owned())
        .increment(holds as u64);
}

/// Counts a request that entered a checkpoint's opening draw.
pub fn record_draw_entered(checkpoint: &str) {
    metrics::counter!(prometheus::DRAW_ENTRANTS, "checkpoint" => checkpoint.to_owned())
        .increment(1);
}

/// Counts a durable opening draw: its entrants, and how many of them got a place.
pub fn record_draw(checkpoint: &str, entrants: u32, admitted: u32) {
    metrics::counter!(prometheus::DRAWS, "checkpoint" => checkpoint.to_owned()).increment(1);
    metrics::counter!(prometheus::DRAW_ADMITTED, "checkpoint" => checkpoint.to_owned())
        .increment(u64::from(admitted));
    metrics::counter!(prometheus::DRAW_REFUSED, "checkpoint" => checkpoint.to_owned())
        .increment(u64::from(entrants.saturating_sub(admitted)));
}

/// Counts what a decision did to the waitlist, from its events, by checkpoint.
pub fn record_waitlist(checkpoint: &str, events: &[crate::domain::DomainEvent]) {
    use crate::domain::EventType;
    for event in events {
        let outcome = match event.event_type {
            EventType::WaitlistJoined => "joined",
            EventType::WaitlistOffered => "offered",
            EventType::WaitlistAccepted => "accepted",
            EventType::WaitlistExpired => "expired",
            EventType::WaitlistLeft => "left",
            _ => continue,
        };
        metrics::counter!(
            prometheus::WAITLIST_EVENTS,
            "checkpoint" => checkpoint.to_owned(),
            "outcome" => outcome
        )
        .increment(1);
    }
}

/// Sets the number of drivers waiting (or holding an offer) on one checkpoint day.
pub fn record_waitlist_length(checkpoint: &str, day: chrono::NaiveDate, active: usize) {
    metrics::gauge!(
        prometheus::WAITLIST_LENGTH,
        "checkpoint" => checkpoint.to_owned(),
        "day" => day.to_string()
    )
    .set(active as f64);
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitStats {
    pub commits: u64,
    pub requests: u64,
    pub batch_requests_max: u64,
    pub commit_micros: u64,
}

impl CommitStats {
    pub fn read() -> Self {
        Self {
            commits: COMMITS_TOTAL.load(Ordering::Relaxed),
            requests: COMMITTED_REQUESTS_TOTAL.load(Ordering::Relaxed),
            batch_requests_max: COMMIT_BATCH_REQUESTS_MAX.load(Ordering::Relaxed),
            commit_micros: COMMIT_MICROSECONDS_TOTAL.load(Ordering::Relaxed),
        }
    }

    /// What happened between `earlier` and `self`; `batch_requests_max` stays the largest batch
    /// since the process started.
    pub fn since(&self, earlier: &CommitStats) -> CommitStats {
        CommitStats {
            commits: self.commits - earlier.commits,
            requests: self.requests - earlier.requests,
            batch_requests_max: self.batch_requests_max,
            commit_micros: self.commit_micros - earlier.commit_micros,
        }
    }

    pub fn mean_batch(&self) -> f64 {
        if self.commits == 0 {
            0.0
        } else {
            self.requests as f64 / self.commits as f64
        }
    }
}

/// Prometheus metrics: every name, its unit and its help text live here.
pub mod prometheus {
    use std::sync::OnceLock;

    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

    pub const HTTP_REQUESTS_IN_FLIGHT: &str = "borderslot_http_requests_in_flight";
    pub const HTTP_REQUEST_DURATION: &str = "borderslot_http_request_duration_seconds";
    pub const BOOKINGS: &str = "borderslot_bookings_total";
    pub const SCHEDULE_QUEUE_DEPTH: &str = "borderslot_schedule_actor_queue_depth";
    pub const COMMIT_BATCH_REQUESTS: &str = "borderslot_store_commit_batch_requests";
    pub const COMMIT_DURATION: &str = "borderslot_store_commit_duration_seconds";
    pub const COMMIT_RESOLUTIONS: &str = "borderslot_store_commit_resolutions_total";
    pub const CHAINED_WRITES: &str = "borderslot_store_chained_writes_total";
    pub const STORE_DEADLINES_MISSED: &str = "borderslot_store_deadlines_missed_total";
    pub const IDEMPOTENT_REPLAYS: &str = "borderslot_idempotent_replays_total";
    pub const OUTBOX_BACKLOG: &str = "borderslot_outbox_backlog_events";
    pub const RELAY_LAG: &str = "borderslot_outbox_relay_lag_seconds";
    pub const EVENTS_PUBLISHED: &str = "borderslot_events_published_total";
    pub const CONSUMER_LAG: &str = "borderslot_event_consumer_lag_seconds";
    pub const EVENTS_CONSUMED: &str = "borderslot_events_consumed_total";
    pub const EVENTS_DEAD_LETTERED: &str = "borderslot_events_dead_lettered_total";
    pub const DEAD_LETTER_EVENTS: &str = "borderslot_dead_letter_events";
    pub const EVENTS_SKIPPED: &str = "borderslot_events_skipped_total";
    pub const UTILISATION: &str = "borderslot_checkpoint_utilisation_ratio";
    pub const RATE_LIMITED: &str = "borderslot_rate_limit_rejections_total";
    pub const HOLDS_EXPIRED: &str = "borderslot_holds_expired_total";
    pub const DRAW_ENTRANTS: &str = "borderslot_draw_entrants_total";
    pub const DRAWS: &str = "borderslot_draws_total";
    pub const DRAW_ADMITTED: &str = "borderslot_draw_admitted_total";
    pub const DRAW_REFUSED: &str = "borderslot_draw_refused_total";
    pub const WAITLIST_LENGTH: &str = "borderslot_waitlist_entries";
    pub const WAITLIST_EVENTS: &str = "borderslot_waitlist_events_total";

    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

    /// Installs the process-wide recorder (once; later calls return the same handle).
    pub fn install() -> PrometheusHandle {
        HANDLE
            .get_or_init(|| {
                let seconds = [
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ];
                let batch = [
                    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0,
                ];
                let handle = PrometheusBuilder::new()
                    .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &seconds)
                    .and_then(|b| {
                        b.set_buckets_for_metric(
                            Matcher::Full(COMMIT_BATCH_REQUESTS.into()),
                            &batch,
                        )
                    })
                    .expect("bucket lists are not empty")
                    .install_recorder()
                    // Another recorder (a benchmark's, say) was installed first: keep a
                    // private one so /metrics still answers.
                    .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder().handle());
                describe();
                handle
            })
            .clone()
    }

    fn describe() {
        describe_gauge!(HTTP_REQUESTS_IN_FLIGHT, "HTTP requests being served now");
        describe_histogram!(
            HTTP_REQUEST_DURATION,
            Unit::Seconds,
            "Time to answer an HTTP request, by method, route template and status"
        );
        describe_counter!(
            BOOKINGS,
            "Booking attempts by checkpoint and result (created, refused, invalid, unavailable)"
        );
        describe_gauge!(
            SCHEDULE_QUEUE_DEPTH,
            "Requests sent to a checkpoint's schedule actors and not answered yet (mailbox and group commit)"
        );
        describe_histogram!(
            COMMIT_BATCH_REQUESTS,
            "Requests answered by one group-commit store transaction"
        );
        describe_histogram!(
            COMMIT_DURATION,
            Unit::Seconds,
            "Time to write one group-commit batch durably"
        );
        describe_counter!(
            CHAINED_WRITES,
            "Schedule batches sent while the day's previous batch was committing (they commit after it, and only if it did)"
        );
        describe_counter!(
            COMMIT_RESOLUTIONS,
            "Commits whose answer the connection lost, by what looking them up found (committed, not_committed, unknown)"
        );
        describe_counter!(
            STORE_DEADLINES_MISSED,
            "Store calls given up because the database gave no answer within the deadline"
        );
        describe_counter!(
            IDEMPOTENT_REPLAYS,
            "Requests answered with the stored answer of their Idempotency-Key"
        );
        describe_gauge!(OUTBOX_BACKLOG, "Events written but not yet published");
        describe_gauge!(
            RELAY_LAG,
            Unit::Seconds,
            "Age of the oldest unpublished event (0 when none wait)"
        );
        describe_counter!(
            EVENTS_PUBLISHED,
            "Events published and confirmed by the bus"
        );
        describe_gauge!(
            CONSUMER_LAG,
            Unit::Seconds,
            "Age of the last event a consumer group handled, when it handled it"
        );
        describe_counter!(
            EVENTS_CONSUMED,
            "Deliveries to consumer groups by outcome (done, failed)"
        );
        describe_counter!(
            EVENTS_DEAD_LETTERED,
            "Events a consumer group gave up on after its attempts"
        );
        describe_gauge!(
            DEAD_LETTER_EVENTS,
            "Events waiting in a consumer group's dead-letter queue, for any reason, as the broker counts them"
        );
        describe_counter!(
            EVENTS_SKIPPED,
            "Events a consumer group acknowledged without work, by reason (unknown_type: of a newer release)"
        );
        describe_counter!(
            RATE_LIMITED,
            "Requests refused with 429, by limit (requests, holds)"
        );
        describe_counter!(
            HOLDS_EXPIRED,
            "Holds that ran out unconfirmed, by checkpoint"
        );
        describe_counter!(
            DRAW_ENTRANTS,
            "Requests that entered an opening draw (and were answered 202), by checkpoint"
        );
        describe_counter!(DRAWS, "Opening draws run, by checkpoint");
        describe_counter!(
            DRAW_ADMITTED,
            "Entrants of opening draws that got the booking they asked for, by checkpoint"
        );
        describe_counter!(
            DRAW_REFUSED,
            "Entrants of opening draws refused when their turn came (the window full, the plate booked, …), by checkpoint"
        );
        describe_gauge!(
            WAITLIST_LENGTH,
            "Drivers waiting for a place or holding an offer, by checkpoint and day (of days whose schedule is in memory)"
        );
        describe_counter!(
            WAITLIST_EVENTS,
            "What happened on the waitlist, by checkpoint and outcome (joined, offered, accepted, expired, left)"
        );
        describe_gauge!(
            UTILISATION,
            "Share of today's and tomorrow's places taken, by checkpoint"
        );
    }
}

//! Allocation throughput.
//!
//! - `domain/decisions`: one `DaySchedule` in memory, no actor and no store: `hold` followed by
//!   `cancel` of the same booking, so capacity never runs out. Two decisions per iteration.
//! - `actor/in_memory`: holds sent through `ScheduleRegistry::ask` to one `ScheduleActor`
//!   backed by the real SQLite store in memory, with `IN_FLIGHT` requests outstanding.
//! - `actor/embedded_file/group_commit_{off,on}`: the same workload against the embedded store
//!   on a file (WAL, `synchronous=FULL`), one transaction per request (`batch_size_max: 1`)
//!   and group commit (`batch_size_max: 1024`), reported side by side. After each of them the
//!   group-commit batch sizes reached are printed from `borderslot::metrics::CommitStats`.
//!
//! Every actor measurement runs a fresh store and registry per `ACTOR_CHUNK` holds, so the day
//! an actor holds stays at a realistic size whatever iteration count criterion picks; setup,
//! the first load of the day and shutdown are not timed. The file store lives in a temporary
//! directory under `TMPDIR` (or `/tmp`), which must be a real disk for the durable figures to
//! mean anything.
//!
//! Run with `cargo bench --bench allocation`; see BENCHMARKS.md.

use std::future::ready;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::SystemRunner;
use borderslot::actors::schedule::{Hold, QueryAvailability};
use borderslot::actors::{ActorSettings, ScheduleRegistry};
use borderslot::clock::ManualClock;
use borderslot::domain::window::generate_windows;
use borderslot::domain::{
    BookingCode, BookingId, Checkpoint, DaySchedule, HoldRequest, Policy, PriorityClass, WindowKey,
};
use borderslot::metrics::CommitStats;
use borderslot::seed::bench_checkpoint;
use borderslot::store::SlotStore;
use borderslot::store::embedded::EmbeddedStore;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures_util::StreamExt;

/// Requests outstanding at once against one actor.
const IN_FLIGHT: usize = 256;
/// Holds sent to one fresh actor, store and day before they are replaced.
const ACTOR_CHUNK: u64 = 4096;
/// Hold/cancel pairs decided on one fresh `DaySchedule` before it is replaced.
const DOMAIN_CHUNK: u64 = 10_000;
/// A SHA-256 digest in the stored form; its value does not matter here.
const TOKEN_DIGEST: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn bench_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 20, 6, 0, 0)
        .single()
        .expect("a valid instant")
}

/// The day after `bench_now`: every window of it is still open for booking.
fn bench_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 21).expect("a valid date")
}

fn window_keys(checkpoint: &Checkpoint) -> Vec<WindowKey> {
    generate_windows(checkpoint, bench_day())
        .into_iter()
        .map(|w| w.key)
        .collect()
}

/// `count` hold requests spread round-robin over `keys`.
fn hold_requests(keys: &[WindowKey], count: u64) -> Vec<HoldRequest> {
    let mut rng = rand::rng();
    (0..count as usize)
        .map(|i| HoldRequest {
            id: BookingId::generate(),
            code: BookingCode::generate(&mut rng),
            manage_token_digest: TOKEN_DIGEST.to_owned(),
            window: keys[i % keys.len()],
            plate: None,
            contact: None,
            priority: PriorityClass::Normal,
            confirm: false,
            carrier: None,
            owner: None,
        })
        .collect()
}

fn domain_decisions(c: &mut Criterion) {
    let checkpoint = bench_checkpoint();
    let windows = generate_windows(&checkpoint, bench_day());
    let keys = window_keys(&checkpoint);
    let policy = Policy::default();
    let now = bench_now();

    let mut group = c.benchmark_group("domain");
    // One iteration is a hold and the cancel of that hold.
    group.throughput(Throughput::Elements(2));
    group.bench_function("decisions", |b| {
        b.iter_custom(|iters| {
            let mut elapsed = Duration::ZERO;
            let mut done = 0;
            while done < iters {
                let n = (iters - done).min(DOMAIN_CHUNK);
                let mut day = DaySchedule::from_parts(
                    checkpoint.id.clone(),
                    checkpoint.time_zone,
                    bench_day(),
                    windows.clone(),
                    Vec::new(),
                )
                .expect("fresh windows form a consistent day");
                let requests = hold_requests(&keys, n);
                let started = Instant::now();
                for request in requests {
                    let (booking, held) = day.hold(request, &policy, now).expect("hold");
                    let cancelled = day.cancel(booking.id, now).expect("cancel");
                    black_box((held, cancelled));
                }
                elapsed += started.elapsed();
                done += n;
            }
            elapsed
        });
    });
    group.finish();
}

/// Store, checkpoint, clock and registry for one chunk of holds; built inside the running
/// system because the registry starts arbiters.
async fn start_registry(store: Arc<dyn SlotStore>, settings: ActorSettings) -> ScheduleRegistry {
    let checkpoint = bench_checkpoint();
    store
        .upsert_checkpoint(&checkpoint)
        .await
        .expect("store the checkpoint");
    let clock = Arc::new(ManualClock::new(bench_now()));
    let registry = ScheduleRegistry::new(
        vec![checkpoint.clone()],
        store,
        clock,
        Policy::default(),
        settings,
    );
    // Start the actor and load (and create) the day before anything is timed.
    registry
        .ask(&checkpoint.id, bench_day(), QueryAvailability)
        .await
        .expect("the day loads");
    registry
}

/// Sends `requests` as holds with `IN_FLIGHT` outstanding; returns how long until every one
/// was answered (and, the actor answering only then, made durable).
async fn send_holds(registry: &ScheduleRegistry, requests: Vec<HoldRequest>) -> Duration {
    let checkpoint = bench_checkpoint().id;
    let checkpoint = &checkpoint;
    let day = bench_day();
    let started = Instant::now();
    futures_util::stream::iter(requests)
        .map(|request| registry.ask(checkpoint, day, Hold(request)))
        .buffer_unordered(IN_FLIGHT)
        .for_each(|outcome| {
            black_box(outcome.expect("hold"));
            ready(())
        })
        .await;
    started.elapsed()
}

fn actor_settings(batch_size_max: usize) -> ActorSettings {
    ActorSettings {
        batch_size_max,
        // Without group commit a request can wait for hundreds of flushes ahead of it.
        request_timeout: Duration::from_secs(300),
        ..ActorSettings::default()
    }
}

/// Runs `iters` holds in chunks, each on a fresh store made by `open_store`, and returns the
/// time spent sending and awaiting them.
fn run_actor_holds<S>(
    system: &SystemRunner,
    iters: u64,
    settings: ActorSettings,
    mut open_store: S,
) -> Duration
where
    S: FnMut() -> (Arc<dyn SlotStore>, Option<tempfile::TempDir>),
{
    let keys = window_keys(&bench_checkpoint());
    let mut elapsed = Duration::ZERO;
    let mut done = 0;
    while done < iters {
        let n = (iters - done).min(ACTOR_CHUNK);
        let (store, dir) = open_store();
        let requests = hold_requests(&keys, n);
        elapsed += system.block_on(async {
            let registry = start_registry(store, settings).await;
            let took = send_holds(&registry, requests).await;
            registry.shutdown(Duration::from_secs(5)).await;
            took
        });
        drop(dir);
        done += n;
    }
    elapsed
}

fn in_memory_store() -> (Arc<dyn SlotStore>, Option<tempfile::TempDir>) {
    let store = EmbeddedStore::in_memory().expect("open an in-memory store");
    (Arc::new(store), None)
}

fn file_store() -> (Arc<dyn SlotStore>, Option<tempfile::TempDir>) {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let store =
        EmbeddedStore::open(&dir.path().join("borderslot.db")).expect("open the embedded store");
    (Arc::new(store), Some(dir))
}

fn report_commits(name: &str, before: &CommitStats) {
    let stats = CommitStats::read().since(before);
    if stats.requests == 0 {
        // The benchmark was filtered out of this run.
        return;
    }
    eprintln!(
        "{name}: {} requests in {} commits; mean batch {:.1}, max batch {}, mean commit {:.0} us",
        stats.requests,
        stats.commits,
        stats.mean_batch(),
        stats.batch_requests_max,
        if stats.commits == 0 {
            0.0
        } else {
            stats.commit_micros as f64 / stats.commits as f64
        },
    );
}

/// Group commit off, then on, against the durable file store. Off runs first: the recorded
/// maximum batch size is process-wide, so this order keeps both printed maxima meaningful.
fn actor_embedded_file(c: &mut Criterion) {
    let system = actix::System::new();
    let mut group = c.benchmark_group("actor/embedded_file");
    group.throughput(Throughput::Elements(1));
    for (name, batch_size_max) in [("group_commit_off", 1), ("group_commit_on", 1024)] {
        let settings = actor_settings(batch_size_max);
        let before = CommitStats::read();
        group.bench_function(name, |b| {
            b.iter_custom(|iters| run_actor_holds(&system, iters, settings, file_store));
        });
        report_commits(&format!("actor/embedded_file/{name}"), &before);
    }
    group.finish();
}

fn actor_in_memory(c: &mut Criterion) {
    let system = actix::System::new();
    let settings = actor_settings(ActorSettings::default().batch_size_max);
    let mut group = c.benchmark_group("actor");
    group.throughput(Throughput::Elements(1));
    let before = CommitStats::read();
    group.bench_function("in_memory", |b| {
        b.iter_custom(|iters| run_actor_holds(&system, iters, settings, in_memory_store));
    });
    report_commits("actor/in_memory", &before);
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5))
}

criterion_group! {
    name = benches;
    config = config();
    targets = domain_decisions, actor_embedded_file, actor_in_memory
}
criterion_main!(benches);

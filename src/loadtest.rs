//! `borderslot loadtest`: drives a running instance over HTTP (loopback only, bounded in time)
//! and ends with an audit of the store it writes to.
//!
//! Scenarios:
//! - `rush`: every client books (hold + confirm) one checkpoint day until the time is up — the
//!   morning a booking window opens. Bookings (201) and the sold-out answers (409, decided from
//!   memory) are reported as separate figures.
//! - `uniform`: bookings spread over every checkpoint, day, direction and category.
//! - `mixed`: 80% availability reads, 15% bookings, 5% cancels and moves of earlier bookings.

use std::collections::{BTreeMap, HashSet};
use std::rc::Rc;
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use anyhow::Context;
use awc::http::Method;
use clap::{Args, ValueEnum};
use rand::Rng;
use rand::seq::IndexedRandom;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::BookingCode;
use crate::store::SlotStore;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    Rush,
    Uniform,
    Mixed,
}

#[derive(Debug, Clone, Args)]
pub struct LoadtestArgs {
    /// Base URL of the instance under test; loopback only.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub target: Vec<String>,
    #[arg(long, value_enum, default_value_t = Scenario::Rush)]
    pub scenario: Scenario,
    /// Concurrent clients, each with one request in flight.
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    /// How long to run.
    #[arg(long, default_value_t = 20)]
    pub duration_seconds: u64,
    /// Only this checkpoint (`rush` always books one; `uniform` and `mixed` use every
    /// checkpoint unless this is given).
    #[arg(long)]
    pub checkpoint: Option<String>,
    /// Days ahead of today of the `rush` day.
    #[arg(long, default_value_t = 7)]
    pub rush_day_offset: i64,
    /// Send an `Idempotency-Key` with every booking, cancel and move, as a careful client
    /// does (`--idempotency-keys false` measures clients that send none).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub idempotency_keys: bool,
    /// Book as this many carriers, each client signing with one of their API keys
    /// (`Authorization: Bearer bsk_…`); the keys are made in the store (DATABASE_URL or
    /// DATA_DIR) with rates and caps that the run cannot reach. 0: anonymous drivers.
    #[arg(long, default_value_t = 0)]
    pub carriers: usize,
    /// Audit the store after the run (DATABASE_URL or DATA_DIR says which).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub audit: bool,
}

/// The checkpoint a `rush` books when none is named: the one `seed --bench-checkpoint` makes.
const RUSH_CHECKPOINT_DEFAULT: &str = "bench";

/// One window a client may book.
#[derive(Debug, Clone)]
struct Target {
    checkpoint: String,
    direction: String,
    category: String,
    start: String,
    day: String,
}

/// What was asked and the status it got; 0 when no answer came.
type Outcome = (&'static str, u16);

#[derive(Debug, Default)]
struct Tally {
    latencies: BTreeMap<Outcome, Vec<Duration>>,
    created: Vec<(String, String)>,
    cancelled: Vec<String>,
}

impl Tally {
    fn record(&mut self, outcome: Outcome, elapsed: Duration) {
        self.latencies.entry(outcome).or_default().push(elapsed);
    }
}

/// A booking as the clients ask for it: serialised straight from borrowed fields, since the
/// generator shares the machine with the server it measures and every microsecond it spends
/// per request is one the server does not get.
#[derive(Serialize)]
struct BookingRequest<'a> {
    checkpoint: &'a str,
    direction: &'a str,
    category: &'a str,
    window_start: &'a str,
    plate: &'a str,
    contact: &'a str,
    confirm: bool,
}

#[derive(Serialize)]
struct RescheduleRequest<'a> {
    window_start: &'a str,
}

/// The two fields of a booking's answer a client keeps; the rest is skipped unread.
#[derive(Deserialize)]
struct Created {
    code: String,
    manage_token: String,
}

fn is_loopback(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', ':']).next().unwrap_or("");
    host == "127.0.0.1" || host == "localhost" || rest.starts_with("[::1]")
}

async fn fetch_json(client: &awc::Client, url: &str) -> anyhow::Result<Value> {
    let mut response = client
        .get(url)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("GET {url}: {e}"))?;
    response
        .json::<Value>()
        .limit(64 * 1024 * 1024)
        .await
        .with_context(|| format!("GET {url} returned no JSON"))
}

/// Every bookable window the scenario may pick, read from the instance's availability.
async fn discover(args: &LoadtestArgs, client: &awc::Client) -> anyhow::Result<Vec<Target>> {
    let base = &args.target[0];
    let checkpoints = fetch_json(client, &format!("{base}/api/v1/checkpoints")).await?;
    let mut targets = Vec::new();
    for checkpoint in checkpoints["checkpoints"].as_array().into_iter().flatten() {
        let id = checkpoint["id"].as_str().unwrap_or_default().to_owned();
        let wanted = match (&args.checkpoint, args.scenario) {
            (Some(only), _) => only == &id,
            (None, Scenario::Rush) => id == RUSH_CHECKPOINT_DEFAULT,
            (None, _) => true,
        };
        if !wanted {
            continue;
        }
        let days: Vec<i64> = match args.scenario {
            Scenario::Rush => vec![args.rush_day_offset],
            _ => (1..=28).collect(),
        };
        for offset in days {
            let day = (chrono::Utc::now() + chrono::Duration::days(offset)).date_naive();
            let url = format!("{base}/api/v1/checkpoints/{id}/availability?date={day}");
            let availability = fetch_json(client, &url).await?;
            for window in availability["windows"].as_array().into_iter().flatten() {
                if window["bookable"] == true {
                    targets.push(Target {
                        checkpoint: id.clone(),
                        direction: window["direction"].as_str().unwrap_or_default().into(),
                        category: window["category"].as_str().unwrap_or_default().into(),
                        start: window["start"].as_str().unwrap_or_default().into(),
                        day: day.to_string(),
                    });
                }
            }
        }
    }
    anyhow::ensure!(!targets.is_empty(), "no bookable windows found at {base}");
    Ok(targets)
}

/// One request: `token` is a booking's manage token, `key` an idempotency key; the client
/// signs it with its carrier's API key if it has one. The answer's body is read whole (so the
/// connection stays open for the next request) and handed back unparsed.
async fn send(
    client: &awc::Client,
    method: Method,
    url: &str,
    (token, key): (Option<&str>, Option<&str>),
    body: Option<Vec<u8>>,
) -> (u16, Bytes) {
    let mut request = client.request(method, url);
    if let Some(token) = token {
        request = request.insert_header(("x-manage-token", token));
    }
    if let Some(key) = key {
        request = request.insert_header(("idempotency-key", key));
    }
    let sent = match body {
        Some(body) => {
            request
                .insert_header((awc::http::header::CONTENT_TYPE, "application/json"))
                .send_body(body)
                .await
        }
        None => request.send().await,
    };
    match sent {
        Ok(mut response) => {
            let status = response.status().as_u16();
            let body = response
                .body()
                .limit(64 * 1024 * 1024)
                .await
                .unwrap_or_default();
            (status, body)
        }
        Err(_) => (0, Bytes::new()),
    }
}

fn json_body(value: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(value).expect("a request body of strings and flags serialises")
}

async fn run_client(
    index: usize,
    args: Rc<LoadtestArgs>,
    targets: Rc<Vec<Target>>,
    (run_id, carrier_key): (String, Option<String>),
    deadline: Instant,
) -> Tally {
    let mut client = awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .disable_redirects();
    if let Some(key) = carrier_key {
        client =
            client.add_default_header((awc::http::header::AUTHORIZATION, format!("Bearer {key}")));
    }
    let client = client.finish();
    let base = args.target[index % args.target.len()].clone();
    let mut tally = Tally::default();
    let mut mine: Vec<(String, String)> = Vec::new();
    let mut counter = 0u64;
    let bookings_url = format!("{base}/api/v1/bookings");
    while Instant::now() < deadline {
        counter += 1;
        let key = args
            .idempotency_keys
            .then(|| crate::domain::random_id().to_string());
        let key = key.as_deref();
        let roll: u32 = rand::rng().random_range(0..100);
        let target = targets
            .choose(&mut rand::rng())
            .expect("targets are not empty");
        let started = Instant::now();
        let outcome = if args.scenario == Scenario::Mixed && roll < 80 {
            let url = format!(
                "{base}/api/v1/checkpoints/{}/availability?date={}&direction={}&category={}",
                target.checkpoint, target.day, target.direction, target.category
            );
            let (status, _) = send(&client, Method::GET, &url, (None, None), None).await;
            ("availability", status)
        } else if args.scenario == Scenario::Mixed && roll >= 95 && !mine.is_empty() {
            let pick = rand::rng().random_range(0..mine.len());
            let (code, token) = mine.swap_remove(pick);
            if roll.is_multiple_of(2) {
                let url = format!("{base}/api/v1/bookings/{code}");
                let (status, _) =
                    send(&client, Method::DELETE, &url, (Some(&token), key), None).await;
                if status == 200 {
                    tally.cancelled.push(code);
                }
                ("cancel", status)
            } else {
                let url = format!("{base}/api/v1/bookings/{code}/reschedule");
                let body = json_body(&RescheduleRequest {
                    window_start: &target.start,
                });
                let (status, _) =
                    send(&client, Method::POST, &url, (Some(&token), key), Some(body)).await;
                mine.push((code, token));
                ("reschedule", status)
            }
        } else {
            let plate = format!("{run_id}{index:03}{counter:05}");
            let body = json_body(&BookingRequest {
                checkpoint: &target.checkpoint,
                direction: &target.direction,
                category: &target.category,
                window_start: &target.start,
                plate: &plate,
                contact: "load@example.com",
                confirm: true,
            });
            let (status, answer) = send(
                &client,
                Method::POST,
                &bookings_url,
                (None, key),
                Some(body),
            )
            .await;
            if status == 201 {
                let created = serde_json::from_slice::<Created>(&answer)
                    .map(|c| (c.code, c.manage_token))
                    .unwrap_or_default();
                if args.scenario == Scenario::Mixed {
                    mine.push(created.clone());
                }
                tally.created.push(created);
            }
            ("book", status)
        };
        tally.record(outcome, started.elapsed());
    }
    tally
}

/// `count` carriers' API keys, stored directly (the run has the store for its audit), with
/// rates and caps far above anything the run can reach, so that only the keys' own cost shows.
async fn make_carrier_keys(
    count: usize,
    store: Option<&dyn SlotStore>,
    run_id: &str,
) -> anyhow::Result<Vec<String>> {
    if count == 0 {
        return Ok(Vec::new());
    }
    let store = store.context("--carriers needs the store (DATABASE_URL or DATA_DIR)")?;
    let mut keys = Vec::with_capacity(count);
    for index in 0..count {
        let issued = crate::auth::api_key::issue(&mut rand::rng());
        let key = crate::auth::ApiKey {
            id: issued.id,
            name: format!("load carrier {run_id}{index}"),
            digest: issued.digest,
            privileged: false,
            requests_per_second: 1_000_000,
            burst: 1_000_000,
            active_bookings_max: 100_000_000,
            created_at: chrono::Utc::now(),
            revoked: false,
        };
        store.create_api_key(&key, None).await?;
        keys.push(issued.key);
    }
    Ok(keys)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs the scenario, prints the figures, audits the store; an error means a violation.
pub async fn run(
    args: LoadtestArgs,
    store: Option<std::sync::Arc<dyn SlotStore>>,
) -> anyhow::Result<()> {
    for target in &args.target {
        anyhow::ensure!(
            is_loopback(target),
            "load tests target loopback only, not {target}"
        );
    }
    let setup_client = awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .finish();
    let targets = Rc::new(discover(&args, &setup_client).await?);
    let run_id: String = (0..3)
        .map(|_| char::from(b'A' + rand::rng().random_range(0..26u8)))
        .collect();
    let carrier_keys = make_carrier_keys(args.carriers, store.as_deref(), &run_id).await?;
    let args = Rc::new(args);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.duration_seconds.max(1));
    // Collected so that every client starts now, not when the previous one is awaited.
    let clients: Vec<_> = (0..args.clients.max(1))
        .map(|index| {
            actix_web::rt::spawn(run_client(
                index,
                args.clone(),
                targets.clone(),
                (
                    run_id.clone(),
                    (!carrier_keys.is_empty())
                        .then(|| carrier_keys[index % carrier_keys.len()].clone()),
                ),
                deadline,
            ))
        })
        .collect();
    let mut total = Tally::default();
    for handle in clients {
        let tally = handle.await.context("a load client failed")?;
        for (label, mut latencies) in tally.latencies {
            total
                .latencies
                .entry(label)
                .or_default()
                .append(&mut latencies);
        }
        total.created.extend(tally.created);
        total.cancelled.extend(tally.cancelled);
    }
    let elapsed = started.elapsed().as_secs_f64();

    println!(
        "scenario {:?}: {} clients, {:.1} s, {} windows to choose from, idempotency keys {}, \
         carriers {}",
        args.scenario,
        args.clients,
        elapsed,
        targets.len(),
        if args.idempotency_keys { "on" } else { "off" },
        args.carriers
    );
    println!(
        "{:<22} {:>9} {:>10} {:>9} {:>9} {:>9} {:>9}",
        "request status", "count", "per second", "p50 ms", "p90 ms", "p99 ms", "max ms"
    );
    let mut requests = 0;
    for ((request, status), latencies) in &mut total.latencies {
        latencies.sort();
        requests += latencies.len();
        println!(
            "{:<22} {:>9} {:>10.0} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
            format!("{request} {status}"),
            latencies.len(),
            latencies.len() as f64 / elapsed,
            ms(percentile(latencies, 50.0)),
            ms(percentile(latencies, 90.0)),
            ms(percentile(latencies, 99.0)),
            ms(*latencies.last().unwrap_or(&Duration::ZERO)),
        );
    }
    println!(
        "all requests {requests} ({:.0}/s); confirmed bookings {} ({:.0}/s)",
        requests as f64 / elapsed,
        total.created.len(),
        total.created.len() as f64 / elapsed
    );
    let failures: usize = total
        .latencies
        .iter()
        .filter(|((_, status), _)| *status == 0 || (500..600).contains(status))
        .map(|(_, l)| l.len())
        .sum();

    let Some(store) = store.filter(|_| args.audit) else {
        anyhow::ensure!(
            failures == 0,
            "{failures} requests failed (5xx or no answer)"
        );
        return Ok(());
    };
    let report = store.audit().await?;
    let cancelled: HashSet<&str> = total.cancelled.iter().map(String::as_str).collect();
    let mut missing = 0;
    for (code, _) in &total.created {
        let Ok(code) = BookingCode::parse(code) else {
            missing += 1;
            continue;
        };
        match store.find_booking(&code).await? {
            Some(booking)
                if booking.status.is_active() || cancelled.contains(code.to_string().as_str()) => {}
            _ => missing += 1,
        }
    }
    println!(
        "audit: {} windows, {} active bookings; over capacity {}, miscounted {}, plates twice {}, \
         2xx bookings missing {missing}",
        report.windows,
        report.active_bookings,
        report.windows_over_capacity,
        report.windows_miscounted,
        report.plates_booked_twice
    );
    anyhow::ensure!(
        report.violations() == 0 && missing == 0,
        "audit found {} violations and {missing} missing bookings",
        report.violations()
    );
    anyhow::ensure!(
        failures == 0,
        "{failures} requests failed (5xx or no answer)"
    );
    Ok(())
}

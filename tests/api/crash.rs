//! Retries after a crash: the real binary is killed with SIGKILL at random moments while
//! careful clients book with an `Idempotency-Key` on every request, then restarted, and every
//! request is sent again with its own key and body. Each acknowledged answer must come back
//! byte for byte, no key may still be "in progress", and no key may have acted twice.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::NaiveDate;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::helpers::{Backend, Origin, fresh_origin};
use crate::restart::{Server, command, start_server_with};

const CLIENTS: usize = 16;
/// More than a client gets through before the kill, so the kill lands mid-traffic.
const REQUESTS_PER_CLIENT: usize = 24;
const ROUNDS: usize = 3;
/// Window hours the requests spread over (narva's cars: 36 public places an hour).
const HOURS: std::ops::Range<u32> = 0..21;

/// One request as a careful client keeps it: its key, its body, and the first answer it got.
#[derive(Debug, Clone)]
struct Request {
    key: String,
    body: Value,
    /// Whether it was sent at all before the process died.
    sent: bool,
    answer: Option<Answer>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Answer {
    status: u16,
    body: String,
    replayed: bool,
}

fn server(origin: &Origin, data_dir: &std::path::Path) -> Server {
    start_server_with(
        origin,
        &[
            (
                "JWT_SECRET",
                "a test secret that is long enough to sign with",
            ),
            ("DATA_DIR", data_dir.to_str().unwrap()),
        ],
    )
}

async fn send(client: &awc::Client, address: &str, request: &Request) -> Option<Answer> {
    let mut response = client
        .post(format!("{address}/api/v1/bookings"))
        .insert_header(("idempotency-key", request.key.as_str()))
        .send_json(&request.body)
        .await
        .ok()?;
    let body = response.body().limit(1 << 20).await.ok()?;
    Some(Answer {
        status: response.status().as_u16(),
        body: String::from_utf8_lossy(&body).into_owned(),
        replayed: response.headers().contains_key("idempotent-replayed"),
    })
}

/// A mix of what drivers send: confirmed bookings with a plate, and bare holds without one
/// (which the plate index cannot stop from being made twice, so they show a double effect).
fn new_requests(rng: &mut StdRng, round: usize, client: usize, day: NaiveDate) -> Vec<Request> {
    (0..REQUESTS_PER_CLIENT)
        .map(|n| {
            let hour = rng.random_range(HOURS);
            let window_start = format!("{day}T{hour:02}:00:00Z");
            let body = if rng.random_bool(0.7) {
                json!({
                    "checkpoint": "narva", "direction": "entry", "category": "car",
                    "window_start": window_start, "plate": format!("K{round}{client:02}{n:02}"),
                    "contact": format!("driver{round}-{client}-{n}@example.com"), "confirm": true,
                })
            } else {
                json!({
                    "checkpoint": "narva", "direction": "entry", "category": "car",
                    "window_start": window_start,
                })
            };
            Request {
                key: format!("crash-{round}-{client}-{n}-{}", rng.random::<u32>()),
                body,
                sent: false,
                answer: None,
            }
        })
        .collect()
}

/// Places the public can still book in the day's windows, by start.
async fn available(client: &awc::Client, address: &str, day: NaiveDate) -> BTreeMap<String, u64> {
    let mut response = client
        .get(format!(
            "{address}/api/v1/checkpoints/narva/availability?date={day}&direction=entry&category=car"
        ))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().limit(1 << 22).await.unwrap();
    body["windows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            let start = w["start"].as_str().unwrap().to_owned();
            (start, w["available"].as_u64().unwrap())
        })
        .collect()
}

crate::on_both_backends!(
    killed_at_random_moments_every_acknowledged_booking_replays_and_no_key_acts_twice
);

async fn killed_at_random_moments_every_acknowledged_booking_replays_and_no_key_acts_twice(
    backend: Backend,
) {
    let Some(origin) = fresh_origin(backend).await else {
        return;
    };
    let scratch = tempfile::tempdir().unwrap();
    let data_dir = match &origin {
        Origin::Embedded(dir) => dir.path().to_path_buf(),
        Origin::Postgres(_) => scratch.path().to_path_buf(),
    };
    let seed = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    let mut rng = StdRng::seed_from_u64(seed);
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(20))
        .finish();
    let day = (chrono::Utc::now() + chrono::Duration::days(3)).date_naive();
    let mut requests: Vec<Request> = Vec::new();
    let mut empty_day = None;

    for round in 0..ROUNDS {
        // Arrange: a server, and clients that start booking at once.
        let mut running = server(&origin, &data_dir);
        if empty_day.is_none() {
            empty_day = Some(available(&client, &running.address, day).await);
        }
        let fresh: Vec<Vec<Request>> = (0..CLIENTS)
            .map(|c| new_requests(&mut rng, round, c, day))
            .collect();
        let kill_after = Duration::from_millis(rng.random_range(20..250));

        // Act: each client books one request after another until the process dies.
        let clients = fresh.into_iter().map(|mut own| {
            let (client, address) = (client.clone(), running.address.clone());
            async move {
                for request in &mut own {
                    request.sent = true;
                    request.answer = send(&client, &address, request).await;
                    if request.answer.is_none() {
                        break;
                    }
                }
                own
            }
        });
        let pid = running.child.id();
        let kill = async {
            tokio::time::sleep(kill_after).await;
            let killed = std::process::Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status()
                .unwrap();
            assert!(killed.success());
        };
        let (sent, ()) = tokio::join!(futures_util::future::join_all(clients), kill);
        let _ = running.child.wait();
        // A client retries what it sent; what it never got to send is not a request.
        requests.extend(sent.into_iter().flatten().filter(|r| r.sent));
        let acknowledged = requests.iter().filter(|r| r.answer.is_some()).count();
        eprintln!(
            "seed {seed}, round {round}: killed after {kill_after:?}, {acknowledged} of {} requests answered",
            requests.len()
        );

        // Assert: after a restart every request, answered or not, is retried with its key.
        let restarted = server(&origin, &data_dir);
        for request in &mut requests {
            let retry = send(&client, &restarted.address, request)
                .await
                .unwrap_or_else(|| panic!("seed {seed}: no answer to {}", request.key));
            assert!(
                !retry.body.contains("idempotency-request-in-flight"),
                "seed {seed}: {} is still in progress after the restart",
                request.key
            );
            assert!(
                retry.status < 500,
                "seed {seed}: {} answered {}: {}",
                request.key,
                retry.status,
                retry.body
            );
            match &request.answer {
                Some(first) if (200..300).contains(&first.status) => {
                    assert_eq!(
                        (retry.status, &retry.body),
                        (first.status, &first.body),
                        "seed {seed}: {} did not replay its first answer",
                        request.key
                    );
                    assert!(
                        retry.replayed,
                        "seed {seed}: {} was not a replay",
                        request.key
                    );
                }
                // A refusal or an answer lost with the process: the retry is the answer now.
                // Every plate is its request's own, so "already booked" could only be the
                // request's own first attempt refusing it.
                _ => {
                    assert!(
                        retry.status == 201
                            || (retry.status == 409 && retry.body.contains("window-full")),
                        "seed {seed}: {} answered {}: {}",
                        request.key,
                        retry.status,
                        retry.body
                    );
                    request.answer = Some(retry);
                }
            }
        }
        let booked: u64 = requests
            .iter()
            .filter(|r| r.answer.as_ref().is_some_and(|a| a.status == 201))
            .count() as u64;
        let now_free = available(&client, &restarted.address, day).await;
        let places: u64 = empty_day
            .iter()
            .flatten()
            .map(|(start, free)| free - now_free[start])
            .sum();
        assert_eq!(
            places, booked,
            "seed {seed}, round {round}: {places} places taken for {booked} keys answered 201 \
             ({acknowledged} acknowledged before the kill)"
        );
        drop(restarted);
    }

    let audit = command(&origin)
        .arg("audit")
        .env("DATA_DIR", &data_dir)
        .output()
        .unwrap();
    assert!(
        audit.status.success(),
        "seed {seed}: {}",
        String::from_utf8_lossy(&audit.stdout)
    );
}

//! Fair openings: a day that opens later is refused with its opening time; requests during the
//! draw period enter the draw (202, durable, idempotent) and are admitted in the published
//! order when it closes, which the tests recompute from the published seed; after the draw the
//! day is first come; a draw runs once, across a killed process and across replicas.

use std::collections::{HashMap, HashSet};
use std::time::Duration as StdDuration;

use borderslot::domain::Checkpoint;
use borderslot::domain::draw::Opening;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{
    Backend, Origin, TestApp, assert_problem, at, counting_checkpoint, fresh_origin, open_store,
    spawn_app_in, spawn_app_on, test_start, tomorrow,
};
use crate::restart::{start_server, start_server_with};

/// Tomorrow opens today at 06:10 UTC (ten minutes after the tests' start), with a draw from
/// 06:05 until 06:11.
fn opening() -> Opening {
    Opening {
        days_ahead: 1,
        local_time: NaiveTime::from_hms_opt(6, 10, 0).unwrap(),
        draw_before_seconds: 300,
        draw_after_seconds: 60,
    }
}

fn draw_checkpoint(id: &str, capacity: u32) -> Checkpoint {
    Checkpoint {
        opening: Some(opening()),
        ..counting_checkpoint(id, capacity, 0)
    }
}

fn today_at(hour: u32, minute: u32, second: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 20, hour, minute, second)
        .unwrap()
}

fn request(checkpoint: &str, window: &str, plate: &str) -> Value {
    json!({
        "checkpoint": checkpoint, "direction": "entry", "category": "car",
        "window_start": window, "plate": plate, "contact": format!("{plate}@example.com"),
        "confirm": true,
    })
}

/// The order a published log's seed gives its entrants, recomputed by the published rule:
/// ascending hex(HMAC-SHA256(seed, entrant id)).
fn recomputed_order(seed_hex: &str, entrants: &[String]) -> Vec<String> {
    let seed: Vec<u8> = (0..seed_hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&seed_hex[i..i + 2], 16).unwrap())
        .collect();
    assert_eq!(seed.len(), 32, "the seed is 32 bytes");
    let mut keyed: Vec<(String, String)> = entrants
        .iter()
        .map(|id| {
            let mut mac = Hmac::<Sha256>::new_from_slice(&seed).unwrap();
            mac.update(id.as_bytes());
            let key: String = mac
                .finalize()
                .into_bytes()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            (key, id.clone())
        })
        .collect();
    keyed.sort();
    keyed.into_iter().map(|(_, id)| id).collect()
}

/// What one entrant was given back when it entered.
#[derive(Debug, Clone)]
struct Entrant {
    id: String,
    token: String,
    plate: String,
    location: String,
}

async fn enter(
    app: &TestApp,
    body: &Value,
    key: Option<&str>,
) -> (Entrant, crate::helpers::Response) {
    let headers: Vec<(&str, &str)> = key
        .map(|k| vec![("idempotency-key", k)])
        .unwrap_or_default();
    let response = app.post_json("/api/v1/bookings", body, &headers).await;
    assert_eq!(response.status, 202, "{}", response.text);
    assert_eq!(response.body["status"], "pending");
    let location = response.header("location").to_owned();
    assert_eq!(location, response.body["links"]["poll"].as_str().unwrap());
    let entrant = Entrant {
        id: response.body["id"].as_str().unwrap().to_owned(),
        token: response.body["manage_token"].as_str().unwrap().to_owned(),
        plate: body["plate"].as_str().unwrap().to_owned(),
        location,
    };
    (entrant, response)
}

async fn poll(app: &TestApp, entrant: &Entrant) -> crate::helpers::Response {
    let response = app
        .send(
            "GET",
            &entrant.location,
            &[("x-manage-token", &entrant.token)],
            None,
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    response
}

async fn draw_log(app: &TestApp, checkpoint: &str, day: NaiveDate) -> Value {
    let response = app
        .get(&format!(
            "/api/v1/checkpoints/{checkpoint}/draws?date={day}"
        ))
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    let draws = response.body["draws"].as_array().unwrap();
    assert_eq!(draws.len(), 1, "{}", response.text);
    draws[0].clone()
}

/// The entrant ids of a closed draw's log, in its published order, each checked against the
/// key the log gives it.
fn published_order(log: &Value) -> Vec<String> {
    let order = log["order"].as_array().unwrap();
    order
        .iter()
        .enumerate()
        .map(|(i, logged)| {
            assert_eq!(logged["position"], i + 1);
            logged["entrant"].as_str().unwrap().to_owned()
        })
        .collect()
}

crate::on_both_backends!(a_draw_admits_the_capacity_in_the_published_order_and_refuses_the_rest);

async fn a_draw_admits_the_capacity_in_the_published_order_and_refuses_the_rest(backend: Backend) {
    // Arrange
    const CAPACITY: usize = 5;
    const ENTRANTS: usize = 30;
    let Some(app) = spawn_app_on(
        backend,
        vec![draw_checkpoint("opening", CAPACITY as u32)],
        |_| {},
    )
    .await
    else {
        return;
    };
    let day = tomorrow();
    let window = at(day, 8);

    // Before the draw period: refused, saying when the day opens.
    let early = app
        .post_booking(&request("opening", &window, "EARLY1"))
        .await;
    assert_problem(&early, 409, "day-not-open");
    assert_eq!(early.body["opens_at"], "2026-03-20T06:10:00Z");
    assert_eq!(early.body["draw_opens_at"], "2026-03-20T06:05:00Z");
    assert_eq!(early.body["draw_closes_at"], "2026-03-20T06:11:00Z");
    assert_eq!(early.header("retry-after"), "300");
    assert!(
        early.body["detail"]
            .as_str()
            .unwrap()
            .contains("2026-03-20T06:10:00")
    );

    // Act: entrants arrive one after another during the draw period.
    app.clock.set(today_at(6, 5, 0));
    let mut entrants = Vec::new();
    for i in 0..ENTRANTS {
        let body = request("opening", &window, &format!("DR{i:03}"));
        let key = format!("entry-{i}");
        let (entrant, first) = enter(&app, &body, (i % 3 == 0).then_some(key.as_str())).await;
        if i % 3 == 0 {
            // A retry with the key gets the same 202, Location and all.
            let again = app
                .post_json("/api/v1/bookings", &body, &[("idempotency-key", &key)])
                .await;
            assert_eq!(again.status, 202, "{}", again.text);
            assert_eq!(again.text, first.text);
            assert_eq!(again.header("location"), entrant.location);
            assert_eq!(again.header("idempotent-replayed"), "true");
        }
        entrants.push(entrant);
        app.advance(Duration::seconds(5));
    }
    // One entry per plate: more entries would be more tickets.
    let twice = app
        .post_booking(&request("opening", &at(day, 9), "DR000"))
        .await;
    assert_problem(&twice, 409, "already-entered");
    let pending = poll(&app, &entrants[0]).await;
    assert_eq!(pending.body["status"], "pending");
    assert!(pending.body.get("position").is_none());
    assert!(pending.headers.get("retry-after").is_some());
    let open_log = draw_log(&app, "opening", day).await;
    assert_eq!(open_log["state"], "open");
    assert_eq!(open_log["entrants"], ENTRANTS);
    assert!(open_log["seed"].is_null());

    // The draw closes; asking for an outcome runs it.
    app.clock.set(today_at(6, 11, 1));
    let first_poll = poll(&app, &entrants[0]).await;
    assert_ne!(first_poll.body["status"], "pending", "{}", first_poll.text);

    // Assert: the published order is the seed's, recomputed here.
    let log = draw_log(&app, "opening", day).await;
    assert_eq!(log["state"], "closed");
    assert_eq!(log["entrants"], ENTRANTS);
    assert_eq!(log["admitted"], CAPACITY);
    assert_eq!(log["refused"], ENTRANTS - CAPACITY);
    let seed = log["seed"].as_str().unwrap();
    let order = published_order(&log);
    let ids: Vec<String> = entrants.iter().map(|e| e.id.clone()).collect();
    assert_eq!(order, recomputed_order(seed, &ids));
    assert_ne!(order, ids, "the order is not the arrival order");
    let logged_plates = log.to_string();
    assert!(
        entrants.iter().all(|e| !logged_plates.contains(&e.plate)),
        "the log names no plate"
    );
    let by_id: HashMap<&str, &Entrant> = entrants.iter().map(|e| (e.id.as_str(), e)).collect();
    for (index, id) in order.iter().enumerate() {
        let entrant = by_id[id.as_str()];
        let outcome = poll(&app, entrant).await;
        assert_eq!(outcome.body["position"], index + 1);
        assert_eq!(
            log["order"][index]["outcome"], outcome.body["status"],
            "{}",
            outcome.text
        );
        if index < CAPACITY {
            assert_eq!(outcome.body["status"], "admitted", "{}", outcome.text);
            let booking = &outcome.body["booking"];
            assert_eq!(booking["status"], "confirmed");
            assert_eq!(booking["plate"], entrant.plate);
            assert_eq!(booking["window"]["start"], window);
            // The entry's manage token manages the booking.
            let code = booking["code"].as_str().unwrap();
            let read = app
                .send(
                    "GET",
                    &format!("/api/v1/bookings/{code}"),
                    &[("x-manage-token", &entrant.token)],
                    None,
                )
                .await;
            assert_eq!(read.status, 200, "{}", read.text);
        } else {
            assert_eq!(outcome.body["status"], "refused", "{}", outcome.text);
            assert_eq!(outcome.body["refusal"]["type"], "/problems/window-full");
            assert_eq!(outcome.body["refusal"]["status"], 409);
            assert!(outcome.body.get("booking").is_none());
        }
    }
    assert_eq!(app.available("opening", day, &window).await, 0);
    // Someone else's token opens nothing.
    let stranger = app
        .send(
            "GET",
            &entrants[0].location,
            &[("x-manage-token", &entrants[1].token)],
            None,
        )
        .await;
    assert_problem(&stranger, 404, "not-found");

    // After the draw the day is first come, and the draw does not run again.
    let late = app
        .post_booking(&request("opening", &at(day, 9), "LATE1"))
        .await;
    assert_eq!(late.status, 201, "{}", late.text);
    let full = app
        .post_booking(&request("opening", &window, "LATE2"))
        .await;
    assert_problem(&full, 409, "window-full");
    let job =
        borderslot::jobs::draws::try_run_once(&app.registry, app.store.as_ref(), app.clock_now())
            .await
            .unwrap();
    assert_eq!(job, borderslot::jobs::Outcome::Idle);
    assert_eq!(draw_log(&app, "opening", day).await["seed"], seed);
    let audit = app.store.audit().await.unwrap();
    assert_eq!(audit.violations(), 0, "{audit:?}");
    assert_eq!(audit.active_bookings, CAPACITY as u64 + 1);
}

/// Spearman's rank correlation of two rankings of the same items.
fn rank_correlation(ranks: &[(usize, usize)]) -> f64 {
    let n = ranks.len() as f64;
    let squares: f64 = ranks
        .iter()
        .map(|&(a, b)| (a as f64 - b as f64).powi(2))
        .sum();
    1.0 - 6.0 * squares / (n * (n * n - 1.0))
}

/// Entering early gains nothing: over 200 entrants, arrival rank and place in the draw are
/// uncorrelated. The seed is random, so the bound is generous: five standard deviations of the
/// correlation of 200 independent rankings (one run in millions would cross it by chance).
#[actix_web::test]
async fn the_draw_order_owes_nothing_to_the_arrival_order() {
    const ENTRANTS: usize = 200;
    let app = crate::helpers::spawn_app_with(vec![draw_checkpoint("rush", 20)], |_| {}).await;
    let day = tomorrow();
    app.clock.set(today_at(6, 5, 0));
    let mut arrivals = Vec::new();
    for i in 0..ENTRANTS {
        let window = at(day, 6 + (i % 12) as u32);
        let (entrant, _) = enter(&app, &request("rush", &window, &format!("RU{i:04}")), None).await;
        arrivals.push(entrant.id);
        app.advance(Duration::seconds(1));
    }
    app.clock.set(today_at(6, 11, 0));
    borderslot::jobs::draws::try_run_once(&app.registry, app.store.as_ref(), app.clock_now())
        .await
        .unwrap();

    let log = draw_log(&app, "rush", day).await;
    let order = published_order(&log);
    assert_eq!(order.len(), ENTRANTS);
    let ranks: Vec<(usize, usize)> = order
        .iter()
        .enumerate()
        .map(|(place, id)| (arrivals.iter().position(|a| a == id).unwrap(), place))
        .collect();
    let rho = rank_correlation(&ranks);
    let bound = 5.0 / ((ENTRANTS - 1) as f64).sqrt();
    assert!(rho.abs() < bound, "rank correlation {rho} (bound {bound})");
    // The very first to arrive is not first in the draw more often than anyone else: here it is
    // enough that the first ten places are not the first ten arrivals.
    let firsts: HashSet<usize> = ranks
        .iter()
        .filter(|(_, p)| *p < 10)
        .map(|(a, _)| *a)
        .collect();
    assert_ne!(firsts, (0..10).collect::<HashSet<_>>());
}

/// A day opens at its time and no sooner; during its draw a booking cannot move in; a day whose
/// draw nobody entered is first come once the draw period is over.
#[actix_web::test]
async fn a_day_opens_when_published_and_is_first_come_after_its_draw() {
    let app = crate::helpers::spawn_app_with(
        vec![
            draw_checkpoint("gate", 2),
            counting_checkpoint("plain", 2, 0),
        ],
        |_| {},
    )
    .await;
    let day = tomorrow();
    let next_day = day.succ_opt().unwrap();

    // Today opened yesterday: first come.
    let today = app
        .post_booking(&request(
            "gate",
            &at(test_start().date_naive(), 12),
            "TODAY1",
        ))
        .await;
    assert_eq!(today.status, 201, "{}", today.text);
    // The day after tomorrow opens tomorrow, whatever the horizon says.
    app.clock.set(today_at(6, 6, 0));
    let later = app
        .post_booking(&request("gate", &at(next_day, 8), "LATER1"))
        .await;
    assert_problem(&later, 409, "day-not-open");
    assert_eq!(later.body["opens_at"], "2026-03-21T06:10:00Z");
    let windows = app.availability("gate", next_day).await;
    assert!(windows.iter().all(|w| w["bookable"] == false));
    // Tomorrow is in its draw: a booking cannot move into it.
    let moved = app
        .managed(
            "POST",
            &today.body,
            "/reschedule",
            Some(&json!({ "window_start": at(day, 9) })),
        )
        .await;
    assert_problem(&moved, 409, "day-in-draw");
    assert_eq!(moved.body["draw_closes_at"], "2026-03-20T06:11:00Z");

    // Nobody entered tomorrow's draw; once it is over, the first to come is served.
    app.clock.set(today_at(6, 11, 0));
    let first = app
        .post_booking(&request("gate", &at(day, 8), "FIRST1"))
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    let moved = app
        .managed(
            "POST",
            &today.body,
            "/reschedule",
            Some(&json!({ "window_start": at(day, 8) })),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    let full = app
        .post_booking(&request("gate", &at(day, 8), "THIRD1"))
        .await;
    assert_problem(&full, 409, "window-full");
    let log = draw_log(&app, "gate", day).await;
    assert_eq!(log["state"], "closed");
    assert_eq!(log["entrants"], 0);
    assert_eq!(log["order"], json!([]));
    // A checkpoint without an opening books as far as the horizon, as before.
    let far = test_start().date_naive() + Duration::days(30);
    let plain = app.book("plain", &at(far, 8), "PLAIN1", true).await;
    assert_eq!(plain.status, 201, "{}", plain.text);
    let beyond = app
        .book("plain", &at(far + Duration::days(1), 8), "PLAIN2", true)
        .await;
    assert_problem(&beyond, 422, "window-closed");
}

crate::on_both_backends!(entries_survive_a_killed_process_and_the_draw_runs_once);

/// The real binary, killed during the draw period: every entry answered 202 is drawn, once; the
/// result is the same after another restart.
async fn entries_survive_a_killed_process_and_the_draw_runs_once(backend: Backend) {
    const CAPACITY: u32 = 3;
    const ENTRANTS: usize = 6;
    let Some(origin) = fresh_origin(backend).await else {
        return;
    };
    // Tomorrow opens 12 seconds from now, its draw already open and closing 3 seconds later.
    let opens = Utc::now() + Duration::seconds(12);
    let opens = opens - Duration::nanoseconds(i64::from(opens.timestamp_subsec_nanos()));
    let day = opens.date_naive().succ_opt().unwrap();
    let closes = opens + Duration::seconds(3);
    {
        let store = open_store(&origin).await;
        let checkpoint = Checkpoint {
            opening: Some(Opening {
                days_ahead: 1,
                local_time: opens.time(),
                draw_before_seconds: 600,
                draw_after_seconds: 3,
            }),
            ..counting_checkpoint("restart", CAPACITY, 0)
        };
        store.upsert_checkpoint(&checkpoint).await.unwrap();
    }
    let client = awc::Client::builder()
        .timeout(StdDuration::from_secs(60))
        .finish();
    let call = async |method: &str, url: String, token: Option<&str>, body: Option<Value>| {
        let mut request = client.request(
            awc::http::Method::from_bytes(method.as_bytes()).unwrap(),
            url,
        );
        if let Some(token) = token {
            request = request.insert_header(("x-manage-token", token));
        }
        let mut response = match body {
            Some(body) => request.send_json(&body).await.unwrap(),
            None => request.send().await.unwrap(),
        };
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let body: Value = response.json().limit(1 << 20).await.unwrap_or(Value::Null);
        (response.status().as_u16(), location, body)
    };

    let first = start_server_with(&origin, &[("DEMO_DATA", "false")]);
    let mut entrants = Vec::new();
    for i in 0..ENTRANTS {
        let body = request("restart", &at(day, 12), &format!("RS{i:03}"));
        let (status, location, entered) = call(
            "POST",
            format!("{}/api/v1/bookings", first.address),
            None,
            Some(body),
        )
        .await;
        assert_eq!(status, 202, "{entered}");
        entrants.push((
            location.unwrap(),
            entered["manage_token"].as_str().unwrap().to_owned(),
        ));
    }
    assert!(
        Utc::now() < closes,
        "the entries came before the draw closed"
    );
    // Act: no graceful shutdown, while the draw still takes requests.
    drop(first);
    let second = start_server_with(&origin, &[("DEMO_DATA", "false")]);

    // Assert: the entries are there, and are drawn when the period ends.
    let mut outcomes = HashMap::new();
    for (location, token) in &entrants {
        let (status, _, entry) = call(
            "GET",
            format!("{}{location}?wait=25", second.address),
            Some(token),
            None,
        )
        .await;
        assert_eq!(status, 200, "{entry}");
        assert_ne!(entry["status"], "pending", "{entry}");
        outcomes.insert(
            location.clone(),
            entry["status"].as_str().unwrap().to_owned(),
        );
    }
    let admitted = outcomes.values().filter(|s| *s == "admitted").count();
    assert_eq!(admitted, CAPACITY as usize);
    let log_url = |address: &str| format!("{address}/api/v1/checkpoints/restart/draws?date={day}");
    let (_, _, logs) = call("GET", log_url(&second.address), None, None).await;
    let log = logs["draws"][0].clone();
    assert_eq!(log["entrants"], ENTRANTS);
    assert_eq!(log["admitted"], CAPACITY);
    let ids: Vec<String> = entrants
        .iter()
        .map(|(location, _)| location.rsplit('/').next().unwrap().to_owned())
        .collect();
    assert_eq!(
        published_order(&log),
        recomputed_order(log["seed"].as_str().unwrap(), &ids)
    );

    // Once more, killed and started again: the same result, nothing drawn twice.
    drop(second);
    let third = start_server(&origin);
    let (_, _, again) = call("GET", log_url(&third.address), None, None).await;
    assert_eq!(again["draws"][0], log);
    for (location, token) in &entrants {
        let (_, _, entry) = call(
            "GET",
            format!("{}{location}", third.address),
            Some(token),
            None,
        )
        .await;
        assert_eq!(entry["status"].as_str().unwrap(), outcomes[location]);
    }
    let output = crate::restart::command(&origin)
        .arg("audit")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    drop(third);
}

/// Two replicas on one database, each with the day's actor, both asked to run the draw at
/// once (the job on each, and entrants asking each): it runs once, with one seed.
#[actix_web::test]
async fn replicas_run_a_draw_once() {
    const CAPACITY: u32 = 4;
    let Some(Origin::Postgres(url)) = fresh_origin(Backend::Postgres).await else {
        return;
    };
    let mut replicas = Vec::new();
    for _ in 0..2 {
        replicas.push(
            spawn_app_in(
                Origin::Postgres(url.clone()),
                vec![draw_checkpoint("twins", CAPACITY)],
                |_| {},
            )
            .await,
        );
    }
    let day = tomorrow();
    for app in &replicas {
        app.clock.set(today_at(6, 6, 0));
    }
    let mut entrants = Vec::new();
    for i in 0..12 {
        let app = &replicas[i % 2];
        let (entrant, _) = enter(
            app,
            &request("twins", &at(day, 10), &format!("TW{i:03}")),
            None,
        )
        .await;
        entrants.push(entrant);
    }
    for app in &replicas {
        app.clock.set(today_at(6, 11, 30));
    }

    // Act: every way a draw is started, on both replicas at once.
    let jobs = replicas.iter().map(|app| async move {
        borderslot::jobs::draws::try_run_once(&app.registry, app.store.as_ref(), app.clock_now())
            .await
            .unwrap();
    });
    let apps: Vec<&TestApp> = replicas.iter().collect();
    let polls = entrants
        .iter()
        .enumerate()
        .map(|(i, entrant)| poll(apps[(i + 1) % 2], entrant));
    let (_, outcomes) = futures_util::future::join(
        futures_util::future::join_all(jobs),
        futures_util::future::join_all(polls),
    )
    .await;

    // Assert
    let admitted = outcomes
        .iter()
        .filter(|o| o.body["status"] == "admitted")
        .count();
    assert_eq!(
        admitted,
        CAPACITY as usize,
        "{:?}",
        outcomes.iter().map(|o| &o.text).collect::<Vec<_>>()
    );
    let logs: Vec<Value> =
        futures_util::future::join_all(replicas.iter().map(|app| draw_log(app, "twins", day)))
            .await;
    assert_eq!(logs[0], logs[1]);
    assert_eq!(logs[0]["admitted"], CAPACITY);
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    actix_web::rt::spawn(async move {
        let _ = connection.await;
    });
    let closed: i64 = client
        .query_one(
            "SELECT count(*) FROM outbox_events WHERE event_type = 'draw.closed'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(closed, 1, "one draw.closed event");
    let entered: i64 = client
        .query_one(
            "SELECT count(*) FROM outbox_events WHERE event_type = 'draw.entered'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(entered, entrants.len() as i64);
    let audit = replicas[0].store.audit().await.unwrap();
    assert_eq!(audit.violations(), 0, "{audit:?}");
    assert_eq!(audit.active_bookings, u64::from(CAPACITY));
}

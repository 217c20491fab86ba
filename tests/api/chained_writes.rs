//! A day's next batch is written while the previous one commits, and commits only after it and
//! only if it did. Triggers of the test's own make one write fail or take its time:
//! - the previous batch fails at its COMMIT, with the next one chained behind it: nothing of
//!   the first is stored, the second is refused as resting on it, and its requests are decided
//!   again on the reloaded day;
//! - the next batch fails while the previous one is still committing: the day is read again
//!   only once that COMMIT is over, so memory holds what it stored;
//! - the previous batch's COMMIT outlasts the next one's deadline: the next one waits for it,
//!   as it would have waited in its day's actor.
//!
//! Every answer must agree with the store.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{
    Backend, Origin, Response, TestApp, at, fresh_origin, spawn_app_in, tomorrow,
};

const REFUSED_PLATE: &str = "CHFAIL";
const SLOW_PLATE: &str = "CHSLOW";
const BAD_PLATE: &str = "CHBAD";
/// How long a paused batch's COMMIT takes: the next batch is sent well within it.
const COMMIT_PAUSE_SECONDS: f64 = 0.8;
const WINDOW_HOUR: u32 = 9;

fn booking(plate: &str) -> serde_json::Value {
    json!({
        "checkpoint": "narva", "direction": "entry", "category": "car",
        "window_start": at(tomorrow(), WINDOW_HOUR), "plate": plate,
        "contact": "chain@example.com", "confirm": true,
    })
}

/// A keyed booking of `plate` into the window.
async fn book(app: &TestApp, plate: impl AsRef<str>, key: impl AsRef<str>) -> Response {
    let headers = [("idempotency-key", key.as_ref())];
    app.post_json("/api/v1/bookings", &booking(plate.as_ref()), &headers)
        .await
}

/// Waits until a batch sent now is in its trigger's pause at COMMIT.
async fn during_the_pause() {
    tokio::time::sleep(Duration::from_secs_f64(COMMIT_PAUSE_SECONDS / 3.0)).await;
}

/// Runs `sql` on the database at `url`, on a connection kept for the test.
async fn on_database(url: &str, sql: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    actix_web::rt::spawn(connection);
    client.batch_execute(sql).await.unwrap();
    client
}

/// A trigger on new bookings of `plate`: `deferred` ones run at COMMIT. `body` is PL/pgSQL.
fn booking_trigger(name: &str, plate: &str, deferred: bool, body: &str) -> String {
    let timing = if deferred {
        "CONSTRAINT TRIGGER {name} AFTER INSERT ON bookings DEFERRABLE INITIALLY DEFERRED"
    } else {
        "TRIGGER {name} AFTER INSERT ON bookings"
    }
    .replace("{name}", name);
    format!(
        "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN IF NEW.plate = '{plate}' THEN {body} END IF; RETURN NULL; END $$; \
         CREATE {timing} FOR EACH ROW EXECUTE FUNCTION {name}();"
    )
}

/// Refuses, at COMMIT and after a pause, any transaction that inserted a booking of
/// `REFUSED_PLATE`, as a failure the store reports as "unavailable" (not retried by the server).
async fn refuse_plate_at_commit(url: &str) -> tokio_postgres::Client {
    let body = format!(
        "PERFORM pg_sleep({COMMIT_PAUSE_SECONDS}); \
         RAISE EXCEPTION 'refused at commit' USING ERRCODE = 'cannot_connect_now';"
    );
    on_database(
        url,
        &booking_trigger("refuse_plate_at_commit", REFUSED_PLATE, true, &body),
    )
    .await
}

fn chained_writes(metrics: &str) -> u64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix("borderslot_store_chained_writes_total "))
        .map_or(0, |n| n.trim().parse().unwrap())
}

#[actix_web::test]
async fn a_batch_refused_at_commit_takes_the_batch_chained_behind_it_down_alone() {
    let Some(Origin::Postgres(url)) = fresh_origin(Backend::Postgres).await else {
        return;
    };
    let database = refuse_plate_at_commit(&url).await;
    let app = spawn_app_in(Origin::Postgres(url), Vec::new(), |_| {}).await;
    let day = tomorrow();
    let warm = app.post_booking(&booking("CH000")).await;
    assert_eq!(warm.status, 201, "{}", warm.text);
    let free_before = app.available("narva", day, &at(day, WINDOW_HOUR)).await;

    let app = &app;
    let refused = book(app, REFUSED_PLATE, "chain-refused");
    let followers = async {
        // The refused batch is committing (in its trigger's pause) when these are decided.
        during_the_pause().await;
        futures_util::future::join_all(
            (1..=3).map(|n| book(app, format!("CH00{n}"), format!("chain-{n}"))),
        )
        .await
    };
    let (refused, followers) = tokio::join!(refused, followers);

    assert_eq!(refused.status, 503, "{}", refused.text);
    for follower in &followers {
        assert_eq!(
            follower.status, 201,
            "decided again once the day was reloaded: {}",
            follower.text
        );
    }
    assert!(
        chained_writes(&app.get("/metrics").await.text) >= 1,
        "the followers were written behind the refused batch"
    );
    let free_after = app.available("narva", day, &at(day, WINDOW_HOUR)).await;
    assert_eq!(
        free_after,
        free_before - 3,
        "the refused plate holds no place"
    );
    assert_eq!(app.store.audit().await.unwrap().violations(), 0);

    // Each answer agrees with the store: the followers replay, the refused request is tried
    // afresh and now goes through.
    for (n, first) in (1..=3).zip(&followers) {
        let again = book(app, format!("CH00{n}"), format!("chain-{n}")).await;
        assert_eq!(again.text, first.text);
    }
    database
        .batch_execute("DROP TRIGGER refuse_plate_at_commit ON bookings")
        .await
        .unwrap();
    let afresh = book(app, REFUSED_PLATE, "chain-refused").await;
    assert_eq!(afresh.status, 201, "{}", afresh.text);
    assert_eq!(app.store.audit().await.unwrap().violations(), 0);
}

/// The window's free public places, as the store counts them.
async fn stored_free(app: &TestApp) -> u64 {
    let narva = borderslot::domain::CheckpointId::parse("narva").unwrap();
    let start: chrono::DateTime<chrono::Utc> = at(tomorrow(), WINDOW_HOUR).parse().unwrap();
    let record = app.store.load_day(&narva, tomorrow()).await.unwrap();
    let window = record
        .windows
        .iter()
        .find(|w| {
            w.key.start == start
                && w.key.direction == borderslot::domain::Direction::Entry
                && w.key.category == borderslot::domain::Category::Car
        })
        .expect("the window is stored");
    u64::from(window.available_to(borderslot::domain::PriorityClass::Normal))
}

#[actix_web::test]
async fn a_batch_refused_while_the_one_before_commits_reloads_the_day_after_that_commit() {
    let Some(Origin::Postgres(url)) = fresh_origin(Backend::Postgres).await else {
        return;
    };
    let pause = format!("PERFORM pg_sleep({COMMIT_PAUSE_SECONDS});");
    let refuse = "RAISE EXCEPTION 'refused' USING ERRCODE = 'check_violation';";
    let _database = on_database(
        &url,
        &format!(
            "{} {}",
            booking_trigger("pause_commit", SLOW_PLATE, true, &pause),
            booking_trigger("refuse_insert", BAD_PLATE, false, refuse),
        ),
    )
    .await;
    let app = spawn_app_in(Origin::Postgres(url), Vec::new(), |_| {}).await;
    let day = tomorrow();
    let warm = app.post_booking(&booking("CH000")).await;
    assert_eq!(warm.status, 201, "{}", warm.text);

    let app = &app;
    let slow = book(app, SLOW_PLATE, "slow");
    let bad = async {
        // Decided while the slow batch waits in its COMMIT: written behind it, and refused
        // by the database before that COMMIT is over.
        during_the_pause().await;
        book(app, BAD_PLATE, "bad").await
    };
    let (slow, bad) = tokio::join!(slow, bad);

    assert_eq!(slow.status, 201, "{}", slow.text);
    assert!(!bad.status.is_success(), "{}", bad.text);
    assert!(chained_writes(&app.get("/metrics").await.text) >= 1);
    assert_eq!(
        app.available("narva", day, &at(day, WINDOW_HOUR)).await,
        stored_free(app).await,
        "the reloaded day counts the booking whose COMMIT was under way"
    );
    let after = app.post_booking(&booking("CH001")).await;
    assert_eq!(after.status, 201, "{}", after.text);
    assert_eq!(
        app.available("narva", day, &at(day, WINDOW_HOUR)).await,
        stored_free(app).await
    );
    assert_eq!(app.store.audit().await.unwrap().violations(), 0);
}

/// Longer than the store's 2 s bound on everything before a COMMIT.
const LONG_COMMIT_SECONDS: f64 = 2.6;

#[actix_web::test]
async fn a_write_chained_behind_a_long_commit_waits_for_it_past_its_own_deadline() {
    let Some(Origin::Postgres(url)) = fresh_origin(Backend::Postgres).await else {
        return;
    };
    let pause = format!("PERFORM pg_sleep({LONG_COMMIT_SECONDS});");
    let _database = on_database(
        &url,
        &booking_trigger("long_commit", SLOW_PLATE, true, &pause),
    )
    .await;
    // The requests may wait as long as the COMMIT takes (a synchronous standby slow to answer).
    let app = spawn_app_in(Origin::Postgres(url), Vec::new(), |settings| {
        settings.actors.request_timeout = Duration::from_secs(10);
    })
    .await;
    let warm = app.post_booking(&booking("CH000")).await;
    assert_eq!(warm.status, 201, "{}", warm.text);

    let app = &app;
    let slow = book(app, SLOW_PLATE, "long");
    let follower = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        book(app, "CH001", "behind-long").await
    };
    let (slow, follower) = tokio::join!(slow, follower);

    assert_eq!(slow.status, 201, "{}", slow.text);
    assert_eq!(
        follower.status, 201,
        "waited for the COMMIT it follows: {}",
        follower.text
    );
    assert!(chained_writes(&app.get("/metrics").await.text) >= 1);
    let day = tomorrow();
    assert_eq!(
        app.available("narva", day, &at(day, WINDOW_HOUR)).await,
        stored_free(app).await
    );
    assert_eq!(app.store.audit().await.unwrap().violations(), 0);
}

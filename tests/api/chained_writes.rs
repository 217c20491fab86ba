//! A day's next batch is written while the previous one commits, and commits only after it and
//! only if it did. Here the previous batch fails at its COMMIT (a deferred trigger of the
//! test's own refuses one plate, after a pause), with the next batch already chained behind
//! it: nothing of the first is stored, the second is refused as resting on it and its
//! requests are decided again on the reloaded day, and every answer agrees with the store.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{Backend, Origin, at, fresh_origin, spawn_app_in, tomorrow};

const REFUSED_PLATE: &str = "CHFAIL";
/// How long the refused batch's COMMIT takes: the next batch is sent well within it.
const COMMIT_PAUSE_SECONDS: f64 = 0.8;
const WINDOW_HOUR: u32 = 9;

fn booking(plate: &str) -> serde_json::Value {
    json!({
        "checkpoint": "narva", "direction": "entry", "category": "car",
        "window_start": at(tomorrow(), WINDOW_HOUR), "plate": plate,
        "contact": "chain@example.com", "confirm": true,
    })
}

/// Refuses, at COMMIT, any transaction that inserted a booking of `REFUSED_PLATE`, as a
/// failure the store reports as "unavailable" (not retried by the server).
async fn refuse_plate_at_commit(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    actix_web::rt::spawn(connection);
    client
        .batch_execute(&format!(
            "CREATE FUNCTION refuse_plate() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN \
               IF NEW.plate = '{REFUSED_PLATE}' THEN \
                 PERFORM pg_sleep({COMMIT_PAUSE_SECONDS}); \
                 RAISE EXCEPTION 'refused at commit' USING ERRCODE = 'cannot_connect_now'; \
               END IF; \
               RETURN NULL; \
             END $$; \
             CREATE CONSTRAINT TRIGGER refuse_plate_at_commit AFTER INSERT ON bookings \
               DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_plate();"
        ))
        .await
        .unwrap();
    client
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
    let refused_body = booking(REFUSED_PLATE);
    let refused = app.post_json(
        "/api/v1/bookings",
        &refused_body,
        &[("idempotency-key", "chain-refused")],
    );
    let followers = async {
        // The refused batch is committing (in its trigger's pause) when these are decided.
        tokio::time::sleep(Duration::from_secs_f64(COMMIT_PAUSE_SECONDS / 3.0)).await;
        futures_util::future::join_all((1..=3).map(|n| {
            let key = format!("chain-{n}");
            let body = booking(&format!("CH00{n}"));
            async move {
                app.post_json("/api/v1/bookings", &body, &[("idempotency-key", &key)])
                    .await
            }
        }))
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
        let again = app
            .post_json(
                "/api/v1/bookings",
                &booking(&format!("CH00{n}")),
                &[("idempotency-key", &format!("chain-{n}"))],
            )
            .await;
        assert_eq!(again.text, first.text);
    }
    database
        .batch_execute("DROP TRIGGER refuse_plate_at_commit ON bookings")
        .await
        .unwrap();
    let afresh = app
        .post_json(
            "/api/v1/bookings",
            &booking(REFUSED_PLATE),
            &[("idempotency-key", "chain-refused")],
        )
        .await;
    assert_eq!(afresh.status, 201, "{}", afresh.text);
    assert_eq!(app.store.audit().await.unwrap().violations(), 0);
}

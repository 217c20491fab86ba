use borderslot::clock::Clock;
use borderslot::http::idempotency::digest_parts;
use borderslot::store::IdempotencyStart;
use serde_json::json;

use crate::helpers::{assert_problem, at, spawn_app, tomorrow};

#[actix_web::test]
async fn a_retried_post_returns_the_first_answer_and_books_once() {
    let app = spawn_app().await;
    let day = tomorrow();
    let before = app.available("narva", day, &at(day, 8)).await;
    let body = json!({
        "checkpoint": "narva", "direction": "entry", "category": "car",
        "window_start": at(day, 8), "plate": "IDEM1", "contact": "a@example.com", "confirm": true,
    });

    let first = app
        .post_json("/api/v1/bookings", &body, &[("idempotency-key", "k-1")])
        .await;
    let retry = app
        .post_json("/api/v1/bookings", &body, &[("idempotency-key", "k-1")])
        .await;

    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(retry.status, 201);
    assert_eq!(retry.text, first.text);
    assert_eq!(retry.headers.get("idempotent-replayed").unwrap(), "true");
    assert_eq!(app.available("narva", day, &at(day, 8)).await, before - 1);
}

#[actix_web::test]
async fn refusals_are_replayed_too() {
    let app = spawn_app().await;
    let body = json!({ "checkpoint": "atlantis", "direction": "entry", "category": "car", "window_start": at(tomorrow(), 8) });

    let first = app
        .post_json("/api/v1/bookings", &body, &[("idempotency-key", "k-2")])
        .await;
    let retry = app
        .post_json("/api/v1/bookings", &body, &[("idempotency-key", "k-2")])
        .await;

    assert_problem(&first, 422, "unknown-checkpoint");
    assert_eq!(retry.text, first.text);
}

#[actix_web::test]
async fn the_same_key_with_a_different_body_is_refused() {
    let app = spawn_app().await;
    let day = tomorrow();
    let body = json!({ "checkpoint": "narva", "direction": "entry", "category": "car", "window_start": at(day, 8), "plate": "IDEM2" });
    let other = json!({ "checkpoint": "narva", "direction": "entry", "category": "car", "window_start": at(day, 9), "plate": "IDEM2" });

    let first = app
        .post_json("/api/v1/bookings", &body, &[("idempotency-key", "k-3")])
        .await;
    let reused = app
        .post_json("/api/v1/bookings", &other, &[("idempotency-key", "k-3")])
        .await;

    assert_eq!(first.status, 201);
    assert_problem(&reused, 422, "idempotency-key-reused");
}

#[actix_web::test]
async fn a_key_whose_first_request_is_in_flight_is_a_conflict() {
    let app = spawn_app().await;
    let body = json!({ "checkpoint": "narva", "direction": "entry", "category": "car", "window_start": at(tomorrow(), 8), "plate": "IDEM3" });
    let digest = digest_parts("POST", "/api/v1/bookings", body.to_string().as_bytes());
    // Another request from this client took the key and has not answered yet.
    app.store
        .idempotency_begin("ip:127.0.0.1", "k-4", &digest, app.clock.now())
        .await
        .unwrap();

    let concurrent = app
        .post_json("/api/v1/bookings", &body, &[("idempotency-key", "k-4")])
        .await;

    assert_problem(&concurrent, 409, "idempotency-request-in-flight");
}

#[actix_web::test]
async fn keys_are_scoped_per_client_and_kept_for_a_day() {
    let app = spawn_app().await;
    let day = tomorrow();
    let body = json!({ "checkpoint": "narva", "direction": "entry", "category": "car", "window_start": at(day, 8), "plate": "IDEM5" });
    let first = app
        .post_json("/api/v1/bookings", &body, &[("idempotency-key", "k-5")])
        .await;
    assert_eq!(first.status, 201);
    // Another client's key of the same name is its own, whatever its request.
    let other_client = app
        .store
        .idempotency_begin("ip:10.0.0.9", "k-5", "other", app.clock.now())
        .await
        .unwrap();
    assert_eq!(other_client, IdempotencyStart::Started);
    app.store
        .idempotency_abandon("ip:10.0.0.9", "k-5")
        .await
        .unwrap();

    app.advance(chrono::Duration::hours(23));
    let pruned_early =
        borderslot::jobs::prune_idempotency::try_run_once(app.store.as_ref(), app.clock.now())
            .await
            .unwrap();
    let within_a_day = app
        .post_json("/api/v1/bookings", &body, &[("idempotency-key", "k-5")])
        .await;
    app.advance(chrono::Duration::hours(2));
    let pruned =
        borderslot::jobs::prune_idempotency::try_run_once(app.store.as_ref(), app.clock.now())
            .await
            .unwrap();

    assert_eq!(pruned_early, borderslot::jobs::Outcome::Idle);
    assert_eq!(within_a_day.text, first.text);
    assert_eq!(pruned, borderslot::jobs::Outcome::Worked(1));
}

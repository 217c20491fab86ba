use borderslot::auth::StaffRole;
use borderslot::clock::Clock;
use serde_json::{Value, json};

use crate::helpers::{
    Backend, Response, TestApp, assert_problem, at, spawn_app, spawn_app_on, tomorrow,
};

impl TestApp {
    /// `method path` with `Idempotency-Key: key`, as `authorization` when given.
    async fn keyed(
        &self,
        method: &str,
        path: &str,
        key: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Response {
        let mut all = vec![("idempotency-key", key)];
        all.extend_from_slice(headers);
        let body = body.map(Value::to_string);
        self.send(method, path, &all, body.as_deref().map(str::as_bytes))
            .await
    }
}

/// The first answer and its replay, which must be the same bytes with the replay marked.
fn assert_replayed(first: &Response, retry: &Response) {
    assert!(first.status.is_success(), "{}", first.text);
    assert_eq!(retry.status, first.status);
    assert_eq!(retry.text, first.text);
    assert!(first.headers.get("idempotent-replayed").is_none());
    assert_eq!(retry.headers.get("idempotent-replayed").unwrap(), "true");
}

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
    assert_replayed(&first, &retry);
    assert_eq!(app.available("narva", day, &at(day, 8)).await, before - 1);
}

#[actix_web::test]
async fn a_refusal_changes_nothing_so_its_retry_is_decided_afresh() {
    let app = spawn_app().await;
    let day = tomorrow();
    let taken = app.book("narva", &at(day, 8), "IDEM7", true).await;
    let body = json!({
        "checkpoint": "narva", "direction": "entry", "category": "car",
        "window_start": at(day, 9), "plate": "IDEM7", "contact": "a@example.com",
    });

    let refused = app
        .post_json("/api/v1/bookings", &body, &[("idempotency-key", "k-2")])
        .await;
    app.managed("DELETE", &taken.body, "", None).await;
    let retry = app
        .post_json("/api/v1/bookings", &body, &[("idempotency-key", "k-2")])
        .await;

    assert_problem(&refused, 409, "plate-already-booked");
    assert_eq!(retry.status, 201, "{}", retry.text);
    assert!(retry.headers.get("idempotent-replayed").is_none());
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
async fn a_key_is_in_progress_only_while_a_live_request_holds_it() {
    let app = spawn_app().await;
    let body = json!({ "checkpoint": "narva", "direction": "entry", "category": "car", "window_start": at(tomorrow(), 8), "plate": "IDEM3" });
    let live = app
        .answers
        .claim("ip:127.0.0.1", "k-4")
        .expect("the key is free");

    let concurrent = app
        .post_json("/api/v1/bookings", &body, &[("idempotency-key", "k-4")])
        .await;
    drop(live);
    let after = app
        .post_json("/api/v1/bookings", &body, &[("idempotency-key", "k-4")])
        .await;

    assert_problem(&concurrent, 409, "idempotency-request-in-flight");
    assert_eq!(after.status, 201, "{}", after.text);
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
    // Another client's key of the same name is its own.
    assert!(
        app.store
            .stored_answer("ip:10.0.0.9", "k-5")
            .await
            .unwrap()
            .is_none()
    );

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

crate::on_both_backends!(the_stored_answer_is_unreadable_at_rest);

async fn the_stored_answer_is_unreadable_at_rest(backend: Backend) {
    let Some(app) = spawn_app_on(backend, Vec::new(), |_| {}).await else {
        return;
    };
    let body = json!({ "checkpoint": "narva", "direction": "entry", "category": "car", "window_start": at(tomorrow(), 8), "plate": "IDEM6" });

    let first = app
        .post_json("/api/v1/bookings", &body, &[("idempotency-key", "k-6")])
        .await;

    assert_eq!(first.status, 201, "{}", first.text);
    let token = first.body["manage_token"].as_str().unwrap();
    let stored = app
        .store
        .stored_answer("ip:127.0.0.1", "k-6")
        .await
        .unwrap()
        .expect("the answer is stored with the booking");
    assert_eq!(stored.response.status, 201);
    let sealed = &stored.response.body;
    assert!(!sealed.windows(token.len()).any(|w| w == token.as_bytes()));
    assert!(!sealed.windows(5).any(|w| w == b"IDEM6"));
}

crate::on_both_backends!(every_change_of_a_booking_answers_a_retry_with_its_first_answer);

/// Confirm, move within the day, move to another day and cancel, each retried after later
/// changes: the retry still gets its own first answer, and changes nothing more.
async fn every_change_of_a_booking_answers_a_retry_with_its_first_answer(backend: Backend) {
    let Some(app) = spawn_app_on(backend, Vec::new(), |_| {}).await else {
        return;
    };
    let day = tomorrow();
    let next = day.succ_opt().unwrap();
    let held = app.book("narva", &at(day, 8), "IDEM8", false).await;
    assert_eq!(held.status, 201, "{}", held.text);
    let code = held.body["code"].as_str().unwrap();
    let token = held.body["manage_token"].as_str().unwrap();
    let manage = [("x-manage-token", token)];
    let path = |suffix: &str| format!("/api/v1/bookings/{code}{suffix}");
    let confirm_body = json!({ "contact": "b@example.com" });
    let same_day = json!({ "window_start": at(day, 10) });
    let other_day = json!({ "window_start": at(next, 11) });

    let mut steps = Vec::new();
    for (method, suffix, key, body) in [
        ("POST", "/confirm", "c-1", Some(&confirm_body)),
        ("POST", "/reschedule", "c-2", Some(&same_day)),
        ("POST", "/reschedule", "c-3", Some(&other_day)),
        ("DELETE", "", "c-4", None),
    ] {
        let first = app.keyed(method, &path(suffix), key, &manage, body).await;
        assert_eq!(first.status, 200, "{method} {suffix}: {}", first.text);
        steps.push((method, suffix, key, body, first));
    }
    for (method, suffix, key, body, first) in &steps {
        let retry = app.keyed(method, &path(suffix), key, &manage, *body).await;
        assert_replayed(first, &retry);
    }

    assert_eq!(steps[0].4.body["status"], "confirmed");
    assert_eq!(steps[2].4.body["window"]["start"], at(next, 11));
    assert_eq!(steps[3].4.body["status"], "cancelled");
    assert_eq!(
        app.available("narva", day, &at(day, 10)).await,
        app.available("narva", day, &at(day, 12)).await
    );
    assert_eq!(
        app.available("narva", next, &at(next, 11)).await,
        app.available("narva", next, &at(next, 12)).await
    );
    assert_eq!(app.store.audit().await.unwrap().violations(), 0);
}

#[actix_web::test]
async fn staff_actions_answer_a_retry_with_their_first_answer() {
    let app = spawn_app().await;
    let day = tomorrow();
    let admin = format!("Bearer {}", app.staff_token(StaffRole::Admin).await);
    let as_admin = [("authorization", admin.as_str())];
    let booked = app.book("narva", &at(day, 8), "IDEM9", true).await;
    let range = json!({
        "from": at(day, 14), "to": at(day, 15), "reason": "resurfacing", "categories": ["car"],
    });
    let reserved =
        json!({ "from": at(day, 16), "to": at(day, 17), "reserved": 1, "categories": ["car"] });
    let walk_in = json!({ "checkpoint": "narva", "direction": "entry", "category": "truck", "plate": "IDEM10" });
    let key = json!({ "name": "Retrying Carrier" });
    let check_in = json!({ "code": booked.body["code"] });

    let mut steps = Vec::new();
    for (path, key, body) in [
        ("/api/v1/admin/checkpoints/narva/blocks", "s-1", &range),
        ("/api/v1/admin/checkpoints/narva/unblocks", "s-2", &range),
        ("/api/v1/admin/checkpoints/narva/reserved", "s-3", &reserved),
        ("/api/v1/operator/walk-ins", "s-4", &walk_in),
        ("/api/v1/admin/api-keys", "s-5", &key),
    ] {
        let first = app.keyed("POST", path, key, &as_admin, Some(body)).await;
        assert!(first.status.is_success(), "{path}: {}", first.text);
        steps.push((path, key, body, first));
    }
    app.advance(chrono::Duration::hours(23) + chrono::Duration::minutes(30));
    let admin = format!("Bearer {}", app.sign_in_again(StaffRole::Admin).await);
    let as_admin = [("authorization", admin.as_str())];
    let arrived = app
        .keyed(
            "POST",
            "/api/v1/operator/check-ins",
            "s-6",
            &as_admin,
            Some(&check_in),
        )
        .await;
    assert_eq!(arrived.status, 200, "{}", arrived.text);
    steps.push(("/api/v1/operator/check-ins", "s-6", &check_in, arrived));

    for (path, key, body, first) in &steps {
        let retry = app.keyed("POST", path, key, &as_admin, Some(body)).await;
        assert_replayed(first, &retry);
    }
    let keys = app
        .send_as("GET", "/api/v1/admin/api-keys", &admin, None)
        .await;
    assert_eq!(
        keys.body["keys"].as_array().unwrap().len(),
        1,
        "one key made"
    );
    assert_eq!(steps[3].3.body["status"], "arrived");
    assert!(steps[4].3.body["key"].as_str().unwrap().starts_with("bsk_"));
}

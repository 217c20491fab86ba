//! Carriers' API keys: created by admins and shown once, their own rate and active-bookings
//! cap, and only their own bookings (BOLA: another's booking code gives 404, not its data).

use borderslot::auth::StaffRole;
use serde_json::{Value, json};

use crate::helpers::{Response, TestApp, assert_problem, at, spawn_app, tomorrow};

async fn create_key(app: &TestApp, body: Value) -> Response {
    let admin = format!("Bearer {}", app.staff_token(StaffRole::Admin).await);
    app.send_as("POST", "/api/v1/admin/api-keys", &admin, Some(&body))
        .await
}

async fn key(app: &TestApp, name: &str) -> String {
    let created = create_key(app, json!({ "name": name })).await;
    assert_eq!(created.status, 201, "{}", created.text);
    format!("Bearer {}", created.body["key"].as_str().unwrap())
}

async fn book_as(
    app: &TestApp,
    key: &str,
    plate: &str,
    hour: u32,
    priority: Option<&str>,
) -> Response {
    let mut body = json!({
        "checkpoint": "narva", "direction": "entry", "category": "truck",
        "window_start": at(tomorrow(), hour), "plate": plate,
        "contact": "dispatch@carrier.example", "confirm": true,
    });
    if let Some(priority) = priority {
        body["priority"] = json!(priority);
    }
    app.send_as("POST", "/api/v1/bookings", key, Some(&body))
        .await
}

#[actix_web::test]
async fn a_carrier_sees_and_changes_only_its_own_bookings() {
    let app = spawn_app().await;
    let alpha = key(&app, "Alpha Logistics").await;
    let beta = key(&app, "Beta Freight").await;

    let booked = book_as(&app, &alpha, "TR 100", 8, None).await;
    assert_eq!(booked.status, 201, "{}", booked.text);
    let code = booked.body["code"].as_str().unwrap();
    let path = format!("/api/v1/bookings/{code}");

    // Its own booking, without the manage token.
    let own = app.send_as("GET", &path, &alpha, None).await;
    assert_eq!(own.status, 200, "{}", own.text);
    let listed = app
        .send_as("GET", "/api/v1/carrier/bookings", &alpha, None)
        .await;
    assert_eq!(
        listed.body["bookings"].as_array().unwrap().len(),
        1,
        "{}",
        listed.text
    );
    let none = app
        .send_as("GET", "/api/v1/carrier/bookings", &beta, None)
        .await;
    assert_eq!(none.body["bookings"].as_array().unwrap().len(), 0);

    // Another carrier's code is an unknown code.
    let unknown = app
        .send_as("GET", "/api/v1/bookings/ABCD-2345", &beta, None)
        .await;
    let foreign = app.send_as("GET", &path, &beta, None).await;
    assert_problem(&foreign, 404, "not-found");
    assert_eq!(foreign.text, unknown.text);
    let cancel = app.send_as("DELETE", &path, &beta, None).await;
    assert_problem(&cancel, 404, "not-found");
    assert_eq!(
        app.send_as("GET", &path, &alpha, None).await.body["status"],
        "confirmed"
    );

    let cancelled = app.send_as("DELETE", &path, &alpha, None).await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
}

#[actix_web::test]
async fn keys_are_shown_once_capped_rate_limited_and_revocable() {
    let app = spawn_app().await;
    let created = create_key(
        &app,
        json!({ "name": "Gamma", "active_bookings_max": 2, "requests_per_second": 1, "burst": 4 }),
    )
    .await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    let gamma = format!("Bearer {}", created.body["key"].as_str().unwrap());
    let admin = format!("Bearer {}", app.staff_token(StaffRole::Admin).await);
    let listed = app
        .send_as("GET", "/api/v1/admin/api-keys", &admin, None)
        .await;
    assert!(
        !listed.text.contains(created.body["key"].as_str().unwrap()),
        "the key is shown once"
    );
    assert_eq!(listed.body["keys"][0]["name"], "Gamma");

    for i in 0..2 {
        let booked = book_as(&app, &gamma, &format!("GQ {i}00"), 8 + i, None).await;
        assert_eq!(booked.status, 201, "{}", booked.text);
    }
    let over = book_as(&app, &gamma, "GQ 300", 11, None).await;
    assert_problem(&over, 429, "quota-exceeded");

    let mut limited = 0;
    for _ in 0..6 {
        let response = app
            .send_as("GET", "/api/v1/carrier/bookings", &gamma, None)
            .await;
        if response.status == 429 {
            assert!(response.headers.get("retry-after").is_some());
            limited += 1;
        }
    }
    assert!(limited >= 2, "{limited} of 6 limited");

    let revoked = app
        .send_as(
            "DELETE",
            &format!("/api/v1/admin/api-keys/{id}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(revoked.status, 204);
    let refused = app
        .send_as("GET", "/api/v1/carrier/bookings", &gamma, None)
        .await;
    assert_problem(&refused, 401, "unauthenticated");
    let forged = app
        .send(
            "GET",
            "/api/v1/carrier/bookings",
            &[("authorization", "Bearer bsk_nonsense")],
            None,
        )
        .await;
    assert_problem(&forged, 401, "unauthenticated");
}

#[actix_web::test]
async fn only_privileged_keys_book_priority_capacity() {
    let app = spawn_app().await;
    let plain = key(&app, "Plain").await;
    let privileged = create_key(&app, json!({ "name": "Aid convoy", "privileged": true })).await;
    let privileged = format!("Bearer {}", privileged.body["key"].as_str().unwrap());

    assert_problem(
        &book_as(&app, &plain, "PR 100", 8, Some("humanitarian")).await,
        403,
        "forbidden",
    );
    let aid = book_as(&app, &privileged, "PR 200", 8, Some("humanitarian")).await;
    assert_eq!(aid.status, 201, "{}", aid.text);
    assert_eq!(aid.body["priority"], "humanitarian");
}

#[actix_web::test]
async fn concurrent_bookings_of_one_carrier_never_pass_its_cap() {
    let app = spawn_app().await;
    let created = create_key(
        &app,
        json!({ "name": "Rush Ltd", "active_bookings_max": 2 }),
    )
    .await;
    let key = format!("Bearer {}", created.body["key"].as_str().unwrap());

    let plates: Vec<String> = (0..6).map(|i| format!("RC {i}00")).collect();
    let attempts = plates
        .iter()
        .zip(8..)
        .map(|(plate, hour)| book_as(&app, &key, plate, hour, None));
    let answers = futures_util::future::join_all(attempts).await;

    let statuses: Vec<u16> = answers.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        2,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 429),
        "{statuses:?}"
    );
}

//! No client can flood the API or sit on a day's windows (OWASP API6).

use borderslot::config::ClientLimits;
use serde_json::json;

use crate::helpers::{assert_problem, at, spawn_app_with, tomorrow};

#[actix_web::test]
async fn a_client_over_its_request_rate_gets_429_with_retry_after() {
    let app = spawn_app_with(Vec::new(), |settings| {
        settings.limits = ClientLimits {
            requests_per_second: 1,
            burst: 3,
            holds_per_hold_ttl: 0,
        };
    })
    .await;

    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(app.get("/api/v1/checkpoints").await);
    }
    let limited: Vec<_> = statuses.iter().filter(|r| r.status == 429).collect();
    assert!(
        (2..=3).contains(&limited.len()),
        "{:?}",
        statuses.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert_problem(limited[0], 429, "rate-limited");
    let retry_after: u64 = limited[0]
        .headers
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    // Probes are never limited.
    assert_eq!(app.get("/healthz").await.status, 200);
    assert!(
        app.get("/metrics")
            .await
            .text
            .contains("borderslot_rate_limit_rejections_total{limit=\"requests\"}")
    );
}

#[actix_web::test]
async fn the_pages_share_the_address_s_rate_and_say_so_in_a_page() {
    let app = spawn_app_with(Vec::new(), |settings| {
        settings.limits = ClientLimits {
            requests_per_second: 1,
            burst: 2,
            holds_per_hold_ttl: 0,
        };
    })
    .await;
    let web = app.web("en");

    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(web.get("/status/narva").await);
    }
    let limited = statuses
        .iter()
        .find(|r| r.status == 429)
        .expect("a page flood is limited");
    assert!(
        limited
            .text
            .contains("Too many requests from your connection")
    );
    assert!(limited.headers.get("retry-after").is_some());
    // The page's own style sheet and script still load.
    assert_eq!(web.get("/static/app.css").await.status, 200);
}

#[actix_web::test]
async fn a_client_cannot_start_more_bookings_than_its_holds_allowance() {
    let app = spawn_app_with(Vec::new(), |settings| {
        settings.limits = ClientLimits {
            requests_per_second: 0,
            burst: 1,
            holds_per_hold_ttl: 2,
        };
    })
    .await;
    let day = tomorrow();
    for i in 0..2 {
        let held = app
            .book("narva", &at(day, 8 + i), &format!("HL{i}00"), false)
            .await;
        assert_eq!(held.status, 201, "{}", held.text);
    }
    let third = app.book("narva", &at(day, 10), "HL300", false).await;
    assert_problem(&third, 429, "rate-limited");
    assert!(third.headers.get("retry-after").is_some());
}

#[actix_web::test]
async fn a_contact_holds_at_most_three_windows_a_day_unconfirmed() {
    let app = spawn_app_with(Vec::new(), |_| {}).await;
    let day = tomorrow();
    let hold = |i: u32| {
        let app = &app;
        async move {
            app.post_booking(&json!({
                "checkpoint": "narva", "direction": "entry", "category": "car",
                "window_start": at(day, 8 + i), "plate": format!("CT{i}00"),
                "contact": "same@example.com",
            }))
            .await
        }
    };
    let mut held = Vec::new();
    for i in 0..3 {
        let response = hold(i).await;
        assert_eq!(response.status, 201, "{}", response.text);
        held.push(response.body);
    }
    let fourth = hold(3).await;
    assert_problem(&fourth, 429, "too-many-holds");
    assert_eq!(fourth.headers.get("retry-after").unwrap(), "60");

    // Confirming one frees a hold; booking outright is never limited by holds.
    let confirmed = app.managed("POST", &held[0], "/confirm", None).await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
    assert_eq!(hold(3).await.status, 201);
    let booked = app.book("narva", &at(day, 14), "CT900", true).await;
    assert_eq!(booked.status, 201, "{}", booked.text);
}

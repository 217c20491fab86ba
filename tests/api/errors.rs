//! Bad input gets a clear problem document with the right status, never a 5xx.

use serde_json::json;

use crate::helpers::{assert_problem, at, spawn_app, tomorrow};

#[actix_web::test]
async fn bad_booking_requests_get_problem_documents_with_the_right_status() {
    let app = spawn_app().await;
    let day = tomorrow();
    let valid = json!({
        "checkpoint": "narva", "direction": "entry", "category": "car",
        "window_start": at(day, 8), "plate": "123ABC",
    });
    let with = |field: &str, value: serde_json::Value| {
        let mut body = valid.clone();
        body[field] = value;
        body
    };
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("not json", b"{not json".to_vec(), 400, "bad-request"),
        (
            "wrong type",
            with("plate", json!(42)).to_string().into_bytes(),
            422,
            "invalid-input",
        ),
        (
            "unknown field",
            with("confrim", json!(true)).to_string().into_bytes(),
            422,
            "invalid-input",
        ),
        (
            "missing field",
            json!({ "checkpoint": "narva" }).to_string().into_bytes(),
            422,
            "invalid-input",
        ),
        (
            "unknown checkpoint",
            with("checkpoint", json!("atlantis"))
                .to_string()
                .into_bytes(),
            422,
            "unknown-checkpoint",
        ),
        (
            "malformed checkpoint",
            with("checkpoint", json!("NARVA!")).to_string().into_bytes(),
            422,
            "invalid-input",
        ),
        (
            "bad direction",
            with("direction", json!("sideways"))
                .to_string()
                .into_bytes(),
            422,
            "invalid-input",
        ),
        (
            "bad category",
            with("category", json!("tank")).to_string().into_bytes(),
            422,
            "invalid-input",
        ),
        (
            "bad plate",
            with("plate", json!("<script>")).to_string().into_bytes(),
            422,
            "invalid-input",
        ),
        (
            "bad contact",
            with("contact", json!("nobody")).to_string().into_bytes(),
            422,
            "invalid-input",
        ),
        (
            "bad time",
            with("window_start", json!("tomorrow at 8"))
                .to_string()
                .into_bytes(),
            422,
            "invalid-input",
        ),
        (
            "past window",
            with("window_start", json!("2026-03-19T08:00:00Z"))
                .to_string()
                .into_bytes(),
            422,
            "window-closed",
        ),
        (
            "too soon",
            with("window_start", json!("2026-03-20T06:00:00Z"))
                .to_string()
                .into_bytes(),
            422,
            "window-closed",
        ),
        (
            "beyond horizon",
            with("window_start", json!("2026-05-20T08:00:00Z"))
                .to_string()
                .into_bytes(),
            422,
            "window-closed",
        ),
        (
            "not a window start",
            with("window_start", json!(format!("{day}T08:30:00Z")))
                .to_string()
                .into_bytes(),
            422,
            "unknown-window",
        ),
        (
            "bad priority",
            with("priority", json!("vip")).to_string().into_bytes(),
            422,
            "invalid-input",
        ),
        (
            "huge number",
            br#"{"checkpoint": "narva", "confirm": 1e400}"#.to_vec(),
            400,
            "bad-request",
        ),
        (
            "nested junk",
            br#"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"#.to_vec(),
            422,
            "invalid-input",
        ),
    ];
    for (name, body, status, problem) in cases {
        let response = app.send("POST", "/api/v1/bookings", &[], Some(&body)).await;
        assert!(response.status.as_u16() < 500, "{name}: {}", response.text);
        assert_problem(&response, status, problem);
        assert!(
            !response.body["detail"].as_str().unwrap().is_empty(),
            "{name}"
        );
    }
    assert_eq!(app.store.audit().await.unwrap().active_bookings, 0);
}

#[actix_web::test]
async fn routing_errors_are_problem_documents_too() {
    let app = spawn_app().await;

    let unknown_path = app.get("/api/v1/nothing-here").await;
    let wrong_method = app.send("PUT", "/api/v1/bookings", &[], Some(b"{}")).await;
    let unknown_checkpoint = app.get("/api/v1/checkpoints/atlantis/availability").await;
    let bad_date = app
        .get("/api/v1/checkpoints/narva/availability?date=yesterday")
        .await;
    let far_date = app
        .get("/api/v1/checkpoints/narva/availability?date=2027-01-01")
        .await;
    let too_large = app
        .send(
            "POST",
            "/api/v1/bookings",
            &[],
            Some(&vec![b' '; 200 * 1024]),
        )
        .await;
    let malformed_code = app
        .send(
            "GET",
            "/api/v1/bookings/%00%FF",
            &[("x-manage-token", "x")],
            None,
        )
        .await;

    assert_problem(&unknown_path, 404, "no-such-route");
    assert_problem(&wrong_method, 405, "method-not-allowed");
    assert_problem(&unknown_checkpoint, 404, "not-found");
    assert_problem(&bad_date, 422, "invalid-input");
    assert_problem(&far_date, 422, "window-closed");
    assert_eq!(too_large.status.as_u16(), 413, "{}", too_large.text);
    assert_problem(&malformed_code, 404, "not-found");
}

#[actix_web::test]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;

    let health = app.get("/healthz").await;
    let ready = app.get("/readyz").await;
    let home = app.get("/").await;

    assert_eq!(health.status, 200);
    assert_eq!(ready.status, 200);
    assert_eq!(home.status, 200);
    assert!(home.text.contains("Narva"));
}

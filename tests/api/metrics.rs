//! `/metrics` on a real scrape, checked by Prometheus's own `promtool`; request ids.

use std::io::Write;
use std::process::{Child, Command, Stdio};

use serde_json::json;

use crate::helpers::{at, spawn_app, tomorrow};

/// `promtool check metrics` on `text`; `None` (outside CI) when promtool is not installed.
fn promtool_check(text: &str) -> Option<(bool, String)> {
    let Ok(child) = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        assert!(
            std::env::var("CI").map_or(true, |ci| ci != "true"),
            "promtool must be installed under CI (Debian package prometheus)"
        );
        eprintln!("skipped the promtool check: promtool is not installed");
        return None;
    };
    Some(feed(child, text))
}

fn feed(mut child: Child, text: &str) -> (bool, String) {
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), said)
}

#[actix_web::test]
async fn a_scrape_has_the_system_figures_and_passes_promtool() {
    let app = spawn_app().await;
    let booked = app.book("narva", &at(tomorrow(), 8), "MT100", true).await;
    assert_eq!(booked.status, 201, "{}", booked.text);
    let refused = app
        .post_booking(&json!({ "checkpoint": "narva", "direction": "sideways" }))
        .await;
    assert_eq!(refused.status, 422);
    app.wait_until_published(std::time::Duration::from_secs(10))
        .await;

    let scrape = app.get("/metrics").await;
    assert_eq!(scrape.status, 200);
    let content_type = scrape.header("content-type");
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let text = scrape.text;
    for expected in [
        "# HELP borderslot_http_request_duration_seconds",
        "borderslot_http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/v1/bookings\",status=\"201\"",
        "borderslot_bookings_total{checkpoint=\"narva\",result=\"created\"}",
        "borderslot_bookings_total{checkpoint=\"narva\",result=\"invalid\"}",
        "borderslot_store_commit_batch_requests_bucket",
        "borderslot_store_commit_duration_seconds_bucket",
        "borderslot_checkpoint_utilisation_ratio{checkpoint=\"narva\",day=\"tomorrow\"}",
        "borderslot_outbox_backlog_events",
        "borderslot_events_published_total",
        "borderslot_events_consumed_total{group=\"statistics\",outcome=\"done\"}",
        "borderslot_http_requests_in_flight",
        "borderslot_schedule_actor_queue_depth{checkpoint=\"narva\"}",
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
    // Route templates, never raw paths with booking codes.
    let code = booked.body["code"].as_str().unwrap();
    assert!(!text.contains(code));

    if let Some((passed, said)) = promtool_check(&text) {
        assert!(passed, "promtool check metrics:\n{said}");
    }
}

#[actix_web::test]
async fn every_answer_carries_a_request_id() {
    let app = spawn_app().await;
    let given = app
        .send(
            "GET",
            "/api/v1/checkpoints",
            &[("x-request-id", "trace-42")],
            None,
        )
        .await;
    assert_eq!(given.headers.get("x-request-id").unwrap(), "trace-42");

    let generated = app.get("/api/v1/checkpoints").await;
    let id = generated.header("x-request-id");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");

    let garbage = app
        .send(
            "GET",
            "/nowhere",
            &[("x-request-id", &"x".repeat(500))],
            None,
        )
        .await;
    assert_eq!(garbage.status, 404);
    let replaced = garbage.header("x-request-id");
    assert!(uuid::Uuid::parse_str(replaced).is_ok(), "{replaced}");
}

#[actix_web::test]
async fn the_request_id_travels_into_the_events_the_request_causes() {
    // No relay: the events stay in the outbox to be read.
    let app = crate::helpers::spawn_app_with(Vec::new(), |settings| {
        settings.role = borderslot::config::Role::Api;
    })
    .await;
    let body = json!({
        "checkpoint": "narva", "direction": "entry", "category": "car",
        "window_start": at(tomorrow(), 8), "plate": "RQ100",
        "contact": "rq@example.com", "confirm": true,
    })
    .to_string();
    let booked = app
        .send(
            "POST",
            "/api/v1/bookings",
            &[("x-request-id", "trace-events-7")],
            Some(body.as_bytes()),
        )
        .await;
    assert_eq!(booked.status, 201, "{}", booked.text);

    let events = app.store.outbox_pending(10).await.unwrap();
    let ids: Vec<_> = events
        .iter()
        .map(|e| e.event.request_id.as_deref())
        .collect();
    assert_eq!(ids, [Some("trace-events-7"), Some("trace-events-7")]);
}

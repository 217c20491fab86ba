//! The best time to cross: the public endpoint and pages read the demand forecast, and mark the
//! hours expecting at most half of the day's mean hour as quiet.

use borderslot::seed::seed_history;
use indicatif::ProgressBar;
use serde_json::Value;

use crate::helpers::{Backend, assert_problem, spawn_app, spawn_app_on, test_start, tomorrow};

fn numbers(values: &Value) -> Vec<f64> {
    values
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["expected"].as_f64().unwrap())
        .collect()
}

crate::on_both_backends!(best_times_agree_with_the_forecast);

async fn best_times_agree_with_the_forecast(backend: Backend) {
    let Some(app) = spawn_app_on(backend, Vec::new(), |_| {}).await else {
        return;
    };
    seed_history(
        app.store.as_ref(),
        test_start(),
        120,
        &ProgressBar::hidden(),
    )
    .await
    .unwrap();

    let best = app
        .get("/api/v1/checkpoints/narva/best-times?days=7&category=car")
        .await;
    let forecast = app
        .get_as_analyst("/api/v1/forecast?checkpoint=narva&from=2026-03-20&days=7&category=car")
        .await;

    assert_eq!(best.status, 200, "{}", best.text);
    assert_eq!(forecast.status, 200, "{}", forecast.text);
    let body = &best.body;
    assert_eq!(
        (&body["from"], &body["to"]),
        (&"2026-03-20".into(), &"2026-03-26".into())
    );
    assert_eq!(body["category"], "car");
    let days = body["days"].as_array().unwrap();
    assert_eq!(days.len(), 7);
    for (day, expected) in days.iter().zip(forecast.body["days"].as_array().unwrap()) {
        assert_eq!(
            (&day["date"], &day["expected"]),
            (&expected["date"], &expected["expected"])
        );
    }
    let forecast_hours = forecast.body["hours"].as_array().unwrap();
    for day in days {
        let of_day: Vec<&Value> = forecast_hours
            .iter()
            .filter(|h| h["date"] == day["date"])
            .collect();
        let hours = day["hours"].as_array().unwrap();
        assert_eq!(hours.len(), of_day.len(), "{}", day["date"]);
        let mean = numbers(&day["hours"]).iter().sum::<f64>() / hours.len() as f64;
        let mut quiet = Vec::new();
        for (hour, expected) in hours.iter().zip(of_day) {
            assert_eq!(hour["hour"], expected["hour"]);
            assert_eq!(hour["expected"], expected["expected"]);
            let is_quiet = hour["expected"].as_f64().unwrap() <= mean / 2.0;
            assert_eq!(hour["quiet"], is_quiet, "{} {}", day["date"], hour["hour"]);
            if is_quiet {
                quiet.push(hour["hour"].clone());
            }
        }
        assert_eq!(day["quiet_hours"], Value::from(quiet));
        // Nights at a border are quiet; the afternoon is not.
        let quiet_hours = day["quiet_hours"].as_array().unwrap();
        assert!(quiet_hours.contains(&3.into()), "{day}");
        assert!(!quiet_hours.contains(&17.into()), "{day}");
    }

    // The queue page shows the same and the day page marks the windows in quiet hours.
    let page = app.get("/status/narva").await;
    assert_eq!(page.status, 200);
    assert!(
        page.text.contains("The best time to cross"),
        "{}",
        page.text
    );
    assert!(
        page.text
            .contains("td class=\"number quiet\" data-hour=\"3\"")
    );
    let day = app
        .get(&format!(
            "/windows?checkpoint=narva&direction=entry&category=car&date={}",
            tomorrow()
        ))
        .await;
    assert_eq!(day.status, 200);
    assert!(day.text.contains("Quiet hour"), "{}", day.text);
}

#[actix_web::test]
async fn best_times_without_history_mark_no_hour_quiet() {
    let app = spawn_app().await;

    let response = app.get("/api/v1/checkpoints/medyka/best-times").await;

    assert_eq!(response.status, 200, "{}", response.text);
    let days = response.body["days"].as_array().unwrap();
    assert_eq!(days.len(), 7);
    assert_eq!(response.body["category"], Value::Null);
    for day in days {
        assert_eq!(day["quiet_hours"], Value::Array(Vec::new()));
        assert!(numbers(&day["hours"]).iter().all(|&v| v == 0.0));
    }
    let page = app.get("/status/medyka").await;
    assert!(page.text.contains("none stand out"), "{}", page.text);
}

#[actix_web::test]
async fn best_times_input_errors_are_problems() {
    let app = spawn_app().await;

    for (query, status, problem) in [
        ("atlantis/best-times", 404, "not-found"),
        ("narva/best-times?days=0", 422, "invalid-input"),
        ("narva/best-times?days=15", 422, "invalid-input"),
        ("narva/best-times?days=seven", 422, "invalid-input"),
        ("narva/best-times?category=boat", 422, "invalid-input"),
    ] {
        let response = app.get(&format!("/api/v1/checkpoints/{query}")).await;
        assert_problem(&response, status, problem);
    }
}

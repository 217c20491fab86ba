//! Synthetic history (`seed --history-days`) and the forecast learned from it, on both stores.

use std::time::Duration;

use borderslot::domain::{Category, CheckpointId};
use borderslot::seed::seed_history;
use chrono::{Datelike, NaiveDate, Weekday};
use indicatif::ProgressBar;
use serde_json::Value;

use crate::helpers::{
    Backend, TestApp, assert_problem, at, counting_checkpoint, spawn_app, spawn_app_on,
    spawn_app_with, test_start, tomorrow,
};

fn narva() -> CheckpointId {
    CheckpointId::parse("narva").unwrap()
}

async fn seed(app: &TestApp, days: u32) -> u64 {
    seed_history(
        app.store.as_ref(),
        test_start(),
        days,
        &ProgressBar::hidden(),
    )
    .await
    .unwrap()
}

crate::on_both_backends!(forecast_after_seeded_history_uses_holt_winters_with_a_backtest);

async fn forecast_after_seeded_history_uses_holt_winters_with_a_backtest(backend: Backend) {
    let Some(app) = spawn_app_on(backend, Vec::new(), |_| {}).await else {
        return;
    };
    seed(&app, 120).await;

    let response = app
        .get_as_analyst("/api/v1/forecast?checkpoint=narva&from=2026-03-21&days=14&category=car")
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    let body = &response.body;
    assert_eq!(body["model"]["kind"], "holt_winters", "{}", body["model"]);
    for figure in ["smape_percent", "mae", "naive_smape_percent", "naive_mae"] {
        assert!(body["backtest"][figure].as_f64().is_some(), "{figure}");
    }
    assert_eq!(body["backtest"]["hours"], 336);
    assert_eq!(body["category"], "car");
    assert_eq!(
        (&body["from"], &body["to"]),
        (&"2026-03-21".into(), &"2026-04-03".into())
    );
    let history_from: NaiveDate = body["history"]["from"].as_str().unwrap().parse().unwrap();
    assert_eq!(history_from.weekday(), Weekday::Mon);
    assert_eq!(body["history"]["to"], "2026-03-19");
    assert!(body["history"]["days"].as_u64().unwrap() >= 110);

    let hours = body["hours"].as_array().unwrap();
    // Fourteen days, one of them (29 March) without 03:00 in Tallinn.
    assert_eq!(hours.len(), 14 * 24 - 1);
    assert!(hours.iter().all(|h| h["expected"].as_f64().unwrap() >= 0.0));
    let days = body["days"].as_array().unwrap();
    assert_eq!(days.len(), 14);
    for day in days {
        let of_day: f64 = hours
            .iter()
            .filter(|h| h["date"] == day["date"])
            .map(|h| h["expected"].as_f64().unwrap())
            .sum();
        let total = day["expected"].as_f64().unwrap();
        assert!((of_day - total).abs() < 0.2, "{day}: {of_day}");
        // Cars come by the hundred a day at narva (capacity 80 an hour).
        assert!((100.0..2000.0).contains(&total), "{day}");
    }
    // Nights are quieter than the afternoon.
    let mean_at = |hour: u64| {
        let values: Vec<f64> = hours
            .iter()
            .filter(|h| h["hour"] == hour)
            .map(|h| h["expected"].as_f64().unwrap())
            .collect();
        values.iter().sum::<f64>() / values.len() as f64
    };
    assert!(
        mean_at(3) * 3.0 < mean_at(17),
        "{} {}",
        mean_at(3),
        mean_at(17)
    );

    let all = app
        .get_as_analyst("/api/v1/forecast?checkpoint=narva&from=2026-03-21&days=1")
        .await;
    assert_eq!(all.status, 200, "{}", all.text);
    assert_eq!(all.body["category"], Value::Null);
    assert_eq!(all.body["hours"].as_array().unwrap().len(), 24);
}

crate::on_both_backends!(seeding_history_twice_gives_the_same_rows);

async fn seeding_history_twice_gives_the_same_rows(backend: Backend) {
    let Some(app) = spawn_app_on(backend, Vec::new(), |_| {}).await else {
        return;
    };
    // A real booking tomorrow: the history only ever writes days before today.
    let booked = app.book("narva", &at(tomorrow(), 6), "HS01", true).await;
    assert_eq!(booked.status, 201, "{}", booked.text);
    app.wait_until_published(Duration::from_secs(10)).await;
    let first_day = NaiveDate::from_ymd_opt(2026, 2, 28).unwrap();
    let yesterday = NaiveDate::from_ymd_opt(2026, 3, 19).unwrap();

    let written = seed(&app, 20).await;
    let once = app
        .store
        .statistics(&narva(), first_day, tomorrow())
        .await
        .unwrap();
    let written_again = seed(&app, 20).await;
    let twice = app
        .store
        .statistics(&narva(), first_day, tomorrow())
        .await
        .unwrap();

    // Three checkpoints × 20 days × 24 hours × 4 categories.
    assert_eq!((written, written_again), (3 * 20 * 24 * 4, 3 * 20 * 24 * 4));
    assert_eq!(once, twice);
    let history: Vec<_> = once.iter().filter(|r| r.key.day <= yesterday).collect();
    assert_eq!(history.len(), 20 * 24 * 4);
    assert_eq!(history[0].key.day, yesterday - chrono::Days::new(19));
    assert!(
        history
            .iter()
            .all(|r| r.counts.holds >= r.counts.confirmations)
    );
    assert!(history.iter().map(|r| r.counts.confirmations).sum::<i64>() > 0);
    let totals = app.statistics_totals("narva", tomorrow()).await;
    assert_eq!(
        (&totals["holds"], &totals["confirmations"]),
        (&1.into(), &1.into())
    );

    // Confirmations per hour add up the categories, or keep to one.
    let by_hour = app
        .store
        .confirmations_by_hour(&narva(), yesterday, yesterday, None)
        .await
        .unwrap();
    let cars = app
        .store
        .confirmations_by_hour(&narva(), yesterday, yesterday, Some(Category::Car))
        .await
        .unwrap();
    assert_eq!(by_hour.len(), 24);
    for (all, car) in by_hour.iter().zip(&cars) {
        let expected: i64 = history
            .iter()
            .filter(|r| r.key.day == yesterday && r.key.hour == all.hour)
            .map(|r| r.counts.confirmations)
            .sum();
        assert_eq!(all.count, expected);
        assert!(car.count <= all.count);
    }
}

#[actix_web::test]
async fn forecast_without_history_is_zero_from_the_mean_model() {
    let app = spawn_app().await;

    let response = app
        .get_as_analyst("/api/v1/forecast?checkpoint=medyka")
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    let body = &response.body;
    assert_eq!(body["model"]["kind"], "mean");
    assert_eq!(body["backtest"], Value::Null);
    assert_eq!(body["history"], Value::Null);
    assert_eq!(body["from"], "2026-03-21");
    assert_eq!(body["days"].as_array().unwrap().len(), 7);
    assert!(
        body["hours"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["expected"] == 0.0)
    );
}

#[actix_web::test]
async fn forecast_input_errors_are_problems() {
    let app = spawn_app_with(vec![counting_checkpoint("cars-only", 5, 0)], |_| {}).await;
    // The one checkpoint of this application serves cars only.
    for (query, status, problem) in [
        ("", 422, "invalid-input"),
        ("checkpoint=atlantis", 404, "not-found"),
        ("checkpoint=cars-only&days=0", 422, "invalid-input"),
        ("checkpoint=cars-only&days=15", 422, "invalid-input"),
        ("checkpoint=cars-only&days=two", 422, "invalid-input"),
        ("checkpoint=cars-only&days=-1", 422, "invalid-input"),
        ("checkpoint=cars-only&from=2026-02-31", 422, "invalid-input"),
        ("checkpoint=cars-only&from=2030-01-01", 422, "invalid-input"),
        ("checkpoint=cars-only&from=2020-01-01", 422, "invalid-input"),
        ("checkpoint=cars-only&category=plane", 422, "invalid-input"),
        ("checkpoint=cars-only&category=truck", 422, "invalid-input"),
    ] {
        let response = app
            .get_as_analyst(&format!("/api/v1/forecast?{query}"))
            .await;
        assert_problem(&response, status, problem);
    }
    let ok = app
        .get_as_analyst(
            "/api/v1/forecast?checkpoint=cars-only&category=car&days=14&from=2026-03-01",
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
}

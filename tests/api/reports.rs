//! The daily report: from real bookings made through the API, as JSON and CSV, on both stores;
//! its input errors; the job that writes it every day; and the `report` command.

use std::time::Duration;

use borderslot::actors::schedule::Block;
use borderslot::domain::window::generate_windows;
use borderslot::domain::{Category, CheckpointId, Direction, WindowSelection};
use borderslot::jobs::{Outcome, daily_report};
use borderslot::seed::demo_checkpoints;
use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::helpers::{
    Backend, TestApp, assert_problem, at, fresh_origin, open_store, spawn_app, spawn_app_on,
    test_start, tomorrow,
};

/// Tomorrow at narva (UTC+2, so 06:00Z is 08:00 local): three cars confirmed and one held at
/// 08:00 with one of the confirmed cancelled, two cars confirmed at 09:00, a truck leaving at
/// 12:00, and the buses leaving at 14:00 blocked.
async fn book_a_day(app: &TestApp) {
    let day = tomorrow();
    let mut eight = Vec::new();
    for (plate, confirm) in [
        ("RP01", true),
        ("RP02", true),
        ("RP03", true),
        ("RP04", false),
    ] {
        let response = app.book("narva", &at(day, 6), plate, confirm).await;
        assert_eq!(response.status, 201, "{}", response.text);
        eight.push(response.body);
    }
    let cancelled = app.managed("DELETE", &eight[0], "", None).await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    for plate in ["RP05", "RP06"] {
        let response = app.book("narva", &at(day, 7), plate, true).await;
        assert_eq!(response.status, 201, "{}", response.text);
    }
    let truck = app
        .post_booking(&json!({
            "checkpoint": "narva", "direction": "exit", "category": "truck",
            "window_start": at(day, 10), "plate": "RP07", "contact": "driver@example.com",
            "confirm": true,
        }))
        .await;
    assert_eq!(truck.status, 201, "{}", truck.text);
    let blocked = app
        .registry
        .ask(
            &CheckpointId::parse("narva").unwrap(),
            day,
            Block {
                selection: WindowSelection {
                    from: at(day, 12).parse().unwrap(),
                    to: at(day, 13).parse().unwrap(),
                    direction: Some(Direction::Exit),
                    categories: vec![Category::Bus],
                },
                reason: "lane closed".to_owned(),
                cancel_affected: false,
            },
        )
        .await
        .unwrap();
    assert_eq!(blocked.len(), 1);
    app.wait_until_published(Duration::from_secs(10)).await;
}

fn hour(report: &Value, hour: u64) -> &Value {
    report["hours"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["hour"] == hour)
        .unwrap_or_else(|| panic!("no hour {hour} in {report}"))
}

crate::on_both_backends!(daily_report_adds_up_bookings_made_through_the_api);

async fn daily_report_adds_up_bookings_made_through_the_api(backend: Backend) {
    let Some(app) = spawn_app_on(backend, Vec::new(), |_| {}).await else {
        return;
    };
    book_a_day(&app).await;

    let response = app
        .get_as_analyst("/api/v1/reports/daily?checkpoint=narva&date=2026-03-21")
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    let report = &response.body;
    assert_eq!(report["date"], "2026-03-21");
    assert_eq!(report["time_zone"], "Europe/Tallinn");
    let day = &report["day"];
    // 24 hourly windows × 2 directions × 4 categories of 40 + 12 + 4 + 6 places.
    assert_eq!(day["windows"], 192, "{day}");
    assert_eq!(day["capacity"], 24 * 2 * 62, "{day}");
    assert_eq!(day["blocked_windows"], 1, "{day}");
    assert_eq!((&day["held"], &day["confirmed"]), (&json!(1), &json!(5)));
    assert_eq!(day["taken"], 6);
    assert_eq!(day["utilisation_percent"], 0.2);
    assert_eq!(
        (&day["holds"], &day["confirmations"], &day["cancellations"]),
        (&json!(7), &json!(6), &json!(1)),
        "{day}"
    );
    assert!(day["mean_lead_time_hours"].as_f64().unwrap() > 20.0);

    let line = |direction: &str, category: &str| {
        report["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["direction"] == direction && l["category"] == category)
            .unwrap()
            .clone()
    };
    assert_eq!(report["lines"].as_array().unwrap().len(), 8);
    assert_eq!(line("entry", "car")["taken"], 5);
    assert_eq!(line("exit", "truck")["confirmed"], 1);
    assert_eq!(line("exit", "bus")["blocked_windows"], 1);
    assert!(line("exit", "car").get("holds").is_none());

    let categories: Vec<(Value, Value, Value)> = report["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["category"].clone(),
                c["holds"].clone(),
                c["confirmations"].clone(),
            )
        })
        .collect();
    assert_eq!(
        categories,
        [
            (json!("car"), json!(6), json!(5)),
            (json!("truck"), json!(1), json!(1)),
            (json!("bus"), json!(0), json!(0)),
            (json!("motorcycle"), json!(0), json!(0)),
        ]
    );

    assert_eq!(report["hours"].as_array().unwrap().len(), 24);
    let eight = hour(report, 8);
    assert_eq!((&eight["taken"], &eight["holds"]), (&json!(3), &json!(4)));
    assert_eq!(eight["cancellations"], 1);
    assert_eq!(hour(report, 9)["confirmations"], 2);
    assert_eq!(hour(report, 12)["confirmed"], 1);
    assert_eq!(hour(report, 14)["blocked_windows"], 1);
    let taken_in_hours: u64 = report["hours"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["taken"].as_u64().unwrap())
        .sum();
    assert_eq!(taken_in_hours, 6);

    let csv = app
        .get_as_analyst("/api/v1/reports/daily?checkpoint=narva&date=2026-03-21&format=csv")
        .await;

    assert_eq!(csv.status, 200, "{}", csv.text);
    assert_eq!(
        csv.headers.get("content-type").unwrap(),
        "text/csv; charset=utf-8"
    );
    assert_eq!(
        csv.headers.get("content-disposition").unwrap(),
        "attachment; filename=\"narva-2026-03-21.csv\""
    );
    let mut reader = csv::Reader::from_reader(csv.text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    // The day, 4 categories, 8 direction × category lines and 24 hours.
    assert_eq!(rows.len(), 1 + 4 + 8 + 24);
    let day_row = &rows[0];
    assert_eq!(&day_row[column("section")], "day");
    assert_eq!(&day_row[column("checkpoint")], "narva");
    assert_eq!(&day_row[column("taken")], "6");
    assert_eq!(&day_row[column("confirmations")], "6");
    assert_eq!(&day_row[column("blocked_windows")], "1");
    let eight = rows
        .iter()
        .find(|r| &r[column("section")] == "hour" && &r[column("hour")] == "8")
        .unwrap();
    assert_eq!(&eight[column("holds")], "4");
}

#[actix_web::test]
async fn daily_report_input_errors_are_problems() {
    let app = spawn_app().await;
    for (query, status, problem) in [
        ("", 422, "invalid-input"),
        ("checkpoint=atlantis", 404, "not-found"),
        ("checkpoint=Narva", 404, "not-found"),
        ("checkpoint=narva&date=2026-02-30", 422, "invalid-input"),
        ("checkpoint=narva&date=yesterday", 422, "invalid-input"),
        ("checkpoint=narva&format=xlsx", 422, "invalid-input"),
    ] {
        let response = app
            .get_as_analyst(&format!("/api/v1/reports/daily?{query}"))
            .await;
        assert_problem(&response, status, problem);
        assert!(!response.text.contains("SQL"), "{query}");
    }
}

#[actix_web::test]
async fn daily_report_covers_yesterday_at_the_checkpoint_by_default() {
    let app = spawn_app().await;

    let response = app
        .get_as_analyst("/api/v1/reports/daily?checkpoint=sarp")
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.body["date"], "2026-03-19");
    // The schedule starts today, so yesterday has no windows.
    assert_eq!(response.body["day"]["windows"], 0);
    assert_eq!(response.body["day"]["utilisation_percent"], Value::Null);
}

crate::on_both_backends!(window_totals_follow_local_hours_across_daylight_saving_changes);

async fn window_totals_follow_local_hours_across_daylight_saving_changes(backend: Backend) {
    let Some(origin) = fresh_origin(backend).await else {
        return;
    };
    let store = open_store(&origin).await;
    let narva = demo_checkpoints().remove(0);
    store.upsert_checkpoint(&narva).await.unwrap();
    let spring = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
    let autumn = NaiveDate::from_ymd_opt(2026, 10, 25).unwrap();
    for day in [spring, autumn] {
        store
            .ensure_windows(&narva.id, day, &generate_windows(&narva, day))
            .await
            .unwrap();
    }

    let spring_totals = store.window_totals(&narva.id, spring).await.unwrap();
    let autumn_totals = store.window_totals(&narva.id, autumn).await.unwrap();

    let hours = |totals: &[borderslot::domain::statistics::WindowTotals]| {
        let mut hours: Vec<u8> = totals
            .iter()
            .filter(|t| t.direction == Direction::Entry && t.category == Category::Car)
            .map(|t| t.hour)
            .collect();
        hours.sort_unstable();
        hours
    };
    let without_three: Vec<u8> = (0..24).filter(|&h| h != 3).collect();
    assert_eq!(hours(&spring_totals), without_three);
    assert_eq!(hours(&autumn_totals), (0..24).collect::<Vec<u8>>());
    let three = autumn_totals
        .iter()
        .find(|t| t.hour == 3 && t.direction == Direction::Exit && t.category == Category::Truck)
        .unwrap();
    assert_eq!((three.windows, three.capacity), (2, 24));
    let windows: u32 = autumn_totals.iter().map(|t| t.windows).sum();
    assert_eq!(windows, 25 * 2 * 4);
}

#[actix_web::test]
async fn the_daily_job_writes_yesterdays_reports_once() {
    let app = spawn_app().await;
    // The application's own job writes on start-up into its report folder.
    let own = app.data_dir.join("reports").join("narva-2026-03-19.csv");
    let started = std::time::Instant::now();
    while !own.is_file() {
        assert!(started.elapsed() < Duration::from_secs(10), "no {own:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let dir = tempfile::tempdir().unwrap();

    let first = daily_report::try_run_once(app.store.as_ref(), dir.path(), test_start())
        .await
        .unwrap();
    let second = daily_report::try_run_once(app.store.as_ref(), dir.path(), test_start())
        .await
        .unwrap();

    assert_eq!(first, Outcome::Worked(3));
    assert_eq!(second, Outcome::Idle);
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "medyka-2026-03-19.csv",
            "medyka-2026-03-19.json",
            "narva-2026-03-19.csv",
            "narva-2026-03-19.json",
            "sarp-2026-03-19.csv",
            "sarp-2026-03-19.json",
        ]
    );
    let json: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("narva-2026-03-19.json")).unwrap())
            .unwrap();
    assert_eq!(json["checkpoint"], "narva");
}

#[actix_web::test]
async fn the_report_command_writes_json_and_csv_from_seeded_history() {
    let data = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_borderslot"))
            .args(args)
            .env_remove("DATABASE_URL")
            .env_remove("REPORT_DIR")
            .env("DATA_DIR", data.path())
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    run(&["seed", "--history-days", "3"]);
    let yesterday = (chrono::Utc::now().date_naive() - chrono::Days::new(1)).to_string();

    let printed = run(&[
        "report",
        "--checkpoint",
        "narva",
        "--out-dir",
        out.path().to_str().unwrap(),
    ]);

    let json = out.path().join(format!("narva-{yesterday}.json"));
    let csv = out.path().join(format!("narva-{yesterday}.csv"));
    assert_eq!(
        printed.lines().collect::<Vec<_>>(),
        [json.to_str().unwrap(), csv.to_str().unwrap()]
    );
    let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert!(
        report["day"]["confirmations"].as_i64().unwrap() > 0,
        "{report}"
    );
    assert!(
        std::fs::read_to_string(&csv)
            .unwrap()
            .starts_with("checkpoint,date,section")
    );
}

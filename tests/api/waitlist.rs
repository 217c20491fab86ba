//! The waitlist: drivers wait for full windows; a freed place is offered to the first of them
//! as a hold taken in the same decision, passes along the list as offers run out, never goes
//! to a direct booking meanwhile, and survives a restart of either store.

use std::rc::Rc;

use borderslot::actors::schedule::ExpireDue;
use borderslot::domain::CheckpointId;
use chrono::Duration;
use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::helpers::{
    Backend, Response, TestApp, assert_problem, at, counting_checkpoint, spawn_app_in,
    spawn_app_on, tomorrow,
};

const CHECKPOINT: &str = "wait";

impl TestApp {
    /// `plate` joins the waitlist of `CHECKPOINT` for the car windows starting at `starts`.
    async fn join_waitlist(&self, plate: &str, starts: &[&str]) -> Response {
        self.post_json(
            "/api/v1/waitlist",
            &json!({
                "checkpoint": CHECKPOINT, "direction": "entry", "category": "car",
                "window_starts": starts, "plate": plate,
                "contact": format!("{}@example.com", plate.to_lowercase()),
            }),
            &[],
        )
        .await
    }

    /// A request about a waitlist entry, with its token.
    async fn entry(&self, method: &str, entry: &Value, suffix: &str) -> Response {
        let id = entry["id"].as_str().unwrap();
        let token = entry["token"].as_str().unwrap();
        self.send(
            method,
            &format!("/api/v1/waitlist/{id}{suffix}"),
            &[("x-manage-token", token)],
            None,
        )
        .await
    }

    async fn entry_status(&self, entry: &Value) -> String {
        let read = self.entry("GET", entry, "").await;
        assert_eq!(read.status, 200, "{}", read.text);
        read.body["status"].as_str().unwrap().to_owned()
    }

    async fn expire_due(&self) {
        let checkpoint = CheckpointId::parse(CHECKPOINT).unwrap();
        self.registry
            .ask(&checkpoint, tomorrow(), ExpireDue)
            .await
            .unwrap();
    }
}

crate::on_both_backends!(an_offer_passes_along_three_waiting_drivers_as_each_runs_out);

async fn an_offer_passes_along_three_waiting_drivers_as_each_runs_out(backend: Backend) {
    // Arrange: one place at 08:00, booked; three drivers wait for it.
    let Some(app) =
        spawn_app_on(backend, vec![counting_checkpoint(CHECKPOINT, 1, 0)], |_| {}).await
    else {
        return;
    };
    let day = tomorrow();
    let window = at(day, 8);
    let booked = app.book(CHECKPOINT, &window, "HOLDER1", true).await;
    assert_eq!(booked.status, 201, "{}", booked.text);
    let mut waiting = Vec::new();
    for (n, plate) in ["WAIT1", "WAIT2", "WAIT3"].iter().enumerate() {
        let joined = app.join_waitlist(plate, &[&window]).await;
        assert_eq!(joined.status, 201, "{}", joined.text);
        assert_eq!(joined.body["status"], "waiting");
        assert_eq!(joined.body["position"], n + 1);
        waiting.push(joined.body);
    }

    // Act: the booking is cancelled; its place goes to the first waiting driver.
    let cancelled = app.managed("DELETE", &booked.body, "", None).await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);

    // Assert: offered, held, and nobody else can take it meanwhile.
    let first = app.entry("GET", &waiting[0], "").await;
    assert_eq!(first.body["status"], "offered", "{}", first.text);
    assert_eq!(first.body["offer"]["window"]["start"], window);
    assert_eq!(app.available(CHECKPOINT, day, &window).await, 0);
    let direct = app.book(CHECKPOINT, &window, "DIRECT1", true).await;
    assert_problem(&direct, 409, "window-full");
    assert_eq!(app.entry("GET", &waiting[1], "").await.body["position"], 1);

    // The first lets it run out: the second is offered it.
    app.advance(Duration::minutes(11));
    app.expire_due().await;
    assert_eq!(app.entry_status(&waiting[0]).await, "expired");
    assert_eq!(app.entry_status(&waiting[1]).await, "offered");
    assert_problem(
        &app.entry("POST", &waiting[0], "/accept").await,
        410,
        "offer-expired",
    );

    // A restart reloads the waitlist and its offer from the store.
    let origin = app.stop().await;
    let app = spawn_app_in(origin, Vec::new(), |_| {}).await;
    app.advance(Duration::minutes(11));
    assert_eq!(app.entry_status(&waiting[1]).await, "offered");
    assert_eq!(app.entry_status(&waiting[2]).await, "waiting");

    // The second lets it run out too: the third is offered it, and takes it.
    app.advance(Duration::minutes(11));
    app.expire_due().await;
    assert_eq!(app.entry_status(&waiting[1]).await, "expired");
    assert_eq!(app.entry_status(&waiting[2]).await, "offered");
    let accepted = app.entry("POST", &waiting[2], "/accept").await;
    assert_eq!(accepted.status, 200, "{}", accepted.text);
    assert_eq!(accepted.body["entry"]["status"], "accepted");
    let booking = &accepted.body["booking"];
    assert_eq!(booking["status"], "confirmed");
    assert_eq!(booking["plate"], "WAIT3");
    assert_eq!(booking["window"]["start"], window);
    // The booking is managed with the entry's token.
    let read = app.managed("GET", booking, "", None).await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.body["status"], "confirmed");

    let audit = app.store.audit().await.unwrap();
    assert_eq!(audit.violations(), 0, "{audit:?}");
    assert_eq!(audit.active_bookings, 1);
    // Every step was an event, and the statistics consumer counted them.
    app.wait_until_published(std::time::Duration::from_secs(10))
        .await;
    let totals = crate::helpers::eventually(
        std::time::Duration::from_secs(10),
        "the waitlist's statistics",
        || async {
            let totals = app.statistics_totals(CHECKPOINT, day).await;
            (totals["waitlist_accepted"] == 1).then_some(totals)
        },
    )
    .await;
    assert_eq!(totals["waitlist_joins"], 3, "{totals}");
    assert_eq!(totals["waitlist_offers"], 3, "{totals}");
    assert_eq!(totals["waitlist_expired"], 2, "{totals}");
}

crate::on_both_backends!(offers_racing_direct_bookings_never_oversell);

async fn offers_racing_direct_bookings_never_oversell(backend: Backend) {
    // Arrange: a full window of five places and five drivers waiting for it.
    const CAPACITY: usize = 5;
    let Some(app) = spawn_app_on(
        backend,
        vec![counting_checkpoint(CHECKPOINT, CAPACITY as u32, 0)],
        |_| {},
    )
    .await
    else {
        return;
    };
    let app = Rc::new(app);
    let day = tomorrow();
    let window = at(day, 9);
    let mut bookings = Vec::new();
    for n in 0..CAPACITY {
        let booked = app
            .book(CHECKPOINT, &window, &format!("HELD{n}"), true)
            .await;
        assert_eq!(booked.status, 201, "{}", booked.text);
        bookings.push(booked.body);
    }
    let mut entries = Vec::new();
    for n in 0..CAPACITY {
        let joined = app.join_waitlist(&format!("QUEUE{n}"), &[&window]).await;
        assert_eq!(joined.status, 201, "{}", joined.text);
        entries.push(joined.body);
    }

    // Act: the bookings are cancelled while forty clients book the window directly.
    let cancels = bookings.iter().map(|booking| {
        let app = app.clone();
        let booking = booking.clone();
        async move { app.managed("DELETE", &booking, "", None).await.status }
    });
    let direct = (0..40).map(|n| {
        let app = app.clone();
        let window = window.clone();
        async move {
            app.book(CHECKPOINT, &window, &format!("RACE{n}"), true)
                .await
                .status
                .as_u16()
        }
    });
    let (cancelled, direct) = tokio::join!(join_all(cancels), join_all(direct));

    // Assert: every freed place went to a waiting driver; no direct booking got one.
    assert!(cancelled.iter().all(|s| *s == 200), "{cancelled:?}");
    assert!(direct.iter().all(|s| *s == 409), "{direct:?}");
    for entry in &entries {
        assert_eq!(app.entry_status(entry).await, "offered");
    }
    assert_eq!(app.available(CHECKPOINT, day, &window).await, 0);

    // The waiting drivers accept while more clients race for the window.
    let accepts = entries.iter().map(|entry| {
        let app = app.clone();
        let entry = entry.clone();
        async move { app.entry("POST", &entry, "/accept").await.status.as_u16() }
    });
    let direct = (0..20).map(|n| {
        let app = app.clone();
        let window = window.clone();
        async move {
            app.book(CHECKPOINT, &window, &format!("LATE{n}"), true)
                .await
                .status
                .as_u16()
        }
    });
    let (accepted, direct) = tokio::join!(join_all(accepts), join_all(direct));
    assert!(accepted.iter().all(|s| *s == 200), "{accepted:?}");
    assert!(direct.iter().all(|s| *s == 409), "{direct:?}");
    let audit = app.store.audit().await.unwrap();
    assert_eq!(audit.violations(), 0, "{audit:?}");
    assert_eq!(audit.active_bookings, CAPACITY as u64);
}

crate::on_both_backends!(an_earlier_window_request_keeps_the_booking_until_accepted);

async fn an_earlier_window_request_keeps_the_booking_until_accepted(backend: Backend) {
    // Arrange: one place a window. 08:00 and 12:00 are booked; the 12:00 driver asks for 08:00
    // and another driver waits for 12:00.
    let Some(app) =
        spawn_app_on(backend, vec![counting_checkpoint(CHECKPOINT, 1, 0)], |_| {}).await
    else {
        return;
    };
    let day = tomorrow();
    let (early, late) = (at(day, 8), at(day, 12));
    let early_booking = app.book(CHECKPOINT, &early, "EARLY1", true).await.body;
    let mine = app.book(CHECKPOINT, &late, "MOVER1", true).await.body;
    let code = mine["code"].as_str().unwrap();
    let token = mine["manage_token"].as_str().unwrap();
    let asked = app
        .post_json(
            "/api/v1/waitlist",
            &json!({ "booking": code, "window_starts": [early] }),
            &[("x-manage-token", token)],
        )
        .await;
    assert_eq!(asked.status, 201, "{}", asked.text);
    assert_eq!(asked.body["plate"], "MOVER1");
    let other = app.join_waitlist("OTHER1", &[&late]).await;
    assert_eq!(other.status, 201, "{}", other.text);

    // Act: 08:00 is freed and offered to the mover, who still holds 12:00.
    let freed = app.managed("DELETE", &early_booking, "", None).await;
    assert_eq!(freed.status, 200, "{}", freed.text);
    assert_eq!(app.entry_status(&asked.body).await, "offered");
    let still = app.managed("GET", &mine, "", None).await;
    assert_eq!(still.body["window"]["start"], late);
    assert_eq!(still.body["status"], "confirmed");
    assert_eq!(app.entry_status(&other.body).await, "waiting");

    let accepted = app.entry("POST", &asked.body, "/accept").await;

    // Assert: the booking moved with its code; its old place went to the next driver at once.
    assert_eq!(accepted.status, 200, "{}", accepted.text);
    assert_eq!(accepted.body["booking"]["code"], code);
    assert!(accepted.body["booking"].get("manage_token").is_none());
    let moved = app.managed("GET", &mine, "", None).await;
    assert_eq!(moved.body["window"]["start"], early, "{}", moved.text);
    assert_eq!(moved.body["status"], "confirmed");
    let offered = app.entry("GET", &other.body, "").await;
    assert_eq!(offered.body["status"], "offered");
    assert_eq!(offered.body["offer"]["window"]["start"], late);
    let audit = app.store.audit().await.unwrap();
    assert_eq!(audit.violations(), 0, "{audit:?}");
    assert_eq!(
        audit.active_bookings, 2,
        "the mover's booking and the offer's hold"
    );
}

#[actix_web::test]
async fn joining_is_refused_with_a_clear_problem_where_it_makes_no_sense() {
    let app =
        crate::helpers::spawn_app_with(vec![counting_checkpoint(CHECKPOINT, 1, 0)], |_| {}).await;
    let day = tomorrow();
    let (full, free) = (at(day, 8), at(day, 9));
    assert_eq!(app.book(CHECKPOINT, &full, "FULL1", true).await.status, 201);

    // A window with room is booked, not waited for.
    let with_room = app.join_waitlist("ROOMY1", &[&full, &free]).await;
    assert_problem(&with_room, 409, "window-has-room");

    // One entry per plate and day (and direction).
    let first = app.join_waitlist("TWICE1", &[&full]).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let again = app.join_waitlist("TWICE1", &[&full]).await;
    assert_problem(&again, 409, "already-waiting");

    // A plate booked that day asks for an earlier window from its booking.
    let booked = app.join_waitlist("FULL1", &[&full]).await;
    assert_problem(&booked, 409, "plate-already-booked");

    // A time range works like named windows.
    let ranged = app
        .post_json(
            "/api/v1/waitlist",
            &json!({
                "checkpoint": CHECKPOINT, "direction": "entry", "category": "car",
                "from": at(day, 8), "to": at(day, 9), "plate": "RANGE1",
                "contact": "range@example.com",
            }),
            &[],
        )
        .await;
    assert_eq!(ranged.status, 201, "{}", ranged.text);
    assert_eq!(ranged.body["position"], 2);

    // Waiting is not an offer; a wrong token finds nothing.
    assert_problem(
        &app.entry("POST", &first.body, "/accept").await,
        409,
        "invalid-transition",
    );
    let mut forged = first.body.clone();
    forged["token"] = json!("0".repeat(64));
    assert_problem(&app.entry("GET", &forged, "").await, 404, "not-found");

    // Leaving ends the entry: the plate may join again.
    let left = app.entry("DELETE", &first.body, "").await;
    assert_eq!(left.status, 200, "{}", left.text);
    assert_eq!(left.body["status"], "left");
    assert_eq!(app.join_waitlist("TWICE1", &[&full]).await.status, 201);

    // A contact waits at most as often as it may hold.
    for n in 0..2 {
        let joined = app
            .post_json(
                "/api/v1/waitlist",
                &json!({
                    "checkpoint": CHECKPOINT, "direction": "entry", "category": "car",
                    "window_starts": [full], "plate": format!("SAME{n}"),
                    "contact": "same@example.com",
                }),
                &[],
            )
            .await;
        assert_eq!(joined.status, 201, "{}", joined.text);
    }
    let third = app
        .post_json(
            "/api/v1/waitlist",
            &json!({
                "checkpoint": CHECKPOINT, "direction": "entry", "category": "car",
                "window_starts": [full], "plate": "SAME3", "contact": "same@example.com",
            }),
            &[],
        )
        .await;
    // The default limit is three per contact and day; the fourth is refused.
    let fourth = app
        .post_json(
            "/api/v1/waitlist",
            &json!({
                "checkpoint": CHECKPOINT, "direction": "entry", "category": "car",
                "window_starts": [full], "plate": "SAME4", "contact": "same@example.com",
            }),
            &[],
        )
        .await;
    assert_eq!(third.status, 201, "{}", third.text);
    assert_problem(&fourth, 429, "too-many-holds");
}

#[actix_web::test]
async fn declining_passes_the_place_on_and_statistics_count_the_waitlist() {
    let app =
        crate::helpers::spawn_app_with(vec![counting_checkpoint(CHECKPOINT, 1, 0)], |_| {}).await;
    let day = tomorrow();
    let window = at(day, 10);
    let booked = app.book(CHECKPOINT, &window, "GONE1", true).await;
    let first = app.join_waitlist("NOPE1", &[&window]).await.body;
    let second = app.join_waitlist("YES1", &[&window]).await.body;
    app.managed("DELETE", &booked.body, "", None).await;

    let declined = app.entry("POST", &first, "/decline").await;

    assert_eq!(declined.status, 200, "{}", declined.text);
    assert_eq!(declined.body["status"], "declined");
    assert_eq!(app.entry_status(&second).await, "offered");
    assert_eq!(app.entry("POST", &second, "/accept").await.status, 200);
    app.wait_until_published(std::time::Duration::from_secs(10))
        .await;
    let totals = crate::helpers::eventually(
        std::time::Duration::from_secs(10),
        "the waitlist's statistics",
        || async {
            let totals = app.statistics_totals(CHECKPOINT, day).await;
            (totals["waitlist_accepted"] == 1).then_some(totals)
        },
    )
    .await;
    assert_eq!(totals["waitlist_joins"], 2, "{totals}");
    assert_eq!(totals["waitlist_offers"], 2, "{totals}");
    assert_eq!(totals["waitlist_expired"], 0, "{totals}");
    let metrics = app.get("/metrics").await.text;
    assert!(
        metrics.contains("borderslot_waitlist_events_total"),
        "{metrics}"
    );
    assert!(metrics.contains("borderslot_waitlist_entries"), "{metrics}");
}

#[actix_web::test]
async fn places_an_admin_adds_or_opens_go_to_the_waitlist_first() {
    use borderslot::auth::StaffRole;
    let app =
        crate::helpers::spawn_app_with(vec![counting_checkpoint(CHECKPOINT, 1, 0)], |_| {}).await;
    let day = tomorrow();
    let (eight, nine) = (at(day, 8), at(day, 9));
    app.book(CHECKPOINT, &eight, "FULL8", true).await;
    let blocked = app
        .block_windows(
            CHECKPOINT,
            &json!({ "from": nine, "to": at(day, 10), "reason": "lane repairs" }),
        )
        .await;
    assert_eq!(blocked.status, 200, "{}", blocked.text);
    let first = app.join_waitlist("FIRST1", &[&eight, &nine]).await.body;
    let second = app.join_waitlist("SECOND1", &[&eight]).await.body;

    // An admin gives 08:00 a second place: the first driver is offered it.
    let raised = app
        .send_as_staff(
            StaffRole::Admin,
            "POST",
            &format!("/api/v1/admin/checkpoints/{CHECKPOINT}/capacity"),
            Some(&json!({ "from": eight, "to": nine, "capacity": 2 })),
        )
        .await;
    assert_eq!(raised.status, 200, "{}", raised.text);
    let offered = app.entry("GET", &first, "").await;
    assert_eq!(offered.body["status"], "offered");
    assert_eq!(offered.body["offer"]["window"]["start"], eight);
    assert_eq!(app.available(CHECKPOINT, day, &eight).await, 0);
    // Never below the places taken.
    let lowered = app
        .send_as_staff(
            StaffRole::Admin,
            "POST",
            &format!("/api/v1/admin/checkpoints/{CHECKPOINT}/capacity"),
            Some(&json!({ "from": eight, "to": nine, "capacity": 1 })),
        )
        .await;
    assert_problem(&lowered, 422, "invalid-input");

    // 09:00 opens again: the second driver does not wait for it; the first holds an offer.
    let opened = app
        .send_as_staff(
            StaffRole::Admin,
            "POST",
            &format!("/api/v1/admin/checkpoints/{CHECKPOINT}/unblocks"),
            Some(&json!({ "from": nine, "to": at(day, 10) })),
        )
        .await;
    assert_eq!(opened.status, 200, "{}", opened.text);
    assert_eq!(app.entry_status(&second).await, "waiting");
    assert_eq!(app.available(CHECKPOINT, day, &nine).await, 1);
    let audit = app.store.audit().await.unwrap();
    assert_eq!(audit.violations(), 0, "{audit:?}");
}

use borderslot::config::Role;
use chrono::Duration;
use serde_json::json;

use crate::helpers::{
    Backend, assert_problem, at, spawn_app, spawn_app_on, spawn_app_with, tomorrow,
};

crate::on_both_backends!(a_driver_holds_confirms_reschedules_and_cancels);

async fn a_driver_holds_confirms_reschedules_and_cancels(backend: Backend) {
    // Arrange
    let Some(app) = spawn_app_on(backend, Vec::new(), |_| {}).await else {
        return;
    };
    let day = tomorrow();
    let before = app.available("narva", day, &at(day, 8)).await;

    // Act: hold without contact, then confirm with it.
    let held = app
        .post_booking(&json!({
            "checkpoint": "narva", "direction": "entry", "category": "car",
            "window_start": at(day, 8), "plate": "123 abc",
        }))
        .await;
    assert_eq!(held.status, 201, "{}", held.text);
    assert_eq!(held.body["status"], "held");
    assert_eq!(held.body["plate"], "123ABC");
    assert!(held.body["manage_token"].as_str().unwrap().len() >= 32);
    assert_eq!(app.available("narva", day, &at(day, 8)).await, before - 1);

    let confirmed = app
        .managed(
            "POST",
            &held.body,
            "/confirm",
            Some(&json!({ "contact": "+372 5555 1234" })),
        )
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
    assert_eq!(confirmed.body["status"], "confirmed");
    assert!(confirmed.body["hold_expires_at"].is_null());

    // Same-day move.
    let moved = app
        .managed(
            "POST",
            &held.body,
            "/reschedule",
            Some(&json!({ "window_start": at(day, 10) })),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    assert_eq!(moved.body["status"], "confirmed");
    assert_eq!(app.available("narva", day, &at(day, 8)).await, before);
    assert_eq!(app.available("narva", day, &at(day, 10)).await, before - 1);

    // Move to another day keeps the code and the confirmation.
    let next_day = day.succ_opt().unwrap();
    let crossed = app
        .managed(
            "POST",
            &held.body,
            "/reschedule",
            Some(&json!({ "window_start": at(next_day, 9) })),
        )
        .await;
    assert_eq!(crossed.status, 200, "{}", crossed.text);
    assert_eq!(crossed.body["code"], held.body["code"]);
    assert_eq!(crossed.body["day"], next_day.to_string());
    assert_eq!(crossed.body["status"], "confirmed");
    assert_eq!(app.available("narva", day, &at(day, 10)).await, before);
    assert_eq!(
        app.available("narva", next_day, &at(next_day, 9)).await,
        before - 1
    );
    let read = app.managed("GET", &held.body, "", None).await;
    assert_eq!(read.body["day"], next_day.to_string());
    assert_eq!(read.body["status"], "confirmed");

    let calendar = app.managed("GET", &held.body, ".ics", None).await;
    assert_eq!(calendar.status, 200);
    assert!(calendar.text.contains("BEGIN:VEVENT"));
    assert!(
        calendar
            .text
            .contains(&format!("DTSTART:{}T090000Z", next_day.format("%Y%m%d")))
    );

    let cancelled = app.managed("DELETE", &held.body, "", None).await;

    // Assert
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    assert_eq!(cancelled.body["status"], "cancelled");
    assert_eq!(
        app.available("narva", next_day, &at(next_day, 9)).await,
        before
    );
    let again = app.managed("DELETE", &held.body, "", None).await;
    assert_problem(&again, 409, "invalid-transition");
    let audit = app.store.audit().await.unwrap();
    assert_eq!(audit.violations(), 0, "{audit:?}");
}

#[actix_web::test]
async fn hold_and_confirm_in_one_request_needs_plate_and_contact() {
    let app = spawn_app().await;
    let day = tomorrow();

    let missing_contact = app
        .post_booking(&json!({
            "checkpoint": "narva", "direction": "entry", "category": "car",
            "window_start": at(day, 8), "plate": "123ABC", "confirm": true,
        }))
        .await;
    let booked = app.book("narva", &at(day, 8), "123ABC", true).await;

    assert_problem(&missing_contact, 422, "invalid-input");
    assert_eq!(booked.status, 201, "{}", booked.text);
    assert_eq!(booked.body["status"], "confirmed");
}

#[actix_web::test]
async fn a_vehicle_has_one_active_booking_per_checkpoint_direction_and_day() {
    let app = spawn_app().await;
    let day = tomorrow();

    let first = app.book("narva", &at(day, 8), "AB 1234 CX", false).await;
    // Same plate written in Cyrillic look-alikes, another window of the same day.
    let second = app.book("narva", &at(day, 12), "АВ1234СХ", false).await;
    let other_day = app
        .book("narva", &at(day.succ_opt().unwrap(), 8), "AB1234CX", false)
        .await;
    let other_checkpoint = app.book("medyka", &at(day, 8), "AB1234CX", false).await;

    assert_eq!(first.status, 201);
    assert_problem(&second, 409, "plate-already-booked");
    assert_eq!(other_day.status, 201, "{}", other_day.text);
    assert_eq!(other_checkpoint.status, 201, "{}", other_checkpoint.text);

    // Once cancelled, the vehicle may book that day again.
    app.managed("DELETE", &first.body, "", None).await;
    let after_cancel = app.book("narva", &at(day, 12), "AB1234CX", false).await;
    assert_eq!(after_cancel.status, 201, "{}", after_cancel.text);
}

#[actix_web::test]
async fn an_unconfirmed_hold_expires_and_frees_its_place() {
    let app = spawn_app().await;
    let day = tomorrow();
    let before = app.available("narva", day, &at(day, 8)).await;
    let held = app.book("narva", &at(day, 8), "EXP123", false).await;
    assert_eq!(app.available("narva", day, &at(day, 8)).await, before - 1);

    app.advance(Duration::minutes(11));
    let confirm = app.managed("POST", &held.body, "/confirm", None).await;

    assert_problem(&confirm, 410, "hold-expired");
    assert_eq!(app.available("narva", day, &at(day, 8)).await, before);
    let read = app.managed("GET", &held.body, "", None).await;
    assert_eq!(read.body["status"], "expired");
    // The relay may have sent the event on already: the statistics consumer counting it is the
    // proof it was written.
    crate::helpers::eventually(
        std::time::Duration::from_secs(10),
        "the expiry to be counted",
        || async {
            let totals = app.statistics_totals("narva", day).await;
            (totals["expiries"] == 1).then_some(())
        },
    )
    .await;
}

#[actix_web::test]
async fn a_move_to_a_full_window_keeps_the_original_booking() {
    let app = crate::helpers::spawn_app_with(
        vec![crate::helpers::counting_checkpoint("tiny", 1, 0)],
        |_| {},
    )
    .await;
    let day = tomorrow();
    let next_day = day.succ_opt().unwrap();
    let mine = app.book("tiny", &at(day, 8), "MINE1", true).await;
    let blocker = app.book("tiny", &at(next_day, 8), "OTHER1", true).await;
    let same_day_blocker = app.book("tiny", &at(day, 9), "OTHER2", true).await;
    assert_eq!(blocker.status, 201);
    assert_eq!(same_day_blocker.status, 201);

    let across = app
        .managed(
            "POST",
            &mine.body,
            "/reschedule",
            Some(&json!({ "window_start": at(next_day, 8) })),
        )
        .await;
    let within = app
        .managed(
            "POST",
            &mine.body,
            "/reschedule",
            Some(&json!({ "window_start": at(day, 9) })),
        )
        .await;

    assert_problem(&across, 409, "window-full");
    assert_problem(&within, 409, "window-full");
    let read = app.managed("GET", &mine.body, "", None).await;
    assert_eq!(read.body["status"], "confirmed");
    assert_eq!(read.body["window"]["start"], at(day, 8));
    assert_eq!(app.store.audit().await.unwrap().violations(), 0);
}

#[actix_web::test]
async fn reserved_places_are_not_sold_to_the_public() {
    let app = crate::helpers::spawn_app_with(
        vec![crate::helpers::counting_checkpoint("resv", 3, 1)],
        |_| {},
    )
    .await;
    let day = tomorrow();

    let first = app.book("resv", &at(day, 8), "PUB1", false).await;
    let second = app.book("resv", &at(day, 8), "PUB2", false).await;
    let third = app.book("resv", &at(day, 8), "PUB3", false).await;
    let priority = app
        .post_booking(&json!({
            "checkpoint": "resv", "direction": "entry", "category": "car",
            "window_start": at(day, 8), "plate": "HUM1", "priority": "humanitarian",
        }))
        .await;

    assert_eq!(first.status, 201);
    assert_eq!(second.status, 201);
    assert_problem(&third, 409, "window-full");
    // Priority classes need staff or an authorised carrier.
    assert_problem(&priority, 403, "forbidden");
    assert_eq!(app.available("resv", day, &at(day, 8)).await, 0);
}

#[actix_web::test]
async fn a_booking_cannot_be_read_or_changed_without_its_token() {
    let app = spawn_app().await;
    let day = tomorrow();
    let held = app.book("narva", &at(day, 8), "TOK123", false).await;
    let code = held.body["code"].as_str().unwrap();

    let no_token = app.get(&format!("/api/v1/bookings/{code}")).await;
    let wrong_token = app
        .send(
            "GET",
            &format!("/api/v1/bookings/{code}"),
            &[("x-manage-token", "guess")],
            None,
        )
        .await;
    let wrong_cancel = app
        .send(
            "DELETE",
            &format!("/api/v1/bookings/{code}"),
            &[("authorization", "Bearer guess")],
            None,
        )
        .await;
    let unknown = app
        .send(
            "GET",
            "/api/v1/bookings/ZZZZ-ZZZZ",
            &[("x-manage-token", "guess")],
            None,
        )
        .await;
    let by_query = app
        .get(&format!(
            "/api/v1/bookings/{code}?token={}",
            held.body["manage_token"].as_str().unwrap()
        ))
        .await;

    assert_problem(&no_token, 401, "manage-token-required");
    // A wrong token looks exactly like an unknown code.
    assert_problem(&wrong_token, 404, "not-found");
    assert_problem(&wrong_cancel, 404, "not-found");
    assert_problem(&unknown, 404, "not-found");
    assert_eq!(wrong_token.text, unknown.text);
    assert_eq!(by_query.status, 200);
    assert!(by_query.body.get("manage_token").is_none());
}

#[actix_web::test]
async fn every_state_change_leaves_an_event_in_the_outbox() {
    // No jobs: the outbox relay would publish (and so take) events while the test reads them.
    let app = spawn_app_with(Vec::new(), |settings| settings.role = Role::Api).await;
    let day = tomorrow();
    let held = app.book("narva", &at(day, 8), "EVT123", false).await;
    app.managed("POST", &held.body, "/confirm", None).await;
    app.managed(
        "POST",
        &held.body,
        "/reschedule",
        Some(&json!({ "window_start": at(day, 9) })),
    )
    .await;
    app.managed("DELETE", &held.body, "", None).await;

    let types: Vec<String> = app
        .store
        .outbox_pending(100)
        .await
        .unwrap()
        .iter()
        .map(|e| e.event.event_type.as_str().to_owned())
        .collect();

    assert_eq!(
        types,
        [
            "booking.held",
            "booking.confirmed",
            "booking.rescheduled",
            "booking.cancelled"
        ]
    );
}

crate::on_both_backends!(a_graceful_restart_keeps_bookings_holds_and_counts);

async fn a_graceful_restart_keeps_bookings_holds_and_counts(backend: Backend) {
    let Some(app) = spawn_app_on(backend, Vec::new(), |_| {}).await else {
        return;
    };
    let day = tomorrow();
    let before = app.available("narva", day, &at(day, 8)).await;
    let confirmed = app.book("narva", &at(day, 8), "KEEP01", true).await;
    let held = app.book("narva", &at(day, 8), "KEEP02", false).await;
    assert!(app.registry.live_actors() >= 1);

    let dir = app.stop().await;
    let app = crate::helpers::spawn_app_in(dir, Vec::new(), |_| {}).await;

    assert_eq!(
        app.managed("GET", &confirmed.body, "", None).await.body["status"],
        "confirmed"
    );
    assert_eq!(
        app.managed("GET", &held.body, "", None).await.body["status"],
        "held"
    );
    assert_eq!(app.available("narva", day, &at(day, 8)).await, before - 2);
    // The hold still runs out on time after the restart.
    app.advance(Duration::minutes(10));
    let late = app.managed("POST", &held.body, "/confirm", None).await;
    assert_problem(&late, 410, "hold-expired");
}

#[actix_web::test]
async fn a_hold_moved_to_another_day_can_still_be_confirmed() {
    let app = spawn_app().await;
    let day = tomorrow();
    let next_day = day.succ_opt().unwrap();
    let held = app.book("narva", &at(day, 8), "HMOVE1", false).await;

    let moved = app
        .managed(
            "POST",
            &held.body,
            "/reschedule",
            Some(&json!({ "window_start": at(next_day, 8) })),
        )
        .await;
    let confirmed = app.managed("POST", &held.body, "/confirm", None).await;

    assert_eq!(moved.status, 200, "{}", moved.text);
    assert_eq!(moved.body["status"], "held");
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
    assert_eq!(confirmed.body["status"], "confirmed");
    assert_eq!(confirmed.body["day"], next_day.to_string());
}

crate::on_both_backends!(a_booking_moves_at_most_three_times);

async fn a_booking_moves_at_most_three_times(backend: Backend) {
    let Some(app) = spawn_app_on(backend, Vec::new(), |_| {}).await else {
        return;
    };
    let day = tomorrow();
    let booked = app.book("narva", &at(day, 8), "MV100", true).await;
    assert_eq!(booked.status, 201, "{}", booked.text);
    for hour in [9, 10, 11] {
        let moved = app
            .managed(
                "POST",
                &booked.body,
                "/reschedule",
                Some(&json!({ "window_start": at(day, hour) })),
            )
            .await;
        assert_eq!(moved.status, 200, "move to {hour}:00: {}", moved.text);
    }
    let fourth = app
        .managed(
            "POST",
            &booked.body,
            "/reschedule",
            Some(&json!({ "window_start": at(day, 12) })),
        )
        .await;
    assert_problem(&fourth, 409, "too-many-reschedules");
    // The count survives a reload from the store.
    let stored = app
        .store
        .find_booking(
            &borderslot::domain::BookingCode::parse(booked.body["code"].as_str().unwrap()).unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.reschedules, 3);
}

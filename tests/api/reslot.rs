//! Re-slotting instead of cancelling (mode `move_affected`): bookings of closed windows, and
//! those a window has too many of once its places are lowered, move to the nearest windows with
//! room, the same day first, then the next; each driver hears once, and keeps the new window,
//! picks another or cancels.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Days;
use serde_json::{Value, json};

use borderslot::auth::StaffRole;

use crate::helpers::{
    Backend, TestApp, assert_problem, at, counting_checkpoint, race_bookings, tomorrow,
};
use crate::notifications::{WebhookReceiver, app_notifying_with};
use crate::web_session::{form_token, location};

fn book_body(day: chrono::NaiveDate, hour: u32, plate: &str) -> Value {
    json!({
        "checkpoint": "tiny", "direction": "entry", "category": "car",
        "window_start": at(day, hour), "plate": plate,
        "contact": format!("{}@example.com", plate.to_lowercase()), "confirm": true,
    })
}

/// Books and lets a second pass, so that bookings are told apart by when they were made.
async fn book(app: &TestApp, day: chrono::NaiveDate, hour: u32, plate: &str) -> Value {
    app.advance(chrono::Duration::seconds(1));
    let booked = app.post_booking(&book_body(day, hour, plate)).await;
    assert_eq!(booked.status, 201, "{}", booked.text);
    booked.body
}

fn close(day: chrono::NaiveDate, from: u32, to: u32) -> Value {
    // The end of the day is the next day's midnight.
    let to = match to {
        24 => at(day + Days::new(1), 0),
        hour => at(day, hour),
    };
    json!({
        "from": at(day, from), "to": to, "direction": "entry",
        "reason": "lane repairs", "mode": "move_affected",
    })
}

/// The notifications about re-slotting or staff cancellation, per booking code.
fn told(receiver: &WebhookReceiver) -> BTreeMap<String, Vec<String>> {
    let mut told: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for notification in receiver.received() {
        let kind = notification["kind"].as_str().unwrap_or_default();
        if matches!(kind, "booking_reslotted" | "booking_cancelled")
            && let Some(code) = notification["booking_code"].as_str()
        {
            told.entry(code.to_owned())
                .or_default()
                .push(kind.to_owned());
        }
    }
    told
}

/// Waits until every code in `codes` has been told something, then until nothing more comes.
async fn wait_until_told(app: &TestApp, receiver: &WebhookReceiver, codes: &[String]) {
    let started = std::time::Instant::now();
    while !codes.iter().all(|c| told(receiver).contains_key(c)) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "told only {:?}",
            told(receiver)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    app.wait_until_published(Duration::from_secs(10)).await;
    let mut seen = receiver.received().len();
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = receiver.received().len();
        if now == seen {
            break;
        }
        seen = now;
    }
}

async fn is_closed(app: &TestApp, day: chrono::NaiveDate, hour: u32) -> bool {
    app.availability("tiny", day)
        .await
        .iter()
        .find(|w| w["start"] == at(day, hour))
        .is_some_and(|w| w["blocked"] == true)
}

fn code(booking: &Value) -> String {
    booking["code"].as_str().unwrap().to_owned()
}

crate::on_both_backends!(closed_windows_move_their_bookings_nearest_first_and_drivers_answer);

async fn closed_windows_move_their_bookings_nearest_first_and_drivers_answer(backend: Backend) {
    let (receiver, url) = WebhookReceiver::start();
    let Some(app) =
        app_notifying_with(backend, &url, vec![counting_checkpoint("tiny", 2, 0)]).await
    else {
        return;
    };
    let day = tomorrow();
    // 09:00 full, 10:00 full (to be closed), 11:00 one place left, 08:00 and 12:00 empty.
    book(&app, day, 9, "FULL1").await;
    book(&app, day, 9, "FULL2").await;
    let first = book(&app, day, 10, "FIRST1").await;
    let second = book(&app, day, 10, "SECOND1").await;
    book(&app, day, 11, "LATER1").await;

    let closed = app.block_windows("tiny", &close(day, 10, 11)).await;

    assert_eq!(closed.status, 200, "{}", closed.text);
    assert_eq!(closed.body["mode"], "move_affected");
    let moved = closed.body["moved"].as_array().unwrap();
    // Booked first, placed first: the last place at 11:00; the second goes as near, and of
    // 08:00 and 12:00 to the earlier.
    assert_eq!(moved.len(), 2, "{}", closed.text);
    assert_eq!(
        (&moved[0]["code"], &moved[0]["to"]),
        (&first["code"], &json!(at(day, 11)))
    );
    assert_eq!(
        (&moved[1]["code"], &moved[1]["to"]),
        (&second["code"], &json!(at(day, 8)))
    );
    assert_eq!(closed.body["to_next_day"], json!([]));
    for (booking, hour) in [(&first, 11), (&second, 8)] {
        let now = app.managed("GET", booking, "", None).await;
        assert_eq!(now.body["status"], "confirmed");
        assert_eq!(now.body["window"]["start"], at(day, hour));
        assert_eq!(now.body["reslotted_from"], at(day, 10));
    }
    wait_until_told(&app, &receiver, &[code(&first), code(&second)]).await;
    let heard = told(&receiver);
    assert_eq!(heard[&code(&first)], ["booking_reslotted"]);
    assert_eq!(heard[&code(&second)], ["booking_reslotted"]);
    assert!(receiver.received().iter().any(|n| {
        n["text"]
            .as_str()
            .unwrap_or_default()
            .contains("lane repairs")
    }));

    // One keeps the new window, once; the other picks another one.
    let kept = app.managed("POST", &first, "/accept-move", None).await;
    assert_eq!(kept.status, 200, "{}", kept.text);
    assert_eq!(kept.body["reslotted_from"], Value::Null);
    assert_eq!(kept.body["window"]["start"], at(day, 11));
    let again = app.managed("POST", &first, "/accept-move", None).await;
    assert_problem(&again, 409, "invalid-transition");
    let picked = app
        .managed(
            "POST",
            &second,
            "/reschedule",
            Some(&json!({ "window_start": at(day, 12) })),
        )
        .await;
    assert_eq!(picked.status, 200, "{}", picked.text);
    assert_eq!(picked.body["reslotted_from"], Value::Null);

    // A whole day closed: every booking of the lane goes to the same hour the next day.
    let next_day = day + Days::new(1);
    let whole_day = app.block_windows("tiny", &close(day, 0, 24)).await;
    assert_eq!(whole_day.status, 200, "{}", whole_day.text);
    assert_eq!(whole_day.body["moved"], json!([]));
    let to_next_day = whole_day.body["to_next_day"].as_array().unwrap();
    assert_eq!(to_next_day.len(), 5, "{}", whole_day.text);
    let now = app.managed("GET", &first, "", None).await;
    assert_eq!(now.body["status"], "confirmed");
    assert_eq!(now.body["day"], next_day.to_string());
    assert_eq!(now.body["window"]["start"], at(next_day, 11));
    assert_eq!(now.body["reslotted_from"], at(day, 11));
    assert!(is_closed(&app, day, 9).await);
    assert_eq!(app.store.audit().await.unwrap().violations(), 0);
    let audit = app
        .get_as(borderslot::auth::StaffRole::Admin, "/api/v1/admin/audit")
        .await;
    let entry = &audit.body["entries"][0];
    assert_eq!(entry["action"], "windows.block");
    assert_eq!(entry["after"]["next_day"].as_array().unwrap().len(), 5);

    // Turning the checkpoint's window down is not a strike against the plate.
    let refused = app.managed("DELETE", &first, "", None).await;
    assert_eq!(refused.status, 200, "{}", refused.text);
    app.wait_until_published(Duration::from_secs(10)).await;
    let plate = app
        .get_as(
            borderslot::auth::StaffRole::Operator,
            "/api/v1/operator/plates/FIRST1",
        )
        .await;
    assert_eq!(plate.status, 200, "{}", plate.text);
    assert_eq!(plate.body["strikes"], json!([]), "{}", plate.text);
}

crate::on_both_backends!(reslotting_under_concurrent_bookings_keeps_every_invariant);

async fn reslotting_under_concurrent_bookings_keeps_every_invariant(backend: Backend) {
    let (receiver, url) = WebhookReceiver::start();
    let Some(app) =
        app_notifying_with(backend, &url, vec![counting_checkpoint("tiny", 3, 0)]).await
    else {
        return;
    };
    let day = tomorrow();
    let mut affected = Vec::new();
    for n in 0..3 {
        affected.push(book(&app, day, 10, &format!("MOVE{n}")).await);
        book(&app, day, 11, &format!("STAY{n}")).await;
    }
    let starts: Vec<String> = [9, 11, 12, 13].iter().map(|&h| at(day, h)).collect();

    // The block and a rush of bookings for the windows it moves bookings to, at once.
    let (closed, attempts) = futures_util::future::join(
        app.block_windows("tiny", &close(day, 10, 11)),
        race_bookings(&[&app], 8, 24, &starts, |n, window| {
            let hour: u32 = window[11..13].parse().unwrap();
            book_body(day, hour, &format!("RUSH{n}"))
        }),
    )
    .await;

    assert_eq!(closed.status, 200, "{}", closed.text);
    assert!(
        attempts
            .iter()
            .all(|(_, status, _)| [201, 409].contains(status))
    );
    assert_eq!(app.store.audit().await.unwrap().violations(), 0);
    // Per window: what was there, what the rush got and what moved in fit its capacity.
    let mut taken: BTreeMap<String, usize> = BTreeMap::from([(at(day, 11), 3)]);
    for (window, status, _) in &attempts {
        if *status == 201 {
            *taken.entry(window.clone()).or_default() += 1;
        }
    }
    for moved in closed.body["moved"].as_array().unwrap() {
        *taken
            .entry(moved["to"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert!(taken.values().all(|&n| n <= 3), "{taken:?}");
    assert_eq!(taken[&at(day, 11)], 3, "full before the block");
    let codes: Vec<String> = affected.iter().map(code).collect();
    for booking in &affected {
        let now = app.managed("GET", booking, "", None).await;
        match now.body["status"].as_str().unwrap() {
            "confirmed" => {
                assert_ne!(now.body["window"]["start"], at(day, 10), "{}", now.text);
                assert_eq!(now.body["reslotted_from"], at(day, 10));
            }
            "cancelled" => {}
            other => panic!("{other}: {}", now.text),
        }
    }
    assert!(is_closed(&app, day, 10).await);
    wait_until_told(&app, &receiver, &codes).await;
    let heard = told(&receiver);
    for code in &codes {
        assert_eq!(heard[code].len(), 1, "{code}: {heard:?}");
    }
    // Nobody else was moved or cancelled.
    assert_eq!(heard.len(), codes.len(), "{heard:?}");
}

crate::on_both_backends!(fewer_places_move_the_last_booked_under_concurrent_bookings);

/// An admin lowers 10:00 from three places to one while a rush books the windows around it:
/// the two booked last move, every window stays within its places, and each moved driver
/// hears once.
async fn fewer_places_move_the_last_booked_under_concurrent_bookings(backend: Backend) {
    let (receiver, url) = WebhookReceiver::start();
    let Some(app) =
        app_notifying_with(backend, &url, vec![counting_checkpoint("tiny", 3, 0)]).await
    else {
        return;
    };
    let day = tomorrow();
    let mut booked = Vec::new();
    for n in 0..3 {
        booked.push(book(&app, day, 10, &format!("CUT{n}")).await);
    }
    let starts: Vec<String> = [9, 11, 12].iter().map(|&h| at(day, h)).collect();
    let mut body = close(day, 10, 11);
    body["capacity"] = json!(1);
    body["mode"] = json!("move_affected");
    body["reason"] = json!("one lane closed");
    let path = "/api/v1/admin/checkpoints/tiny/capacity";

    let (cut, attempts) = futures_util::future::join(
        app.send_as_staff(StaffRole::Admin, "POST", path, Some(&body)),
        race_bookings(&[&app], 8, 24, &starts, |n, window| {
            let hour: u32 = window[11..13].parse().unwrap();
            book_body(day, hour, &format!("RUSH{n}"))
        }),
    )
    .await;

    assert_eq!(cut.status, 200, "{}", cut.text);
    assert_eq!(app.store.audit().await.unwrap().violations(), 0);
    let mut taken: BTreeMap<String, usize> = BTreeMap::new();
    for (window, status, _) in &attempts {
        assert!([201, 409].contains(status), "{status}");
        if *status == 201 {
            *taken.entry(window.clone()).or_default() += 1;
        }
    }
    let moved: Vec<String> = cut.body["moved"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["code"].as_str().unwrap().to_owned())
        .collect();
    let left_for_next_day = cut.body["to_next_day"].as_array().unwrap().len();
    assert_eq!(moved.len() + left_for_next_day, 2, "{}", cut.text);
    // The first booked keeps its place; the others were booked later.
    assert!(!moved.contains(&code(&booked[0])), "{}", cut.text);
    for entry in cut.body["moved"].as_array().unwrap() {
        *taken
            .entry(entry["to"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert!(taken.values().all(|&n| n <= 3), "{taken:?}");
    let first = app.managed("GET", &booked[0], "", None).await;
    assert_eq!(first.body["window"]["start"], at(day, 10), "{}", first.text);
    wait_until_told(&app, &receiver, &moved).await;
    let heard = told(&receiver);
    for code in &moved {
        assert_eq!(heard[code].len(), 1, "{code}: {heard:?}");
    }
    assert_eq!(heard.len(), moved.len(), "nobody else was moved: {heard:?}");

    // Below the places taken without moving anyone is refused.
    body["capacity"] = json!(0);
    body["mode"] = json!("free_only");
    let refused = app
        .send_as_staff(StaffRole::Admin, "POST", path, Some(&body))
        .await;
    assert_problem(&refused, 422, "invalid-input");
}

#[actix_web::test]
async fn the_booking_page_tells_of_the_move_and_keeps_the_new_window_in_one_press() {
    let app = crate::helpers::spawn_app_with(vec![counting_checkpoint("tiny", 2, 0)], |_| {}).await;
    let day = tomorrow();
    let booked = book(&app, day, 10, "PAGE1").await;
    let closed = app.block_windows("tiny", &close(day, 10, 11)).await;
    assert_eq!(closed.status, 200, "{}", closed.text);
    let (code, token) = (code(&booked), booked["manage_token"].as_str().unwrap());
    let path = format!("/booking/{code}?token={token}");

    for (language, heading) in [
        ("en", "The checkpoint moved your booking"),
        ("ru", "Пункт пропуска перенёс вашу запись"),
    ] {
        let page = app.web(language).get(&path).await;
        assert_eq!(page.status, 200);
        assert!(page.text.contains(heading), "{}", page.text);
        assert!(page.text.contains("/reschedule?token="));
    }
    let web = app.web("en");
    let page = web.get(&path).await;
    let kept = web
        .post_form(
            &format!("/booking/{code}/accept-move"),
            &[("form_token", &form_token(&page.text)), ("token", token)],
        )
        .await;

    assert_eq!(kept.status, 303, "{}", kept.text);
    assert!(location(&kept).contains("done=kept"));
    let after = web.follow(&kept).await;
    assert!(after.text.contains("Your booking stays in the new window"));
    assert!(!after.text.contains("The checkpoint moved your booking"));
    let now = app.managed("GET", &booked, "", None).await;
    assert_eq!(now.body["reslotted_from"], Value::Null);
    assert_eq!(now.body["window"]["start"], at(day, 9));
}

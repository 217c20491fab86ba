//! Many clients racing for a few windows: exactly the capacity is handed out, no vehicle twice,
//! and every booking that was answered 2xx is in the store.

use std::collections::HashSet;
use std::rc::Rc;

use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::{Backend, at, counting_checkpoint, race_bookings, spawn_app_on, tomorrow};

const CLIENTS: usize = 64;
const ATTEMPTS: usize = 10_000;
const WINDOWS: usize = 5;
const CAPACITY: u64 = 100;

crate::on_both_backends!(racing_clients_get_exactly_the_capacity_and_nothing_more);

async fn racing_clients_get_exactly_the_capacity_and_nothing_more(backend: Backend) {
    // Arrange
    let Some(app) = spawn_app_on(
        backend,
        vec![counting_checkpoint("rush", CAPACITY as u32, 0)],
        |_| {},
    )
    .await
    else {
        return;
    };
    let day = tomorrow();
    let starts: Vec<String> = (0..WINDOWS).map(|i| at(day, 8 + i as u32)).collect();

    // Act
    let outcomes = race_bookings(&[&app], CLIENTS, ATTEMPTS, &starts, |attempt, window| {
        json!({
            "checkpoint": "rush", "direction": "entry", "category": "car",
            "window_start": window, "plate": format!("R{attempt:05}"),
        })
    })
    .await;

    // Assert
    assert_eq!(outcomes.len(), ATTEMPTS);
    let created: Vec<_> = outcomes.iter().filter(|(_, s, _)| *s == 201).collect();
    let full = outcomes
        .iter()
        .filter(|(_, s, b)| *s == 409 && b["type"] == "/problems/window-full")
        .count();
    let attempts_per_window = (ATTEMPTS / WINDOWS) as u64;
    assert_eq!(
        created.len() as u64,
        WINDOWS as u64 * CAPACITY.min(attempts_per_window)
    );
    assert_eq!(
        created.len() + full,
        ATTEMPTS,
        "every attempt is either booked or refused as full"
    );
    for start in &starts {
        let in_window = created.iter().filter(|(w, _, _)| w == start).count() as u64;
        assert_eq!(in_window, CAPACITY.min(attempts_per_window));
        assert_eq!(app.available("rush", day, start).await, 0);
    }
    let plates: HashSet<_> = created
        .iter()
        .map(|(_, _, b)| b["plate"].as_str().unwrap())
        .collect();
    assert_eq!(plates.len(), created.len(), "no vehicle was booked twice");
    for (_, _, booking) in &created {
        let code =
            borderslot::domain::BookingCode::parse(booking["code"].as_str().unwrap()).unwrap();
        let stored = app
            .store
            .find_booking(&code)
            .await
            .unwrap()
            .expect("every 2xx booking is stored");
        assert_eq!(stored.status.as_str(), "held");
    }
    let audit = app.store.audit().await.unwrap();
    assert_eq!(audit.violations(), 0, "{audit:?}");
    assert_eq!(audit.active_bookings, created.len() as u64);
}

crate::on_both_backends!(racing_moves_and_cancels_never_overfill_a_window);

async fn racing_moves_and_cancels_never_overfill_a_window(backend: Backend) {
    let Some(app) = spawn_app_on(backend, vec![counting_checkpoint("swap", 3, 0)], |_| {}).await
    else {
        return;
    };
    let app = Rc::new(app);
    let day = tomorrow();
    let next_day = day.succ_opt().unwrap();
    let mut bookings = Vec::new();
    for hour in 8..12 {
        for n in 0..3 {
            let booked = app
                .book("swap", &at(day, hour), &format!("S{hour}{n}"), true)
                .await;
            assert_eq!(booked.status, 201);
            bookings.push(booked.body);
        }
    }

    // Every booking tries to move to the same two windows, half across days, while others cancel.
    let racers = bookings.iter().enumerate().map(|(i, booking)| {
        let app = app.clone();
        let booking = booking.clone();
        async move {
            let target = if i % 2 == 0 {
                at(day, 14)
            } else {
                at(next_day, 14)
            };
            let moved = app
                .managed(
                    "POST",
                    &booking,
                    "/reschedule",
                    Some(&json!({ "window_start": target })),
                )
                .await;
            if i % 3 == 0 {
                app.managed("DELETE", &booking, "", None).await;
            }
            moved.status.as_u16()
        }
    });
    let statuses = join_all(racers).await;

    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{statuses:?}"
    );
    // Six places wait in the two target windows; a cancel after a move can free one more.
    let moved = statuses.iter().filter(|s| **s == 200).count();
    let cancels = bookings.len().div_ceil(3);
    assert!(
        (6..=6 + cancels).contains(&moved),
        "{moved} moves succeeded"
    );
    let audit = app.store.audit().await.unwrap();
    assert_eq!(audit.violations(), 0, "{audit:?}");
    for booking in &bookings {
        let read = app.managed("GET", booking, "", None).await;
        assert_eq!(read.status, 200, "no booking was lost: {}", read.text);
    }
}

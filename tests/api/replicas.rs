//! Several replicas on one PostgreSQL database: each has its own schedule actors for the same
//! day, so their memories disagree, and still no place is sold twice.

use std::collections::HashSet;

use serde_json::json;

use crate::helpers::{
    Backend, Origin, TestApp, at, counting_checkpoint, fresh_origin, race_bookings, spawn_app_in,
    tomorrow,
};

const REPLICAS: usize = 3;
const CLIENTS: usize = 48;
const ATTEMPTS: usize = 3_000;
const CAPACITY: u64 = 40;
const WINDOWS: usize = 3;

#[actix_web::test]
async fn three_replicas_racing_for_the_same_windows_never_double_book() {
    // Arrange
    let Some(Origin::Postgres(url)) = fresh_origin(Backend::Postgres).await else {
        return;
    };
    let mut replicas = Vec::new();
    for _ in 0..REPLICAS {
        let app = spawn_app_in(
            Origin::Postgres(url.clone()),
            vec![counting_checkpoint("border", CAPACITY as u32, 0)],
            |_| {},
        )
        .await;
        replicas.push(app);
    }
    let day = tomorrow();
    let starts: Vec<String> = (0..WINDOWS).map(|i| at(day, 8 + i as u32)).collect();
    let apps: Vec<&TestApp> = replicas.iter().collect();

    // Act: every client goes to a different replica than its neighbour.
    let outcomes = race_bookings(&apps, CLIENTS, ATTEMPTS, &starts, |attempt, window| {
        json!({
            "checkpoint": "border", "direction": "entry", "category": "car",
            "window_start": window, "plate": format!("X{attempt:05}"),
            "contact": "a@example.com", "confirm": true,
        })
    })
    .await;

    // Assert
    let created: Vec<_> = outcomes.iter().filter(|(_, s, _)| *s == 201).collect();
    let statuses: HashSet<u16> = outcomes.iter().map(|(_, s, _)| *s).collect();
    assert!(
        statuses.is_subset(&HashSet::from([201, 409])),
        "{statuses:?}"
    );
    assert_eq!(created.len() as u64, WINDOWS as u64 * CAPACITY);
    for start in &starts {
        let in_window = created.iter().filter(|(w, _, _)| w == start).count() as u64;
        assert_eq!(in_window, CAPACITY, "window {start}");
    }
    let store = &replicas[0].store;
    for (_, _, booking) in &created {
        let code =
            borderslot::domain::BookingCode::parse(booking["code"].as_str().unwrap()).unwrap();
        let stored = store
            .find_booking(&code)
            .await
            .unwrap()
            .expect("every 2xx is stored");
        assert_eq!(stored.status.as_str(), "confirmed");
    }
    let audit = store.audit().await.unwrap();
    assert_eq!(audit.violations(), 0, "{audit:?}");
    assert_eq!(audit.active_bookings, created.len() as u64);
}

#[actix_web::test]
async fn replicas_relaying_one_outbox_notify_each_booking_once() {
    let Some(Origin::Postgres(url)) = fresh_origin(Backend::Postgres).await else {
        return;
    };
    let (receiver, hook) = crate::notifications::WebhookReceiver::start();
    let mut replicas = Vec::new();
    for _ in 0..REPLICAS {
        let config = crate::notifications::WebhookReceiver::config(&hook);
        replicas.push(
            spawn_app_in(Origin::Postgres(url.clone()), Vec::new(), move |settings| {
                settings.notify = config;
            })
            .await,
        );
    }
    let day = tomorrow();
    const BOOKINGS: usize = 12;
    for i in 0..BOOKINGS {
        let app = &replicas[i % REPLICAS];
        let booked = app
            .book("narva", &at(day, 6 + i as u32), &format!("RL{i:03}"), true)
            .await;
        assert_eq!(booked.status, 201, "{}", booked.text);
    }
    for app in &replicas {
        app.wait_until_published(std::time::Duration::from_secs(20))
            .await;
    }
    receiver
        .wait_for(BOOKINGS, std::time::Duration::from_secs(20))
        .await;
    // A relay round that read the outbox before another replica marked it could still be
    // sending; a stopped replica has finished its last round, and the in-process bus had
    // every consumer done with an event before the round ended.
    let store = replicas[0].store.clone();
    for app in replicas {
        tokio::time::timeout(std::time::Duration::from_secs(30), app.stop())
            .await
            .expect("a replica stops within its shutdown timeout");
    }

    let mut ids = receiver.ids();
    assert_eq!(ids.len(), BOOKINGS, "{:?}", receiver.kinds());
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), BOOKINGS, "a booking was notified twice");
    let narva = borderslot::domain::CheckpointId::parse("narva").unwrap();
    let rows = store.statistics(&narva, day, day).await.unwrap();
    let confirmations: i64 = rows.iter().map(|row| row.counts.confirmations).sum();
    assert_eq!(confirmations, BOOKINGS as i64, "{rows:?}");
}

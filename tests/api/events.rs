//! The event side: the outbox relay, the buses (in-process and a real RabbitMQ) and the
//! statistics consumer.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use borderslot::actors::notifications::NOTIFICATIONS_GROUP;
use borderslot::bus::rabbitmq::{RabbitBus, RabbitSettings};
use borderslot::bus::{EventBus, EventHandler, HandlerError};
use borderslot::clock::Clock;
use borderslot::domain::{CheckpointId, DomainEvent, EventType};
use chrono::NaiveDate;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::helpers::{
    Backend, OwnBroker, TestApp, at, eventually, spawn_app_on, test_broker, tomorrow,
};

/// Books `confirmed` cars (plates `<prefix>NN`) at 06:00–… tomorrow in narva and cancels the
/// first `cancelled` of them; returns the bookings.
async fn book_and_cancel(
    app: &TestApp,
    prefix: &str,
    confirmed: u32,
    cancelled: usize,
) -> Vec<Value> {
    let day = tomorrow();
    let mut bookings = Vec::new();
    for i in 0..confirmed {
        let response = app
            .book(
                "narva",
                &at(day, 6 + i % 12),
                &format!("{prefix}{i:02}"),
                true,
            )
            .await;
        assert_eq!(response.status, 201, "{}", response.text);
        bookings.push(response.body);
    }
    for booking in &bookings[..cancelled] {
        let response = app.managed("DELETE", booking, "", None).await;
        assert_eq!(response.status, 200, "{}", response.text);
    }
    bookings
}

fn assert_totals(totals: &Value, holds: u32, confirmations: u32, cancellations: usize) {
    assert_eq!(totals["holds"], holds, "{totals}");
    assert_eq!(totals["confirmations"], confirmations, "{totals}");
    assert_eq!(totals["cancellations"], cancellations, "{totals}");
    assert_eq!(totals["lead_times"], confirmations, "{totals}");
}

crate::on_both_backends!(every_booking_event_is_counted_in_the_statistics);

async fn every_booking_event_is_counted_in_the_statistics(backend: Backend) {
    let Some(app) = spawn_app_on(backend, Vec::new(), |_| {}).await else {
        return;
    };

    book_and_cancel(&app, "EV", 5, 2).await;
    app.wait_until_published(Duration::from_secs(10)).await;

    let totals = app.statistics_totals("narva", tomorrow()).await;
    assert_totals(&totals, 5, 5, 2);
    // The 09:00 UTC window is 11:00 in Tallinn on 2026-03-21.
    let rows = app
        .get_as_analyst(&format!(
            "/api/v1/stats?checkpoint=narva&from={}",
            tomorrow()
        ))
        .await
        .body["rows"]
        .clone();
    let hours: Vec<u64> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["hour"].as_u64().unwrap())
        .collect();
    assert_eq!(hours, [8, 9, 10, 11, 12]);
    // Three cars still hold places; utilisation is of the whole day's capacity.
    let stats = app
        .get_as_analyst(&format!(
            "/api/v1/stats?checkpoint=narva&from={}",
            tomorrow()
        ))
        .await
        .body;
    assert_eq!(stats["taken"], 3, "{stats}");
    let day_capacity = stats["capacity"].as_u64().unwrap();
    let utilisation = stats["utilisation"].as_f64().unwrap();
    assert!(
        (utilisation - 3.0 / day_capacity as f64).abs() < 1e-9,
        "{stats}"
    );
    // The 08:00 local hour: the cancelled car's window, both directions' car places.
    let first = &rows[0];
    assert_eq!(first["taken"], 0, "{first}");
    assert_eq!(first["capacity"], 80, "{first}");
}

#[actix_web::test]
async fn statistics_reject_bad_ranges_with_problems() {
    let Some(app) = spawn_app_on(Backend::Embedded, Vec::new(), |_| {}).await else {
        return;
    };
    for (query, status) in [
        ("", 422),
        ("checkpoint=atlantis", 404),
        ("checkpoint=narva&from=2026-13-01", 422),
        ("checkpoint=narva&from=2026-03-21&to=2026-03-20", 422),
        ("checkpoint=narva&from=2026-01-01&to=2026-12-31", 422),
    ] {
        let response = app.get_as_analyst(&format!("/api/v1/stats?{query}")).await;
        assert_eq!(response.status, status, "{query}: {}", response.text);
        assert_eq!(
            response.headers.get("content-type").unwrap(),
            "application/problem+json",
            "{query}"
        );
    }
}

#[actix_web::test]
async fn events_reach_the_statistics_through_rabbitmq() {
    let Some((url, namespace)) = test_broker() else {
        return;
    };
    let Some(app) = spawn_app_on(Backend::Embedded, Vec::new(), |settings| {
        settings.amqp_url = Some(url.into());
        settings.amqp_namespace = namespace;
    })
    .await
    else {
        return;
    };

    book_and_cancel(&app, "RQ", 6, 1).await;
    app.wait_until_published(Duration::from_secs(10)).await;

    let started = std::time::Instant::now();
    loop {
        let totals = app.statistics_totals("narva", tomorrow()).await;
        if totals["cancellations"] == 1 && totals["confirmations"] == 6 {
            assert_totals(&totals, 6, 6, 1);
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{totals}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ready = app.get("/readyz").await;
    assert_eq!(ready.body["bus"], "ok", "{}", ready.text);
}

/// Fails every delivery of one event and records the others.
struct FailsOn {
    poison: uuid::Uuid,
    poison_attempts: AtomicU32,
    handled: Mutex<Vec<uuid::Uuid>>,
}

#[async_trait]
impl EventHandler for FailsOn {
    async fn handle(&self, event: &DomainEvent) -> Result<(), HandlerError> {
        if event.id == self.poison {
            self.poison_attempts.fetch_add(1, Ordering::SeqCst);
            return Err(HandlerError::Permanent(anyhow::anyhow!(
                "this event always fails"
            )));
        }
        self.handled.lock().await.push(event.id);
        Ok(())
    }
}

fn window_event(n: u32) -> DomainEvent {
    DomainEvent::new(
        EventType::WindowBlocked,
        CheckpointId::parse("narva").unwrap(),
        NaiveDate::from_ymd_opt(2026, 3, 21).unwrap(),
        json!({ "n": n }),
        chrono::Utc::now(),
    )
}

#[actix_web::test]
async fn a_poison_event_is_dead_lettered_after_three_attempts_and_the_rest_go_on() {
    let Some((url, namespace)) = test_broker() else {
        return;
    };
    let settings = RabbitSettings {
        prefetch: 8,
        ..RabbitSettings::new(&url.clone().into(), namespace, vec!["poison"]).unwrap()
    };
    let bus = RabbitBus::connect(settings.clone()).await;
    let events: Vec<DomainEvent> = (0..6).map(window_event).collect();
    let handler = Arc::new(FailsOn {
        poison: events[2].id,
        poison_attempts: AtomicU32::new(0),
        handled: Mutex::new(Vec::new()),
    });
    bus.subscribe("poison", handler.clone()).await;

    bus.publish(&events).await.unwrap();

    let started = std::time::Instant::now();
    while handler.handled.lock().await.len() < 5
        || handler.poison_attempts.load(Ordering::SeqCst) < 3
    {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "deliveries stalled"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut handled = handler.handled.lock().await.clone();
    handled.sort();
    let mut expected: Vec<_> = events
        .iter()
        .map(|e| e.id)
        .filter(|id| *id != events[2].id)
        .collect();
    expected.sort();
    assert_eq!(handled, expected);

    // The poison event waits in the dead-letter queue with its attempts counted.
    let connection = lapin::Connection::connect(&url, lapin::ConnectionProperties::default())
        .await
        .unwrap();
    let channel = connection.create_channel().await.unwrap();
    let mut dead = None;
    while dead.is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "nothing dead-lettered"
        );
        dead = channel
            .basic_get(
                settings.dead_letter_queue("poison").as_str().into(),
                lapin::options::BasicGetOptions { no_ack: true },
            )
            .await
            .unwrap();
        if dead.is_none() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let dead = dead.unwrap();
    let event: DomainEvent = serde_json::from_slice(&dead.delivery.data).unwrap();
    assert_eq!(event.id, events[2].id);
    let headers = dead.delivery.properties.headers().clone().unwrap();
    assert_eq!(
        headers.inner().get("x-attempts"),
        Some(&lapin::types::AMQPValue::LongUInt(3))
    );
    assert_eq!(handler.poison_attempts.load(Ordering::SeqCst), 3);
    bus.shutdown().await;
}

/// Waits until the day's statistics show `confirmations` and `cancellations`.
async fn wait_for_totals(
    app: &TestApp,
    confirmations: u32,
    cancellations: usize,
    within: Duration,
) -> Value {
    let started = std::time::Instant::now();
    loop {
        let totals = app.statistics_totals("narva", tomorrow()).await;
        if totals["confirmations"] == confirmations && totals["cancellations"] == cancellations {
            return totals;
        }
        assert!(started.elapsed() < within, "statistics stuck at {totals}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_web::test]
async fn bookings_go_on_while_the_broker_is_down_and_every_event_arrives_after() {
    let Some(broker) = OwnBroker::start().await else {
        return;
    };
    const NAMESPACE: &str = "outage";
    let (receiver, hook) = crate::notifications::WebhookReceiver::start();
    let Some(app) = spawn_app_on(Backend::Embedded, Vec::new(), |settings| {
        settings.amqp_url = Some(broker.url.clone().into());
        settings.amqp_namespace = NAMESPACE.into();
        settings.notify = crate::notifications::WebhookReceiver::config(&hook);
    })
    .await
    else {
        return;
    };
    book_and_cancel(&app, "OB", 3, 1).await;
    wait_for_totals(&app, 3, 1, Duration::from_secs(10)).await;

    broker.pause().await;
    let outage = std::time::Instant::now();
    let mut during = 0;
    while outage.elapsed() < Duration::from_secs(30) {
        let response = app
            .book(
                "narva",
                &at(tomorrow(), 6 + during % 12),
                &format!("OD{during:03}"),
                true,
            )
            .await;
        assert_eq!(
            response.status, 201,
            "booking during the outage: {}",
            response.text
        );
        during += 1;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(
        !app.store.outbox_pending(1).await.unwrap().is_empty(),
        "events wait in the outbox while the broker is down"
    );
    assert_eq!(app.get("/readyz").await.status, 200);
    broker.restart().await;

    app.wait_until_published(Duration::from_secs(60)).await;
    let totals = wait_for_totals(&app, 3 + during, 1, Duration::from_secs(30)).await;
    assert_totals(&totals, 3 + during, 3 + during, 1);
    // The counts equal a recount of the bookings themselves.
    let audit = app.store.audit().await.unwrap();
    assert_eq!(audit.active_bookings, u64::from(2 + during));
    assert_eq!(audit.violations(), 0);
    // Every confirmation and the cancellation notified, none twice.
    let expected = (3 + during + 1) as usize;
    receiver.wait_for(expected, Duration::from_secs(30)).await;
    // The outage leaves copies of events in the queue (redelivered, or published again after a
    // lost confirmation), and any of them could still be sent. With the outbox empty nothing
    // more is queued, so once the queue holds nothing unacknowledged every copy has been
    // handled.
    let queue = format!("{NAMESPACE}.{NOTIFICATIONS_GROUP}");
    eventually(
        Duration::from_secs(30),
        "every queued notification to be acknowledged",
        || async { (broker.messages(&queue).await == 0).then_some(()) },
    )
    .await;
    let mut ids = receiver.ids();
    assert_eq!(ids.len(), expected);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), expected, "a notification was sent twice");
}

crate::on_both_backends!(a_confirmed_booking_nobody_checked_in_becomes_a_no_show);

async fn a_confirmed_booking_nobody_checked_in_becomes_a_no_show(backend: Backend) {
    let Some(app) = spawn_app_on(backend, Vec::new(), |_| {}).await else {
        return;
    };
    let day = tomorrow();
    let missed = app.book("narva", &at(day, 8), "NS100", true).await;
    let later = app.book("narva", &at(day, 12), "NS200", true).await;
    assert_eq!(missed.status, 201, "{}", missed.text);

    // The 08:00 window ends at 09:00; 15 minutes of grace later it is a no-show.
    app.advance(chrono::Duration::hours(27) + chrono::Duration::minutes(10));
    let early = borderslot::jobs::no_shows::try_run_once(
        &app.registry,
        app.store.as_ref(),
        app.clock.now(),
    )
    .await;
    assert_eq!(early.unwrap(), borderslot::jobs::Outcome::Idle);
    app.advance(chrono::Duration::minutes(10));
    let marked = borderslot::jobs::no_shows::try_run_once(
        &app.registry,
        app.store.as_ref(),
        app.clock.now(),
    )
    .await;
    assert_eq!(marked.unwrap(), borderslot::jobs::Outcome::Worked(1));

    let read = app.managed("GET", &missed.body, "", None).await;
    assert_eq!(read.body["status"], "no_show", "{}", read.text);
    assert_eq!(
        app.managed("GET", &later.body, "", None).await.body["status"],
        "confirmed"
    );
    app.wait_until_published(Duration::from_secs(10)).await;
    let totals = app.statistics_totals("narva", day).await;
    assert_eq!(totals["no_shows"], 1, "{totals}");
}

#[actix_web::test]
async fn the_one_shot_relay_publishes_what_an_api_only_instance_wrote() {
    use borderslot::cli::job::{self, JobName};

    let Some(app) = spawn_app_on(Backend::Embedded, Vec::new(), |settings| {
        settings.role = borderslot::config::Role::Api;
    })
    .await
    else {
        return;
    };
    book_and_cancel(&app, "OS", 2, 1).await;
    let crate::helpers::Origin::Embedded(dir) = app.stop().await else {
        unreachable!("an embedded origin")
    };

    let settings = || borderslot::config::Settings::for_tests(dir.path().to_path_buf());
    // held + confirmed twice, and one cancellation.
    assert_eq!(job::run(JobName::Relay, settings()).await.unwrap(), 5);
    assert_eq!(job::run(JobName::Relay, settings()).await.unwrap(), 0);

    let store =
        borderslot::store::embedded::EmbeddedStore::open(&settings().database_path()).unwrap();
    let narva = CheckpointId::parse("narva").unwrap();
    let rows =
        borderslot::store::StatisticsStore::statistics(&store, &narva, tomorrow(), tomorrow())
            .await
            .unwrap();
    let confirmations: i64 = rows.iter().map(|r| r.counts.confirmations).sum();
    let cancellations: i64 = rows.iter().map(|r| r.counts.cancellations).sum();
    assert_eq!((confirmations, cancellations), (2, 1));
}

/// Records the id of every event it handles; fails one event until told the cause is fixed.
#[derive(Default)]
struct FailsUntilFixed {
    poison: Mutex<Option<uuid::Uuid>>,
    fixed: std::sync::atomic::AtomicBool,
    handled: Mutex<Vec<uuid::Uuid>>,
}

#[async_trait]
impl EventHandler for FailsUntilFixed {
    async fn handle(&self, event: &DomainEvent) -> Result<(), HandlerError> {
        if Some(event.id) == *self.poison.lock().await && !self.fixed.load(Ordering::SeqCst) {
            return Err(HandlerError::Permanent(anyhow::anyhow!(
                "the mail template is missing"
            )));
        }
        self.handled.lock().await.push(event.id);
        Ok(())
    }
}

async fn wait_until_handled(handler: &FailsUntilFixed, id: uuid::Uuid) {
    let started = std::time::Instant::now();
    while !handler.handled.lock().await.contains(&id) {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{id} never handled"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[actix_web::test]
async fn dead_letters_are_listed_with_their_error_and_replayed_once_the_cause_is_fixed() {
    use borderslot::bus::rabbitmq::dead_letters::{self, Replay};
    let Some((url, namespace)) = test_broker() else {
        return;
    };
    let settings = RabbitSettings {
        queue_type: borderslot::bus::rabbitmq::QueueType::Quorum,
        ..RabbitSettings::new(&url.clone().into(), namespace, vec!["mailer"]).unwrap()
    };
    let bus = RabbitBus::connect(settings.clone()).await;
    let handler = Arc::new(FailsUntilFixed::default());
    let events: Vec<DomainEvent> = (0..3).map(window_event).collect();
    *handler.poison.lock().await = Some(events[1].id);
    bus.subscribe("mailer", handler.clone()).await;

    bus.publish(&events).await.unwrap();
    wait_until_handled(&handler, events[2].id).await;
    let started = std::time::Instant::now();
    let dead = loop {
        let dead = dead_letters::list(&settings, "mailer").await.unwrap();
        if !dead.is_empty() {
            break dead;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "nothing dead-lettered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0].id, events[1].id.to_string());
    assert_eq!(dead[0].event_type, "window.blocked");
    assert_eq!(dead[0].attempts, 3);
    assert_eq!(dead[0].last_error, "the mail template is missing");
    // Listing leaves them where they are; a replay of another id sends nothing.
    assert_eq!(dead_letters::list(&settings, "mailer").await.unwrap(), dead);
    let other = Replay::Ids(vec![events[0].id.to_string()]);
    assert!(
        dead_letters::replay(&settings, "mailer", &other)
            .await
            .unwrap()
            .is_empty()
    );

    handler.fixed.store(true, Ordering::SeqCst);
    let replayed =
        dead_letters::replay(&settings, "mailer", &Replay::Ids(vec![dead[0].id.clone()]))
            .await
            .unwrap();

    assert_eq!(replayed, dead);
    wait_until_handled(&handler, events[1].id).await;
    assert!(
        dead_letters::list(&settings, "mailer")
            .await
            .unwrap()
            .is_empty()
    );
    bus.shutdown().await;
}

#[actix_web::test]
async fn an_event_type_of_a_newer_release_is_skipped_by_an_older_consumer_and_kept_for_a_newer() {
    let Some((url, namespace)) = test_broker() else {
        return;
    };
    let metrics = borderslot::metrics::prometheus::install();
    // "older" is this release's consumer; "newer" stands for a release that knows the type:
    // its queue is read here directly.
    let settings = RabbitSettings {
        queue_type: borderslot::bus::rabbitmq::QueueType::Quorum,
        ..RabbitSettings::new(&url.clone().into(), namespace, vec!["older", "newer"]).unwrap()
    };
    let bus = RabbitBus::connect(settings.clone()).await;
    let handler = Arc::new(FailsUntilFixed::default());
    bus.subscribe("older", handler.clone()).await;
    let mut future = serde_json::to_value(window_event(0)).unwrap();
    future["type"] = json!("booking.rerouted");
    future["route"] = json!({ "via": "luhamaa" });
    let known = window_event(1);

    let connection = lapin::Connection::connect(&url, lapin::ConnectionProperties::default())
        .await
        .unwrap();
    let channel = connection.create_channel().await.unwrap();
    channel
        .basic_publish(
            settings.exchange().as_str().into(),
            "booking.rerouted".into(),
            lapin::options::BasicPublishOptions::default(),
            &serde_json::to_vec(&future).unwrap(),
            lapin::BasicProperties::default().with_delivery_mode(2),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    bus.publish(std::slice::from_ref(&known)).await.unwrap();

    // The older consumer goes on past the event it does not know, and counts it.
    wait_until_handled(&handler, known.id).await;
    assert_eq!(*handler.handled.lock().await, [known.id]);
    let rendered = metrics.render();
    assert!(
        rendered
            .contains(r#"borderslot_events_skipped_total{group="older",reason="unknown_type"} 1"#),
        "{rendered}"
    );
    // Skipped is not poison: nothing waits among the older group's dead letters.
    let dead = borderslot::bus::rabbitmq::dead_letters::list(&settings, "older")
        .await
        .unwrap();
    assert!(dead.is_empty(), "{dead:?}");
    // The newer consumer's queue holds the event whole, new field and all.
    // (A quorum queue with a single active consumer takes no basic.get: consume.)
    let mut newer = channel
        .basic_consume(
            settings.queue("newer").as_str().into(),
            "newer".into(),
            lapin::options::BasicConsumeOptions {
                no_ack: true,
                ..lapin::options::BasicConsumeOptions::default()
            },
            lapin::types::FieldTable::default(),
        )
        .await
        .unwrap();
    let mut received = Vec::new();
    for _ in 0..2 {
        let got = tokio::time::timeout(
            Duration::from_secs(10),
            futures_util::StreamExt::next(&mut newer),
        )
        .await
        .expect("the newer group has both events")
        .unwrap()
        .unwrap();
        received.push(serde_json::from_slice::<Value>(&got.data).unwrap());
    }
    assert!(received.contains(&future), "{received:?}");
    bus.shutdown().await;
}

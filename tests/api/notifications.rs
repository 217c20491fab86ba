//! Notifications end to end: events become signed webhook posts, once per event, and
//! reminders go out once per booking.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use borderslot::clock::Clock;
use borderslot::notify::{NotifyConfig, WebhookSettings, verify_signature};
use serde_json::Value;

use crate::helpers::{Backend, TestApp, at, spawn_app_on, tomorrow};

const SECRET: &str = "webhook-test-secret";

/// A carrier's webhook endpoint on loopback that keeps what it receives.
#[derive(Clone, Default)]
pub struct WebhookReceiver {
    received: Arc<Mutex<Vec<Value>>>,
    bad_signatures: Arc<Mutex<usize>>,
}

async fn receive(
    request: HttpRequest,
    body: web::Bytes,
    receiver: web::Data<WebhookReceiver>,
) -> HttpResponse {
    let signature = request
        .headers()
        .get("x-borderslot-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if verify_signature(SECRET.as_bytes(), &body, signature) {
        receiver
            .received
            .lock()
            .unwrap()
            .push(serde_json::from_slice(&body).unwrap());
    } else {
        *receiver.bad_signatures.lock().unwrap() += 1;
    }
    HttpResponse::NoContent().finish()
}

impl WebhookReceiver {
    /// Starts the endpoint; returns it and its URL.
    pub fn start() -> (Self, String) {
        let receiver = Self::default();
        let state = web::Data::new(receiver.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .route("/hook", web::post().to(receive))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
        let url = format!("http://{}/hook", server.addrs()[0]);
        actix_web::rt::spawn(server.run());
        (receiver, url)
    }

    pub fn config(url: &str) -> NotifyConfig {
        NotifyConfig::default().with_webhook(WebhookSettings::new(url, SECRET).unwrap())
    }

    pub fn kinds(&self) -> Vec<String> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|n| n["kind"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Every notification's id, which is its event's id (or, for a reminder, its booking's).
    pub fn ids(&self) -> Vec<String> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Value> {
        self.received.lock().unwrap().clone()
    }

    pub fn bad_signatures(&self) -> usize {
        *self.bad_signatures.lock().unwrap()
    }

    pub async fn wait_for(&self, count: usize, within: Duration) {
        let started = std::time::Instant::now();
        while self.received.lock().unwrap().len() < count {
            assert!(
                started.elapsed() < within,
                "received only {:?}",
                self.kinds()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

pub async fn app_notifying_with(
    backend: Backend,
    url: &str,
    extra: Vec<borderslot::domain::Checkpoint>,
) -> Option<TestApp> {
    let config = WebhookReceiver::config(url);
    spawn_app_on(backend, extra, move |settings| settings.notify = config).await
}

async fn app_notifying(backend: Backend, url: &str) -> Option<TestApp> {
    let config = WebhookReceiver::config(url);
    spawn_app_on(backend, Vec::new(), move |settings| {
        settings.notify = config
    })
    .await
}

crate::on_both_backends!(drivers_are_notified_once_per_event_with_a_signed_webhook);

async fn drivers_are_notified_once_per_event_with_a_signed_webhook(backend: Backend) {
    let (receiver, url) = WebhookReceiver::start();
    let Some(app) = app_notifying(backend, &url).await else {
        return;
    };
    let day = tomorrow();

    let booking = app.book("narva", &at(day, 8), "NT100", true).await;
    assert_eq!(booking.status, 201, "{}", booking.text);
    let cancelled = app.managed("DELETE", &booking.body, "", None).await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    app.wait_until_published(Duration::from_secs(10)).await;
    receiver.wait_for(2, Duration::from_secs(10)).await;

    // The hold itself notifies nobody; confirmation and cancellation do, once each.
    assert_eq!(receiver.kinds(), ["booking_confirmed", "booking_cancelled"]);
    assert_eq!(receiver.bad_signatures(), 0);
    let code = booking.body["code"].as_str().unwrap();
    let received = receiver.received.lock().unwrap().clone();
    assert!(
        received.iter().all(|n| n["booking_code"] == code),
        "{received:?}"
    );
    assert!(received[0]["text"].as_str().unwrap().contains(code));

    // Replaying every event (as a redelivery would) sends nothing more.
    let config = WebhookReceiver::config(&url);
    let consumer = borderslot::actors::notifications::NotificationsConsumer::new(
        borderslot::actors::notifications::start_sender(
            &config,
            app.store.clone(),
            app.clock.clone(),
        ),
        &config,
    );
    let code = borderslot::domain::BookingCode::parse(code).unwrap();
    let stored = app.store.find_booking(&code).await.unwrap().unwrap();
    let types = [
        borderslot::domain::EventType::BookingConfirmed,
        borderslot::domain::EventType::BookingCancelled,
    ];
    for (id, event_type) in receiver.ids().into_iter().zip(types) {
        let event = borderslot::domain::DomainEvent {
            id: id.parse().unwrap(),
            ..borderslot::domain::DomainEvent::new(
                event_type,
                borderslot::domain::CheckpointId::parse("narva").unwrap(),
                day,
                serde_json::json!({ "booking": stored }),
                app.clock.now(),
            )
        };
        borderslot::bus::EventHandler::handle(&consumer, &event)
            .await
            .unwrap();
    }
    assert_eq!(receiver.kinds().len(), 2);
}

crate::on_both_backends!(a_driver_is_reminded_once_the_day_before);

async fn a_driver_is_reminded_once_the_day_before(backend: Backend) {
    let (receiver, url) = WebhookReceiver::start();
    let Some(app) = app_notifying(backend, &url).await else {
        return;
    };
    let sender = borderslot::actors::notifications::start_sender(
        &WebhookReceiver::config(&url),
        app.store.clone(),
        app.clock.clone(),
    );
    let remind = |now| {
        let (store, sender) = (app.store.clone(), sender.clone());
        async move {
            borderslot::jobs::reminders::send_reminders(
                store.as_ref(),
                &sender,
                now,
                chrono::Duration::hours(24),
            )
            .await
            .unwrap()
        }
    };
    // Booked 26 hours ahead: no reminder yet.
    let booking = app.book("narva", &at(tomorrow(), 8), "RM100", true).await;
    assert_eq!(booking.status, 201, "{}", booking.text);
    app.wait_until_published(Duration::from_secs(10)).await;
    receiver.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(
        remind(app.clock.now()).await,
        borderslot::jobs::Outcome::Idle
    );

    app.advance(chrono::Duration::hours(3));
    assert_eq!(
        remind(app.clock.now()).await,
        borderslot::jobs::Outcome::Worked(1)
    );
    assert_eq!(
        remind(app.clock.now()).await,
        borderslot::jobs::Outcome::Idle
    );
    receiver.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(receiver.kinds(), ["booking_confirmed", "reminder"]);
}

#[actix_web::test]
async fn a_driver_whose_window_an_admin_closed_is_offered_the_nearest_free_ones() {
    let (receiver, url) = WebhookReceiver::start();
    let Some(app) = app_notifying(Backend::Embedded, &url).await else {
        return;
    };
    let day = tomorrow();
    let booked = app.book("narva", &at(day, 14), "NW100", true).await;
    assert_eq!(booked.status, 201, "{}", booked.text);
    let body = serde_json::json!({
        "from": at(day, 14), "to": at(day, 15), "reason": "lane repairs",
        "mode": "cancel_affected",
    });
    let blocked = app.block_windows("narva", &body).await;
    assert_eq!(blocked.status, 200, "{}", blocked.text);
    app.wait_until_published(Duration::from_secs(10)).await;
    let started = std::time::Instant::now();
    let cancelled = loop {
        let found = receiver
            .received
            .lock()
            .unwrap()
            .iter()
            .find(|n| n["kind"] == "booking_cancelled")
            .cloned();
        if let Some(found) = found {
            break found;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            receiver.kinds()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let text = cancelled["text"].as_str().unwrap();
    assert!(text.contains("Windows nearby"), "{text}");
    assert!(text.contains("13:00") && text.contains("15:00"), "{text}");
}

/// A place offered from the waitlist is told with a link to the entry's page that opens it
/// (the token in it is the entry's, made from the server's secret), where it is accepted.
#[actix_web::test]
async fn an_offer_is_notified_with_a_link_that_opens_the_entry() {
    let (receiver, url) = WebhookReceiver::start();
    let Some(app) = app_notifying_with(
        Backend::Embedded,
        &url,
        vec![crate::helpers::counting_checkpoint("offer", 1, 0)],
    )
    .await
    else {
        return;
    };
    let day = tomorrow();
    let window = at(day, 8);
    let booking = app.book("offer", &window, "OFFERED1", true).await;
    let joined = app
        .post_json(
            "/api/v1/waitlist",
            &serde_json::json!({
                "checkpoint": "offer", "direction": "entry", "category": "car",
                "window_starts": [window], "plate": "WAITING1", "contact": "waiting@example.com",
            }),
            &[],
        )
        .await;
    assert_eq!(joined.status, 201, "{}", joined.text);
    app.managed("DELETE", &booking.body, "", None).await;
    app.wait_until_published(Duration::from_secs(10)).await;
    receiver.wait_for(3, Duration::from_secs(10)).await;

    let offer = receiver
        .received()
        .into_iter()
        .find(|n| n["kind"] == "waitlist_offered")
        .unwrap_or_else(|| panic!("no offer among {:?}", receiver.kinds()));
    let text = offer["text"].as_str().unwrap();
    let link = text
        .lines()
        .find(|line| line.contains("/waitlist/"))
        .unwrap_or_else(|| panic!("no link in {text}"));
    let (_, path) = link.split_once("8080").expect("the link is on PUBLIC_URL");
    assert!(path.contains(joined.body["id"].as_str().unwrap()), "{path}");
    assert!(
        path.contains(joined.body["token"].as_str().unwrap()),
        "{path}"
    );
    let page = app.get(path).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(
        page.text.contains("data-status=\"offered\""),
        "{}",
        page.text
    );
}

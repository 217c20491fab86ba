//! RabbitMQ as a three-node cluster with quorum queues: the node leading the queues dies, then
//! (once it is back) the node the relay publishes through, while bookings go on. The relay
//! resumes within seconds on another node, the consumers follow, every event arrives and none
//! is handled twice.

use std::time::{Duration, Instant};

use borderslot::actors::statistics::STATISTICS_GROUP;
use borderslot::bus::rabbitmq::QueueType;

use crate::helpers::{Backend, OwnRabbitCluster, TestApp, at, spawn_app_on, tomorrow};
use crate::notifications::WebhookReceiver;

const NAMESPACE: &str = "failover";
/// The longest an event may wait in the outbox while the relay moves to another broker.
const RELAY_GAP_MAX: Duration = Duration::from_secs(5);
/// Bookings go on this long after each kill: past the gap allowed, with room to see it end.
const AFTER_KILL: Duration = Duration::from_secs(8);

/// Books one confirmed car after another, each with a plate of its own.
struct Load<'a> {
    app: &'a TestApp,
    booked: u32,
}

impl Load<'_> {
    async fn book_one(&mut self) {
        let n = self.booked;
        let response = self
            .app
            .book(
                "narva",
                &at(tomorrow(), 6 + n % 12),
                &format!("HA{n:04}"),
                true,
            )
            .await;
        assert_eq!(response.status, 201, "booking {n}: {}", response.text);
        self.booked += 1;
    }

    /// Books about ten cars a second for `period`; returns the longest any event was seen
    /// waiting in the outbox meanwhile, and how long the last one seen waited. The test's clock
    /// stands still, so waits are timed here: from the first look that found an event the
    /// oldest unpublished one to the first that did not.
    async fn book_for(&mut self, period: Duration) -> (Duration, Duration) {
        let started = Instant::now();
        let mut oldest: Option<(i64, Instant)> = None;
        let mut longest = Duration::ZERO;
        let mut last = Duration::ZERO;
        while started.elapsed() < period {
            self.book_one().await;
            let pending = self.app.store.outbox_pending(1).await.unwrap();
            last = match (pending.first(), oldest) {
                (Some(entry), Some((seq, since))) if entry.seq == seq => since.elapsed(),
                (Some(entry), _) => {
                    oldest = Some((entry.seq, Instant::now()));
                    Duration::ZERO
                }
                (None, _) => {
                    oldest = None;
                    Duration::ZERO
                }
            };
            longest = longest.max(last);
            tokio::time::sleep(Duration::from_millis(80)).await;
        }
        (longest, last)
    }
}

/// The node the relay's connection is open on, once it has one.
async fn relay_node(cluster: &OwnRabbitCluster) -> u8 {
    let started = Instant::now();
    loop {
        if let [node] = cluster.connected("borderslot-publisher").await[..] {
            return node;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the relay holds no connection"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[actix_web::test]
async fn the_relay_and_consumers_ride_out_the_loss_of_the_leader_node_then_of_their_own() {
    let Some(cluster) = OwnRabbitCluster::start().await else {
        return;
    };
    let (receiver, hook) = WebhookReceiver::start();
    let Some(app) = spawn_app_on(Backend::Embedded, Vec::new(), |settings| {
        settings.amqp_url = Some(cluster.urls.clone().into());
        settings.amqp_namespace = NAMESPACE.into();
        settings.amqp_queue_type = QueueType::Quorum;
        settings.notify = WebhookReceiver::config(&hook);
    })
    .await
    else {
        return;
    };
    let mut load = Load {
        app: &app,
        booked: 0,
    };
    let (steady, _) = load.book_for(Duration::from_secs(2)).await;

    let leader = cluster
        .leader(&format!("{NAMESPACE}.{STATISTICS_GROUP}"))
        .await;
    cluster.kill(leader).await;
    let (leader_gap, leader_tail) = load.book_for(AFTER_KILL).await;
    cluster.restart(leader).await;

    let relay = relay_node(&cluster).await;
    cluster.kill(relay).await;
    let (relay_gap, relay_tail) = load.book_for(AFTER_KILL).await;

    eprintln!(
        "relay gaps (longest wait of an event in the outbox): steady {steady:?}, \
         leader node {leader} killed {leader_gap:?}, relay's node {relay} killed {relay_gap:?}; \
         {} bookings",
        load.booked
    );
    for (what, gap, tail) in [
        ("the leader's node", leader_gap, leader_tail),
        ("the relay's node", relay_gap, relay_tail),
    ] {
        assert!(
            gap < RELAY_GAP_MAX,
            "after killing {what} the relay stopped for {gap:?}"
        );
        assert!(
            tail < Duration::from_secs(1),
            "after killing {what} the relay lags {tail:?}"
        );
    }

    // Every event arrives: the statistics equal a count of the bookings made.
    let booked = load.booked;
    app.wait_until_published(Duration::from_secs(15)).await;
    let started = Instant::now();
    loop {
        let totals = app.statistics_totals("narva", tomorrow()).await;
        if totals["holds"] == booked && totals["confirmations"] == booked {
            assert_eq!(totals["cancellations"], 0, "{totals}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{booked} bookings, statistics {totals}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Every confirmation is notified, none twice, however often its event was delivered.
    receiver
        .wait_for(booked as usize, Duration::from_secs(30))
        .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut ids = receiver.ids();
    let sent = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), sent, "a notification went out twice");
    assert_eq!(sent, booked as usize, "{:?}", receiver.kinds());
    eprintln!("{booked} bookings: {booked} holds and confirmations counted, {sent} notifications");
}

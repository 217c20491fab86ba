//! A database that stops answering without closing anything: every process of the server's
//! PostgreSQL cluster is stopped with SIGSTOP, so connections stay open and queries are taken
//! in by the kernel and never answered. Requests must be answered `503` with `Retry-After`
//! within the bound instead of waiting for the database; once it runs again, the same requests
//! with their keys succeed, each with one effect.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::json;

use crate::careful_client::{Answer, CarefulClient};
use crate::helpers::{Origin, OwnCluster, migrated_database};
use crate::restart::{command, start_server_with};

/// What a request may wait, whatever the database does (see docs/operations.md).
pub const REQUEST_BOUND: Duration = Duration::from_secs(5);
const REQUESTS: usize = 16;

/// The cluster's postmaster and its children, which are all that serve it.
fn cluster_pids(cluster: &OwnCluster) -> Vec<String> {
    let pid_file = std::fs::read_to_string(cluster.data_dir().join("postmaster.pid")).unwrap();
    let postmaster = pid_file.lines().next().unwrap().trim().to_owned();
    let children = std::process::Command::new("ps")
        .args(["-o", "pid=", "--ppid", &postmaster])
        .output()
        .unwrap();
    let mut pids: Vec<String> = String::from_utf8_lossy(&children.stdout)
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    pids.push(postmaster);
    pids
}

fn signal(signal: &str, pids: &[String]) {
    let status = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .args(pids)
        .status()
        .unwrap();
    assert!(status.success(), "kill -{signal} {pids:?}");
}

/// Resumes the cluster when dropped, so a failed assertion never leaves it stopped.
struct Frozen(Vec<String>);

impl Drop for Frozen {
    fn drop(&mut self) {
        signal("CONT", &self.0);
    }
}

fn hold(n: usize, day: chrono::NaiveDate) -> serde_json::Value {
    json!({
        "checkpoint": "narva", "direction": "entry", "category": "car",
        "window_start": format!("{day}T{:02}:00:00Z", 6 + n % 12),
        "plate": format!("FZ{n:03}"), "contact": format!("frozen{n}@example.com"),
        "confirm": true,
    })
}

async fn book(client: &CarefulClient, key: String, body: serde_json::Value) -> Answer {
    let within = Duration::from_secs(30);
    client
        .until_final("/api/v1/bookings", &key, &[], &body, within)
        .await
}

#[actix_web::test]
async fn requests_are_refused_within_the_bound_while_the_database_is_frozen() {
    // Arrange: the binary on a cluster of the test's own, with its pool filled by traffic.
    let Some(cluster) = OwnCluster::start().await else {
        return;
    };
    let origin = Origin::Postgres(migrated_database(&cluster.url).await);
    let server = start_server_with(&origin, &[("HTTP_WORKERS", "2")]);
    let client = CarefulClient::new(&server.address, REQUEST_BOUND);
    let day = (chrono::Utc::now() + chrono::Duration::days(3)).date_naive();
    let warm =
        join_all((0..REQUESTS).map(|n| book(&client, format!("warm-{n}"), hold(100 + n, day))))
            .await;
    assert!(warm.iter().all(|a| a.status == 201), "{warm:?}");

    // Act: freeze the cluster, and book twice over: once on the pooled connections, once on
    // the connections the pool then tries to open.
    let frozen = Frozen(cluster_pids(&cluster));
    signal("STOP", &frozen.0);
    let started = Instant::now();
    let mut refused = Vec::new();
    for round in 0..2 {
        let answers = join_all((0..REQUESTS).map(|n| {
            let client = &client;
            async move {
                let (key, body) = (format!("frozen-{n}"), hold(n, day));
                client.send("/api/v1/bookings", &key, &[], &body).await
            }
        }))
        .await;
        eprintln!(
            "round {round} answered after {:?}: {:?}",
            started.elapsed(),
            answers.iter().map(|a| a.status).collect::<Vec<_>>()
        );
        refused.extend(answers);
    }
    drop(frozen);

    // Assert: each refused in time, and each booked once when retried.
    for answer in &refused {
        assert_eq!(answer.status, 503, "{}", answer.body);
        assert!(answer.retry_after.is_some());
        assert_eq!(answer.body["type"], "/problems/unavailable");
    }
    let waits = client.waits.lock().unwrap().longest;
    eprintln!("longest wait {waits:?} (bound {REQUEST_BOUND:?})");
    assert!(
        client.waits.lock().unwrap().over_bound.is_empty(),
        "{:?}",
        client.waits.lock().unwrap().over_bound
    );
    let retried =
        join_all((0..REQUESTS).map(|n| book(&client, format!("frozen-{n}"), hold(n, day)))).await;
    for answer in &retried {
        assert_eq!(answer.status, 201, "{}", answer.body);
    }
    let (db, connection) = tokio_postgres::connect(
        match &origin {
            Origin::Postgres(url) => url,
            Origin::Embedded(_) => unreachable!(),
        },
        tokio_postgres::NoTls,
    )
    .await
    .unwrap();
    actix_web::rt::spawn(connection);
    let twice: i64 = db
        .query_one(
            "SELECT count(*) FROM (SELECT plate FROM bookings GROUP BY plate HAVING count(*) > 1) t",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(twice, 0, "a key acted twice");
    let audit = command(&origin).arg("audit").output().unwrap();
    assert!(
        audit.status.success(),
        "{}",
        String::from_utf8_lossy(&audit.stdout)
    );
}

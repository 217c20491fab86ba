//! PostgreSQL failing over under load: the real binary books through HAProxy into a Patroni
//! cluster in synchronous mode (scripts/pg-ha-cluster) while 64 careful clients hold and
//! confirm, each request with its own `Idempotency-Key`. Then the primary's postmaster is
//! killed, then a whole primary node (Patroni too), then the primary is switched over. After
//! each: every confirmation answered `200` is a confirmed booking on the new primary, no key
//! acted twice, the audit passes, the outbox is relayed to the end, bookings succeeded again
//! within 10 s of the new primary taking writes, and no request waited past the bound.
//!
//! The bus is the in-process one: the relay marks an outbox row published once every consumer
//! has handled its event, so "delivered" is checked as every outbox row marked published and
//! no event dead-lettered by a consumer.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::careful_client::CarefulClient;
use crate::frozen_database::REQUEST_BOUND;
use crate::helpers::{Origin, exported, migrated_database, run_test_script};
use crate::restart::{command, start_server_logging};

const CLIENTS: usize = 64;
/// From the new primary taking writes to the first booking through the service.
const RECOVERY_MAX: Duration = Duration::from_secs(10);
/// How long one request may take to get a final answer, retries included.
const FINAL_ANSWER_WITHIN: Duration = Duration::from_secs(90);

/// The Patroni cluster of scripts/pg-ha-cluster; stopped and removed on drop.
struct HaCluster {
    dir: String,
    /// A superuser's URL of the `postgres` database, through HAProxy's read-write port.
    url: String,
}

impl HaCluster {
    /// `None` (outside CI) when Patroni, etcd or HAProxy is not installed.
    async fn start() -> Option<Self> {
        let installed = std::process::Command::new("sh")
            .args([
                "-c",
                "command -v patroni && command -v etcd && command -v haproxy",
            ])
            .output()
            .is_ok_and(|o| o.status.success());
        if !installed {
            assert!(
                std::env::var("CI").map_or(true, |ci| ci != "true"),
                "patroni, etcd and haproxy must be installed under CI"
            );
            eprintln!("skipped: patroni, etcd or haproxy is not installed");
            return None;
        }
        let printed = run_test_script("pg-ha-cluster", vec!["start".into()]).await;
        Some(Self {
            dir: exported(&printed, "PG_HA_DIR"),
            url: exported(&printed, "HA_DATABASE_URL"),
        })
    }

    async fn run(&self, args: &[&str]) -> String {
        let mut all = vec![args[0].to_owned(), self.dir.clone()];
        all.extend(args[1..].iter().map(|a| (*a).to_owned()));
        run_test_script("pg-ha-cluster", all)
            .await
            .trim()
            .to_owned()
    }
}

impl Drop for HaCluster {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let kept = kept_logs_dir();
            let _ = std::process::Command::new("sh")
                .args([
                    "-c",
                    "mkdir -p \"$2\" && cp -r --parents */*.log *.log \"$2\"",
                    "sh",
                ])
                .arg(&self.dir)
                .arg(&kept)
                .current_dir(&self.dir)
                .status();
            eprintln!("cluster logs kept in {}", kept.display());
        }
        let _ = std::process::Command::new(crate::helpers::test_script("pg-ha-cluster"))
            .args(["stop", &self.dir])
            .output();
    }
}

/// Where a failed run leaves its logs: the server's, and the cluster's daemons'.
fn kept_logs_dir() -> std::path::PathBuf {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        std::env::temp_dir().join(format!("failover-logs-{stamp}"))
    })
    .clone()
}

/// Keeps the server's log when the test fails, and prints its end.
struct ShowLogOnFailure(std::path::PathBuf);

impl Drop for ShowLogOnFailure {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let kept = kept_logs_dir();
            let _ = std::fs::create_dir_all(&kept);
            let _ = std::fs::copy(&self.0, kept.join("server.log"));
            let log = std::fs::read_to_string(&self.0).unwrap_or_default();
            let lines: Vec<&str> = log.lines().collect();
            eprintln!("server log kept in {} (last 60 lines):", kept.display());
            for line in &lines[lines.len().saturating_sub(60)..] {
                eprintln!("{line}");
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Fault {
    KillPostmaster,
    KillNode,
    Switchover,
}

/// What the clients of one fault were told.
#[derive(Default)]
struct Tally {
    /// Plates whose hold was answered `201`.
    held: Vec<String>,
    /// Plates whose booking's confirmation was answered `200`.
    confirmed: Vec<String>,
    /// When each `2xx` answer came.
    successes: Vec<Instant>,
    refused: usize,
}

async fn connect(url: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    actix_web::rt::spawn(connection);
    Ok(client)
}

/// The port of the node that `url` reaches now.
async fn serving_port(url: &str) -> Option<i32> {
    let probe = async {
        let client = connect(url).await.ok()?;
        let row = client
            .query_one("SELECT inet_server_port(), txid_current()", &[])
            .await
            .ok()?;
        Some(row.get::<_, i32>(0))
    };
    tokio::time::timeout(Duration::from_secs(1), probe)
        .await
        .ok()
        .flatten()
}

/// When a node other than `old` first committed a write through `url`.
async fn new_primary_writable(url: &str, old: i32) -> Instant {
    let started = Instant::now();
    loop {
        if let Some(port) = serving_port(url).await
            && port != old
        {
            return Instant::now();
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no new primary took writes within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One client: hold, then confirm, with a fresh key and plate each time, until told to stop.
async fn client_loop(
    client: Rc<CarefulClient>,
    tally: Rc<RefCell<Tally>>,
    stop: Rc<Cell<bool>>,
    phase: usize,
    me: usize,
) {
    let today = chrono::Utc::now().date_naive();
    let mut n = 0;
    while !stop.get() {
        n += 1;
        let day = today + chrono::Duration::days(2 + ((me + n) % 10) as i64);
        let hour = (me * 7 + n) % 21;
        let direction = if n % 2 == 0 { "entry" } else { "exit" };
        let plate = format!("HA{phase}{me:02}{n:04}");
        let hold = json!({
            "checkpoint": "narva", "direction": direction, "category": "car",
            "window_start": format!("{day}T{hour:02}:00:00Z"),
            "plate": plate, "contact": format!("ha{phase}-{me}-{n}@example.com"),
        });
        let key = format!("ha-{phase}-{me}-{n}");
        let held = client
            .until_final(
                "/api/v1/bookings",
                &format!("{key}-hold"),
                &[],
                &hold,
                FINAL_ANSWER_WITHIN,
            )
            .await;
        if held.status != 201 {
            assert_eq!(
                held.status, 409,
                "{plate}: {} after {:#?}",
                held.body, held.history
            );
            tally.borrow_mut().refused += 1;
            continue;
        }
        {
            let mut tally = tally.borrow_mut();
            tally.held.push(plate.clone());
            tally.successes.push(Instant::now());
        }
        let code = held.body["code"].as_str().unwrap().to_owned();
        let token = held.body["manage_token"].as_str().unwrap().to_owned();
        let confirmed = client
            .until_final(
                &format!("/api/v1/bookings/{code}/confirm"),
                &format!("{key}-confirm"),
                &[("x-manage-token", &token)],
                &json!({}),
                FINAL_ANSWER_WITHIN,
            )
            .await;
        assert_eq!(
            confirmed.status, 200,
            "{plate}: {} after {:#?}",
            confirmed.body, confirmed.history
        );
        let mut tally = tally.borrow_mut();
        tally.confirmed.push(plate);
        tally.successes.push(Instant::now());
    }
}

/// Waits until `count` answers succeeded after `since`; the time of the first of them.
async fn first_success_after(tally: &RefCell<Tally>, since: Instant, within: Duration) -> Instant {
    let started = Instant::now();
    loop {
        if let Some(first) = tally
            .borrow()
            .successes
            .iter()
            .filter(|at| **at >= since)
            .min()
        {
            return *first;
        }
        assert!(
            started.elapsed() < within,
            "no booking succeeded within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Events a consumer gave up on, from the server's metrics: a published outbox row is only
/// delivered if no consumer dead-lettered it.
async fn dead_letters(address: &str) -> u64 {
    let mut response = awc::Client::default()
        .get(format!("{address}/metrics"))
        .send()
        .await
        .unwrap();
    let body = response.body().limit(1 << 22).await.unwrap();
    String::from_utf8_lossy(&body)
        .lines()
        .filter(|line| line.starts_with("borderslot_events_dead_lettered_total"))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

async fn check_store(database_url: &str, origin: &Origin, tally: &Tally, fault: Fault) {
    let db = connect(database_url).await.unwrap();
    let rows = db
        .query(
            "SELECT plate, status FROM bookings WHERE plate = ANY($1)",
            &[&tally.confirmed],
        )
        .await
        .unwrap();
    let stored: std::collections::HashMap<String, String> =
        rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    for plate in &tally.confirmed {
        assert_eq!(
            stored.get(plate).map(String::as_str),
            Some("confirmed"),
            "{fault:?}: the booking of {plate} was confirmed to its client"
        );
    }
    let per_plate: i64 = db
        .query_one(
            "SELECT count(*) FROM bookings WHERE plate = ANY($1)",
            &[&tally.held],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        per_plate,
        tally.held.len() as i64,
        "{fault:?}: every answered hold is one booking"
    );
    let twice: i64 = db
        .query_one(
            "SELECT count(*) FROM (SELECT plate FROM bookings WHERE plate IS NOT NULL \
             GROUP BY plate HAVING count(*) > 1) t",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(twice, 0, "{fault:?}: a key acted twice");
    let audit = command(origin).arg("audit").output().unwrap();
    assert!(
        audit.status.success(),
        "{fault:?}: {}",
        String::from_utf8_lossy(&audit.stdout)
    );
    // The in-process consumers handle events one at a time, each with a synchronous commit of
    // its own, so a backlog built up during the fault drains slowly on a busy machine: what is
    // checked is that it drains, not how fast.
    let draining_since = Instant::now();
    let mut last_progress = Instant::now();
    let mut fewest = i64::MAX;
    loop {
        let unpublished: i64 = db
            .query_one(
                "SELECT count(*) FROM outbox WHERE published_at IS NULL",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if unpublished == 0 {
            eprintln!(
                "{fault:?}: outbox relayed to the end {:.1} s after the clients stopped",
                draining_since.elapsed().as_secs_f64()
            );
            break;
        }
        if unpublished < fewest {
            fewest = unpublished;
            last_progress = Instant::now();
        }
        if last_progress.elapsed() > Duration::from_secs(20) {
            let holders = db
                .query(
                    "SELECT format('pid %s %s since %s s, started %s s ago, port %s: %s', \
                       a.pid, a.state, round(extract(epoch FROM now() - a.state_change)), \
                       round(extract(epoch FROM now() - a.backend_start)), a.client_port, a.query) \
                     FROM pg_locks l JOIN pg_stat_activity a USING (pid) \
                     WHERE l.locktype = 'advisory'",
                    &[],
                )
                .await
                .unwrap();
            let holders: Vec<String> = holders.iter().map(|r| r.get(0)).collect();
            panic!(
                "{fault:?}: {unpublished} events unpublished, none relayed for 20 s; relay lock: \
                 {holders:?}"
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_web::test]
async fn bookings_survive_a_crashed_primary_a_lost_node_and_a_switchover() {
    let Some(cluster) = HaCluster::start().await else {
        return;
    };
    let database_url = migrated_database(&cluster.url).await;
    let origin = Origin::Postgres(database_url.clone());
    // The server's warnings and errors, shown if the test fails.
    let log_dir = tempfile::tempdir().unwrap();
    let log_path = log_dir.path().join("server.log");
    let server = start_server_logging(
        &origin,
        &[
            ("HTTP_WORKERS", "2"),
            ("DATABASE_POOL_SIZE", "24"),
            ("RUST_LOG", "warn,borderslot::http::idempotency=debug"),
            // Errors' chains without a backtrace each, so the log stays readable.
            ("RUST_LIB_BACKTRACE", "0"),
        ],
        std::fs::File::create(&log_path).unwrap().into(),
    );
    let _log = ShowLogOnFailure(log_path);
    let client = Rc::new(CarefulClient::new(&server.address, REQUEST_BOUND));

    for (phase, fault) in [Fault::KillPostmaster, Fault::KillNode, Fault::Switchover]
        .into_iter()
        .enumerate()
    {
        // Arrange: a healthy cluster, and clients booking steadily through it.
        cluster.run(&["wait-healthy", "90"]).await;
        let old_port = serving_port(&cluster.url)
            .await
            .expect("the primary answers");
        let tally = Rc::new(RefCell::new(Tally::default()));
        let stop = Rc::new(Cell::new(false));
        let clients: Vec<_> = (0..CLIENTS)
            .map(|me| {
                actix_web::rt::spawn(client_loop(
                    client.clone(),
                    tally.clone(),
                    stop.clone(),
                    phase,
                    me,
                ))
            })
            .collect();
        let warm_since = Instant::now();
        first_success_after(&tally, warm_since, Duration::from_secs(30)).await;
        tokio::time::sleep(Duration::from_secs(1)).await;

        // Act
        let primary = cluster.run(&["primary"]).await;
        let fault_at = Instant::now();
        match fault {
            Fault::KillPostmaster => cluster.run(&["kill-postmaster", &primary]).await,
            Fault::KillNode => cluster.run(&["kill-node", &primary]).await,
            Fault::Switchover => cluster.run(&["switchover"]).await,
        };
        let writable_at = new_primary_writable(&cluster.url, old_port).await;
        let booked_at = first_success_after(&tally, writable_at, Duration::from_secs(30)).await;
        let gap = booked_at - writable_at;
        let longest_wait = client.waits.lock().unwrap().longest;
        eprintln!(
            "{fault:?} on {primary}: new primary took writes {:.2} s after the fault, bookings \
             {:.2} s after that; longest request so far {:.2} s",
            (writable_at - fault_at).as_secs_f64(),
            gap.as_secs_f64(),
            longest_wait.as_secs_f64(),
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
        stop.set(true);
        for handle in clients {
            handle.await.unwrap();
        }
        if let Fault::KillNode = fault {
            cluster.run(&["start-node", &primary]).await;
        }

        // Assert
        let tally = tally.take();
        eprintln!(
            "{fault:?}: {} holds, {} confirmed, {} refused as full",
            tally.held.len(),
            tally.confirmed.len(),
            tally.refused
        );
        assert!(
            gap <= RECOVERY_MAX,
            "{fault:?}: bookings resumed {gap:?} after the new primary took writes"
        );
        let over = client.waits.lock().unwrap().over_bound.clone();
        assert!(
            over.is_empty(),
            "{fault:?}: waited past the bound: {over:?}"
        );
        check_store(&database_url, &origin, &tally, fault).await;
        assert_eq!(
            dead_letters(&server.address).await,
            0,
            "{fault:?}: a consumer gave up on an event"
        );
    }
    let waits = client.waits.lock().unwrap();
    eprintln!(
        "{} requests, the longest answered in {:.2} s (bound {REQUEST_BOUND:?})",
        waits.attempts,
        waits.longest.as_secs_f64()
    );
}

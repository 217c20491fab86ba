//! Starting the application for a test: a fresh embedded store in a temp folder, a manual
//! clock, port 0, and typed helpers for the API.

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::dev::ServerHandle;
use awc::http::StatusCode;
use borderslot::actors::ScheduleRegistry;
use borderslot::auth::{StaffAccount, StaffRole};
use borderslot::clock::ManualClock;
use borderslot::config::Settings;
use borderslot::domain::{Category, CategoryCapacity, Checkpoint, CheckpointId, Direction};
use borderslot::startup::Application;
use borderslot::store::SlotStore;
use borderslot::store::embedded::EmbeddedStore;
use borderslot::store::postgres::{PostgresSettings, PostgresStore};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde_json::{Value, json};
use tempfile::TempDir;

/// Tests run at a fixed moment: 2026-03-20 08:00 in Tallinn. Nine days later Europe moves its
/// clocks forward.
pub fn test_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 20, 6, 0, 0).unwrap()
}

pub fn tomorrow() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 21).unwrap()
}

/// A checkpoint in UTC with one category and hourly windows, for tests that count places.
pub fn counting_checkpoint(id: &str, capacity: u32, reserved: u32) -> Checkpoint {
    Checkpoint {
        id: CheckpointId::parse(id).unwrap(),
        name: format!("Test {id}"),
        time_zone: chrono_tz::UTC,
        neighbour_time_zone: None,
        directions: vec![Direction::Entry, Direction::Exit],
        window_minutes: 60,
        capacity: BTreeMap::from([(Category::Car, CategoryCapacity { capacity, reserved })]),
        calendar: Default::default(),
        opening: None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Embedded,
    Postgres,
}

/// Where a test's data lives, so that a restarted application finds it again.
pub enum Origin {
    Embedded(TempDir),
    Postgres(String),
}

/// A fresh, migrated, empty store of the given kind: a temp folder, or a database of its own
/// in the cluster the test script started. Outside CI a missing cluster skips the test (`None`);
/// under `CI=true` it fails.
pub async fn fresh_origin(backend: Backend) -> Option<Origin> {
    match backend {
        Backend::Embedded => Some(Origin::Embedded(tempfile::tempdir().unwrap())),
        Backend::Postgres => {
            let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
                assert!(
                    std::env::var("CI").map_or(true, |ci| ci != "true"),
                    "TEST_DATABASE_URL must be set under CI: run scripts/test"
                );
                eprintln!("skipped: TEST_DATABASE_URL is not set (scripts/test starts a cluster)");
                return None;
            };
            Some(Origin::Postgres(migrated_database(&admin_url).await))
        }
    }
}

/// A new, migrated database in the cluster that `admin_url` reaches; its URL.
pub async fn migrated_database(admin_url: &str) -> String {
    let (client, connection) = tokio_postgres::connect(admin_url, tokio_postgres::NoTls)
        .await
        .expect("the test cluster answers");
    actix_web::rt::spawn(async move {
        let _ = connection.await;
    });
    let name = format!("test_{}", uuid::Uuid::new_v4().simple());
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let (base, _) = admin_url.rsplit_once('/').unwrap();
    let url = format!("{base}/{name}");
    let store = PostgresStore::connect(&PostgresSettings::new(url.clone()))
        .await
        .unwrap();
    store.migrate(None).await.unwrap();
    url
}

/// The RabbitMQ the test script started, with a namespace of the test's own so that tests
/// sharing the broker never take each other's messages. Outside CI a missing broker skips the
/// test (`None`); under `CI=true` it fails.
pub fn test_broker() -> Option<(String, String)> {
    let Ok(url) = std::env::var("TEST_AMQP_URL") else {
        assert!(
            std::env::var("CI").map_or(true, |ci| ci != "true"),
            "TEST_AMQP_URL must be set under CI: run scripts/test"
        );
        eprintln!("skipped: TEST_AMQP_URL is not set (scripts/test starts a broker)");
        return None;
    };
    Some((url, format!("test-{}", uuid::Uuid::new_v4().simple())))
}

/// A RabbitMQ node of the test's own (scripts/rabbitmq-test-broker), which the test may stop
/// and start again; stopped and removed on drop.
pub struct OwnBroker {
    dir: String,
    pub url: String,
}

pub fn test_script(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts")
        .join(name)
}

fn broker_script() -> std::path::PathBuf {
    test_script("rabbitmq-test-broker")
}

/// Runs one of the test command's server scripts and returns what it printed.
pub async fn run_test_script(name: &'static str, args: Vec<String>) -> String {
    tokio::task::spawn_blocking(move || {
        let output = std::process::Command::new(test_script(name))
            .args(&args)
            .output()
            .expect("the script runs");
        assert!(
            output.status.success(),
            "{name} {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    })
    .await
    .unwrap()
}

/// The value of `export NAME=value` in what a server script printed.
pub fn exported(printed: &str, name: &str) -> String {
    printed
        .lines()
        .find_map(|line| line.strip_prefix(&format!("export {name}=")))
        .unwrap_or_else(|| panic!("{name} missing from {printed}"))
        .to_owned()
}

async fn run_broker_script(args: Vec<String>) -> String {
    run_test_script("rabbitmq-test-broker", args).await
}

impl OwnBroker {
    /// `None` (outside CI) when RabbitMQ is not installed.
    pub async fn start() -> Option<Self> {
        if !rabbitmq_installed() {
            return None;
        }
        let printed = run_broker_script(vec!["start".into()]).await;
        let value = |name: &str| exported(&printed, name);
        Some(Self {
            dir: value("RABBITMQ_TEST_DIR"),
            url: value("TEST_AMQP_URL"),
        })
    }

    pub async fn pause(&self) {
        run_broker_script(vec!["pause".into(), self.dir.clone()]).await;
    }

    pub async fn restart(&self) {
        run_broker_script(vec!["restart".into(), self.dir.clone()]).await;
    }

    /// The messages in `queue` that no consumer has acknowledged yet, whether waiting or
    /// being handled.
    pub async fn messages(&self, queue: &str) -> u64 {
        let printed =
            run_broker_script(vec!["messages".into(), self.dir.clone(), queue.into()]).await;
        printed
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("a message count for {queue}, not {printed:?}"))
    }
}

impl Drop for OwnBroker {
    fn drop(&mut self) {
        let _ = std::process::Command::new(broker_script())
            .args(["stop", &self.dir])
            .output();
    }
}

/// A three-node RabbitMQ cluster of the test's own (scripts/rabbitmq-test-cluster), whose
/// nodes the test may kill and start again; stopped and removed on drop.
pub struct OwnRabbitCluster {
    dir: String,
    /// Every node's URL, comma-separated, as `AMQP_URL` takes them.
    pub urls: String,
}

async fn run_cluster_script(args: Vec<String>) -> String {
    run_test_script("rabbitmq-test-cluster", args).await
}

impl OwnRabbitCluster {
    /// `None` (outside CI) when RabbitMQ is not installed.
    pub async fn start() -> Option<Self> {
        if !rabbitmq_installed() {
            return None;
        }
        let printed = run_cluster_script(vec!["start".into()]).await;
        Some(Self {
            dir: exported(&printed, "RABBITMQ_CLUSTER_DIR"),
            urls: exported(&printed, "TEST_AMQP_URLS"),
        })
    }

    /// SIGKILLs node `n` (1 to 3).
    pub async fn kill(&self, n: u8) {
        run_cluster_script(vec!["kill".into(), self.dir.clone(), n.to_string()]).await;
    }

    /// Starts node `n` again and waits until it runs; it rejoins the cluster.
    pub async fn restart(&self, n: u8) {
        run_cluster_script(vec!["restart".into(), self.dir.clone(), n.to_string()]).await;
    }

    /// The node (1 to 3) that leads quorum queue `queue`.
    pub async fn leader(&self, queue: &str) -> u8 {
        let printed =
            run_cluster_script(vec!["leader".into(), self.dir.clone(), queue.into()]).await;
        printed
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("a node number, not {printed:?}"))
    }

    /// The nodes (1 to 3) that connections named `name` are open on.
    pub async fn connected(&self, name: &str) -> Vec<u8> {
        let printed =
            run_cluster_script(vec!["connected".into(), self.dir.clone(), name.into()]).await;
        printed
            .split_whitespace()
            .map(|n| {
                n.parse()
                    .unwrap_or_else(|_| panic!("a node number, not {n:?}"))
            })
            .collect()
    }
}

impl Drop for OwnRabbitCluster {
    fn drop(&mut self) {
        let _ = std::process::Command::new(test_script("rabbitmq-test-cluster"))
            .args(["stop", &self.dir])
            .output();
    }
}

/// Whether RabbitMQ is installed; outside CI a test without it is skipped, under CI it fails.
fn rabbitmq_installed() -> bool {
    let installed = std::process::Command::new("sh")
        .args(["-c", "command -v rabbitmq-server"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        assert!(
            std::env::var("CI").map_or(true, |ci| ci != "true"),
            "rabbitmq-server must be installed under CI"
        );
        eprintln!("skipped: rabbitmq-server is not installed");
    }
    installed
}

/// A PostgreSQL cluster of the test's own (scripts/pg-test-cluster), for tests about roles,
/// which are cluster-wide: in the shared cluster another test may have created any role.
/// Stopped and removed on drop.
pub struct OwnCluster {
    dir: String,
    /// A superuser's URL of the `postgres` database.
    pub url: String,
}

impl OwnCluster {
    /// `None` (outside CI) when the test command started no PostgreSQL, as `fresh_origin`.
    pub async fn start() -> Option<Self> {
        if std::env::var("TEST_DATABASE_URL").is_err() {
            assert!(
                std::env::var("CI").map_or(true, |ci| ci != "true"),
                "TEST_DATABASE_URL must be set under CI: run scripts/test"
            );
            eprintln!("skipped: TEST_DATABASE_URL is not set (scripts/test starts a cluster)");
            return None;
        }
        let printed = run_test_script("pg-test-cluster", vec!["start".into()]).await;
        let value = |name: &str| exported(&printed, name);
        Some(Self {
            dir: value("PG_TEST_DIR"),
            url: value("TEST_DATABASE_URL"),
        })
    }
}

impl OwnCluster {
    /// The cluster's data folder.
    pub fn data_dir(&self) -> std::path::PathBuf {
        std::path::Path::new(&self.dir).join("data")
    }
}

fn cluster_script() -> std::path::PathBuf {
    test_script("pg-test-cluster")
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let _ = std::process::Command::new(cluster_script())
            .args(["stop", &self.dir])
            .output();
    }
}

/// Polls `probe` until it yields a value and returns that; fails the test if `within` passes
/// first, saying what it was waiting for.
pub async fn eventually<T, Fut>(
    within: std::time::Duration,
    waiting_for: &str,
    mut probe: impl FnMut() -> Fut,
) -> T
where
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = std::time::Instant::now();
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            started.elapsed() < within,
            "still waiting for {waiting_for} after {within:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Opens the store at `origin` as the application would.
pub async fn open_store(origin: &Origin) -> Arc<dyn SlotStore> {
    match origin {
        Origin::Embedded(dir) => {
            Arc::new(EmbeddedStore::open(&dir.path().join("borderslot.sqlite3")).unwrap())
        }
        Origin::Postgres(url) => Arc::new(
            PostgresStore::connect(&PostgresSettings::new(url.clone()))
                .await
                .unwrap(),
        ),
    }
}

pub struct TestApp {
    /// Staff access tokens by role, made on first use.
    staff_tokens: tokio::sync::Mutex<std::collections::HashMap<StaffRole, String>>,
    pub address: String,
    pub client: awc::Client,
    pub clock: Arc<ManualClock>,
    pub registry: Arc<ScheduleRegistry>,
    /// The idempotency keys the server is answering now.
    pub answers: Arc<borderslot::http::idempotency::Answers>,
    pub store: Arc<dyn SlotStore>,
    pub origin: Origin,
    /// The settings' data folder: the embedded store's, or a scratch folder for PostgreSQL.
    pub data_dir: std::path::PathBuf,
    _scratch: TempDir,
    server: Option<ServerHandle>,
    stopped: Option<tokio::sync::oneshot::Receiver<()>>,
}

/// The demo checkpoints plus `extra`, on the embedded store.
pub async fn spawn_app_with(extra: Vec<Checkpoint>, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_on(Backend::Embedded, extra, adjust)
        .await
        .expect("the embedded store is always available")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Vec::new(), |_| {}).await
}

/// The demo checkpoints plus `extra` on a fresh store of `backend`; `None` if that backend is
/// not available to this run.
pub async fn spawn_app_on(
    backend: Backend,
    extra: Vec<Checkpoint>,
    adjust: impl FnOnce(&mut Settings),
) -> Option<TestApp> {
    let origin = fresh_origin(backend).await?;
    Some(spawn_app_in(origin, extra, adjust).await)
}

/// Starts the application on `origin` (which may hold data of an earlier run).
pub async fn spawn_app_in(
    origin: Origin,
    extra: Vec<Checkpoint>,
    adjust: impl FnOnce(&mut Settings),
) -> TestApp {
    // A PostgreSQL test still gets a folder of its own for the files the jobs write.
    let scratch = tempfile::tempdir().unwrap();
    let data_dir = match &origin {
        Origin::Embedded(dir) => dir.path(),
        Origin::Postgres(_) => scratch.path(),
    }
    .to_path_buf();
    let mut settings = Settings::for_tests(data_dir.clone());
    adjust(&mut settings);
    let store = open_store(&origin).await;
    for checkpoint in &extra {
        store.upsert_checkpoint(checkpoint).await.unwrap();
    }
    let clock = Arc::new(ManualClock::new(test_start()));
    let app = Application::build_with(settings, store.clone(), clock.clone())
        .await
        .expect("the application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let registry = app.registry().clone();
    let answers = app.answers().clone();
    let server = Some(app.server_handle());
    let (done, stopped) = tokio::sync::oneshot::channel();
    actix_web::rt::spawn(async move {
        let _ = app.run_until_stopped().await;
        let _ = done.send(());
    });
    TestApp {
        staff_tokens: Default::default(),
        address,
        client: awc::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .finish(),
        clock,
        registry,
        answers,
        store,
        origin,
        data_dir,
        _scratch: scratch,
        server,
        stopped: Some(stopped),
    }
}

/// Declares `mod name { embedded, postgres }` tests that run `name(backend)` on each store.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident) => {
        mod $name {
            #[actix_web::test]
            async fn embedded() {
                super::$name($crate::helpers::Backend::Embedded).await;
            }

            #[actix_web::test]
            async fn postgres() {
                super::$name($crate::helpers::Backend::Postgres).await;
            }
        }
    };
}

pub struct Response {
    pub status: StatusCode,
    pub headers: awc::http::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Response {
    /// The value of the header `name`, which the answer must carry, as text.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header in the answer: {}", self.text))
            .to_str()
            .unwrap()
    }
}

impl TestApp {
    /// Stops the server and the actors the way a signal would, and returns where the data is.
    pub async fn stop(mut self) -> Origin {
        if let Some(server) = self.server.take() {
            server.stop(true).await;
        }
        if let Some(stopped) = self.stopped.take() {
            let _ = stopped.await;
        }
        self.origin
    }

    /// Waits until the relay has published every event in the outbox.
    pub async fn wait_until_published(&self, within: std::time::Duration) {
        let started = std::time::Instant::now();
        while !self.store.outbox_pending(1).await.unwrap().is_empty() {
            assert!(
                started.elapsed() < within,
                "events still unpublished after {within:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// The day's statistics totals, as the API serves them.
    pub async fn statistics_totals(&self, checkpoint: &str, day: NaiveDate) -> Value {
        let response = self
            .get_as_analyst(&format!("/api/v1/stats?checkpoint={checkpoint}&from={day}"))
            .await;
        assert_eq!(response.status, 200, "{}", response.text);
        response.body["totals"].clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Response {
        let method = awc::http::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.client.request(method, self.url(path));
        for (name, value) in headers {
            request = request.insert_header((*name, *value));
        }
        let mut response = match body {
            Some(body) => request
                .insert_header(("content-type", "application/json"))
                .send_body(body.to_vec())
                .await
                .expect("the server answers"),
            None => request.send().await.expect("the server answers"),
        };
        let bytes = response.body().limit(16 * 1024 * 1024).await.unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Response {
            status: response.status(),
            headers: response.headers().clone(),
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            text,
        }
    }

    /// Signs a staff member of `role` in (creating the account the first time) and returns
    /// the access token.
    pub async fn staff_token(&self, role: StaffRole) -> String {
        let mut tokens = self.staff_tokens.lock().await;
        if let Some(token) = tokens.get(&role) {
            return token.clone();
        }
        let (name, password) = self.staff_account(role).await;
        let login = self
            .post_json(
                "/api/v1/auth/login",
                &json!({ "name": name, "password": password }),
                &[],
            )
            .await;
        assert_eq!(login.status, 200, "{}", login.text);
        let token = login.body["access_token"].as_str().unwrap().to_owned();
        tokens.insert(role, token.clone());
        token
    }

    /// The name and password of a staff account of `role`, created the first time.
    pub async fn staff_account(&self, role: StaffRole) -> (String, &'static str) {
        let name = format!("test-{}", role.as_str());
        let password = "a test password of some length";
        if self
            .store
            .staff_account_by_name(&name)
            .await
            .unwrap()
            .is_none()
        {
            self.store
                .create_staff_account(&StaffAccount {
                    id: uuid::Uuid::new_v4(),
                    name: name.clone(),
                    role,
                    password_hash: borderslot::auth::password::hash(password).unwrap(),
                    created_at: test_start(),
                    disabled: false,
                })
                .await
                .unwrap();
        }
        (name, password)
    }

    /// Signs in again, as after the access token expired.
    pub async fn sign_in_again(&self, role: StaffRole) -> String {
        self.staff_tokens.lock().await.remove(&role);
        self.staff_token(role).await
    }

    /// A request with `Authorization: <authorization>` (a staff token or a carrier's key).
    pub async fn send_as(
        &self,
        method: &str,
        path: &str,
        authorization: &str,
        body: Option<&Value>,
    ) -> Response {
        let body = body.map(Value::to_string);
        self.send(
            method,
            path,
            &[("authorization", authorization)],
            body.as_deref().map(str::as_bytes),
        )
        .await
    }

    /// A request as a signed-in staff member of `role`.
    pub async fn send_as_staff(
        &self,
        role: StaffRole,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Response {
        let bearer = format!("Bearer {}", self.staff_token(role).await);
        self.send_as(method, path, &bearer, body).await
    }

    /// `GET` as a signed-in staff member of `role`.
    pub async fn get_as(&self, role: StaffRole, path: &str) -> Response {
        self.send_as_staff(role, "GET", path, None).await
    }

    /// Closes the windows `body` names at `checkpoint`, as an admin.
    pub async fn block_windows(&self, checkpoint: &str, body: &Value) -> Response {
        let path = format!("/api/v1/admin/checkpoints/{checkpoint}/blocks");
        self.send_as_staff(StaffRole::Admin, "POST", &path, Some(body))
            .await
    }

    /// Creates or replaces the checkpoint `id` as `body` describes it, as an admin.
    pub async fn put_checkpoint(&self, id: &str, body: &Value) -> Response {
        let path = format!("/api/v1/admin/checkpoints/{id}");
        self.send_as_staff(StaffRole::Admin, "PUT", &path, Some(body))
            .await
    }

    /// `GET` as an analyst: statistics, reports and forecasts.
    pub async fn get_as_analyst(&self, path: &str) -> Response {
        self.get_as(StaffRole::Analyst, path).await
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send("GET", path, &[], None).await
    }

    pub async fn post_json(&self, path: &str, body: &Value, headers: &[(&str, &str)]) -> Response {
        self.send("POST", path, headers, Some(body.to_string().as_bytes()))
            .await
    }

    pub async fn post_booking(&self, body: &Value) -> Response {
        self.post_json("/api/v1/bookings", body, &[]).await
    }

    /// Holds (or with `confirm` books) a car place in `window_start` at `checkpoint`.
    pub async fn book(
        &self,
        checkpoint: &str,
        window_start: &str,
        plate: &str,
        confirm: bool,
    ) -> Response {
        self.post_booking(&json!({
            "checkpoint": checkpoint,
            "direction": "entry",
            "category": "car",
            "window_start": window_start,
            "plate": plate,
            "contact": "driver@example.com",
            "confirm": confirm,
        }))
        .await
    }

    pub async fn managed(
        &self,
        method: &str,
        booking: &Value,
        suffix: &str,
        body: Option<&Value>,
    ) -> Response {
        let code = booking["code"].as_str().unwrap();
        let token = booking["manage_token"].as_str().unwrap();
        let body = body.map(|b| b.to_string());
        self.send(
            method,
            &format!("/api/v1/bookings/{code}{suffix}"),
            &[("x-manage-token", token)],
            body.as_deref().map(str::as_bytes),
        )
        .await
    }

    pub async fn availability(&self, checkpoint: &str, date: NaiveDate) -> Vec<Value> {
        let response = self
            .get(&format!(
                "/api/v1/checkpoints/{checkpoint}/availability?date={date}&direction=entry&category=car"
            ))
            .await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text);
        response.body["windows"].as_array().unwrap().clone()
    }

    /// Free public places of the window starting at `start`.
    pub async fn available(&self, checkpoint: &str, date: NaiveDate, start: &str) -> u64 {
        let start: DateTime<Utc> = start.parse().unwrap();
        self.availability(checkpoint, date)
            .await
            .iter()
            .find(|w| {
                w["start"]
                    .as_str()
                    .unwrap()
                    .parse::<DateTime<Utc>>()
                    .unwrap()
                    == start
            })
            .map(|w| w["available"].as_u64().unwrap())
            .expect("the window exists")
    }

    pub fn clock_now(&self) -> DateTime<Utc> {
        borderslot::clock::Clock::now(self.clock.as_ref())
    }

    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }
}

/// What one booking attempt of a race got: its window, status and body.
pub type Attempt = (String, u16, Value);

/// `clients` concurrent clients make `attempts` booking attempts between them, one in flight
/// each; client `c` talks to `apps[c % apps.len()]` and attempt `n` books `starts[n % len]`
/// with the body `booking(n, window)`.
pub async fn race_bookings(
    apps: &[&TestApp],
    clients: usize,
    attempts: usize,
    starts: &[String],
    booking: impl Fn(usize, &str) -> Value,
) -> Vec<Attempt> {
    let booking = &booking;
    let runs = (0..clients).map(|client| async move {
        let app = apps[client % apps.len()];
        let mut outcomes = Vec::new();
        for attempt in (client..attempts).step_by(clients) {
            let window = &starts[attempt % starts.len()];
            let response = app.post_booking(&booking(attempt, window)).await;
            outcomes.push((window.clone(), response.status.as_u16(), response.body));
        }
        outcomes
    });
    futures_util::future::join_all(runs)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// `HH:00` UTC on `date` as RFC 3339.
pub fn at(date: NaiveDate, hour: u32) -> String {
    format!("{date}T{hour:02}:00:00Z")
}

pub fn assert_problem(response: &Response, status: u16, problem: &str) {
    assert_eq!(
        response.status.as_u16(),
        status,
        "expected {status} {problem}, got {}",
        response.text
    );
    assert_eq!(
        response.headers.get("content-type").unwrap(),
        "application/problem+json"
    );
    assert_eq!(
        response.body["type"],
        format!("/problems/{problem}"),
        "{}",
        response.text
    );
}

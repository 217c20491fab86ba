//! Durability across a real process restart: a booking answered 2xx survives `kill -9`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

use crate::helpers::{Backend, Origin, fresh_origin};

pub struct Server {
    pub child: Child,
    pub address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn command(origin: &Origin) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_borderslot"));
    match origin {
        Origin::Embedded(dir) => command.env("DATA_DIR", dir.path()),
        Origin::Postgres(url) => command.env("DATABASE_URL", url),
    };
    command
}

pub fn start_server(origin: &Origin) -> Server {
    start_server_with(origin, &[])
}

/// The binary serving `origin`, with `env` on top of the test settings.
pub fn start_server_with(origin: &Origin, env: &[(&str, &str)]) -> Server {
    start_server_logging(origin, env, Stdio::null())
}

/// `start_server_with`, its log (standard error) going to `log`.
pub fn start_server_logging(origin: &Origin, env: &[(&str, &str)], log: Stdio) -> Server {
    let mut child = command(origin)
        .arg("serve")
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .env("HTTP_WORKERS", "1")
        // One test client is one address: the per-client limits would refuse its bursts.
        .env("RATE_LIMIT_PER_SECOND", "0")
        .env("HOLDS_PER_CLIENT_MAX", "0")
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let address = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_owned();
    Server { child, address }
}

async fn call(
    client: &awc::Client,
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = client.request(
        awc::http::Method::from_bytes(method.as_bytes()).unwrap(),
        url,
    );
    if let Some(token) = token {
        request = request.insert_header(("x-manage-token", token));
    }
    let mut response = match body {
        Some(body) => request.send_json(&body).await.unwrap(),
        None => request.send().await.unwrap(),
    };
    let body = response
        .json::<Value>()
        .limit(8 * 1024 * 1024)
        .await
        .unwrap_or(Value::Null);
    (response.status().as_u16(), body)
}

crate::on_both_backends!(a_confirmed_booking_and_the_counts_survive_a_killed_process);

async fn a_confirmed_booking_and_the_counts_survive_a_killed_process(backend: Backend) {
    // Arrange
    let Some(origin) = fresh_origin(backend).await else {
        return;
    };
    let client = awc::Client::default();
    let day = (chrono::Utc::now() + chrono::Duration::days(2)).date_naive();
    let window = format!("{day}T10:00:00Z");
    let availability = |address: &str| {
        format!(
            "{address}/api/v1/checkpoints/medyka/availability?date={day}&direction=exit&category=truck"
        )
    };
    let free_at = |body: &Value| {
        body["windows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["start"] == window)
            .unwrap()["available"]
            .as_u64()
            .unwrap()
    };

    let first = start_server(&origin);
    let (_, before) = call(&client, "GET", &availability(&first.address), None, None).await;
    let (status, booked) = call(&client, "POST", &format!("{}/api/v1/bookings", first.address), None, Some(json!({
        "checkpoint": "medyka", "direction": "exit", "category": "truck", "window_start": window,
        "plate": "LV 1234", "contact": "+48 600 100 200", "confirm": true,
    }))).await;
    assert_eq!(status, 201, "{booked}");

    // Act: no graceful shutdown.
    drop(first);
    let second = start_server(&origin);

    // Assert
    let code = booked["code"].as_str().unwrap();
    let token = booked["manage_token"].as_str();
    let (status, read) = call(
        &client,
        "GET",
        &format!("{}/api/v1/bookings/{code}", second.address),
        token,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(read["status"], "confirmed");
    assert_eq!(read["plate"], "LV1234");
    let (_, after) = call(&client, "GET", &availability(&second.address), None, None).await;
    assert_eq!(free_at(&after), free_at(&before) - 1);
    let output = command(&origin).arg("audit").output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

crate::on_both_backends!(sigterm_answers_the_requests_in_flight_and_keeps_every_one_it_answered);

/// SIGTERM, as Kubernetes stops a pod: requests already accepted are answered (and stored),
/// the process exits cleanly, and nothing answered 2xx is lost.
async fn sigterm_answers_the_requests_in_flight_and_keeps_every_one_it_answered(backend: Backend) {
    let Some(origin) = fresh_origin(backend).await else {
        return;
    };
    let mut server = start_server(&origin);
    let client = awc::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .finish();
    let day = (chrono::Utc::now() + chrono::Duration::days(2)).date_naive();
    let address = server.address.clone();
    let bookings = (0..40).map(|i| {
        let (client, address) = (client.clone(), address.clone());
        async move {
            let body = json!({
                "checkpoint": "medyka", "direction": "entry", "category": "car",
                "window_start": format!("{day}T{:02}:00:00Z", 6 + i % 12),
                "plate": format!("ST {i:03}"), "contact": "stop@example.com", "confirm": true,
            });
            let sent = client
                .post(format!("{address}/api/v1/bookings"))
                .send_json(&body)
                .await;
            match sent {
                Ok(mut response) => {
                    let body: Value = response.json().await.unwrap_or(Value::Null);
                    Some((response.status().as_u16(), body))
                }
                // Refused after the stop began: never accepted, nothing to keep.
                Err(_) => None,
            }
        }
    });
    let pid = server.child.id().to_string();
    let stop = async {
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
    };
    let (answers, ()) = tokio::join!(futures_util::future::join_all(bookings), stop);
    let exit = tokio::task::spawn_blocking(move || server.child.wait().unwrap())
        .await
        .unwrap();
    assert!(
        exit.success(),
        "the process exits cleanly on SIGTERM: {exit:?}"
    );

    let answered: Vec<(u16, Value)> = answers.into_iter().flatten().collect();
    assert!(
        answered
            .iter()
            .all(|(status, _)| *status == 201 || *status == 503),
        "{:?}",
        answered.iter().map(|(s, _)| s).collect::<Vec<_>>()
    );
    let second = start_server(&origin);
    for (_, booked) in answered.iter().filter(|(status, _)| *status == 201) {
        let code = booked["code"].as_str().unwrap();
        let (status, read) = call(
            &client,
            "GET",
            &format!("{}/api/v1/bookings/{code}", second.address),
            booked["manage_token"].as_str(),
            None,
        )
        .await;
        assert_eq!((status, read["status"].as_str()), (200, Some("confirmed")));
    }
    let output = command(&origin).arg("audit").output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

//! A connection that fails while a batch's COMMIT is in flight, on PostgreSQL itself: a TCP
//! proxy of the test's own sits between the server and PostgreSQL, reads the frontend protocol,
//! and cuts one connection at the COMMIT of a schedule batch (the transaction that logged its
//! id in `commit_log`), either after the server answered it (the batch is stored, its answer
//! lost) or before passing it on (the batch is rolled back). Every request of the batch must
//! be answered by what is really stored, and a retry with its key must agree.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::{
    Backend, Origin, Response, TestApp, at, fresh_origin, spawn_app_in, tomorrow,
};

const PASS: u8 = 0;
/// Pass the next batch COMMIT on, swallow the server's answer, and cut the connection.
const CUT_AFTER_COMMIT: u8 = 1;
/// Cut the connection instead of passing the next batch COMMIT on.
const CUT_BEFORE_COMMIT: u8 = 2;

#[derive(Default)]
struct Faults {
    mode: AtomicU8,
    cuts: AtomicUsize,
}

impl Faults {
    /// Takes the armed fault, once.
    fn take(&self) -> u8 {
        self.mode.swap(PASS, Ordering::SeqCst)
    }
}

/// Listens on loopback and relays every connection to `upstream`.
async fn start_proxy(upstream: String, faults: Arc<Faults>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    actix_web::rt::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let (upstream, faults) = (upstream.clone(), faults.clone());
            actix_web::rt::spawn(async move {
                if let Ok(server) = TcpStream::connect(&upstream).await {
                    relay(client, server, faults).await;
                }
            });
        }
    });
    port
}

async fn relay(client: TcpStream, server: TcpStream, faults: Arc<Faults>) {
    // Messages are passed on one by one: without this, each small write waits for the
    // previous one's acknowledgement.
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let (cut_tx, mut cut_rx) = tokio::sync::watch::channel(false);
    // Server to client: plain copying, until the other half cuts the connection.
    let backwards = actix_web::rt::spawn(async move {
        let mut buffer = vec![0u8; 16 * 1024];
        loop {
            tokio::select! {
                read = server_read.read(&mut buffer) => match read {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if *cut_rx.borrow() || client_write.write_all(&buffer[..n]).await.is_err() {
                            break;
                        }
                    }
                },
                _ = cut_rx.changed() => break,
            }
        }
        let _ = client_write.shutdown().await;
        server_read
    });
    // Client to server: message by message, so that a COMMIT can be recognised.
    let mut statements: HashMap<String, String> = HashMap::new();
    let mut in_batch = false;
    let mut startup = true;
    loop {
        let Some(message) = read_message(&mut client_read, startup).await else {
            break;
        };
        if startup {
            // SSLRequest (code 80877103) is answered 'N' and followed by the real startup.
            startup = message.len() == 8 && message[4..8] == [4, 210, 22, 47];
        } else {
            match message[0] {
                b'P' => {
                    let (name, rest) = c_string(&message[5..]);
                    let (query, _) = c_string(rest);
                    in_batch |= logs_a_batch(query);
                    statements.insert(name.to_owned(), query.to_owned());
                }
                b'B' => {
                    let (_portal, rest) = c_string(&message[5..]);
                    let (name, _) = c_string(rest);
                    in_batch |= statements.get(name).is_some_and(|q| logs_a_batch(q));
                }
                b'Q' if is_commit(&message) && in_batch => {
                    in_batch = false;
                    match faults.take() {
                        CUT_BEFORE_COMMIT => {
                            faults.cuts.fetch_add(1, Ordering::SeqCst);
                            let _ = cut_tx.send(true);
                            break;
                        }
                        CUT_AFTER_COMMIT => {
                            let _ = cut_tx.send(true);
                            let mut server_read = backwards.await.unwrap();
                            if server_write.write_all(&message).await.is_ok() {
                                // The server's answer is read, so the COMMIT is done, and dropped.
                                let mut answer = [0u8; 64];
                                let _ = server_read.read(&mut answer).await;
                            }
                            faults.cuts.fetch_add(1, Ordering::SeqCst);
                            return;
                        }
                        _ => {}
                    }
                }
                b'Q' if is_commit(&message) => in_batch = false,
                _ => {}
            }
        }
        if server_write.write_all(&message).await.is_err() {
            break;
        }
    }
    let _ = server_write.shutdown().await;
    let _ = cut_tx.send(true);
}

/// Whether a statement is a schedule batch logging its own id. Not the pruning of old ids (a
/// transaction of its own, which a job may run at any moment), nor the look-up that claims the
/// id of a batch whose COMMIT was lost.
fn logs_a_batch(query: &str) -> bool {
    query.starts_with("INSERT INTO commit_log") && !query.contains("ON CONFLICT")
}

/// One frontend message: during startup a length and a body, afterwards a type byte too.
async fn read_message(
    stream: &mut tokio::net::tcp::OwnedReadHalf,
    startup: bool,
) -> Option<Vec<u8>> {
    let mut message = Vec::new();
    if !startup {
        message.push(stream.read_u8().await.ok()?);
    }
    let length = stream.read_u32().await.ok()?;
    message.extend_from_slice(&length.to_be_bytes());
    let mut body = vec![0u8; length.checked_sub(4)? as usize];
    stream.read_exact(&mut body).await.ok()?;
    message.extend_from_slice(&body);
    Some(message)
}

fn c_string(bytes: &[u8]) -> (&str, &[u8]) {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let text = std::str::from_utf8(&bytes[..end]).unwrap_or("");
    (text, bytes.get(end + 1..).unwrap_or(&[]))
}

fn is_commit(message: &[u8]) -> bool {
    let (query, _) = c_string(&message[5..]);
    query
        .trim()
        .trim_end_matches(';')
        .eq_ignore_ascii_case("commit")
}

/// A fresh database reached through the proxy, and the proxy's faults.
async fn proxied_database() -> Option<(Origin, Arc<Faults>)> {
    let Origin::Postgres(url) = fresh_origin(Backend::Postgres).await? else {
        unreachable!("a PostgreSQL origin")
    };
    let config: tokio_postgres::Config = url.parse().unwrap();
    let host = match &config.get_hosts()[0] {
        tokio_postgres::config::Host::Tcp(host) => host.clone(),
        other => panic!("the test cluster is reached over TCP, not {other:?}"),
    };
    let port = config.get_ports()[0];
    let faults = Arc::new(Faults::default());
    let proxy = start_proxy(format!("{host}:{port}"), faults.clone()).await;
    let proxied = url.replacen(&format!(":{port}/"), &format!(":{proxy}/"), 1);
    assert_ne!(proxied, url);
    Some((Origin::Postgres(proxied), faults))
}

fn booking(hour: u32, n: usize) -> serde_json::Value {
    json!({
        "checkpoint": "narva", "direction": "entry", "category": "car",
        "window_start": at(tomorrow(), hour), "plate": format!("LC{n:03}"),
        "contact": format!("lost{n}@example.com"), "confirm": true,
    })
}

const WINDOW_HOUR: u32 = 9;
const REQUESTS: usize = 8;

/// A server on a proxied database, eight concurrent keyed bookings of one window with `fault`
/// armed for the first batch COMMIT among them, and the window's free places before them.
struct CutBatch {
    app: TestApp,
    faults: Arc<Faults>,
    free_before: u64,
    requests: Vec<(String, serde_json::Value)>,
    answers: Vec<Response>,
}

impl CutBatch {
    async fn run(fault: u8) -> Option<Self> {
        let (origin, faults) = proxied_database().await?;
        let app = spawn_app_in(origin, Vec::new(), |_| {}).await;
        let day = tomorrow();
        // The day is loaded before the fault is armed, so the next batch COMMIT is a booking's.
        let warm = app.post_booking(&booking(8, 0)).await;
        assert_eq!(warm.status, 201, "{}", warm.text);
        let free_before = app.available("narva", day, &at(day, WINDOW_HOUR)).await;

        faults.mode.store(fault, Ordering::SeqCst);
        let requests: Vec<_> = (1..=REQUESTS)
            .map(|n| (format!("cut-{n}"), booking(WINDOW_HOUR, n)))
            .collect();
        let answers = futures_util::future::join_all(
            requests
                .iter()
                .map(|(key, body)| Self::send(&app, key, body)),
        )
        .await;
        assert_eq!(faults.cuts.load(Ordering::SeqCst), 1, "one COMMIT was cut");
        Some(Self {
            app,
            faults,
            free_before,
            requests,
            answers,
        })
    }

    async fn send(app: &TestApp, key: &str, body: &serde_json::Value) -> Response {
        app.post_json("/api/v1/bookings", body, &[("idempotency-key", key)])
            .await
    }

    async fn free_now(&self) -> u64 {
        let day = tomorrow();
        self.app
            .available("narva", day, &at(day, WINDOW_HOUR))
            .await
    }

    /// Each request again with its key, beside its first answer.
    async fn retries(&self) -> Vec<(&Response, Response)> {
        let mut retries = Vec::new();
        for ((key, body), first) in self.requests.iter().zip(&self.answers) {
            retries.push((first, Self::send(&self.app, key, body).await));
        }
        retries
    }
}

#[actix_web::test]
async fn a_batch_whose_commit_answer_is_lost_is_answered_as_stored() {
    let Some(cut) = CutBatch::run(CUT_AFTER_COMMIT).await else {
        return;
    };

    for answer in &cut.answers {
        assert_eq!(
            answer.status, 201,
            "stored, so answered as such: {}",
            answer.text
        );
    }
    assert_eq!(cut.free_now().await, cut.free_before - REQUESTS as u64);
    for (first, retry) in cut.retries().await {
        assert_eq!(retry.text, first.text);
        assert_eq!(retry.headers.get("idempotent-replayed").unwrap(), "true");
    }
    assert_eq!(cut.app.store.audit().await.unwrap().violations(), 0);
    assert_eq!(cut.faults.cuts.load(Ordering::SeqCst), 1);
}

#[actix_web::test]
async fn a_batch_whose_commit_never_reached_the_server_is_refused_and_tried_afresh() {
    let Some(cut) = CutBatch::run(CUT_BEFORE_COMMIT).await else {
        return;
    };
    let answers = &cut.answers;

    let refused = answers.iter().filter(|a| a.status == 503).count();
    assert!(refused > 0, "the cut batch is answered 503");
    for answer in answers {
        assert!(
            [201, 503].contains(&answer.status.as_u16()),
            "{}",
            answer.text
        );
        if answer.status == 503 {
            assert!(answer.headers.contains_key("retry-after"));
        }
    }
    let stored = answers.iter().filter(|a| a.status == 201).count() as u64;
    assert_eq!(cut.free_now().await, cut.free_before - stored);
    for (first, retry) in cut.retries().await {
        assert_eq!(retry.status, 201, "{}", retry.text);
        if first.status == 201 {
            assert_eq!(retry.text, first.text);
        }
    }
    assert_eq!(cut.free_now().await, cut.free_before - REQUESTS as u64);
    assert_eq!(cut.app.store.audit().await.unwrap().violations(), 0);
}

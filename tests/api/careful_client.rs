//! A client as careful as the API asks drivers' apps to be: every change carries an
//! `Idempotency-Key`, and an answer that says "not now" (`503`, `429`, `409` for a key still in
//! flight) or no answer at all is followed by the same request with the same key, after the
//! `Retry-After` pause (capped, so tests stay short). It records how long every attempt waited.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

/// One attempt's answer; `status` 0 when none came (refused connection, time-out).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub retry_after: Option<u64>,
    /// Every attempt of the request before this answer: when, what status, what problem.
    pub history: Vec<String>,
}

impl Answer {
    /// Whether the same request should be sent again.
    pub fn says_later(&self) -> bool {
        match self.status {
            0 | 429 | 503 => true,
            409 => self.body["type"] == "/problems/idempotency-request-in-flight",
            _ => false,
        }
    }
}

/// The longest single wait seen, and when attempts waited longer than the bound.
#[derive(Debug, Default)]
pub struct Waits {
    pub attempts: u64,
    pub longest: Duration,
    pub over_bound: Vec<(String, Duration)>,
}

pub struct CarefulClient {
    client: awc::Client,
    pub address: String,
    bound: Duration,
    pub waits: Mutex<Waits>,
}

/// Pause between tries of one request, whatever `Retry-After` says.
const PAUSE_MAX: Duration = Duration::from_millis(250);

impl CarefulClient {
    /// `bound` is the longest an attempt may wait for its answer; the client itself waits
    /// three times as long, so that a slower answer is seen and reported, not cut off.
    pub fn new(address: &str, bound: Duration) -> Self {
        Self {
            client: awc::Client::builder().timeout(bound * 3).finish(),
            address: address.to_owned(),
            bound,
            waits: Mutex::default(),
        }
    }

    /// One attempt.
    pub async fn send(
        &self,
        path: &str,
        key: &str,
        headers: &[(&str, &str)],
        body: &Value,
    ) -> Answer {
        let started = Instant::now();
        let mut request = self
            .client
            .post(format!("{}{path}", self.address))
            .insert_header(("idempotency-key", key));
        for (name, value) in headers {
            request = request.insert_header((*name, *value));
        }
        let answer = match request.send_json(body).await {
            Ok(mut response) => {
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok());
                let body = response
                    .json::<Value>()
                    .limit(1 << 20)
                    .await
                    .unwrap_or(Value::Null);
                Answer {
                    status: response.status().as_u16(),
                    body,
                    retry_after,
                    history: Vec::new(),
                }
            }
            Err(_) => Answer {
                status: 0,
                body: Value::Null,
                retry_after: None,
                history: Vec::new(),
            },
        };
        let waited = started.elapsed();
        let mut waits = self.waits.lock().unwrap();
        waits.attempts += 1;
        waits.longest = waits.longest.max(waited);
        if waited > self.bound {
            waits
                .over_bound
                .push((format!("{path} {key} -> {}", answer.status), waited));
        }
        answer
    }

    /// The request, sent again with its key until it gets a final answer; panics if none came
    /// `within`. Every `503` must say when to come back.
    pub async fn until_final(
        &self,
        path: &str,
        key: &str,
        headers: &[(&str, &str)],
        body: &Value,
        within: Duration,
    ) -> Answer {
        let started = Instant::now();
        let mut history = Vec::new();
        loop {
            let sent_at = started.elapsed();
            let mut answer = self.send(path, key, headers, body).await;
            history.push(format!(
                "{:.2}-{:.2} s: {} {}",
                sent_at.as_secs_f64(),
                started.elapsed().as_secs_f64(),
                answer.status,
                answer.body["type"].as_str().unwrap_or("")
            ));
            if answer.status == 503 {
                assert!(
                    answer.retry_after.is_some(),
                    "503 without Retry-After: {}",
                    answer.body
                );
                assert_eq!(
                    answer.body["status"], 503,
                    "a problem document: {}",
                    answer.body
                );
            }
            if !answer.says_later() {
                answer.history = history;
                return answer;
            }
            assert!(
                started.elapsed() < within,
                "{path} with key {key} had no final answer within {within:?}: last {} {}",
                answer.status,
                answer.body
            );
            let pause = answer
                .retry_after
                .map_or(PAUSE_MAX, Duration::from_secs)
                .min(PAUSE_MAX);
            tokio::time::sleep(pause).await;
        }
    }
}

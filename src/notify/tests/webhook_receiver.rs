//! An HTTP endpoint that records every request and answers with scripted statuses.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use actix_web::http::StatusCode;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

use crate::notify::{EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};

#[derive(Debug, Clone)]
pub struct ReceivedRequest {
    pub method: String,
    pub content_type: Option<String>,
    pub event_id: Option<String>,
    pub signature: Option<String>,
    pub timestamp: Option<String>,
    pub body: Vec<u8>,
}

struct ReceiverState {
    requests: Mutex<Vec<ReceivedRequest>>,
    scripted: Mutex<VecDeque<u16>>,
    status_after_script: u16,
}

pub struct WebhookReceiver {
    pub url: String,
    state: Arc<ReceiverState>,
}

impl WebhookReceiver {
    /// Answers with each of `scripted` in turn, then always with `status_after_script`.
    pub async fn start(scripted: &[u16], status_after_script: u16) -> Self {
        let state = Arc::new(ReceiverState {
            requests: Mutex::default(),
            scripted: Mutex::new(scripted.iter().copied().collect()),
            status_after_script,
        });
        let data = web::Data::from(Arc::clone(&state));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(record))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(0)
        .bind(("127.0.0.1", 0))
        .unwrap();
        let port = server.addrs()[0].port();
        actix_web::rt::spawn(server.run());
        Self {
            url: format!("http://127.0.0.1:{port}/hooks/borderslot"),
            state,
        }
    }

    pub async fn always(status: u16) -> Self {
        Self::start(&[], status).await
    }

    pub fn requests(&self) -> Vec<ReceivedRequest> {
        self.state.requests.lock().unwrap().clone()
    }
}

async fn record(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<ReceiverState>,
) -> HttpResponse {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    state.requests.lock().unwrap().push(ReceivedRequest {
        method: request.method().to_string(),
        content_type: header("content-type"),
        event_id: header(EVENT_ID_HEADER),
        signature: header(SIGNATURE_HEADER),
        timestamp: header(TIMESTAMP_HEADER),
        body: body.to_vec(),
    });
    let status = state
        .scripted
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or(state.status_after_script);
    HttpResponse::new(StatusCode::from_u16(status).unwrap())
}

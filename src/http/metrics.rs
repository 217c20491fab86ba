//! `GET /metrics`: the Prometheus text format. Utilisation of today's and tomorrow's windows is
//! read from the schedule actors at scrape time, so it is never stale.

use actix_web::{HttpResponse, web};

use crate::actors::schedule::QueryAvailability;
use crate::app::AppState;
use crate::metrics::prometheus::{self, UTILISATION};

#[utoipa::path(get, path = "/metrics", operation_id = "metrics", tag = "service",
    summary = "Prometheus metrics (text format)",
    responses((status = 200, description = "Metrics")))]
pub async fn scrape(state: web::Data<AppState>) -> HttpResponse {
    for checkpoint in state.registry.checkpoints() {
        let today = state.today_at(&checkpoint);
        for (label, day) in [("today", Some(today)), ("tomorrow", today.succ_opt())] {
            let Some(day) = day else { continue };
            let Ok(windows) = state
                .registry
                .ask(&checkpoint.id, day, QueryAvailability)
                .await
            else {
                continue;
            };
            let capacity: u64 = windows.iter().map(|w| u64::from(w.capacity)).sum();
            let taken: u64 = windows.iter().map(|w| u64::from(w.taken())).sum();
            let ratio = if capacity == 0 {
                0.0
            } else {
                taken as f64 / capacity as f64
            };
            metrics::gauge!(UTILISATION, "checkpoint" => checkpoint.id.to_string(), "day" => label)
                .set(ratio);
        }
    }
    let handle = prometheus::install();
    handle.run_upkeep();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(handle.render())
}

//! The landing page at `/`: what is here and where the API lives.

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, web};

use super::state::AppState;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub async fn index(state: web::Data<AppState>) -> HttpResponse {
    let items: String = state
        .registry
        .checkpoints()
        .iter()
        .map(|c| {
            let id = escape(c.id.as_str());
            format!(
                "<li><strong>{}</strong> ({}) — <a href=\"/api/v1/checkpoints/{id}/availability?direction=entry&amp;category=car\">today's car windows</a></li>",
                escape(&c.name),
                escape(c.time_zone.name()),
            )
        })
        .collect();
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Border crossing arrival windows</title></head><body>\
         <h1>Border crossing arrival windows</h1>\
         <p>Book a time window to arrive at the checkpoint instead of queueing.</p>\
         <ul>{items}</ul>\
         <p>API: <a href=\"/api/v1/checkpoints\">/api/v1/checkpoints</a> · \
         <a href=\"/api/openapi.json\">OpenAPI document</a></p></body></html>"
    );
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header((
            "content-security-policy",
            "default-src 'none'; style-src 'self'",
        ))
        .body(page)
}

//! The stylesheet and the script, built into the binary so the pages need no files beside it.
//! Their addresses carry a digest of their content: a new release is never served a stale copy,
//! and an unchanged one may be cached for long.

use std::sync::LazyLock;

use actix_web::HttpResponse;
use actix_web::http::header::{self, HeaderValue};
use sha2::{Digest, Sha256};

const CSS: &str = include_str!("../../assets/app.css");
const JS: &str = include_str!("../../assets/app.js");

pub static STYLESHEET: LazyLock<String> =
    LazyLock::new(|| format!("/static/app.css?v={}", short_digest(CSS)));
pub static SCRIPT: LazyLock<String> =
    LazyLock::new(|| format!("/static/app.js?v={}", short_digest(JS)));

fn short_digest(content: &str) -> String {
    Sha256::digest(content.as_bytes())[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub async fn stylesheet() -> HttpResponse {
    asset(CSS, "text/css; charset=utf-8")
}

pub async fn script() -> HttpResponse {
    asset(JS, "text/javascript; charset=utf-8")
}

fn asset(body: &'static str, content_type: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(content_type)))
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(body)
}

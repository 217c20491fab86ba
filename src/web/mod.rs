//! The web pages, served beside the API by the same server: drivers find, hold, confirm, move
//! and cancel windows; anyone reads a checkpoint's queue; staff work the schedule. Pages are
//! rendered on the server (maud templates, checked at compile time, escaping by default) and
//! work without JavaScript; the small script in `assets/app.js` adds a countdown and live
//! refresh.

pub mod account;
pub mod assets;
pub mod best_times;
pub mod day;
pub mod draw;
pub mod driver;
pub mod i18n;
pub mod manage;
pub mod page;
pub mod prerendered;
pub mod problems;
pub mod qr;
pub mod rendered_days;
pub mod reslot;
pub mod staff;
pub mod status;
pub mod table;
pub mod times;
pub mod waitlist;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use maud::html;

use page::{Page, Section};

/// Whether an unknown address was asked for by a person in a browser rather than a program.
pub fn wants_page(request: &HttpRequest) -> bool {
    !request.path().starts_with("/api/")
        && request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
}

/// A person sending requests faster than anyone reads pages: how long to wait.
pub fn too_many_requests_page(request: &HttpRequest, retry_after_seconds: u64) -> HttpResponse {
    let page = Page::new(request);
    let t = page.t;
    let main = html! {
        h1 { (t.error_heading) }
        div class="problem" role="alert" { (t.error_rate_limited) }
    };
    let mut response = page.render(
        StatusCode::TOO_MANY_REQUESTS,
        Section::Book,
        t.error_heading,
        main,
    );
    if let Ok(value) = header::HeaderValue::from_str(&retry_after_seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// The framework's own refusals (a wrong method, a body too large) for a person.
pub fn error_page(request: &HttpRequest, status: StatusCode) -> HttpResponse {
    let page = Page::new(request);
    let t = page.t;
    let main = html! {
        h1 { (t.error_heading) }
        div class="problem" role="alert" { (t.error_request) }
        p { a href="/" { (t.nav_book) } " · " a href="/status" { (t.nav_status) } }
    };
    page.render(status, Section::Book, t.error_heading, main)
}

pub fn not_found_page(request: &HttpRequest) -> HttpResponse {
    let page = Page::new(request);
    let t = page.t;
    let main = html! {
        h1 { (t.error_page_not_found) }
        p { a href="/" { (t.nav_book) } " · " a href="/status" { (t.nav_status) } }
    };
    page.render(
        StatusCode::NOT_FOUND,
        Section::Book,
        t.error_page_not_found,
        main,
    )
}

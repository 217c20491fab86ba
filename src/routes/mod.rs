//! The one route table, shared by the server and the tests: the JSON API under `/api`, the
//! probes and metrics, and the web pages; and the answers for what no route takes, a problem
//! document for programs and a page for people.

pub mod endpoint;
pub mod limits;
pub mod observe;

use actix_web::body::{BoxBody, EitherBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{HttpResponse, Scope, web};

use crate::app::error::PROBLEM_JSON;
use crate::config::{Part, Role};
use crate::http::{
    account, admin, admin_checkpoints, auth, best_times, bookings, carrier, checkpoints, docs,
    draws, forecast, health, metrics, openapi, operator, reports, stats, status, waitlist,
};
use crate::web::account as account_pages;
use crate::web::{assets, driver, manage, staff};
use endpoint::endpoint;

/// Every route, as a process of the `all` role serves them.
pub fn configure(cfg: &mut web::ServiceConfig) {
    configure_for(cfg, Role::All);
}

/// The routes of one role's service: the probes and metrics always, and the parts it runs.
pub fn configure_for(cfg: &mut web::ServiceConfig, role: Role) {
    // Endpoints (not bare routes) so that a known path with the wrong method is a 405.
    // Routes are tried in the order they are registered, and each pattern with a parameter
    // costs a regex search: the API (one static prefix) comes before the pages, whose
    // patterns no API path matches, so an API request is never searched against them.
    cfg.service(endpoint("/healthz").get(health::healthz))
        .service(endpoint("/readyz").get(health::readyz))
        .service(endpoint("/metrics").get(metrics::scrape));
    if role.runs(Part::PublicApi) {
        cfg.service(endpoint("/api/openapi.json").get(openapi::serve))
            .service(endpoint("/api/docs").get(docs::page))
            .service(endpoint("/api/docs/swagger-ui-bundle.js").get(docs::bundle))
            .service(endpoint("/api/docs/swagger-ui.css").get(docs::stylesheet))
            .service(endpoint("/api/docs/init.js").get(docs::init));
    }
    let mut api = web::scope("/api/v1");
    if role.runs(Part::PublicApi) {
        api = public_api(api);
    }
    if role.runs(Part::AnalystApi) {
        api = analyst_api(api);
    }
    if role.runs(Part::SignIn) {
        api = sign_in(api);
    }
    if role.runs(Part::ScheduleApi) {
        api = schedule_api(api);
    }
    cfg.service(api);
    if role.runs(Part::Pages) {
        pages(cfg);
        staff_pages(cfg);
    }
    cfg.default_service(web::to(no_such_route));
}

/// What drivers and carriers use, and the carriers' keys that admins hand out.
fn public_api(api: Scope) -> Scope {
    // Tried in order, and each pattern with a parameter is a regex search: the two requests of
    // every booking come first, so they are not matched against the others' patterns.
    api.service(endpoint("/bookings").post(bookings::create))
        .service(endpoint("/bookings/{code}/confirm").post(bookings::confirm))
        .service(endpoint("/checkpoints").get(checkpoints::list))
        .service(endpoint("/checkpoints/{id}/availability").get(checkpoints::availability))
        .service(endpoint("/checkpoints/{id}/status").get(status::read))
        .service(endpoint("/checkpoints/{id}/best-times").get(best_times::read))
        .service(endpoint("/checkpoints/{id}/draws").get(draws::logs))
        .service(endpoint("/draw-entries/{id}").get(draws::entry))
        // Before the booking itself, whose `{code}` would also match `CODE.ics`.
        .service(endpoint("/bookings/{code}.ics").get(bookings::calendar))
        .service(
            endpoint("/bookings/{code}")
                .get(bookings::read)
                .delete(bookings::cancel),
        )
        .service(endpoint("/bookings/{code}/reschedule").post(bookings::reschedule))
        .service(endpoint("/bookings/{code}/accept-move").post(bookings::accept_move))
        .service(endpoint("/waitlist").post(waitlist::join))
        .service(
            endpoint("/waitlist/{id}")
                .get(waitlist::read)
                .delete(waitlist::leave),
        )
        .service(endpoint("/waitlist/{id}/accept").post(waitlist::accept))
        .service(endpoint("/waitlist/{id}/decline").post(waitlist::decline))
        .service(
            endpoint("/admin/api-keys")
                .post(carrier::create_key)
                .get(carrier::list_keys),
        )
        .service(endpoint("/admin/api-keys/{id}").delete(carrier::revoke_key))
        .service(endpoint("/carrier/bookings").get(carrier::bookings))
        .service(endpoint("/account/bookings").get(account::bookings))
        .service(endpoint("/account/bookings/{code}/claim").post(account::claim))
}

/// What analysts read.
fn analyst_api(api: Scope) -> Scope {
    api.service(endpoint("/stats").get(stats::read))
        .service(endpoint("/reports/daily").get(reports::daily))
        .service(endpoint("/forecast").get(forecast::read))
}

/// Staff tokens; any service that takes staff requests can issue them, as they share the key.
fn sign_in(api: Scope) -> Scope {
    api.service(endpoint("/auth/login").post(auth::login))
        .service(endpoint("/auth/refresh").post(auth::refresh))
        .service(endpoint("/auth/logout").post(auth::logout))
}

/// What admins and operators do to the schedule.
fn schedule_api(api: Scope) -> Scope {
    api.service(endpoint("/admin/checkpoints/{id}/blocks").post(admin::block))
        .service(endpoint("/admin/checkpoints/{id}/unblocks").post(admin::unblock))
        .service(endpoint("/admin/checkpoints/{id}/reserved").post(admin::reserve))
        .service(endpoint("/admin/checkpoints/{id}/capacity").post(admin::capacity))
        .service(endpoint("/admin/audit").get(admin::audit_log))
        .service(endpoint("/admin/checkpoints/{id}").put(admin_checkpoints::put))
        .service(endpoint("/operator/check-ins").post(operator::check_in))
        .service(endpoint("/operator/walk-ins").post(operator::walk_in))
        .service(endpoint("/operator/plates/{plate}").get(operator::plate))
        .service(endpoint("/admin/bars/{plate}").delete(admin::lift_bar))
}

/// The driver's pages and the public queue.
fn pages(cfg: &mut web::ServiceConfig) {
    cfg.service(endpoint("/static/app.css").get(assets::stylesheet))
        .service(endpoint("/static/app.js").get(assets::script))
        .service(endpoint("/").get(driver::home))
        .service(endpoint("/windows").get(driver::windows))
        .service(endpoint("/holds").post(driver::hold))
        .service(endpoint("/draw-entry/{id}").get(crate::web::draw::show))
        .service(endpoint("/booking/{code}").get(manage::show))
        .service(endpoint("/booking/{code}/confirm").post(manage::confirm))
        .service(endpoint("/booking/{code}/accept-move").post(crate::web::reslot::accept))
        .service(
            endpoint("/booking/{code}/cancel")
                .get(manage::ask_to_cancel)
                .post(manage::cancel),
        )
        .service(
            endpoint("/booking/{code}/reschedule")
                .get(manage::choose_new_window)
                .post(manage::reschedule),
        )
        .service(
            endpoint("/booking/{code}/earlier")
                .get(crate::web::waitlist::earlier_page)
                .post(crate::web::waitlist::earlier),
        )
        .service(endpoint("/waitlist").post(crate::web::waitlist::join))
        .service(endpoint("/waitlist/join").get(crate::web::waitlist::join_page))
        .service(endpoint("/waitlist/{id}").get(crate::web::waitlist::show))
        .service(endpoint("/waitlist/{id}/{verb}").post(crate::web::waitlist::answer))
        .service(endpoint("/account").get(account_pages::show))
        .service(endpoint("/account/login").get(account_pages::login))
        .service(endpoint("/account/callback").get(account_pages::callback))
        .service(endpoint("/account/logout").post(account_pages::logout))
        .service(endpoint("/account/claim").post(account_pages::claim))
        .service(endpoint("/account/bookings/{code}/confirm").post(account_pages::confirm))
        .service(endpoint("/account/bookings/{code}/cancel").post(account_pages::cancel))
        .service(
            endpoint("/account/bookings/{code}/reschedule")
                .get(account_pages::choose_new_window)
                .post(account_pages::reschedule),
        )
        .service(endpoint("/status").get(crate::web::status::index))
        .service(endpoint("/status/{id}").get(crate::web::status::checkpoint));
}

/// The staff pages, each behind sign-in.
fn staff_pages(cfg: &mut web::ServiceConfig) {
    use staff::{audit, check_in, dashboard, day, login, window_forms};
    cfg.service(endpoint("/staff").get(dashboard::show))
        .service(
            endpoint("/staff/login")
                .get(login::show)
                .post(login::submit),
        )
        .service(endpoint("/staff/logout").post(login::sign_out_form))
        .service(endpoint("/staff/day").get(day::show))
        .service(endpoint("/staff/blocks").post(window_forms::block))
        .service(endpoint("/staff/unblocks").post(window_forms::unblock))
        .service(endpoint("/staff/reserved").post(window_forms::reserve))
        .service(
            endpoint("/staff/check-in")
                .get(check_in::show)
                .post(check_in::submit),
        )
        .service(endpoint("/staff/reports").get(staff::reports::show))
        .service(endpoint("/staff/reports/csv").get(staff::reports::csv))
        .service(endpoint("/staff/forecast").get(staff::forecast::show))
        .service(endpoint("/staff/audit").get(audit::show));
}

async fn no_such_route(request: actix_web::HttpRequest) -> HttpResponse {
    if crate::web::wants_page(&request) {
        return crate::web::not_found_page(&request);
    }
    problem(
        StatusCode::NOT_FOUND,
        "no-such-route",
        "No such route",
        "Nothing is served at this path; see /api/openapi.json.",
    )
}

pub(crate) fn problem(status: StatusCode, slug: &str, title: &str, detail: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)))
        .body(
            serde_json::json!({
                "type": format!("/problems/{slug}"),
                "title": title,
                "status": status.as_u16(),
                "detail": detail,
            })
            .to_string(),
        )
}

/// Turns the framework's own error answers (wrong method, oversized body, …) into problem
/// documents, leaving answers that already are problems untouched.
pub fn problem_errors<B: 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(|response: ServiceResponse<B>| {
        // Problems and the web pages' own error pages are answers already.
        let already_problem = response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| {
                v.as_bytes().starts_with(PROBLEM_JSON.as_bytes())
                    || v.as_bytes().starts_with(b"text/html")
            });
        if already_problem || response.status().is_success() {
            return Ok(ErrorHandlerResponse::Response(
                response.map_into_left_body(),
            ));
        }
        let status = response.status();
        let (slug, detail) = match status {
            StatusCode::METHOD_NOT_ALLOWED => (
                "method-not-allowed",
                "This path does not take this method; see /api/openapi.json.",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => ("payload-too-large", "The body is too large."),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                "unsupported-media-type",
                "Send the body as application/json.",
            ),
            s if s.is_server_error() => ("internal", "The request could not be completed."),
            _ => ("bad-request", "The request could not be understood."),
        };
        let title = status.canonical_reason().unwrap_or("Error");
        let (request, _) = response.into_parts();
        let answer = if crate::web::wants_page(&request) {
            crate::web::error_page(&request, status)
        } else {
            problem(status, slug, title, detail)
        };
        let replaced: ServiceResponse<EitherBody<B, BoxBody>> =
            ServiceResponse::new(request, answer).map_into_right_body();
        Ok(ErrorHandlerResponse::Response(replaced))
    })
}

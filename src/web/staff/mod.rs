//! The staff pages under `/staff`, behind sign-in: a dashboard of how full the coming days
//! are, a day's windows (and for admins the forms that close, open and reserve them), the
//! check-in form, the daily report, the demand forecast and the audit log.
//!
//! Invariants: every page and form first resumes the staff session from its cookies (see
//! `session`) and checks the role (see `frame`); every form carries the anti-forgery token and
//! is checked before anything changes; every change goes through the same function as its API
//! route, so it is decided, refused and audited the same way.

pub mod audit;
pub mod charts;
pub mod check_in;
pub mod dashboard;
pub mod day;
pub mod forecast;
pub mod frame;
pub mod login;
pub mod problems;
pub mod reports;
pub mod session;
pub mod texts;
pub mod window_forms;

use crate::http::endpoint::endpoint;
use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
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
        .service(endpoint("/staff/reports").get(reports::show))
        .service(endpoint("/staff/reports/csv").get(reports::csv))
        .service(endpoint("/staff/forecast").get(forecast::show))
        .service(endpoint("/staff/audit").get(audit::show));
}

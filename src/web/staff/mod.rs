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
pub mod range_form;
pub mod reports;
pub mod session;
pub mod texts;
pub mod window_forms;

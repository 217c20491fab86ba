//! The cookies of someone signed in through the OpenID Connect provider: `account`, this
//! service's signed session (8 hours), and `sign_in`, the attempt under way at the provider.
//!
//! Both are `HttpOnly` and `Secure` over https, and `SameSite=Lax` rather than the staff
//! cookies' `Strict`: the provider sends the browser back from its own site, and a `Strict`
//! cookie would not come along on that navigation (nor on the redirects after it). Forms are
//! still guarded by the pages' anti-forgery tokens and `Origin` check.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite, time::Duration};

use crate::app::AppState;
use crate::auth::account::Identity;
use crate::auth::token::ACCOUNT_SESSION_HOURS;
use crate::oidc::flow::{SIGN_IN_MINUTES, SignInAttempt};

pub const ACCOUNT_COOKIE: &str = "account";
pub const SIGN_IN_COOKIE: &str = "sign_in";
const SIGN_IN_PATH: &str = "/account";

fn cookie(name: &'static str, value: String, path: &'static str, secure: bool) -> Cookie<'static> {
    Cookie::build(name, value)
        .path(path)
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .finish()
}

/// The person the request's session names, if it is live.
pub fn signed_in(request: &HttpRequest, state: &AppState) -> Option<Identity> {
    state.oidc.as_ref()?;
    let session = request.cookie(ACCOUNT_COOKIE)?;
    state
        .tokens
        .verify_account(session.value(), state.now())
        .ok()
}

pub fn session_cookie(session: String, secure: bool) -> Cookie<'static> {
    let mut session = cookie(ACCOUNT_COOKIE, session, "/", secure);
    session.set_max_age(Duration::hours(ACCOUNT_SESSION_HOURS));
    session
}

pub fn cleared_session(secure: bool) -> Cookie<'static> {
    let mut cleared = cookie(ACCOUNT_COOKIE, String::new(), "/", secure);
    cleared.make_removal();
    cleared
}

pub fn attempt_cookie(signed: String, secure: bool) -> Cookie<'static> {
    let mut attempt = cookie(SIGN_IN_COOKIE, signed, SIGN_IN_PATH, secure);
    attempt.set_max_age(Duration::minutes(SIGN_IN_MINUTES));
    attempt
}

pub fn cleared_attempt(secure: bool) -> Cookie<'static> {
    let mut cleared = cookie(SIGN_IN_COOKIE, String::new(), SIGN_IN_PATH, secure);
    cleared.make_removal();
    cleared
}

/// The sign-in attempt this browser started, if the cookie is one this service signed.
pub fn attempt(request: &HttpRequest, state: &AppState) -> Option<SignInAttempt> {
    let cookie = request.cookie(SIGN_IN_COOKIE)?;
    state.tokens.open(cookie.value()).ok()
}

/// Where to go after signing in: the account page or a staff page, never another site.
pub fn safe_next(raw: Option<&str>) -> String {
    match raw {
        Some(next) if next == "/staff" || next.starts_with("/staff/") => {
            crate::web::staff::session::safe_next(Some(next))
        }
        _ => super::HOME.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_leads_only_to_the_account_or_staff_pages() {
        assert_eq!(safe_next(Some("/staff/audit")), "/staff/audit");
        assert_eq!(safe_next(Some("https://elsewhere.example/")), "/account");
        assert_eq!(safe_next(Some("//elsewhere.example")), "/account");
        assert_eq!(safe_next(None), "/account");
    }

    #[test]
    fn the_cookies_are_lax_http_only_and_secure_over_https() {
        for cookie in [
            session_cookie("x".to_owned(), true),
            attempt_cookie("y".to_owned(), true),
        ] {
            assert_eq!(cookie.http_only(), Some(true));
            assert_eq!(cookie.same_site(), Some(SameSite::Lax));
            assert_eq!(cookie.secure(), Some(true));
        }
    }
}

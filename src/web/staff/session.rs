//! Who is signed in to the staff pages: the same token pair the API hands out, kept in two
//! cookies, `staff_access` (the 15-minute access token) and `staff_refresh` (the single-use
//! refresh token).
//!
//! Invariants: both cookies are `HttpOnly` (no script reads them), `SameSite=Strict` (no other
//! site's page sends them), limited to `/staff` and `Secure` over https. They carry no
//! `Max-Age`: a staff tablet's sign-in ends with its browser. The refresh token is spent only
//! when the access token no longer verifies, and the new pair goes out on that same answer.
//!
//! Staff the OpenID Connect provider gives a role sign in through it instead: their session is
//! the account pages' (`web::account::session`), and it reaches the staff pages when it
//! carries a staff role.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};

use crate::app::AppState;
use crate::app::accounts::staff_of;
use crate::app::error::ApiError;
use crate::app::staff::{Staff, TokenPair, renew};
use crate::auth::StaffRole;

pub const ACCESS_COOKIE: &str = "staff_access";
pub const REFRESH_COOKIE: &str = "staff_refresh";
const COOKIE_PATH: &str = "/staff";
/// Where a signed-in staff member starts.
pub const HOME: &str = "/staff";

/// A signed-in staff member, and the new token pair when this request had to renew it.
pub struct StaffSession {
    pub staff: Staff,
    renewed: Option<TokenPair>,
}

impl StaffSession {
    pub fn role(&self) -> StaffRole {
        self.staff.0.role
    }

    pub fn name(&self) -> &str {
        &self.staff.0.name
    }

    /// The cookies the answer must set: the renewed pair, if any.
    pub fn cookies(&self, secure: bool) -> Vec<Cookie<'static>> {
        self.renewed
            .as_ref()
            .map(|pair| session_cookies(pair, secure))
            .unwrap_or_default()
    }
}

/// The staff member the request's cookies name: from the access token while it is valid, else
/// by spending the refresh token. `None` when neither signs anyone in; an error only when the
/// store could not be asked.
pub async fn resume(
    request: &HttpRequest,
    state: &AppState,
) -> Result<Option<StaffSession>, ApiError> {
    let now = state.now();
    if let Some(claims) = request
        .cookie(ACCESS_COOKIE)
        .and_then(|access| state.tokens.verify(access.value(), now).ok())
    {
        return Ok(Some(StaffSession {
            staff: Staff(claims),
            renewed: None,
        }));
    }
    let Some(refresh) = request.cookie(REFRESH_COOKIE) else {
        let through_provider = crate::web::account::session::signed_in(request, state)
            .and_then(|identity| staff_of(&identity, now));
        return Ok(through_provider.map(|staff| StaffSession {
            staff,
            renewed: None,
        }));
    };
    let pair = match renew(state, refresh.value()).await {
        Ok(pair) => pair,
        Err(ApiError::Unauthenticated(_)) => return Ok(None),
        Err(error) => return Err(error),
    };
    let claims = state
        .tokens
        .verify(&pair.access, now)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("a fresh access token failed: {e}")))?;
    Ok(Some(StaffSession {
        staff: Staff(claims),
        renewed: Some(pair),
    }))
}

fn cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(name, value)
        .path(COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .finish()
}

/// The two cookies that keep `pair`.
pub fn session_cookies(pair: &TokenPair, secure: bool) -> Vec<Cookie<'static>> {
    vec![
        cookie(ACCESS_COOKIE, pair.access.clone(), secure),
        cookie(REFRESH_COOKIE, pair.refresh.clone(), secure),
    ]
}

/// Cookies that make the browser forget the session.
pub fn cleared_cookies(secure: bool) -> Vec<Cookie<'static>> {
    [ACCESS_COOKIE, REFRESH_COOKIE]
        .into_iter()
        .map(|name| {
            let mut cleared = cookie(name, String::new(), secure);
            cleared.make_removal();
            cleared
        })
        .collect()
}

/// Where to go after signing in: a staff page, never another site. Anything else (an
/// absolute address, `//host`, a path outside `/staff`) leads to the dashboard.
pub fn safe_next(raw: Option<&str>) -> String {
    raw.filter(|next| {
        let staff_path =
            *next == HOME || next.starts_with("/staff/") || next.starts_with("/staff?");
        staff_path
            && !next.starts_with("/staff/login")
            && !next.starts_with("/staff/logout")
            && next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
    })
    .unwrap_or(HOME)
    .to_owned()
}

/// The sign-in page that leads back to `next` afterwards.
pub fn login_path(next: &str) -> String {
    let next = safe_next(Some(next));
    if next == HOME {
        return "/staff/login".to_owned();
    }
    format!(
        "/staff/login?{}",
        serde_urlencoded::to_string([("next", next.as_str())]).unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_staff_pages_are_places_to_return_to() {
        for kept in [
            "/staff",
            "/staff/day?checkpoint=narva&date=2026-03-21",
            "/staff/audit",
            "/staff?lang=ru",
        ] {
            assert_eq!(safe_next(Some(kept)), kept);
        }
        for refused in [
            "https://elsewhere.example/staff",
            "//elsewhere.example/staff",
            "/staffroom",
            "/status",
            "/staff/\\elsewhere",
            "/staff/login?next=/staff",
            "/staff/x\r\nSet-Cookie: a=b",
            "",
        ] {
            assert_eq!(safe_next(Some(refused)), HOME, "{refused:?}");
        }
        assert_eq!(safe_next(None), HOME);
    }

    #[test]
    fn the_login_path_carries_the_page_to_return_to() {
        assert_eq!(login_path("/staff"), "/staff/login");
        assert_eq!(
            login_path("/staff/day?checkpoint=narva&date=2026-03-21"),
            "/staff/login?next=%2Fstaff%2Fday%3Fcheckpoint%3Dnarva%26date%3D2026-03-21"
        );
        assert_eq!(login_path("https://elsewhere.example"), "/staff/login");
    }

    #[test]
    fn session_cookies_are_strict_http_only_and_kept_to_staff_pages() {
        let cleared = cleared_cookies(true);
        for cookie in &cleared {
            assert_eq!(cookie.path(), Some("/staff"));
            assert_eq!(cookie.http_only(), Some(true));
            assert_eq!(cookie.same_site(), Some(SameSite::Strict));
            assert_eq!(cookie.secure(), Some(true));
            assert_eq!(cookie.value(), "");
        }
        assert_eq!(
            cleared.iter().map(|c| c.name()).collect::<Vec<_>>(),
            [ACCESS_COOKIE, REFRESH_COOKIE]
        );
    }
}

//! Signing in and out of the staff pages: `GET`/`POST /staff/login` and `POST /staff/logout`,
//! through the same `sign_in` and `sign_out` as the API. Sign-in attempts count against the
//! per-address request rate like every page, so the form is no way around the API's limit.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;
use serde::Deserialize;

use super::session::{self, REFRESH_COOKIE};
use super::texts::staff_texts;
use crate::app::AppState;
use crate::app::error::ApiError;
use crate::app::staff::{sign_in, sign_out};
use crate::web::account::texts::account_texts;
use crate::web::page::{Page, Section, form_is_genuine, origin};
use crate::web::problems::Problem;

#[derive(Debug, Default, Deserialize)]
struct LoginQuery {
    next: Option<String>,
    done: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct LoginForm {
    form_token: Option<String>,
    name: Option<String>,
    password: Option<String>,
    next: Option<String>,
}

/// What the sign-in page says above its form.
enum Said {
    Nothing,
    LoginNeeded,
    SignedOut,
    Refused(Problem),
}

pub async fn show(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let page = Page::new(&request);
    let query: LoginQuery = serde_urlencoded::from_str(request.query_string()).unwrap_or_default();
    let next = session::safe_next(query.next.as_deref());
    let said = match (query.done.as_deref(), next == session::HOME) {
        (Some("signed_out"), _) => Said::SignedOut,
        (_, false) => Said::LoginNeeded,
        (_, true) => Said::Nothing,
    };
    login_page(&page, &state, &next, "", said)
}

fn login_page(page: &Page, state: &AppState, next: &str, name: &str, said: Said) -> HttpResponse {
    let t = page.t;
    let st = staff_texts(page.lang);
    let status = match &said {
        Said::Refused(problem) => problem.status,
        _ => StatusCode::OK,
    };
    let main = html! {
        h1 { (st.login_heading) }
        @match &said {
            Said::Refused(problem) => (problem.summary(t)),
            Said::SignedOut => div class="notice" role="status" { (st.signed_out) },
            Said::LoginNeeded => p class="notice" role="status" { (st.login_needed) },
            Said::Nothing => {},
        }
        p { (st.login_intro) }
        form class="stack narrow" method="post" action="/staff/login" {
            (page.form_token(state))
            input type="hidden" name="next" value=(next);
            div {
                label for="name" { (st.account_name) }
                input id="name" name="name" type="text" value=(name) required autocomplete="username"
                    autocapitalize="none" spellcheck="false"
                    aria-invalid=[matches!(said, Said::Refused(_)).then_some("true")];
            }
            div {
                label for="password" { (st.password) }
                input id="password" name="password" type="password" required autocomplete="current-password"
                    aria-invalid=[matches!(said, Said::Refused(_)).then_some("true")];
            }
            div { button type="submit" { (st.sign_in) } }
        }
        @if state.oidc.is_some() {
            p {
                a class="button" id="staff-sign-in-provider"
                    href=(format!("/account/login?{}", serde_urlencoded::to_string([("next", next)]).unwrap_or_default())) {
                    (account_texts(page.lang).staff_via_provider)
                }
            }
        }
    };
    page.render(status, Section::Staff, st.login_heading, main)
}

#[tracing::instrument(name = "Sign in from the staff page", skip_all)]
pub async fn submit(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let form: LoginForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let next = session::safe_next(form.next.as_deref());
    let page = Page::new(&request).at(&session::login_path(&next));
    let name = form.name.as_deref().unwrap_or_default();
    let refused = |problem| login_page(&page, &state, &next, name, Said::Refused(problem));
    if !form_is_genuine(&request, &state, form.form_token.as_deref()) {
        return refused(Problem::new(
            page.t.error_form_expired,
            StatusCode::FORBIDDEN,
        ));
    }
    let password = form.password.clone().unwrap_or_default();
    match sign_in(&state, name, password).await {
        Ok(pair) => {
            let mut response = page.redirect(&next);
            for cookie in session::session_cookies(&pair, page.is_secure()) {
                let _ = response.add_cookie(&cookie);
            }
            response
        }
        Err(ApiError::Unauthenticated(_)) => refused(Problem::new(
            staff_texts(page.lang).wrong_credentials,
            StatusCode::UNAUTHORIZED,
        )),
        Err(error) => refused(Problem::of(page.lang, &error)),
    }
}

#[derive(Debug, Default, Deserialize)]
struct LogoutForm {
    form_token: Option<String>,
}

#[tracing::instrument(name = "Sign out from the staff page", skip_all)]
pub async fn sign_out_form(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let page = Page::new(&request).at(session::HOME);
    let st = staff_texts(page.lang);
    let form: LogoutForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let secure = page.is_secure();
    let problem = if !form_is_genuine(&request, &state, form.form_token.as_deref()) {
        Some(Problem::new(
            page.t.error_form_expired,
            StatusCode::FORBIDDEN,
        ))
    } else {
        let revoked = match request.cookie(REFRESH_COOKIE) {
            Some(refresh) => sign_out(&state, refresh.value()).await,
            None => Ok(()),
        };
        revoked.err().map(|error| Problem::of(page.lang, &error))
    };
    let Some(problem) = problem else {
        let signed_out = "/staff/login?done=signed_out";
        // Staff signed in through the provider hold the account session instead, and end the
        // provider's session too, or the next sign-in there would go through without a word.
        let at_provider = match (
            crate::web::account::session::signed_in(&request, &state),
            state.oidc.as_ref(),
        ) {
            (Some(_), Some(provider)) => {
                let back = format!("{}{signed_out}", origin(&request));
                provider.end_session_url(&back).await
            }
            _ => None,
        };
        let mut response = page.redirect(at_provider.as_deref().unwrap_or(signed_out));
        for cookie in session::cleared_cookies(secure) {
            let _ = response.add_cookie(&cookie);
        }
        let _ = response.add_cookie(&crate::web::account::session::cleared_session(secure));
        return response;
    };
    // A forged form changes nothing; a failed revocation is said, and the form offered again.
    let main = html! {
        h1 { (st.sign_out) }
        (problem.summary(page.t))
        form method="post" action="/staff/logout" {
            (page.form_token(&state))
            button type="submit" { (st.sign_out) }
        }
    };
    page.render(problem.status, Section::Staff, st.sign_out, main)
}

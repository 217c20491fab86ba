//! "My bookings" for people signed in through the OpenID Connect provider: signing in
//! (`/account/login` sends the browser to the provider, `/account/callback` brings it back),
//! signing out (here and at the provider), the list of one's bookings with a way to confirm a
//! held one, move a confirmed one to another window and cancel each, and a form that adds a booking made without signing in, by its code and manage token.
//! Registration and passwords are the provider's pages; these link to them when configured.

mod moves;
pub mod session;

pub use moves::{choose_new_window, reschedule};
pub mod texts;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;
use serde::Deserialize;

use super::page::{Page, Section, form_is_genuine, origin};
use super::problems::Problem;
use super::times;
use crate::app::AppState;
use crate::app::accounts::{account_bookings, claim_booking, find_owned, finish_sign_in};
use crate::app::bookings::{cancel_booking, confirm_booking};
use crate::app::error::ApiError;
use crate::auth::account::Identity;
use crate::domain::BookingStatus;
use crate::oidc::flow::SignInAttempt;
use texts::{AccountTexts, account_texts};

/// The account page: where signing in leads unless a staff page asked for it.
pub const HOME: &str = "/account";
const CALLBACK: &str = "/account/callback";

/// What the account page says at the top.
enum Said {
    Nothing,
    Done(&'static str),
    Refused(Problem),
}

fn said_after(page: &Page, at: &AccountTexts) -> Said {
    match page.query_value("done") {
        Some("signed_out") => Said::Done(at.signed_out),
        Some("claimed") => Said::Done(at.claimed),
        Some("confirmed") => Said::Done(at.confirmed),
        Some("cancelled") => Said::Done(at.cancelled),
        Some("moved") => Said::Done(at.moved),
        _ => Said::Nothing,
    }
}

pub async fn show(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let page = Page::new(&request);
    if state.oidc.is_none() {
        return super::not_found_page(&request);
    }
    let said = said_after(&page, account_texts(page.lang));
    account_page(&page, &state, session::signed_in(&request, &state), said).await
}

async fn account_page(
    page: &Page,
    state: &AppState,
    identity: Option<Identity>,
    said: Said,
) -> HttpResponse {
    let (t, at) = (page.t, account_texts(page.lang));
    let config = state.oidc.as_ref().map(|provider| provider.config());
    let register = config.and_then(|c| c.register_url.clone());
    let settings = config.and_then(|c| c.account_url.clone());
    let status = match &said {
        Said::Refused(problem) => problem.status,
        _ => StatusCode::OK,
    };
    let notice = html! {
        @match &said {
            Said::Refused(problem) => (problem.summary(t)),
            Said::Done(text) => div class="notice" role="status" { (text) },
            Said::Nothing => {},
        }
    };
    let Some(identity) = identity else {
        let main = html! {
            h1 { (at.heading) }
            (notice)
            p { (at.intro) }
            p class="actions" {
                a class="button" id="account-sign-in" href="/account/login" { (at.sign_in) }
                @if let Some(register) = &register {
                    " "
                    a href=(register) { (at.register) }
                }
            }
            p { (at.anonymous_still) }
        };
        return page.render(status, Section::Account, at.heading, main);
    };
    let bookings = match account_bookings(state, &identity).await {
        Ok(bookings) => bookings,
        Err(error) => {
            let problem = Problem::of(page.lang, &error);
            let main = html! { h1 { (at.heading) } (problem.summary(t)) };
            return page.render(problem.status, Section::Account, at.heading, main);
        }
    };
    // The sign-out form leads on to the provider's end-session page.
    let end_session = match state.oidc.as_ref() {
        Some(provider) => provider.end_session_url(HOME).await,
        None => None,
    };
    let allowing;
    let page = match end_session {
        Some(url) => {
            allowing = page.clone().allowing_forms_to(&url);
            &allowing
        }
        None => page,
    };
    let main = html! {
        h1 { (at.heading) }
        (notice)
        p class="signed-in" {
            (at.signed_in_as) " " strong { (identity.name) }
            @if let Some(org) = &identity.organisation {
                " · " (at.organisation) ": " strong { (org) }
            }
        }
        @if bookings.is_empty() {
            p { (at.no_bookings) }
        } @else {
            div class="table-scroll" tabindex="0" role="region" aria-labelledby="my-bookings" {
            table class="bookings" {
                caption id="my-bookings" { (at.bookings_caption) }
                thead { tr {
                    th scope="col" { (at.code) }
                    th scope="col" { (at.checkpoint) }
                    th scope="col" { (at.window) }
                    th scope="col" { (at.vehicle) }
                    th scope="col" { (at.status) }
                    th scope="col" { (at.actions) }
                } }
                tbody {
                    @for booking in &bookings {
                        @if let Ok(checkpoint) = state.checkpoint(&booking.checkpoint) {
                            tr data-code=(booking.code) {
                                th scope="row" { (booking.code) }
                                td { (checkpoint.name) }
                                td { (page.lang.date(booking.day)) ", " (times::window(page.lang, &checkpoint, booking.window_start, booking.window_end)) }
                                td {
                                    (page.lang.category(booking.category))
                                    @if let Some(plate) = &booking.plate { " " (plate) }
                                }
                                td { (page.lang.status(booking.status)) }
                                td {
                                    @if booking.status == BookingStatus::Held {
                                        form method="post" action=(format!("/account/bookings/{}/confirm", booking.code)) {
                                            (page.form_token(state))
                                            button type="submit" aria-label=(format!("{} {}", at.confirm, booking.code)) { (at.confirm) }
                                        }
                                    }
                                    @if booking.status == BookingStatus::Confirmed {
                                        a class="button secondary" href=(format!("/account/bookings/{}/reschedule", booking.code)) aria-label=(format!("{} {}", at.change_window, booking.code)) { (at.change_window) }
                                    }
                                    form method="post" action=(format!("/account/bookings/{}/cancel", booking.code)) {
                                        (page.form_token(state))
                                        button type="submit" class="danger" aria-label=(format!("{} {}", at.cancel, booking.code)) { (at.cancel) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            }
        }
        h2 { (at.claim_heading) }
        p { (at.claim_intro) }
        form class="stack narrow" method="post" action="/account/claim" {
            (page.form_token(state))
            div {
                label for="claim-code" { (at.booking_code) }
                input id="claim-code" name="code" type="text" required autocapitalize="characters" spellcheck="false";
            }
            div {
                label for="claim-token" { (at.manage_token) }
                input id="claim-token" name="token" type="text" required autocomplete="off" spellcheck="false";
            }
            div { button type="submit" { (at.claim) } }
        }
        @if let Some(settings) = &settings {
            p { a href=(settings) { (at.account_settings) } }
        }
        form method="post" action="/account/logout" {
            (page.form_token(state))
            button type="submit" id="account-sign-out" { (at.sign_out) }
        }
    };
    page.render(status, Section::Account, at.heading, main)
}

fn refused_page(page: &Page, problem: Problem) -> HttpResponse {
    let (t, at) = (page.t, account_texts(page.lang));
    let main = html! {
        h1 { (at.heading) }
        (problem.summary(t))
        p { a class="button" href="/account/login" { (at.sign_in) } }
    };
    page.render(problem.status, Section::Account, at.heading, main)
}

#[derive(Debug, Default, Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

/// Sends the browser to the provider, with a new attempt in its `sign_in` cookie.
#[tracing::instrument(name = "Start a sign-in at the provider", skip_all)]
pub async fn login(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let page = Page::new(&request).at(HOME);
    let Some(provider) = state.oidc.as_ref() else {
        return super::not_found_page(&request);
    };
    let query: LoginQuery = serde_urlencoded::from_str(request.query_string()).unwrap_or_default();
    let attempt = SignInAttempt::start(session::safe_next(query.next.as_deref()), state.now());
    let redirect_uri = format!("{}{CALLBACK}", origin(&request));
    let started = async {
        let url = provider
            .authorization_url(&redirect_uri, &attempt)
            .await
            .map_err(|_| ApiError::Unavailable)?;
        let signed = state.tokens.sign(&attempt).map_err(ApiError::Internal)?;
        Ok::<_, ApiError>((url, signed))
    };
    match started.await {
        Ok((url, signed)) => {
            let mut response = page.redirect(&url);
            let _ = response.add_cookie(&session::attempt_cookie(signed, page.is_secure()));
            response
        }
        Err(error) => refused_page(&page, Problem::of(page.lang, &error)),
    }
}

#[derive(Debug, Default, Deserialize)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// The provider sends the browser back here with a code (or an error).
#[tracing::instrument(name = "Finish a sign-in at the provider", skip_all)]
pub async fn callback(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let page = Page::new(&request).at(HOME);
    if state.oidc.is_none() {
        return super::not_found_page(&request);
    }
    let at = account_texts(page.lang);
    let secure = page.is_secure();
    let query: Callback = serde_urlencoded::from_str(request.query_string()).unwrap_or_default();
    let refused = |message: &str, status| {
        let mut response = refused_page(&page, Problem::new(message, status));
        let _ = response.add_cookie(&session::cleared_attempt(secure));
        response
    };
    let (Some(attempt), Some(code), Some(returned_state), None) = (
        session::attempt(&request, &state),
        query.code.as_deref(),
        query.state.as_deref(),
        query.error.as_deref(),
    ) else {
        return refused(at.sign_in_failed, StatusCode::BAD_REQUEST);
    };
    let redirect_uri = format!("{}{CALLBACK}", origin(&request));
    let identity = match finish_sign_in(&state, &attempt, returned_state, code, &redirect_uri).await
    {
        Ok(identity) => identity,
        Err(ApiError::Unauthenticated(_)) => {
            return refused(at.sign_in_expired, StatusCode::UNAUTHORIZED);
        }
        Err(error) => {
            let problem = Problem::of(page.lang, &error);
            return refused(&problem.message, problem.status);
        }
    };
    let signed = match state.tokens.issue_account(&identity, state.now()) {
        Ok((signed, _)) => signed,
        Err(error) => {
            let problem = Problem::of(page.lang, &ApiError::Internal(error));
            return refused(&problem.message, problem.status);
        }
    };
    tracing::info!(subject = %identity.subject, staff_role = ?identity.staff_role, "signed in through the provider");
    let mut response = page.redirect(&attempt.next);
    let _ = response.add_cookie(&session::session_cookie(signed, secure));
    let _ = response.add_cookie(&session::cleared_attempt(secure));
    response
}

#[derive(Debug, Default, Deserialize)]
struct PlainForm {
    form_token: Option<String>,
    code: Option<String>,
    token: Option<String>,
    window_start: Option<String>,
}

/// Ends the session here, then at the provider when it has an end-session endpoint.
#[tracing::instrument(name = "Sign out of an account", skip_all)]
pub async fn logout(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let page = Page::new(&request).at(HOME);
    let Some(provider) = state.oidc.as_ref() else {
        return super::not_found_page(&request);
    };
    let form: PlainForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    if !form_is_genuine(&request, &state, form.form_token.as_deref()) {
        let problem = Problem::new(page.t.error_form_expired, StatusCode::FORBIDDEN);
        return account_page(
            &page,
            &state,
            session::signed_in(&request, &state),
            Said::Refused(problem),
        )
        .await;
    }
    let signed_out = format!("{}{HOME}?done=signed_out", origin(&request));
    let next = provider
        .end_session_url(&signed_out)
        .await
        .unwrap_or_else(|| format!("{HOME}?done=signed_out"));
    let mut response = page.redirect(&next);
    let _ = response.add_cookie(&session::cleared_session(page.is_secure()));
    response
}

/// A form of the account page, sent by the signed-in person from one of our pages; otherwise
/// the answer already.
async fn genuine_form(
    request: &HttpRequest,
    state: &AppState,
    body: &[u8],
) -> Result<(Page, Identity, PlainForm), HttpResponse> {
    let page = Page::new(request).at(HOME);
    if state.oidc.is_none() {
        return Err(super::not_found_page(request));
    }
    let form: PlainForm = serde_urlencoded::from_bytes(body).unwrap_or_default();
    let identity = session::signed_in(request, state);
    let Some(identity) =
        identity.filter(|_| form_is_genuine(request, state, form.form_token.as_deref()))
    else {
        let problem = Problem::new(page.t.error_form_expired, StatusCode::FORBIDDEN);
        let identity = session::signed_in(request, state);
        return Err(account_page(&page, state, identity, Said::Refused(problem)).await);
    };
    Ok((page, identity, form))
}

#[tracing::instrument(name = "Claim a booking from the account page", skip_all)]
pub async fn claim(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let (page, identity, form) = match genuine_form(&request, &state, &body).await {
        Ok(sent) => sent,
        Err(answer) => return answer,
    };
    let code = form
        .code
        .as_deref()
        .unwrap_or_default()
        .trim()
        .to_uppercase();
    let token = form.token.as_deref().unwrap_or_default().trim().to_owned();
    match claim_booking(&state, &identity, &code, &token).await {
        Ok(_) => page.redirect(&format!("{HOME}?done=claimed")),
        Err(error) => {
            let problem = Problem::of(page.lang, &error);
            account_page(&page, &state, Some(identity), Said::Refused(problem)).await
        }
    }
}

#[tracing::instrument(name = "Confirm a booking from the account page", skip_all)]
pub async fn confirm(
    request: HttpRequest,
    code: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    act_on_owned(&request, &state, &code, &body, Act::Confirm).await
}

#[tracing::instrument(name = "Cancel a booking from the account page", skip_all)]
pub async fn cancel(
    request: HttpRequest,
    code: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    act_on_owned(&request, &state, &code, &body, Act::Cancel).await
}

/// What a button of the list does to one of the person's bookings.
#[derive(Clone, Copy)]
enum Act {
    Confirm,
    Cancel,
}

/// A form of the list acting on one of the person's bookings: back to the list saying what
/// was done, or the list with the refusal.
async fn act_on_owned(
    request: &HttpRequest,
    state: &AppState,
    code: &str,
    body: &[u8],
    act: Act,
) -> HttpResponse {
    let (page, identity, _) = match genuine_form(request, state, body).await {
        Ok(sent) => sent,
        Err(answer) => return answer,
    };
    let acted = async {
        let (booking, _) = find_owned(state, &identity, code).await?;
        match act {
            Act::Confirm => confirm_booking(state, &booking, None, None, None).await,
            Act::Cancel => cancel_booking(state, &booking, None).await,
        }
    };
    let done = match act {
        Act::Confirm => "confirmed",
        Act::Cancel => "cancelled",
    };
    match acted.await {
        Ok(_) => page.redirect(&format!("{HOME}?done={done}")),
        Err(error) => {
            let problem = Problem::of(page.lang, &error);
            account_page(&page, state, Some(identity), Said::Refused(problem)).await
        }
    }
}

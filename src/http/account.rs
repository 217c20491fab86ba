//! `/api/v1/account`: the bookings of the person whose OpenID Connect access token signs the
//! request (`Authorization: Bearer <the provider's access token>`) — their own, and their
//! carrier organisation's when the provider names one — and claiming a booking made
//! anonymously with its code and manage token.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::account;
use super::bookings::manage_token;
use super::openapi::params::BookingCodePath;
use super::views::BookingView;
use crate::app::AppState;
use crate::app::accounts::{account_bookings, claim_booking, provider};
use crate::app::error::ApiError;
use crate::auth::account::Identity;

/// The signed-in person, or `401`.
async fn signed_in(request: &HttpRequest, state: &AppState) -> Result<Identity, ApiError> {
    provider(state)?;
    account(request, state)
        .await?
        .ok_or(ApiError::Unauthenticated(
            "sign in: Authorization: Bearer <the provider's access token>",
        ))
}

/// Who is signed in, and the bookings they see.
#[derive(Debug, Serialize, ToSchema)]
struct AccountBookings {
    /// The provider's subject.
    subject: String,
    name: String,
    /// The carrier organisation whose bookings are listed too.
    organisation: Option<String>,
    bookings: Vec<BookingView>,
}

#[utoipa::path(get, path = "/api/v1/account/bookings", operation_id = "accountBookings",
    tag = "account", security(("account" = [])),
    summary = "Signed-in person: their active bookings and, for a carrier organisation's staff, the organisation's (Authorization: Bearer <the OpenID Connect provider's access token>)",
    responses((status = 200, body = AccountBookings, description = "Who is signed in, and the bookings")))]
#[tracing::instrument(name = "List an account's bookings", skip_all)]
pub async fn bookings(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let identity = signed_in(&request, &state).await?;
    let bookings = BookingView::list(&state, &account_bookings(&state, &identity).await?);
    Ok(HttpResponse::Ok().json(AccountBookings {
        subject: identity.subject,
        name: identity.name,
        organisation: identity.organisation,
        bookings,
    }))
}

#[utoipa::path(post, path = "/api/v1/account/bookings/{code}/claim", operation_id = "claimBooking",
    tag = "account", security(("account" = [])),
    summary = "Signed-in person: make a booking made without signing in theirs, proven by its code and manage token",
    params(BookingCodePath,
        ("X-Manage-Token" = Option<String>, Header, description = "The booking's manage token (required)")),
    responses((status = 200, body = BookingView, description = "The booking, now the signed-in person's")))]
#[tracing::instrument(name = "Claim a booking for an account", skip_all)]
pub async fn claim(
    request: HttpRequest,
    code: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let identity = signed_in(&request, &state).await?;
    let token = manage_token(&request).ok_or(ApiError::TokenRequired)?;
    let (booking, checkpoint) = claim_booking(&state, &identity, &code, &token).await?;
    Ok(HttpResponse::Ok().json(BookingView::new(&booking, checkpoint.time_zone)))
}

//! `/api/v1/account`: the bookings of the person whose OpenID Connect access token signs the
//! request (`Authorization: Bearer <the provider's access token>`) — their own, and their
//! carrier organisation's when the provider names one — and claiming a booking made
//! anonymously with its code and manage token.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::auth::account;
use super::bookings::manage_token;
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

#[tracing::instrument(name = "List an account's bookings", skip_all)]
pub async fn bookings(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let identity = signed_in(&request, &state).await?;
    let bookings = BookingView::list(&state, &account_bookings(&state, &identity).await?);
    Ok(HttpResponse::Ok().json(json!({
        "subject": identity.subject,
        "name": identity.name,
        "organisation": identity.organisation,
        "bookings": bookings,
    })))
}

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

//! Staff sign-in: `POST /api/v1/auth/login` (name and password → a 15-minute access token and
//! a refresh token), `/refresh` (a spent refresh token → a new pair) and `/logout` (the refresh
//! token is revoked); and the `Staff` extractor that every staff route takes, which reads
//! `Authorization: Bearer <access token>` and says who is asking: a local staff account's
//! token (HS256, signed by this service), or the OpenID Connect provider's access token of a
//! person the provider gives a staff role.
//!
//! Bearer tokens come in four shapes, told apart without trying each: a carrier's API key
//! (`bsk_…`), a booking's manage token (hex), and JWTs, which are this service's own when
//! their header says HS256 and the provider's otherwise (the provider's are checked against
//! its public keys only, so an HS256 token never reaches that check).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::app::AppState;
use crate::app::accounts::{account_from_token, staff_of};
use crate::app::error::{ApiError, Problem};
use crate::app::input::parse_json;
use crate::app::staff::{Staff, TokenPair, renew, sign_in, sign_out};
use crate::auth::account::Identity;
use crate::auth::token::{ACCESS_TOKEN_TTL_MINUTES, TokenError};

/// The token of `Authorization: Bearer <token>`, whatever kind it is.
pub fn bearer(request: &HttpRequest) -> Option<&str> {
    request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

/// A bearer token with the shape of a JWT: three dot-separated parts.
pub fn bearer_jwt(request: &HttpRequest) -> Option<&str> {
    bearer(request).filter(|token| token.trim().split('.').count() == 3)
}

/// Whether a JWT is one this service signed for its own staff (HS256).
fn is_local_token(token: &str) -> bool {
    jsonwebtoken::decode_header(token.trim())
        .is_ok_and(|header| header.alg == jsonwebtoken::Algorithm::HS256)
}

/// The person signed in through the OpenID Connect provider whose access token the request
/// carries: `None` without one (or where no provider is configured), `401` for a token the
/// provider did not sign as it should, `503` when the provider cannot be asked.
pub async fn account(
    request: &HttpRequest,
    state: &AppState,
) -> Result<Option<Identity>, ApiError> {
    let Some(token) = bearer_jwt(request) else {
        return Ok(None);
    };
    if state.oidc.is_none() {
        return Ok(None);
    }
    if is_local_token(token) {
        // A staff token is no account; one that does not verify is a forgery, refused rather
        // than taken for no credential at all.
        return match state.tokens.verify(token, state.now()) {
            Ok(_) => Ok(None),
            Err(_) => Err(ApiError::Unauthenticated("the access token is not valid")),
        };
    }
    account_from_token(state, token).await.map(Some)
}

impl FromRequest for Staff {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            let state = request
                .app_data::<web::Data<AppState>>()
                .ok_or(ApiError::Unavailable)?;
            let token = bearer(&request).ok_or(ApiError::Unauthenticated(
                "sign in: Authorization: Bearer <access token>",
            ))?;
            if state.oidc.is_some() && !is_local_token(token) && bearer_jwt(&request).is_some() {
                let identity = account_from_token(state, token).await?;
                return staff_of(&identity, state.now())
                    .ok_or(ApiError::Forbidden("your account has no staff role"));
            }
            let claims = state
                .tokens
                .verify(token, state.now())
                .map_err(|e| match e {
                    TokenError::Expired => {
                        ApiError::Unauthenticated("the access token has expired; refresh it")
                    }
                    TokenError::Invalid => {
                        ApiError::Unauthenticated("the access token is not valid")
                    }
                })?;
            Ok(Staff(claims))
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Login {
    name: String,
    #[schema(format = Password)]
    password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RefreshToken {
    refresh_token: String,
}

fn token_answer(pair: TokenPair) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({
            "access_token": pair.access,
            "token_type": "Bearer",
            "expires_in": ACCESS_TOKEN_TTL_MINUTES * 60,
            "expires_at": pair.expires,
            "refresh_token": pair.refresh,
            "role": pair.account.role,
            "name": pair.account.name,
        }))
}

#[utoipa::path(post, path = "/api/v1/auth/login", operation_id = "login", tag = "auth",
    summary = "Staff sign-in: name and password for a 15-minute access token and a refresh token",
    request_body = Login,
    responses(
        (status = 200, description = "access_token, token_type, expires_in, refresh_token, role"),
        (status = 401, response = Problem),
    ))]
#[tracing::instrument(name = "Sign in", skip_all)]
pub async fn login(body: web::Bytes, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let input: Login = parse_json(&body)?;
    Ok(token_answer(
        sign_in(&state, &input.name, input.password).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/auth/refresh", operation_id = "refresh", tag = "auth",
    summary = "Spend a refresh token for a new access and refresh token",
    request_body = RefreshToken,
    responses(
        (status = 200, description = "A new pair"),
        (status = 401, response = Problem),
    ))]
#[tracing::instrument(name = "Refresh sign-in", skip_all)]
pub async fn refresh(
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let input: RefreshToken = parse_json(&body)?;
    Ok(token_answer(renew(&state, &input.refresh_token).await?))
}

#[utoipa::path(post, path = "/api/v1/auth/logout", operation_id = "logout", tag = "auth",
    summary = "Revoke a refresh token",
    request_body = RefreshToken,
    responses((status = 204, description = "Signed out")))]
#[tracing::instrument(name = "Sign out", skip_all)]
pub async fn logout(
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let input: RefreshToken = parse_json(&body)?;
    sign_out(&state, &input.refresh_token).await?;
    Ok(HttpResponse::NoContent().finish())
}

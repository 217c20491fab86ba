//! Staff sign-in: `POST /api/v1/auth/login` (name and password → a 15-minute access token and
//! a refresh token), `/refresh` (a spent refresh token → a new pair) and `/logout` (the refresh
//! token is revoked); and the `Staff` extractor that every staff route takes, which reads
//! `Authorization: Bearer <access token>` and says who is asking.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::app::AppState;
use crate::app::error::ApiError;
use crate::app::input::parse_json;
use crate::app::staff::{Staff, TokenPair, renew, sign_in, sign_out};
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

impl FromRequest for Staff {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let outcome = (|| {
            let state = request
                .app_data::<web::Data<AppState>>()
                .ok_or(ApiError::Unavailable)?;
            let token = bearer(request).ok_or(ApiError::Unauthenticated(
                "sign in: Authorization: Bearer <access token>",
            ))?;
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
        })();
        Box::pin(async move { outcome })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    name: String,
    password: String,
}

#[derive(Debug, Deserialize)]
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

#[tracing::instrument(name = "Sign in", skip_all)]
pub async fn login(body: web::Bytes, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let input: Login = parse_json(&body)?;
    Ok(token_answer(
        sign_in(&state, &input.name, input.password).await?,
    ))
}

#[tracing::instrument(name = "Refresh sign-in", skip_all)]
pub async fn refresh(
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let input: RefreshToken = parse_json(&body)?;
    Ok(token_answer(renew(&state, &input.refresh_token).await?))
}

#[tracing::instrument(name = "Sign out", skip_all)]
pub async fn logout(
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let input: RefreshToken = parse_json(&body)?;
    sign_out(&state, &input.refresh_token).await?;
    Ok(HttpResponse::NoContent().finish())
}

//! Staff sign-in: `POST /api/v1/auth/login` (name and password → a 15-minute access token and
//! a refresh token), `/refresh` (a spent refresh token → a new pair) and `/logout` (the refresh
//! token is revoked); and the `Staff` extractor that every staff route takes, which reads
//! `Authorization: Bearer <access token>` and says who is asking.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use chrono::Duration;
use serde::Deserialize;
use serde_json::json;

use super::error::ApiError;
use super::input::parse_json;
use super::state::AppState;
use crate::auth::token::{ACCESS_TOKEN_TTL_MINUTES, Claims, TokenError};
use crate::auth::{StaffAccount, StaffRole, password};
use crate::domain::token::ManageToken;

/// How long a refresh token lasts unless spent or revoked first.
const REFRESH_TOKEN_TTL_DAYS: i64 = 7;

/// The signed-in staff member making the request.
#[derive(Debug, Clone)]
pub struct Staff(pub Claims);

impl Staff {
    /// Refuses the request unless the staff member has one of `roles`.
    pub fn require(&self, roles: &[StaffRole]) -> Result<(), ApiError> {
        if roles.contains(&self.0.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden("your role does not allow this"))
        }
    }

    /// How audit entries name this staff member.
    pub fn actor(&self) -> String {
        format!("{}:{}", self.0.role.as_str(), self.0.name)
    }
}

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

/// What signing in gives: a short-lived access token and a single-use refresh token.
pub struct TokenPair {
    pub access: String,
    pub expires: chrono::DateTime<chrono::Utc>,
    pub refresh: String,
    pub account: StaffAccount,
}

/// A fresh access token and refresh token for `account`.
async fn token_pair(state: &AppState, account: StaffAccount) -> Result<TokenPair, ApiError> {
    let now = state.now();
    let (access, expires) = state
        .tokens
        .issue(account.id, &account.name, account.role, now)
        .map_err(ApiError::Internal)?;
    let refresh = ManageToken::generate(&mut rand::rng());
    state
        .store
        .save_refresh_token(
            &ManageToken::digest(&refresh),
            account.id,
            now,
            now + Duration::days(REFRESH_TOKEN_TTL_DAYS),
        )
        .await?;
    Ok(TokenPair {
        access,
        expires,
        refresh,
        account,
    })
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

const WRONG_CREDENTIALS: ApiError = ApiError::Unauthenticated("wrong name or password");

/// Checks a name and password; a token pair when they match an enabled account.
pub async fn sign_in(
    state: &AppState,
    name: &str,
    password: String,
) -> Result<TokenPair, ApiError> {
    let account = state.store.staff_account_by_name(name.trim()).await?;
    let hash = account
        .as_ref()
        .map_or(password::decoy_hash(), |a| a.password_hash.as_str())
        .to_owned();
    // Argon2 is slow on purpose: keep it off the server's threads.
    let matches = web::block(move || password::verify(&password, &hash))
        .await
        .map_err(|_| ApiError::Unavailable)?;
    match account {
        Some(account) if matches && !account.disabled => token_pair(state, account).await,
        _ => Err(WRONG_CREDENTIALS),
    }
}

/// Spends a refresh token for a new pair.
pub async fn renew(state: &AppState, refresh_token: &str) -> Result<TokenPair, ApiError> {
    let digest = ManageToken::digest(refresh_token.trim());
    let spent = state
        .store
        .spend_refresh_token(&digest, state.now())
        .await?;
    let account = match spent {
        Some(id) => state.store.staff_account(id).await?,
        None => None,
    };
    match account {
        Some(account) if !account.disabled => token_pair(state, account).await,
        _ => Err(ApiError::Unauthenticated("the refresh token is not valid")),
    }
}

/// Revokes a refresh token; an unknown one is already as good as revoked.
pub async fn sign_out(state: &AppState, refresh_token: &str) -> Result<(), ApiError> {
    let digest = ManageToken::digest(refresh_token.trim());
    state
        .store
        .spend_refresh_token(&digest, state.now())
        .await?;
    Ok(())
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

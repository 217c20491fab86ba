//! Who staff are and what every staff action shares: signing in and out (name and password
//! give a 15-minute access token and a single-use refresh token), the role check, and the
//! audit log that records each change with who made it.

use chrono::Duration;

use super::AppState;
use super::error::ApiError;
use crate::auth::token::Claims;
use crate::auth::{AuditEntry, StaffAccount, StaffRole, password};
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
    let matches = tokio::task::spawn_blocking(move || password::verify(&password, &hash))
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

/// Records a change in the audit log, with who made it.
pub async fn audit(
    state: &AppState,
    staff: &Staff,
    action: &str,
    target: String,
    after: serde_json::Value,
) -> Result<(), ApiError> {
    audit_change(state, staff, action, target, None, after).await
}

/// An audit entry with the state before the action as well as after it.
pub async fn audit_change(
    state: &AppState,
    staff: &Staff,
    action: &str,
    target: String,
    before: Option<serde_json::Value>,
    after: serde_json::Value,
) -> Result<(), ApiError> {
    state
        .store
        .append_audit(&AuditEntry {
            at: state.now(),
            actor: staff.actor(),
            action: action.to_owned(),
            target,
            before,
            after: Some(after),
        })
        .await?;
    Ok(())
}

/// Entries of the audit log a read gets when it does not say.
const AUDIT_ENTRIES_DEFAULT: usize = 100;
/// The most entries of the audit log one read returns.
pub const AUDIT_ENTRIES_MAX: usize = 1000;

/// How many entries of the audit log a read asking for `limit` gets.
pub fn audit_limit(limit: Option<usize>) -> usize {
    limit
        .unwrap_or(AUDIT_ENTRIES_DEFAULT)
        .clamp(1, AUDIT_ENTRIES_MAX)
}

/// The newest entries of the audit log, [`audit_limit`] of them, newest first, as an admin.
pub async fn read_audit_log(
    state: &AppState,
    staff: &Staff,
    limit: Option<usize>,
) -> Result<Vec<AuditEntry>, ApiError> {
    staff.require(&[StaffRole::Admin])?;
    Ok(state.store.audit_log(audit_limit(limit)).await?)
}

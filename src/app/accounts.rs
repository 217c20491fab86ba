//! People signed in through the OpenID Connect provider, and the bookings that are theirs: a
//! driver's own (made while signed in, or claimed with code and manage token) and, for a
//! carrier organisation's staff, the organisation's. Someone else's booking stays a booking
//! that does not exist (`404`), as with a wrong manage token.

use std::sync::Arc;

use super::AppState;
use super::bookings::{booking_code, find_booking_where, find_managed};
use super::error::ApiError;
use super::staff::Staff;
use crate::auth::account::Identity;
use crate::auth::token::Claims;
use crate::domain::{Booking, Checkpoint};
use crate::oidc::flow::SignInAttempt;
use crate::oidc::verify::Refusal;
use crate::oidc::{OidcError, Provider};

/// The consumer name under which spent sign-in states are recorded, once each.
const SPENT_SIGN_INS: &str = "oidc-sign-in";

/// The provider, or `401` where accounts are not set up.
pub fn provider(state: &AppState) -> Result<&Arc<Provider>, ApiError> {
    state.oidc.as_ref().ok_or(ApiError::Unauthenticated(
        "accounts are not enabled on this service",
    ))
}

/// What a refusal is about, for the words it says.
#[derive(Clone, Copy)]
enum Checked {
    AccessToken,
    SignIn,
}

fn refused(error: OidcError, checked: Checked) -> ApiError {
    match (error, checked) {
        (OidcError::Unavailable(cause), _) => {
            tracing::warn!(error.cause_chain = ?cause, "the OpenID Connect provider is unavailable");
            ApiError::Unavailable
        }
        (OidcError::Refused(Refusal::Expired), Checked::AccessToken) => {
            ApiError::Unauthenticated("the access token has expired")
        }
        (
            OidcError::Refused(_) | OidcError::NoSubject | OidcError::CodeRefused(_),
            Checked::AccessToken,
        ) => ApiError::Unauthenticated("the access token is not valid"),
        (_, Checked::SignIn) => ApiError::Unauthenticated("the sign-in was refused"),
    }
}

/// The person a provider's access token names.
pub async fn account_from_token(state: &AppState, token: &str) -> Result<Identity, ApiError> {
    provider(state)?
        .verify_access_token(token, state.now())
        .await
        .map_err(|e| refused(e, Checked::AccessToken))
}

/// What the names of staff signed in through the provider begin with: the audit log tells them
/// from a local account of the same name.
const PROVIDER_STAFF: &str = "oidc:";

/// Whether `staff` signed in through the provider rather than with a local account.
pub fn is_provider_staff(staff: &Staff) -> bool {
    staff.0.name.starts_with(PROVIDER_STAFF)
}

/// A staff member signed in through the provider, if the provider gives them a staff role.
pub fn staff_of(identity: &Identity, now: chrono::DateTime<chrono::Utc>) -> Option<Staff> {
    let role = identity.staff_role?;
    let expires = now + chrono::Duration::minutes(crate::auth::token::ACCESS_TOKEN_TTL_MINUTES);
    Some(Staff(Claims {
        sub: identity.staff_id(),
        name: format!("{PROVIDER_STAFF}{}", identity.name),
        role,
        iat: now.timestamp(),
        exp: expires.timestamp(),
        typ: "access".to_owned(),
    }))
}

/// Finishes the sign-in `attempt` that the browser came back to with `returned_state` and
/// `code`: the state is spent (a second callback with it is refused, on any replica), the code
/// exchanged with the attempt's PKCE verifier, and the ID token checked with its nonce.
pub async fn finish_sign_in(
    state: &AppState,
    attempt: &SignInAttempt,
    returned_state: &str,
    code: &str,
    redirect_uri: &str,
) -> Result<Identity, ApiError> {
    let provider = provider(state)?;
    let now = state.now();
    if !attempt.answered_by(returned_state, now) {
        return Err(ApiError::Unauthenticated("the sign-in was refused"));
    }
    let first = state
        .store
        .record_processed(
            SPENT_SIGN_INS,
            &[crate::store::ProcessedEvent::new(attempt.state, None)],
            now,
        )
        .await?;
    if first != [true] {
        return Err(ApiError::Unauthenticated("this sign-in was used already"));
    }
    let tokens = provider
        .exchange_code(code, redirect_uri, attempt)
        .await
        .map_err(|e| refused(e, Checked::SignIn))?;
    provider
        .verify_id_token(&tokens.id_token, attempt, now)
        .await
        .map_err(|e| refused(e, Checked::SignIn))
}

/// Whether `identity` may reach `booking` without its manage token.
pub async fn owns(
    state: &AppState,
    identity: &Identity,
    booking: &Booking,
) -> Result<bool, ApiError> {
    let owner = state.store.booking_owner(booking.id).await?;
    Ok(owner.subject.as_deref() == Some(identity.subject.as_str())
        || (identity.organisation.is_some() && owner.organisation == identity.organisation))
}

/// The booking `code` names, if it is `identity`'s; anyone else's looks unknown.
pub async fn find_owned(
    state: &AppState,
    identity: &Identity,
    code: &str,
) -> Result<(Booking, Arc<Checkpoint>), ApiError> {
    let (booking, checkpoint) = find_booking_where(state, &booking_code(code)?, |_| true).await?;
    if owns(state, identity, &booking).await? {
        Ok((booking, checkpoint))
    } else {
        Err(ApiError::NotFound("booking"))
    }
}

/// Makes `booking` `identity`'s (and their organisation's).
pub async fn record_owner(
    state: &AppState,
    identity: &Identity,
    booking: &Booking,
) -> Result<(), ApiError> {
    state
        .store
        .claim_booking(
            booking.id,
            &identity.subject,
            identity.organisation.as_deref(),
            state.now(),
        )
        .await?;
    Ok(())
}

/// Adds a booking made anonymously to `identity`'s, proven by its code and manage token.
pub async fn claim_booking(
    state: &AppState,
    identity: &Identity,
    code: &str,
    token: &str,
) -> Result<(Booking, Arc<Checkpoint>), ApiError> {
    let (booking, checkpoint) = find_managed(state, &booking_code(code)?, token).await?;
    record_owner(state, identity, &booking).await?;
    Ok((booking, checkpoint))
}

/// `identity`'s active bookings, and their organisation's.
pub async fn account_bookings(
    state: &AppState,
    identity: &Identity,
) -> Result<Vec<Booking>, ApiError> {
    Ok(state
        .store
        .account_bookings(&identity.subject, identity.organisation.as_deref())
        .await?)
}

//! Who is asking: staff accounts with roles (passwords hashed with Argon2id, short-lived JWT
//! access tokens, opaque refresh tokens), carriers' API keys, and people signed in through the
//! OpenID Connect provider. Pure functions and types; storage is the store's, enforcement the
//! HTTP layer's.

pub mod account;
pub mod api_key;
pub mod password;
pub mod token;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Staff roles. Admins shape the schedule and manage accounts and keys; operators work the
/// checkpoint (check-in, walk-ups); analysts read statistics and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    Admin,
    Operator,
    Analyst,
}

impl StaffRole {
    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::Admin => "admin",
            StaffRole::Operator => "operator",
            StaffRole::Analyst => "analyst",
        }
    }
}

impl std::str::FromStr for StaffRole {
    type Err = crate::domain::InputError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw.trim() {
            "admin" => Ok(StaffRole::Admin),
            "operator" => Ok(StaffRole::Operator),
            "analyst" => Ok(StaffRole::Analyst),
            _ => Err(crate::domain::InputError::new(
                "role",
                "one of admin, operator, analyst",
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffAccount {
    pub id: Uuid,
    pub name: String,
    pub role: StaffRole,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
    pub disabled: bool,
}

/// Account names: what a person types at login, so short and plain.
pub fn check_account_name(name: &str) -> Result<(), crate::domain::InputError> {
    let valid = (2..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if valid {
        Ok(())
    } else {
        Err(crate::domain::InputError::new(
            "name",
            "2 to 64 characters: lower-case letters, digits, dot, dash, underscore",
        ))
    }
}

/// One admin or operator action: who did what to which thing, and its state before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// A carrier's API key as stored: never the key itself, only its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    #[serde(skip)]
    pub digest: String,
    /// May book the capacity reserved for priority classes.
    pub privileged: bool,
    pub requests_per_second: u32,
    pub burst: u32,
    /// Held, confirmed and arrived bookings the carrier may have at once.
    pub active_bookings_max: u32,
    pub created_at: DateTime<Utc>,
    pub revoked: bool,
}

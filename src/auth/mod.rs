//! Who is asking: staff accounts with roles (passwords hashed with Argon2id, short-lived JWT
//! access tokens, opaque refresh tokens) and carriers' API keys. Pure functions and types;
//! storage is the store's, enforcement the HTTP layer's.

pub mod api_key;
pub mod password;
pub mod token;

use serde::{Deserialize, Serialize};

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

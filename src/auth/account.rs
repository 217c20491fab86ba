//! People signed in through the OpenID Connect provider: drivers, a carrier organisation's
//! staff, and staff whose roles the provider holds. An [`Identity`] is what a checked token
//! says about them; the provider's subject is the only key, never the name, which people can
//! change at the provider.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::StaffRole;
use crate::domain::AccountOwner;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The provider's `sub`: stable and unique at the issuer.
    pub subject: String,
    /// What pages show: the preferred user name, the name, the e-mail address or the subject.
    pub name: String,
    /// The carrier organisation the person works for, when the provider says so.
    pub organisation: Option<String>,
    /// The staff role the provider's roles map to, if any.
    pub staff_role: Option<StaffRole>,
}

impl Identity {
    /// Whose bookings this person's are: their own, and their organisation's.
    pub fn as_owner(&self) -> AccountOwner {
        AccountOwner {
            subject: self.subject.clone(),
            organisation: self.organisation.clone(),
        }
    }

    /// A stable account id for the staff token and the audit log, derived from the subject so
    /// that it can never collide with a local account's random one in practice.
    pub fn staff_id(&self) -> Uuid {
        let digest = Sha256::digest(format!("oidc:{}", self.subject).as_bytes());
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subject_always_gives_the_same_staff_id() {
        let identity = |subject: &str| Identity {
            subject: subject.to_owned(),
            name: "ada".to_owned(),
            organisation: None,
            staff_role: Some(StaffRole::Admin),
        };
        assert_eq!(identity("a").staff_id(), identity("a").staff_id());
        assert_ne!(identity("a").staff_id(), identity("b").staff_id());
    }
}

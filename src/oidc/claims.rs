//! What a checked token says about a person: the claim names are settings, since providers
//! differ (Keycloak keeps roles under `realm_access.roles`, others under `roles` or `groups`).
//! A claim name with dots is a path into nested objects.

use serde_json::{Map, Value};

use crate::auth::StaffRole;
use crate::auth::account::Identity;

/// Which provider role gives which staff role. The strongest role a person has wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleMap(Vec<(StaffRole, String)>);

impl Default for RoleMap {
    fn default() -> Self {
        Self(
            [StaffRole::Admin, StaffRole::Operator, StaffRole::Analyst]
                .into_iter()
                .map(|role| (role, role.as_str().to_owned()))
                .collect(),
        )
    }
}

impl std::str::FromStr for RoleMap {
    type Err = String;

    /// `admin=provider-role,operator=…,analyst=…`; a staff role left out is never given.
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let mut map = Vec::new();
        for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (role, provider_role) = pair
                .split_once('=')
                .ok_or_else(|| format!("{pair:?} is not role=provider-role"))?;
            let role: StaffRole = role
                .parse()
                .map_err(|_| format!("{role:?} is not admin, operator or analyst"))?;
            map.push((role, provider_role.trim().to_owned()));
        }
        Ok(Self(map))
    }
}

impl RoleMap {
    fn staff_role(&self, held: &[String]) -> Option<StaffRole> {
        [StaffRole::Admin, StaffRole::Operator, StaffRole::Analyst]
            .into_iter()
            .find(|role| {
                self.0
                    .iter()
                    .any(|(mapped, provider)| mapped == role && held.contains(provider))
            })
    }
}

/// Where the person's roles and carrier organisation are found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimNames {
    pub roles: String,
    pub organisation: String,
    pub role_map: RoleMap,
}

fn claim<'a>(claims: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut value = claims.get(parts.next()?)?;
    for part in parts {
        value = value.get(part)?;
    }
    Some(value)
}

/// A claim that may be one string, a space-separated list or an array of strings.
fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// The person a checked token names; `None` without a subject.
pub fn identity(claims: &Map<String, Value>, names: &ClaimNames) -> Option<Identity> {
    let text = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    // The store keeps subjects of up to 255 bytes, as OpenID Connect Core §2 allows.
    let subject = text("sub").filter(|sub| sub.len() <= 255)?.to_owned();
    let name = ["preferred_username", "name", "email"]
        .into_iter()
        .find_map(text)
        .unwrap_or(&subject)
        .chars()
        .take(100)
        .collect();
    let organisation = strings(claim(claims, &names.organisation))
        .into_iter()
        .next()
        .filter(|org| org.len() <= 100);
    let staff_role = names
        .role_map
        .staff_role(&strings(claim(claims, &names.roles)));
    Some(Identity {
        subject,
        name,
        organisation,
        staff_role,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(roles: &str, map: &str) -> ClaimNames {
        ClaimNames {
            roles: roles.to_owned(),
            organisation: "carrier".to_owned(),
            role_map: map.parse().unwrap(),
        }
    }

    fn claims(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn roles_map_to_the_strongest_staff_role_from_a_nested_claim() {
        let token = claims(json!({
            "sub": "s-1", "preferred_username": "ada",
            "realm_access": {"roles": ["bs-analyst", "bs-admin", "other"]},
        }));
        let found = identity(
            &token,
            &names(
                "realm_access.roles",
                "admin=bs-admin,operator=bs-op,analyst=bs-analyst",
            ),
        )
        .unwrap();
        assert_eq!(found.staff_role, Some(StaffRole::Admin));
        assert_eq!(found.name, "ada");
        let plain = identity(&token, &names("roles", "")).unwrap();
        assert_eq!(plain.staff_role, None);
    }

    #[test]
    fn the_organisation_comes_from_its_claim_and_a_token_needs_a_subject() {
        let token = claims(json!({"sub": "s-2", "carrier": ["acme"], "roles": "operator"}));
        let found = identity(&token, &names("roles", "operator=operator")).unwrap();
        assert_eq!(found.organisation.as_deref(), Some("acme"));
        assert_eq!(found.staff_role, Some(StaffRole::Operator));
        assert_eq!(found.name, "s-2");
        assert!(identity(&claims(json!({"name": "x"})), &names("roles", "")).is_none());
        assert!("boss=x".parse::<RoleMap>().is_err());
        assert!("admin".parse::<RoleMap>().is_err());
    }
}

//! Each role's process serves its own service's routes, and every role answers the probes and
//! `/metrics`, so one image runs as any of the four services.

use borderslot::config::Role;

use crate::helpers::{TestApp, spawn_app_with};

/// One request per part of the system: whether the process has a route for it.
const PROBES: &[(&str, &str, &str)] = &[
    ("public API", "GET", "/api/v1/checkpoints"),
    ("OpenAPI document", "GET", "/api/openapi.json"),
    (
        "schedule management",
        "POST",
        "/api/v1/admin/checkpoints/narva/blocks",
    ),
    ("operators", "POST", "/api/v1/operator/check-ins"),
    ("sign-in", "POST", "/api/v1/auth/login"),
    ("analysts", "GET", "/api/v1/stats"),
    ("pages", "GET", "/"),
    ("staff pages", "GET", "/staff/login"),
];

async fn served_parts(app: &TestApp) -> Vec<&'static str> {
    let mut served = Vec::new();
    for (part, method, path) in PROBES {
        let body = (*method == "POST").then_some(b"{}".as_slice());
        let response = app.send(method, path, &[], body).await;
        if response.body["type"] != "/problems/no-such-route" {
            served.push(*part);
        }
    }
    served
}

async fn parts_of(role: Role) -> Vec<&'static str> {
    let app = spawn_app_with(Vec::new(), |settings| settings.role = role).await;
    for probe in ["/healthz", "/readyz", "/metrics"] {
        assert_eq!(app.get(probe).await.status, 200, "{role:?} {probe}");
    }
    served_parts(&app).await
}

#[actix_web::test]
async fn the_api_role_serves_drivers_carriers_and_sign_in_only() {
    assert_eq!(
        parts_of(Role::Api).await,
        ["public API", "OpenAPI document", "sign-in"]
    );
}

#[actix_web::test]
async fn the_schedule_role_serves_admins_and_operators_only() {
    assert_eq!(
        parts_of(Role::Schedule).await,
        ["schedule management", "operators", "sign-in"]
    );
}

#[actix_web::test]
async fn the_web_role_serves_the_pages_only() {
    assert_eq!(parts_of(Role::Web).await, ["pages", "staff pages"]);
}

#[actix_web::test]
async fn the_data_role_serves_the_analysts_only() {
    assert_eq!(parts_of(Role::Data).await, ["analysts"]);
}

#[actix_web::test]
async fn the_all_role_serves_everything() {
    let all: Vec<&str> = PROBES.iter().map(|(part, _, _)| *part).collect();
    assert_eq!(parts_of(Role::All).await, all);
}

#[test]
fn the_roles_keep_the_names_deployments_already_use() {
    use clap::ValueEnum;
    for (name, role) in [
        ("processor", Role::Data),
        ("data-processing", Role::Data),
        ("schedule-management", Role::Schedule),
        ("api", Role::Api),
        ("web", Role::Web),
        ("all", Role::All),
    ] {
        assert_eq!(Role::from_str(name, false), Ok(role), "{name}");
    }
}

//! The OpenAPI document matches the router: every documented operation is routed, and every
//! route under `/api/v1` is documented.

use std::collections::BTreeSet;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn every_documented_operation_is_served() {
    let app = spawn_app().await;
    let document = app.get("/api/openapi.json").await;
    assert_eq!(document.status, 200);
    assert_eq!(document.body["openapi"], "3.1.0");

    let paths = document.body["paths"].as_object().unwrap();
    let mut operations = 0;
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            let concrete = path.replace("{id}", "narva").replace("{code}", "ABCD-2345");
            let response = app
                .send(
                    &method.to_uppercase(),
                    &concrete,
                    &[("x-manage-token", "t")],
                    Some(b"{}"),
                )
                .await;
            assert_ne!(
                response.body["type"], "/problems/no-such-route",
                "{method} {path} is documented but not routed"
            );
            assert_ne!(response.status.as_u16(), 405, "{method} {path}");
            operations += 1;
        }
    }
    assert_eq!(operations, 44);
}

#[actix_web::test]
async fn routes_outside_the_document_are_not_served() {
    let app = spawn_app().await;
    for path in [
        "/api/v1/bookings/ABCD-2345/extend",
        "/api/v2/checkpoints",
        "/admin",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.body["type"], "/problems/no-such-route", "{path}");
    }
}

#[actix_web::test]
async fn every_get_answers_head_and_a_wrong_method_names_the_allowed_ones() {
    let app = spawn_app().await;
    let document = app.get("/api/openapi.json").await;
    let paths = document.body["paths"].as_object().unwrap();
    for (path, item) in paths {
        let concrete = path
            .replace("{id}", "narva")
            .replace("{code}", "ABCD-2345")
            .replace("{plate}", "AB123");
        let mut documented: Vec<String> = item
            .as_object()
            .unwrap()
            .keys()
            .map(|m| m.to_uppercase())
            .collect();
        if documented.iter().any(|m| m == "GET") {
            let get = app.get(&concrete).await;
            let head = app.send("HEAD", &concrete, &[], None).await;
            assert_eq!(head.status, get.status, "HEAD {path}");
            assert!(head.text.is_empty(), "HEAD {path} sent a body");
            assert_eq!(
                head.headers.get("content-type"),
                get.headers.get("content-type"),
                "HEAD {path}"
            );
            documented.push("HEAD".to_owned());
        }
        let wrong = app.send("PATCH", &concrete, &[], Some(b"{}")).await;
        assert_eq!(wrong.status.as_u16(), 405, "PATCH {path}: {}", wrong.text);
        assert_eq!(wrong.body["type"], "/problems/method-not-allowed");
        let mut allowed: Vec<String> = wrong
            .headers
            .get("allow")
            .unwrap_or_else(|| panic!("405 without Allow on {path}"))
            .to_str()
            .unwrap()
            .split(", ")
            .map(str::to_owned)
            .collect();
        allowed.sort();
        documented.sort();
        assert_eq!(allowed, documented, "{path}");
    }
}

#[actix_web::test]
async fn swagger_ui_and_its_files_are_served_by_the_server_itself() {
    let app = spawn_app().await;
    let page = app.get("/api/docs").await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("/api/docs/swagger-ui-bundle.js"));
    let policy = page.header("content-security-policy");
    assert!(policy.contains("default-src 'self'"), "{policy}");
    for (path, kind) in [
        ("/api/docs/swagger-ui-bundle.js", "text/javascript"),
        ("/api/docs/swagger-ui.css", "text/css"),
        ("/api/docs/init.js", "text/javascript"),
    ] {
        let file = app.get(path).await;
        assert_eq!(file.status, 200, "{path}");
        let content_type = file.headers.get("content-type").unwrap().to_str().unwrap();
        assert!(content_type.starts_with(kind), "{path}: {content_type}");
        assert!(!file.text.is_empty(), "{path}");
    }
}

/// The routes the route table registers under `/api/v1`, as (METHOD, path), read from its
/// source: actix-web cannot list the routes of a running app. Each function that adds routes
/// to the `/api/v1` scope takes and returns a `Scope`; in it, `endpoint("…")` names a path and
/// `.get(`, `.post(`, `.put(` and `.delete(` add its methods.
fn routes_under_api_v1() -> BTreeSet<(String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/routes/mod.rs");
    let source = std::fs::read_to_string(path).unwrap();
    let code: Vec<&str> = source
        .lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect();
    let mut routes = BTreeSet::new();
    let mut in_scope = false;
    let mut path = String::new();
    for line in code {
        if line.starts_with("fn ") || line.starts_with("pub fn ") {
            in_scope = line.contains("(api: Scope) -> Scope");
        }
        if !in_scope {
            continue;
        }
        let mut rest = line;
        while !rest.is_empty() {
            let next = ["endpoint(\"", ".get(", ".post(", ".put(", ".delete("]
                .iter()
                .filter_map(|token| rest.find(token).map(|at| (at, *token)))
                .min();
            let Some((at, token)) = next else { break };
            rest = &rest[at + token.len()..];
            if token == "endpoint(\"" {
                let end = rest.find('"').unwrap();
                path = format!("/api/v1{}", &rest[..end]);
            } else {
                let method = token.trim_matches(['.', '(']).to_uppercase();
                routes.insert((method, path.clone()));
            }
        }
    }
    routes
}

#[actix_web::test]
async fn every_route_under_api_v1_is_documented() {
    let app = spawn_app().await;
    let document = app.get("/api/openapi.json").await;
    let documented: BTreeSet<(String, String)> = document.body["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(path, _)| path.starts_with("/api/v1/"))
        .flat_map(|(path, item)| {
            let methods = item.as_object().unwrap().keys();
            methods.map(|method| (method.to_uppercase(), path.clone()))
        })
        .collect();

    let routed = routes_under_api_v1();

    assert!(
        routed.len() > 30,
        "the route table was not read: {routed:?}"
    );
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "routed but not documented: {undocumented:?}"
    );
}

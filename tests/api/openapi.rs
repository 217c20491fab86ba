//! The OpenAPI document matches the router: every documented operation is routed.

use crate::helpers::spawn_app;

#[actix_web::test]
async fn every_documented_operation_is_served() {
    let app = spawn_app().await;
    let document = app.get("/api/openapi.json").await;
    assert_eq!(document.status, 200);
    assert_eq!(document.body["openapi"], "3.0.3");

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
    assert_eq!(operations, 32);
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

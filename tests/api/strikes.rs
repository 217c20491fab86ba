//! Phantom demand: two no-shows or own cancellations within 30 days bar a plate for 14 days;
//! staff cancellations never count; an admin can lift a bar.

use std::time::Duration;

use borderslot::auth::StaffRole;
use serde_json::json;

use crate::helpers::{assert_problem, at, spawn_app, tomorrow};

#[actix_web::test]
async fn two_own_cancellations_bar_a_plate_until_an_admin_lifts_it() {
    let app = spawn_app().await;
    let day = tomorrow();
    for hour in [8, 9] {
        let booked = app.book("narva", &at(day, hour), "ZZ100", true).await;
        assert_eq!(booked.status, 201, "{}", booked.text);
        let cancelled = app.managed("DELETE", &booked.body, "", None).await;
        assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    }
    app.wait_until_published(Duration::from_secs(10)).await;

    let barred = app.book("narva", &at(day, 10), "ZZ100", true).await;
    assert_problem(&barred, 403, "plate-barred");
    // Another vehicle is not touched.
    assert_eq!(
        app.book("narva", &at(day, 10), "ZZ200", true).await.status,
        201
    );

    let operator = format!("Bearer {}", app.staff_token(StaffRole::Operator).await);
    let looked_up = app
        .send_as("GET", "/api/v1/operator/plates/zz%20100", &operator, None)
        .await;
    assert_eq!(looked_up.status, 200, "{}", looked_up.text);
    assert_eq!(looked_up.body["strikes"].as_array().unwrap().len(), 2);
    assert!(looked_up.body["barred_until"].is_string());

    let admin = format!("Bearer {}", app.staff_token(StaffRole::Admin).await);
    let lifted = app
        .send_as("DELETE", "/api/v1/admin/bars/ZZ100", &admin, None)
        .await;
    assert_eq!(lifted.status, 204, "{}", lifted.text);
    let again = app.book("narva", &at(day, 10), "ZZ100", true).await;
    assert_eq!(again.status, 201, "{}", again.text);
}

#[actix_web::test]
async fn cancellations_by_staff_are_no_strikes() {
    let app = spawn_app().await;
    let day = tomorrow();
    for hour in [12, 13] {
        let booked = app.book("narva", &at(day, hour), "YY100", true).await;
        assert_eq!(booked.status, 201, "{}", booked.text);
        let body = json!({
            "from": at(day, hour), "to": at(day, hour + 1), "reason": "lane repairs",
            "mode": "cancel_affected",
        });
        let blocked = app.block_windows("narva", &body).await;
        assert_eq!(blocked.status, 200, "{}", blocked.text);
    }
    app.wait_until_published(Duration::from_secs(10)).await;

    let booked = app.book("narva", &at(day, 15), "YY100", true).await;
    assert_eq!(booked.status, 201, "{}", booked.text);
}

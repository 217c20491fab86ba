//! Who may do what: staff sign-in and tokens, and every route against every kind of caller.

use borderslot::auth::StaffRole;
use borderslot::auth::token::TokenKeys;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, at, spawn_app, tomorrow};

#[derive(Debug, Clone, Copy)]
enum Caller {
    Anonymous,
    /// A driver presenting a booking's manage token where staff sign in.
    Driver,
    /// A carrier's API key, which is no staff token.
    Carrier,
    Staff(StaffRole),
}

async fn authorization(app: &TestApp, caller: Caller, manage_token: &str) -> Option<String> {
    match caller {
        Caller::Anonymous => None,
        Caller::Driver => Some(format!("Bearer {manage_token}")),
        Caller::Carrier => {
            let admin = format!("Bearer {}", app.staff_token(StaffRole::Admin).await);
            let created = app
                .send_as(
                    "POST",
                    "/api/v1/admin/api-keys",
                    &admin,
                    Some(&json!({ "name": "matrix" })),
                )
                .await;
            Some(format!("Bearer {}", created.body["key"].as_str().unwrap()))
        }
        Caller::Staff(role) => Some(format!("Bearer {}", app.staff_token(role).await)),
    }
}

fn block_body(day: chrono::NaiveDate, hour: u32) -> Value {
    json!({ "from": at(day, hour), "to": at(day, hour + 1), "reason": "lane repairs" })
}

#[actix_web::test]
async fn every_route_answers_each_kind_of_caller_as_it_should() {
    use Caller::{Anonymous, Carrier, Driver, Staff};
    use StaffRole::{Admin, Analyst, Operator};

    let app = spawn_app().await;
    let day = tomorrow();
    let booking = app.book("narva", &at(day, 6), "AZ100", true).await;
    let token = booking.body["manage_token"].as_str().unwrap().to_owned();
    let block = block_body(day, 14).to_string();
    let check_in = json!({ "code": "ABCD-2345" }).to_string();
    let stats = format!("/api/v1/stats?checkpoint=narva&from={day}");
    let report = format!("/api/v1/reports/daily?checkpoint=narva&date={day}");
    let forecast = "/api/v1/forecast?checkpoint=narva".to_owned();

    let walk_in =
        json!({ "checkpoint": "narva", "direction": "exit", "category": "car", "plate": "MX 1" })
            .to_string();
    let new_key = json!({ "name": "matrix carrier" }).to_string();
    let unknown_key = format!("/api/v1/admin/api-keys/{}", uuid::Uuid::new_v4());

    // (method, path, body, [anonymous, driver, carrier, analyst, operator, admin])
    #[rustfmt::skip]
    let matrix: Vec<(&str, String, Option<String>, [u16; 6])> = vec![
        ("GET", "/api/v1/checkpoints".into(), None, [200, 200, 200, 200, 200, 200]),
        ("GET", stats, None, [401, 401, 401, 200, 403, 200]),
        ("GET", report, None, [401, 401, 401, 200, 403, 200]),
        ("GET", forecast, None, [401, 401, 401, 200, 403, 200]),
        ("GET", "/api/v1/admin/audit".into(), None, [401, 401, 401, 403, 403, 200]),
        ("GET", "/api/v1/admin/api-keys".into(), None, [401, 401, 401, 403, 403, 200]),
        ("POST", "/api/v1/admin/api-keys".into(), Some(new_key), [401, 401, 401, 403, 403, 201]),
        ("DELETE", unknown_key, None, [401, 401, 401, 403, 403, 404]),
        ("POST", "/api/v1/admin/checkpoints/narva/blocks".into(), Some(block.clone()), [401, 401, 401, 403, 403, 200]),
        ("POST", "/api/v1/admin/checkpoints/narva/unblocks".into(), Some(block), [401, 401, 401, 403, 403, 200]),
        // The code is nobody's: staff allowed to check in get 404.
        ("POST", "/api/v1/operator/check-ins".into(), Some(check_in), [401, 401, 401, 403, 404, 404]),
        // Registered once (201), then the same plate again (409).
        ("POST", "/api/v1/operator/walk-ins".into(), Some(walk_in), [401, 401, 401, 403, 201, 409]),
        ("GET", "/api/v1/carrier/bookings".into(), None, [401, 401, 200, 401, 401, 401]),
    ];
    let callers = [
        Anonymous,
        Driver,
        Carrier,
        Staff(Analyst),
        Staff(Operator),
        Staff(Admin),
    ];
    let mut failures = Vec::new();
    for (method, path, body, expected) in &matrix {
        for (caller, want) in callers.iter().zip(expected) {
            let authorization = authorization(&app, *caller, &token).await;
            let headers: Vec<(&str, &str)> = authorization
                .as_deref()
                .map(|value| vec![("authorization", value)])
                .unwrap_or_default();
            let response = app
                .send(method, path, &headers, body.as_deref().map(str::as_bytes))
                .await;
            if response.status.as_u16() != *want {
                failures.push(format!(
                    "{method} {path} as {caller:?}: {} (wanted {want}) {}",
                    response.status, response.text
                ));
            }
            if *want == 401 {
                assert_eq!(
                    response
                        .headers
                        .get("www-authenticate")
                        .map(|v| v.to_str().unwrap()),
                    Some("Bearer"),
                    "{method} {path}"
                );
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[actix_web::test]
async fn tokens_expire_and_only_our_signature_counts() {
    let app = spawn_app().await;
    let token = app.staff_token(StaffRole::Admin).await;
    let audit = |bearer: String| {
        let app = &app;
        async move {
            app.send_as("GET", "/api/v1/admin/audit", &bearer, None)
                .await
        }
    };
    assert_eq!(audit(format!("Bearer {token}")).await.status, 200);

    // Signed by someone else, with the same claims.
    let forged_keys = TokenKeys::new(b"a different secret, also 32 bytes long").unwrap();
    let (forged, _) = forged_keys
        .issue(
            uuid::Uuid::new_v4(),
            "mallory",
            StaffRole::Admin,
            app.clock_now(),
        )
        .unwrap();
    assert_problem(
        &audit(format!("Bearer {forged}")).await,
        401,
        "unauthenticated",
    );

    // alg none: the header swapped, the signature dropped.
    let payload = token.split('.').nth(1).unwrap();
    let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
    assert_problem(
        &audit(format!("Bearer {unsigned}")).await,
        401,
        "unauthenticated",
    );

    app.advance(chrono::Duration::minutes(16));
    let expired = audit(format!("Bearer {token}")).await;
    assert_problem(&expired, 401, "unauthenticated");
    assert!(expired.text.contains("expired"), "{}", expired.text);
}

#[actix_web::test]
async fn refresh_tokens_work_once_and_logout_ends_them() {
    let app = spawn_app().await;
    app.staff_token(StaffRole::Analyst).await;
    let login = |password: &'static str| {
        let app = &app;
        async move {
            app.post_json(
                "/api/v1/auth/login",
                &json!({ "name": "test-analyst", "password": password }),
                &[],
            )
            .await
        }
    };
    let wrong = login("not the password").await;
    assert_problem(&wrong, 401, "unauthenticated");
    let unknown = app
        .post_json(
            "/api/v1/auth/login",
            &json!({ "name": "nobody", "password": "whatever it is" }),
            &[],
        )
        .await;
    assert_eq!(
        wrong.text, unknown.text,
        "unknown names look like wrong passwords"
    );

    let first = login("a test password of some length").await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.body["role"], "analyst");
    assert_eq!(first.headers.get("cache-control").unwrap(), "no-store");
    let refresh = |token: Value| {
        let app = &app;
        async move {
            app.post_json(
                "/api/v1/auth/refresh",
                &json!({ "refresh_token": token }),
                &[],
            )
            .await
        }
    };
    let second = refresh(first.body["refresh_token"].clone()).await;
    assert_eq!(second.status, 200, "{}", second.text);
    assert_ne!(second.body["refresh_token"], first.body["refresh_token"]);
    // Spent: a copy used again is refused.
    assert_problem(
        &refresh(first.body["refresh_token"].clone()).await,
        401,
        "unauthenticated",
    );

    let logout = app
        .post_json(
            "/api/v1/auth/logout",
            &json!({ "refresh_token": second.body["refresh_token"] }),
            &[],
        )
        .await;
    assert_eq!(logout.status, 204);
    assert_problem(
        &refresh(second.body["refresh_token"].clone()).await,
        401,
        "unauthenticated",
    );
}

#[actix_web::test]
async fn an_admin_block_cancelling_bookings_is_audited_and_drivers_see_it() {
    let app = spawn_app().await;
    let day = tomorrow();
    let booked = app.book("narva", &at(day, 14), "BL100", true).await;
    assert_eq!(booked.status, 201, "{}", booked.text);
    let admin = format!("Bearer {}", app.staff_token(StaffRole::Admin).await);

    let mut body = block_body(day, 14);
    body["mode"] = json!("cancel_affected");
    body["categories"] = json!(["car"]);
    let blocked = app.block_windows("narva", &body).await;
    assert_eq!(blocked.status, 200, "{}", blocked.text);
    assert_eq!(
        blocked.body["blocked"].as_array().unwrap().len(),
        2,
        "both directions"
    );

    let cancelled = app.managed("GET", &booked.body, "", None).await;
    assert_eq!(cancelled.body["status"], "cancelled", "{}", cancelled.text);
    let again = app.book("narva", &at(day, 14), "BL200", true).await;
    assert_problem(&again, 409, "window-blocked");

    let audit = app
        .send_as("GET", "/api/v1/admin/audit", &admin, None)
        .await;
    let entry = &audit.body["entries"][0];
    assert_eq!(entry["actor"], "admin:test-admin");
    assert_eq!(entry["action"], "windows.block");
    assert_eq!(entry["after"]["mode"], "cancel_affected");
    for impossible in ["0", "1001"] {
        let path = format!("/api/v1/admin/audit?limit={impossible}");
        let refused = app.send_as("GET", &path, &admin, None).await;
        assert_problem(&refused, 422, "invalid-input");
    }

    let backwards = json!({ "from": at(day, 14), "to": at(day, 13), "reason": "x" });
    let invalid = app.block_windows("narva", &backwards).await;
    assert_problem(&invalid, 422, "invalid-input");
}

#[actix_web::test]
async fn an_operator_checks_a_driver_in_within_the_arrival_tolerance() {
    let app = spawn_app().await;
    let day = tomorrow();
    let booked = app.book("narva", &at(day, 8), "CI100", true).await;
    let code = booked.body["code"].as_str().unwrap();
    let check_in = || {
        let app = &app;
        let body = json!({ "code": code });
        async move {
            // Access tokens last 15 minutes and the test moves the clock by hours.
            let operator = format!("Bearer {}", app.sign_in_again(StaffRole::Operator).await);
            app.send_as("POST", "/api/v1/operator/check-ins", &operator, Some(&body))
                .await
        }
    };

    // 26 hours early: refused.
    assert_problem(&check_in().await, 409, "invalid-transition");
    // The window opens at 08:00 UTC; check-in opens three hours before.
    app.advance(chrono::Duration::hours(23) + chrono::Duration::minutes(30));
    let arrived = check_in().await;
    assert_eq!(arrived.status, 200, "{}", arrived.text);
    assert_eq!(arrived.body["status"], "arrived");
    assert_problem(&check_in().await, 409, "invalid-transition");
}

#[actix_web::test]
async fn an_operator_registers_a_walk_in_into_the_current_window() {
    let app = spawn_app().await;
    let operator = format!("Bearer {}", app.staff_token(StaffRole::Operator).await);
    let walk_in = |plate: &str| {
        let (app, operator) = (&app, operator.clone());
        let body = json!({
            "checkpoint": "narva", "direction": "entry", "category": "truck", "plate": plate,
        });
        async move {
            app.send_as("POST", "/api/v1/operator/walk-ins", &operator, Some(&body))
                .await
        }
    };

    let registered = walk_in("WI 100").await;
    assert_eq!(registered.status, 201, "{}", registered.text);
    assert_eq!(registered.body["status"], "arrived");
    // 06:00 UTC: the window that started at 06:00 is the current one, and it has room.
    assert_eq!(
        registered.body["window"]["start"],
        at(crate::helpers::test_start().date_naive(), 6)
    );
    assert_problem(&walk_in("WI 100").await, 409, "plate-already-booked");

    let analyst = format!("Bearer {}", app.staff_token(StaffRole::Analyst).await);
    let refused = app
        .send_as("POST", "/api/v1/operator/walk-ins", &analyst, Some(&json!({ "checkpoint": "narva", "direction": "entry", "category": "car", "plate": "WI200" })))
        .await;
    assert_problem(&refused, 403, "forbidden");
}

#[actix_web::test]
async fn an_admin_opens_a_new_checkpoint_that_drivers_can_book_at_once() {
    let app = spawn_app().await;
    let template = json!({
        "name": "Port X ferry terminal", "time_zone": "Europe/Tallinn", "window_minutes": 30,
        "directions": ["entry"], "capacity": { "truck": { "capacity": 5, "reserved": 1 } },
    });

    let created = app.put_checkpoint("port-x", &template).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let listed = app.get("/api/v1/checkpoints").await;
    assert!(listed.text.contains("port-x"), "{}", listed.text);
    let availability = app
        .get(&format!(
            "/api/v1/checkpoints/port-x/availability?date={}",
            tomorrow()
        ))
        .await;
    let windows = availability.body["windows"].as_array().unwrap().clone();
    assert_eq!(
        windows.len(),
        48,
        "half-hour windows, one direction, one category"
    );
    let booked = app
        .post_booking(&json!({
            "checkpoint": "port-x", "direction": "entry", "category": "truck",
            "window_start": at(tomorrow(), 8), "plate": "PX 100",
            "contact": "px@example.com", "confirm": true,
        }))
        .await;
    assert_eq!(booked.status, 201, "{}", booked.text);
    assert_eq!(
        app.put_checkpoint("port-x", &template).await.status,
        200,
        "a second put changes it"
    );

    let mut bad_zone = template.clone();
    bad_zone["time_zone"] = json!("Europe/Atlantis");
    assert_problem(
        &app.put_checkpoint("port-x", &bad_zone).await,
        422,
        "invalid-input",
    );
    let mut over_reserved = template.clone();
    over_reserved["capacity"]["truck"]["reserved"] = json!(9);
    assert_problem(
        &app.put_checkpoint("port-x", &over_reserved).await,
        422,
        "invalid-input",
    );
    let mut odd_windows = template;
    odd_windows["window_minutes"] = json!(7);
    assert_problem(
        &app.put_checkpoint("port-x", &odd_windows).await,
        422,
        "invalid-input",
    );

    let analyst = format!("Bearer {}", app.staff_token(StaffRole::Analyst).await);
    let refused = app
        .send_as(
            "PUT",
            "/api/v1/admin/checkpoints/port-y",
            &analyst,
            Some(&json!({})),
        )
        .await;
    assert_problem(&refused, 403, "forbidden");
}

#[actix_web::test]
async fn reserved_places_go_only_to_priority_classes() {
    let app = spawn_app().await;
    let day = tomorrow();
    let admin = format!("Bearer {}", app.staff_token(StaffRole::Admin).await);
    // Every car place of the 10:00 entry window kept for priority classes.
    let body = json!({
        "from": at(day, 10), "to": at(day, 11), "direction": "entry",
        "categories": ["car"], "reserved": 40,
    });
    let reserved = app
        .send_as(
            "POST",
            "/api/v1/admin/checkpoints/narva/reserved",
            &admin,
            Some(&body),
        )
        .await;
    assert_eq!(reserved.status, 200, "{}", reserved.text);
    assert_eq!(reserved.body["windows"].as_array().unwrap().len(), 1);

    assert_eq!(app.available("narva", day, &at(day, 10)).await, 0);
    let normal = app.book("narva", &at(day, 10), "RS100", true).await;
    assert_problem(&normal, 409, "window-full");
    // A privileged carrier books the reserved capacity.
    let created = app
        .send_as(
            "POST",
            "/api/v1/admin/api-keys",
            &admin,
            Some(&json!({ "name": "Embassy", "privileged": true })),
        )
        .await;
    let privileged = format!("Bearer {}", created.body["key"].as_str().unwrap());
    let diplomatic = json!({
        "checkpoint": "narva", "direction": "entry", "category": "car",
        "window_start": at(day, 10), "plate": "CD 100", "contact": "embassy@example.com",
        "confirm": true, "priority": "diplomatic",
    });
    let booked = app
        .send_as("POST", "/api/v1/bookings", &privileged, Some(&diplomatic))
        .await;
    assert_eq!(booked.status, 201, "{}", booked.text);

    let too_many = json!({
        "from": at(day, 10), "to": at(day, 11), "categories": ["car"], "reserved": 41,
    });
    let refused = app
        .send_as(
            "POST",
            "/api/v1/admin/checkpoints/narva/reserved",
            &admin,
            Some(&too_many),
        )
        .await;
    assert_problem(&refused, 422, "invalid-input");
}

#[actix_web::test]
async fn a_plate_camera_checks_a_vehicle_in_without_its_code() {
    let app = spawn_app().await;
    let booked = app.book("narva", &at(tomorrow(), 8), "CAM 100", true).await;
    assert_eq!(booked.status, 201, "{}", booked.text);
    app.advance(chrono::Duration::hours(23) + chrono::Duration::minutes(30));
    let operator = format!("Bearer {}", app.staff_token(StaffRole::Operator).await);
    let check_in = |body: Value| {
        let (app, operator) = (&app, operator.clone());
        async move {
            app.send_as("POST", "/api/v1/operator/check-ins", &operator, Some(&body))
                .await
        }
    };

    let unknown = check_in(json!({ "checkpoint": "narva", "plate": "NOPE 1" })).await;
    assert_problem(&unknown, 404, "not-found");
    // A code with the checkpoint the operator stands at: another checkpoint's booking is refused.
    let elsewhere = check_in(json!({ "code": booked.body["code"], "checkpoint": "medyka" })).await;
    assert_problem(&elsewhere, 422, "invalid-input");
    let arrived = check_in(json!({ "checkpoint": "narva", "plate": "cam100" })).await;
    assert_eq!(arrived.status, 200, "{}", arrived.text);
    assert_eq!(arrived.body["status"], "arrived");
    assert_eq!(arrived.body["code"], booked.body["code"]);
    assert_problem(&check_in(json!({})).await, 422, "invalid-input");
}

#[actix_web::test]
async fn a_checkpoint_calendar_closes_holidays_and_refuses_nonsense() {
    let app = spawn_app().await;
    let mut template = json!({
        "name": "Port Z", "time_zone": "UTC", "window_minutes": 60, "directions": ["entry"],
        "capacity": { "car": { "capacity": 10 } },
        "calendar": { "holidays": [{ "date": tomorrow(), "capacity_percent": 0 }] },
    });
    assert_eq!(app.put_checkpoint("port-z", &template).await.status, 201);
    let closed = app
        .post_booking(&json!({
            "checkpoint": "port-z", "direction": "entry", "category": "car",
            "window_start": at(tomorrow(), 8), "plate": "PZ 1", "contact": "pz@example.com",
            "confirm": true,
        }))
        .await;
    assert_problem(&closed, 409, "window-full");

    template["calendar"] = json!({
        "rules": [{ "category": "car", "weekdays": [9], "from_hour": 8, "to_hour": 12, "capacity": 5 }],
    });
    assert_problem(
        &app.put_checkpoint("port-z", &template).await,
        422,
        "invalid-input",
    );
}

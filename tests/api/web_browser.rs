//! The driver's journey in a real browser, with scripts running: book, reload, move, cancel;
//! two drivers racing for the last place; the pages checked against axe-core's rules.

use chrono::NaiveDate;

use crate::browser::{Browser, Driver};
use crate::helpers::{Backend, TestApp, at, counting_checkpoint, spawn_app_on, tomorrow};

fn day_url(app: &TestApp, checkpoint: &str, day: NaiveDate) -> String {
    app.url(&format!(
        "/windows?checkpoint={checkpoint}&direction=entry&category=car&date={day}"
    ))
}

/// The choose button of the window that starts at `start` (RFC 3339, UTC).
fn window_button(start: &str) -> String {
    let start: chrono::DateTime<chrono::Utc> = start.parse().unwrap();
    format!("li[data-start=\"{}\"] button", start.to_rfc3339())
}

#[actix_web::test]
async fn a_driver_books_reloads_moves_and_cancels_in_a_browser() {
    const TEST: &str = "driver-journey";
    let Some(driver) = Driver::start().await else {
        return;
    };
    let Some(app) = spawn_app_on(Backend::Embedded, Vec::new(), |_| {}).await else {
        return;
    };
    let browser = driver.browser("en-GB").await;
    let day = tomorrow();

    // Search: the form's own controls, as a driver fills them in.
    browser.open(&app.url(&format!("/?date={day}"))).await;
    browser
        .find("#checkpoint")
        .await
        .select_by_value("narva")
        .await
        .unwrap();
    browser.click("input[name=direction][value=entry]").await;
    browser
        .find("#category")
        .await
        .select_by_value("car")
        .await
        .unwrap();
    browser.screenshot(TEST, "1-search").await;
    browser.click("form.search button[type=submit]").await;
    browser.wait_for_heading("Windows").await;
    assert!(browser.text_of("main").await.contains("Narva – Ivangorod"));
    browser.screenshot(TEST, "2-day").await;

    // Hold: the countdown runs.
    browser.click(&window_button(&at(day, 8))).await;
    browser.wait_for_heading("Your window is held").await;
    let countdown = browser.find("p.countdown").await;
    assert!(countdown.is_displayed().await.unwrap());
    let left = browser.text_of("[data-countdown-value]").await;
    assert!(left.starts_with("9:") || left == "10:00", "{left}");
    browser.screenshot(TEST, "3-hold").await;

    // Confirm with a plate that is no plate, then with a good one.
    browser.type_into("#plate", "!").await;
    browser.type_into("#contact", "driver@example.com").await;
    browser.click("#confirm-form button[type=submit]").await;
    browser.find("#plate[aria-invalid=true]").await;
    assert!(browser.text_of("#problem").await.contains("Plate number"));
    browser.type_into("#plate", "123 ABC").await;
    browser.click("#confirm-form button[type=submit]").await;
    browser.wait_for_heading("Your booking").await;
    let code = browser.text_of(".code").await;
    assert!(browser.has("svg.qr").await);
    assert!(browser.text_of(".notice").await.contains("confirmed"));
    browser.screenshot(TEST, "4-booked").await;

    // A reload shows the same booking.
    browser.client.refresh().await.unwrap();
    browser.wait_for_heading("Your booking").await;
    assert_eq!(browser.text_of(".code").await, code);
    assert!(!browser.has(".notice").await);

    // Move to 10:00 UTC: the old window is kept until the new one is confirmed.
    let before_old = app.available("narva", day, &at(day, 8)).await;
    browser.click("a[href*='/reschedule']").await;
    browser.wait_for_heading("Choose a new window").await;
    assert!(browser.has("li.free .state, li.few .state").await);
    browser.screenshot(TEST, "5-reschedule").await;
    browser.click(&window_button(&at(day, 10))).await;
    browser.wait_for_heading("Your booking").await;
    assert!(browser.text_of(".notice").await.contains("Moved"));
    assert_eq!(browser.text_of(".code").await, code);
    assert_eq!(
        app.available("narva", day, &at(day, 8)).await,
        before_old + 1
    );

    // Cancel, in two steps.
    browser.click("a.button.danger").await;
    browser.wait_for_heading("Cancel this booking?").await;
    browser.click("button.danger").await;
    browser.find("[data-status=cancelled]").await;
    assert!(browser.text_of(".notice").await.contains("Cancelled"));
    browser.screenshot(TEST, "6-cancelled").await;
    browser.close().await;
}

#[actix_web::test]
async fn the_second_browser_to_the_last_place_is_told_it_just_filled() {
    const TEST: &str = "last-place-race";
    let Some(driver) = Driver::start().await else {
        return;
    };
    let Some(app) = spawn_app_on(
        Backend::Embedded,
        vec![counting_checkpoint("tiny", 1, 0)],
        |_| {},
    )
    .await
    else {
        return;
    };
    let day = tomorrow();
    let first = driver.browser("en-GB").await;
    let second = driver.browser("en-GB").await;
    first.open(&day_url(&app, "tiny", day)).await;
    second.open(&day_url(&app, "tiny", day)).await;
    assert!(first.text_of("main").await.contains("1 place free"));

    // The second driver takes the place while the first is still looking at it.
    second.click(&window_button(&at(day, 8))).await;
    second.wait_for_heading("Your window is held").await;

    first.click(&window_button(&at(day, 8))).await;
    // The same heading as before: the refusal itself is what to wait for.
    let problem = first.text_of("#problem").await;
    assert!(
        problem.contains("This window has just filled up while you were deciding"),
        "{problem}"
    );
    assert!(!first.has(&window_button(&at(day, 8))).await);
    first.screenshot(TEST, "window-just-filled").await;
    assert_eq!(app.available("tiny", day, &at(day, 8)).await, 0);
    first.close().await;
    second.close().await;
}

/// Every driver page, in both languages, against axe-core: no serious or critical violation.
#[actix_web::test]
async fn driver_pages_pass_the_accessibility_rules() {
    const TEST: &str = "accessibility";
    let Some(driver) = Driver::start().await else {
        return;
    };
    let Some(app) = spawn_app_on(Backend::Embedded, Vec::new(), |_| {}).await else {
        return;
    };
    let day = tomorrow();
    for language in ["en-GB", "ru-RU"] {
        let browser = driver.browser(language).await;
        let mut checked = Vec::new();
        let mut check = async |browser: &Browser, name: &str| {
            let violations = browser.accessibility_violations().await;
            assert!(
                violations.is_empty(),
                "{name} ({language}): {violations:#?}"
            );
            checked.push(name.to_owned());
        };
        browser.open(&app.url("/")).await;
        check(&browser, "search").await;
        browser.open(&day_url(&app, "narva", day)).await;
        check(&browser, "day").await;
        // Each language books a window of its own, which the checkpoint then closes.
        let hour = if language == "en-GB" { 9 } else { 13 };
        browser.click(&window_button(&at(day, hour))).await;
        browser.find("#confirm-form").await;
        check(&browser, "hold").await;
        browser.type_into("#plate", "!").await;
        browser.type_into("#contact", "driver@example.com").await;
        browser.click("#confirm-form button[type=submit]").await;
        browser.find("#problem").await;
        check(&browser, "hold with an error").await;
        browser
            .type_into("#plate", &format!("{}ABC", &language[..2].to_uppercase()))
            .await;
        browser.click("#confirm-form button[type=submit]").await;
        browser.find("svg.qr").await;
        check(&browser, "booking").await;
        browser
            .screenshot(TEST, &format!("booking-{language}"))
            .await;
        let closed = app
            .block_windows(
                "narva",
                &serde_json::json!({
                    "from": at(day, hour), "to": at(day, hour + 1), "direction": "entry",
                    "categories": ["car"], "reason": "lane repairs", "mode": "move_affected",
                }),
            )
            .await;
        assert_eq!(closed.status, 200, "{}", closed.text);
        browser.client.refresh().await.unwrap();
        browser.find("#reslot-heading").await;
        check(&browser, "booking moved by the checkpoint").await;
        browser
            .screenshot(TEST, &format!("booking-moved-{language}"))
            .await;
        browser.click("a.button.danger").await;
        browser.find("form[action$='/cancel'] button.danger").await;
        check(&browser, "cancel question").await;
        browser.client.back().await.unwrap();
        browser.click("a[href*='/reschedule']").await;
        browser.find("ol.windows").await;
        check(&browser, "reschedule").await;
        browser.open(&app.url("/status/narva")).await;
        check(&browser, "status").await;
        browser.open(&app.url("/status")).await;
        check(&browser, "status list").await;
        browser.open(&app.url("/no/such/page")).await;
        check(&browser, "not found").await;
        assert_eq!(checked.len(), 11);
        browser.close().await;
    }
}

/// An admin closes a window from the staff day page while a driver has that day open; the
/// driver's list shows the window closed without a reload (its live refresh), then after one.
#[actix_web::test]
async fn an_admin_closes_a_window_and_the_driver_s_page_shows_it_closed() {
    const TEST: &str = "admin-closes-a-window";
    let Some(driver) = Driver::start().await else {
        return;
    };
    let Some(app) = spawn_app_on(Backend::Embedded, Vec::new(), |_| {}).await else {
        return;
    };
    let day = tomorrow();
    let eight = at(day, 8);
    let start: chrono::DateTime<chrono::Utc> = eight.parse().unwrap();
    let end = start + chrono::Duration::hours(1);
    let window = format!("li[data-start=\"{}\"]", start.to_rfc3339());

    let visitor = driver.browser("en-GB").await;
    visitor.open(&day_url(&app, "narva", day)).await;
    assert!(visitor.has(&window_button(&eight)).await);

    // Signing in: a staff page leads to the sign-in form and back.
    let admin = driver.browser("en-GB").await;
    let (name, password) = app.staff_account(borderslot::auth::StaffRole::Admin).await;
    admin.open(&app.url("/staff")).await;
    admin.wait_for_heading("Staff sign-in").await;
    admin.type_into("#name", &name).await;
    admin.type_into("#password", password).await;
    admin
        .click("form[action='/staff/login'] button[type=submit]")
        .await;
    admin
        .wait_for_heading("Utilisation of the coming days")
        .await;
    assert!(admin.has("svg.heatmap").await);
    admin.screenshot(TEST, "1-heatmap").await;
    for page in [
        "/staff".to_owned(),
        format!("/staff/day?checkpoint=narva&date={day}"),
        "/staff/check-in".to_owned(),
        format!("/staff/reports?checkpoint=narva&date={day}"),
        "/staff/forecast?checkpoint=narva&category=car".to_owned(),
        "/staff/audit".to_owned(),
    ] {
        admin.open(&app.url(&page)).await;
        let violations = admin.accessibility_violations().await;
        assert!(violations.is_empty(), "{page}: {violations:#?}");
    }

    // Close the 08:00 UTC window, for every lane, keeping the bookings already made.
    admin
        .open(&app.url(&format!("/staff/day?checkpoint=narva&date={day}")))
        .await;
    admin.wait_for_heading("Windows of the day").await;
    let select = |id: &'static str, value: String| {
        let admin = &admin;
        async move {
            admin
                .find(id)
                .await
                .select_by_value(&value)
                .await
                .unwrap_or_else(|e| panic!("{id} = {value}: {e}"));
        }
    };
    select("#blocked-from", start.to_rfc3339()).await;
    select("#blocked-to", end.to_rfc3339()).await;
    admin.type_into("#blocked-reason", "Lane repairs").await;
    admin.click("input[name=mode][value=free_only]").await;
    admin
        .click("section[aria-labelledby=block-heading] button[type=submit]")
        .await;
    // The same page again, now with its notice.
    admin.find(".notice").await;
    assert!(admin.text_of("main").await.contains("Lane repairs"));
    admin.screenshot(TEST, "2-closed-by-admin").await;

    // The driver's open page refreshes itself: the window is closed and cannot be chosen.
    let started = std::time::Instant::now();
    while !visitor.has(&format!("{window}.blocked")).await {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(45),
            "the driver's page did not refresh"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(
        visitor
            .text_of(&format!("{window} .state"))
            .await
            .contains("Closed by the checkpoint")
    );
    assert!(!visitor.has(&window_button(&eight)).await);
    visitor.screenshot(TEST, "3-driver-sees-it-closed").await;

    // And after a reload too.
    visitor.client.refresh().await.unwrap();
    visitor.find(&format!("{window}.blocked")).await;
    let in_api = app
        .availability("narva", day)
        .await
        .into_iter()
        .find(|w| {
            w["start"]
                .as_str()
                .unwrap()
                .parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap()
                == start
        })
        .unwrap();
    assert_eq!(
        (in_api["blocked"].as_bool(), in_api["bookable"].as_bool()),
        (Some(true), Some(false))
    );
    admin.close().await;
    visitor.close().await;
}

#[actix_web::test]
async fn the_api_document_reads_in_swagger_ui_from_the_server_alone() {
    const TEST: &str = "api-docs";
    let Some(driver) = Driver::start().await else {
        return;
    };
    let Some(app) = spawn_app_on(Backend::Embedded, Vec::new(), |_| {}).await else {
        return;
    };
    let browser = driver.browser("en-GB").await;
    browser.open(&app.url("/api/docs")).await;
    // Rendered by the bundle from the served document: the operations, each by its path.
    browser.find("#operations-bookings-createBooking").await;
    let listed = browser.text_of("#swagger-ui").await;
    for path in ["/api/v1/bookings", "/api/v1/checkpoints/{id}/availability"] {
        assert!(listed.contains(path), "{path} not shown");
    }
    browser.screenshot(TEST, "1-operations").await;
    browser.close().await;
}

#[actix_web::test]
async fn a_driver_signs_in_and_out_through_the_provider_in_a_browser() {
    const TEST: &str = "account";
    let Some(driver) = Driver::start().await else {
        return;
    };
    let app_port = crate::oidc_provider::free_port();
    let Some(provider) =
        crate::oidc_provider::TestProvider::start(app_port, serde_json::json!({})).await
    else {
        return;
    };
    let config = provider.config();
    let Some(app) = spawn_app_on(Backend::Embedded, Vec::new(), |settings| {
        settings.listen_addr = format!("127.0.0.1:{app_port}");
        settings.oidc = Some(config);
    })
    .await
    else {
        return;
    };
    let token = provider.access_token("alice").await;
    let made = app
        .send_as(
            "POST",
            "/api/v1/bookings",
            &format!("Bearer {token}"),
            Some(&serde_json::json!({
                "checkpoint": "narva", "direction": "entry", "category": "car",
                "window_start": at(tomorrow(), 8), "plate": "123 ABC",
                "contact": "driver@example.com", "confirm": true,
            })),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    let code = made.body["code"].as_str().unwrap().to_owned();

    let browser = driver.browser("en-GB").await;
    browser.open(&app.url("/")).await;
    browser.click("nav a[href='/account']").await;
    browser.wait_for_heading("My bookings").await;
    assert_eq!(
        browser.accessibility_violations().await,
        Vec::<serde_json::Value>::new()
    );
    browser.screenshot(TEST, "1-signed-out").await;

    // The provider's own sign-in page, then back with the booking listed.
    browser.click("#account-sign-in").await;
    browser.type_into("#login", "alice").await;
    browser.click("#op-sign-in").await;
    browser.find(&format!("tr[data-code=\"{code}\"]")).await;
    assert!(browser.text_of("main").await.contains("Signed in as alice"));
    assert_eq!(
        browser.accessibility_violations().await,
        Vec::<serde_json::Value>::new()
    );
    browser.screenshot(TEST, "2-my-bookings").await;
    browser.open(&app.url("/account?lang=ru")).await;
    browser.wait_for_heading("Мои бронирования").await;
    assert_eq!(
        browser.accessibility_violations().await,
        Vec::<serde_json::Value>::new()
    );
    browser.open(&app.url("/account?lang=en")).await;

    // Out here and at the provider, which asks first.
    browser.click("#account-sign-out").await;
    browser.click("#op-sign-out").await;
    browser.wait_for_heading("My bookings").await;
    let main = browser.text_of("main").await;
    assert!(main.contains("You have signed out"), "{main}");
    assert!(!main.contains(&code));
    browser.screenshot(TEST, "3-signed-out-again").await;
    browser.close().await;
}

/// A day that opens with a draw, in a browser, in both languages: the day page counts down to
/// the opening; chosen during the draw period, a window leads to "you are in the draw"; after
/// the draw the same page shows the outcome (a place, or none with the reason). Every step is
/// checked against axe-core's rules.
#[actix_web::test]
async fn a_driver_waits_for_the_opening_enters_the_draw_and_sees_the_outcome() {
    const TEST: &str = "opening-draw";
    let Some(driver) = Driver::start().await else {
        return;
    };
    let day = tomorrow();
    let at_time = |h: u32, m: u32, s: u32| {
        chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 3, 20, h, m, s).unwrap()
    };
    // (browser language, day page heading, in the draw, outcome heading, admitted?)
    for (language, windows, in_draw, outcome, admitted) in [
        (
            "en-GB",
            "Windows",
            "You are in the draw",
            "You got a place",
            true,
        ),
        (
            "ru-RU",
            "Окна",
            "Вы участвуете в жеребьёвке",
            "На этот раз места нет",
            false,
        ),
    ] {
        let checkpoint = borderslot::domain::Checkpoint {
            opening: Some(borderslot::domain::draw::Opening {
                days_ahead: 1,
                local_time: chrono::NaiveTime::from_hms_opt(6, 10, 0).unwrap(),
                draw_before_seconds: 300,
                draw_after_seconds: 60,
            }),
            ..counting_checkpoint("fair", 5, 0)
        };
        let Some(app) = spawn_app_on(Backend::Embedded, vec![checkpoint], |_| {}).await else {
            return;
        };
        let browser = driver.browser(language).await;
        let check = async |name: &str| {
            let violations = browser.accessibility_violations().await;
            assert!(
                violations.is_empty(),
                "{name} ({language}): {violations:#?}"
            );
            browser
                .screenshot(TEST, &format!("{name}-{language}"))
                .await;
        };

        // Before the opening: when it opens, counting down, and nothing to choose yet.
        browser.open(&day_url(&app, "fair", day)).await;
        browser.wait_for_heading(windows).await;
        browser.find("#opening-heading").await;
        let countdown = browser.find("p.countdown[data-count-down]").await;
        assert!(countdown.is_displayed().await.unwrap());
        let left = browser.text_of("[data-countdown-value]").await;
        assert!(
            left.starts_with("5:00") || left.starts_with("4:5"),
            "{left}"
        );
        assert!(!browser.has(&window_button(&at(day, 8))).await);
        assert!(browser.text_of("main").await.contains("06:10"));
        check("1-before-the-opening").await;

        // During the draw period: the window is chosen, and the driver is in the draw.
        app.clock.set(at_time(6, 5, 30));
        browser.client.refresh().await.unwrap();
        browser.wait_for_heading(windows).await;
        browser.find("section.opening.notice").await;
        assert!(browser.has(&window_button(&at(day, 8))).await);
        check("2-day-in-its-draw").await;
        browser.click(&window_button(&at(day, 8))).await;
        browser.wait_for_heading(in_draw).await;
        browser.find("#draw-entry[data-state=pending]").await;
        assert!(
            browser
                .find("p.countdown[data-count-down]")
                .await
                .is_displayed()
                .await
                .unwrap()
        );
        check("3-in-the-draw").await;
        if !admitted {
            // The checkpoint closes the window before the draw: the entrant's turn finds it so.
            let closed = app
                .block_windows(
                    "fair",
                    &serde_json::json!({
                        "from": at(day, 8), "to": at(day, 9), "direction": "entry",
                        "categories": ["car"], "reason": "lane repairs", "mode": "free_only",
                    }),
                )
                .await;
            assert_eq!(closed.status, 200, "{}", closed.text);
        }

        // The draw closes; the page shows what it gave.
        app.clock.set(at_time(6, 11, 5));
        browser.client.refresh().await.unwrap();
        browser.wait_for_heading(outcome).await;
        assert!(browser.has("[data-position='1']").await);
        if admitted {
            browser.find("#draw-entry[data-state=admitted]").await;
            check("4-a-place").await;
            browser.click("#draw-entry a.button").await;
            browser.wait_for_heading("Your window is held").await;
            assert!(browser.has("#confirm-form").await);
        } else {
            browser.find("#draw-entry[data-state=refused]").await;
            let problem = browser.text_of("[data-problem]").await;
            assert!(problem.contains("закрыл выбранное окно"), "{problem}");
            check("4-no-place").await;
        }
        browser.close().await;
    }
}

/// A driver finds the window full, joins the waitlist from the day page, is offered the place
/// when its booking is cancelled, and accepts it; every page of the way passes axe-core's rules,
/// in both languages.
#[actix_web::test]
async fn a_driver_waits_is_offered_a_cancelled_place_and_accepts_it_in_a_browser() {
    const TEST: &str = "waitlist";
    let Some(driver) = Driver::start().await else {
        return;
    };
    let Some(app) = spawn_app_on(
        Backend::Embedded,
        vec![counting_checkpoint("tiny", 1, 0)],
        |_| {},
    )
    .await
    else {
        return;
    };
    let day = tomorrow();
    for (language, hour, plate) in [("en-GB", 8, "WAIT EN"), ("ru-RU", 10, "WAIT RU")] {
        let browser = driver.browser(language).await;
        let mut checked = Vec::new();
        let mut check = async |browser: &Browser, name: &str| {
            let violations = browser.accessibility_violations().await;
            assert!(
                violations.is_empty(),
                "{name} ({language}): {violations:#?}"
            );
            checked.push(name.to_owned());
        };
        let window = at(day, hour);
        let holder = app
            .book("tiny", &window, &format!("HOLD{hour}"), true)
            .await;
        assert_eq!(holder.status, 201, "{}", holder.text);

        // The day page offers to wait on the full window.
        browser.open(&day_url(&app, "tiny", day)).await;
        let start: chrono::DateTime<chrono::Utc> = window.parse().unwrap();
        let join = format!(
            "li[data-start=\"{}\"] a[href*='/waitlist/join']",
            start.to_rfc3339()
        );
        browser.find(&join).await;
        check(&browser, "day with a full window").await;
        browser.click(&join).await;
        browser.find("form[action='/waitlist']").await;
        check(&browser, "join").await;

        // A plate that is no plate, then a good one.
        browser.type_into("#plate", "!").await;
        browser.type_into("#contact", "waiting@example.com").await;
        browser
            .click("form[action='/waitlist'] button[type=submit]")
            .await;
        browser.find("#plate[aria-invalid=true]").await;
        check(&browser, "join with an error").await;
        browser.type_into("#plate", plate).await;
        browser
            .click("form[action='/waitlist'] button[type=submit]")
            .await;
        browser.find("[data-status=waiting]").await;
        assert_eq!(browser.text_of("[data-position]").await, "1");
        check(&browser, "waiting").await;
        browser
            .screenshot(TEST, &format!("waiting-{language}"))
            .await;

        // The booking is cancelled: the place is offered, held for the driver.
        let cancelled = app.managed("DELETE", &holder.body, "", None).await;
        assert_eq!(cancelled.status, 200, "{}", cancelled.text);
        assert_eq!(app.available("tiny", day, &window).await, 0);
        browser.client.refresh().await.unwrap();
        browser.find("[data-status=offered]").await;
        check(&browser, "offered").await;
        browser
            .screenshot(TEST, &format!("offered-{language}"))
            .await;

        // Accepting makes the booking, which opens on its own page.
        browser.click("form[action$='/accept'] button").await;
        browser.find("svg.qr").await;
        browser.find("[data-status=confirmed]").await;
        check(&browser, "booking from the waitlist").await;
        browser
            .screenshot(TEST, &format!("accepted-{language}"))
            .await;
        assert_eq!(checked.len(), 6);
        browser.close().await;
    }
    let audit = app.store.audit().await.unwrap();
    assert_eq!(audit.violations(), 0, "{audit:?}");
}

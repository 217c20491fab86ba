//! The staff pages as a browser without scripts uses them: sign-in by cookie, pages by role,
//! the window forms, check-in, reports, forecast, audit log and dashboard, and the guards
//! around them (forged forms, expired access tokens, signing out).

use borderslot::auth::StaffRole;
use chrono::{Duration, NaiveDate};
use serde_json::{Value, json};

use crate::helpers::{Backend, Response, TestApp, at, counting_checkpoint, spawn_app_on, tomorrow};
use crate::web_session::{
    WebSession, attribute_values, form_token, location, same_instant, value_at,
};

fn day_page(checkpoint: &str, day: NaiveDate) -> String {
    format!("/staff/day?checkpoint={checkpoint}&date={day}")
}

/// Signs a staff member of `role` in through the sign-in form.
async fn signed_in<'a>(
    app: &'a TestApp,
    role: StaffRole,
    language: &'static str,
) -> WebSession<'a> {
    let web = app.web(language);
    let (name, password) = app.staff_account(role).await;
    let form = web.get("/staff/login").await;
    assert_eq!(form.status, 200, "{}", form.text);
    let answer = web
        .post_form(
            "/staff/login",
            &[
                ("form_token", &form_token(&form.text)),
                ("name", &name),
                ("password", password),
                ("next", "/staff"),
            ],
        )
        .await;
    assert_eq!(answer.status, 303, "{}", answer.text);
    web
}

/// The window `hour`:00–`hour+1`:00 UTC of `day`, entry cars only, as the day page's forms
/// name it, with `extra` fields.
async fn send_window_form(
    web: &WebSession<'_>,
    path: &str,
    day: NaiveDate,
    hour: u32,
    extra: &[(&str, &str)],
) -> Response {
    let page = web.get(&day_page("narva", day)).await;
    assert_eq!(page.status, 200, "{}", page.text);
    let from = value_at(&page.text, &at(day, hour));
    let to = value_at(&page.text, &at(day, hour + 1));
    let day = day.to_string();
    let token = form_token(&page.text);
    let mut fields = vec![
        ("form_token", token.as_str()),
        ("checkpoint", "narva"),
        ("date", day.as_str()),
        ("from", from.as_str()),
        ("to", to.as_str()),
        ("direction", "entry"),
        ("categories", "car"),
    ];
    fields.extend_from_slice(extra);
    web.post_form(path, &fields).await
}

/// The API's view of the entry-car window starting at `start`.
async fn window_at(app: &TestApp, day: NaiveDate, start: &str) -> Value {
    app.availability("narva", day)
        .await
        .into_iter()
        .find(|w| same_instant(w["start"].as_str().unwrap(), start))
        .expect("the window exists")
}

crate::on_both_backends!(signing_in_refuses_wrong_passwords_and_leads_back_to_the_page_asked_for);

async fn signing_in_refuses_wrong_passwords_and_leads_back_to_the_page_asked_for(backend: Backend) {
    let Some(app) = spawn_app_on(backend, Vec::new(), |_| {}).await else {
        return;
    };
    let web = app.web("en");
    let wanted = day_page("narva", tomorrow());

    // Signed out: to the sign-in page, which knows where to go back to.
    let away = web.get(&wanted).await;
    assert_eq!(away.status, 303, "{}", away.text);
    let login = location(&away);
    assert!(
        login.starts_with("/staff/login?next=%2Fstaff%2Fday"),
        "{login}"
    );
    let form = web.follow(&away).await;
    assert_eq!(form.status, 200);
    assert!(form.text.contains("Sign in to open this page."));
    assert!(form.text.contains("<label for=\"name\">"));
    assert!(form.text.contains("autocomplete=\"username\""));
    assert!(form.text.contains("autocomplete=\"current-password\""));
    let next = attribute_values(&form.text, "value")
        .into_iter()
        .find(|v| v.starts_with("/staff/day"))
        .expect("the form carries the page to go back to");
    assert_eq!(next, wanted);

    // A wrong password: the form again, with the name kept and no session.
    let (name, password) = app.staff_account(StaffRole::Operator).await;
    let wrong = web
        .post_form(
            "/staff/login",
            &[
                ("form_token", &form_token(&form.text)),
                ("name", &name),
                ("password", "not the password"),
                ("next", &next),
            ],
        )
        .await;
    assert_eq!(wrong.status, 401, "{}", wrong.text);
    assert!(wrong.text.contains("Wrong name or password."));
    assert!(wrong.text.contains(&format!("value=\"{name}\"")));
    assert!(web.cookie("staff_access").await.is_none());

    // The right one: the session's cookies and back to the day.
    let right = web
        .post_form(
            "/staff/login",
            &[
                ("form_token", &form_token(&wrong.text)),
                ("name", &name),
                ("password", password),
                ("next", &next),
            ],
        )
        .await;
    assert_eq!(right.status, 303, "{}", right.text);
    assert_eq!(location(&right), wanted);
    let cookies: Vec<String> = right
        .headers
        .get_all("set-cookie")
        .map(|c| c.to_str().unwrap().to_owned())
        .collect();
    for name in ["staff_access", "staff_refresh"] {
        let cookie = cookies
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .unwrap_or_else(|| panic!("{name} is set: {cookies:?}"));
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Strict"), "{cookie}");
        assert!(cookie.contains("Path=/staff"), "{cookie}");
        assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    }
    let day = web.follow(&right).await;
    assert_eq!(day.status, 200, "{}", day.text);
    assert!(
        day.text
            .contains("Windows of the day: Narva – Ivangorod · Sat 21 March 2026")
    );

    // Only staff pages are places to go back to.
    let elsewhere = app.web("en");
    let form = elsewhere.get("/staff/login").await;
    let answer = elsewhere
        .post_form(
            "/staff/login",
            &[
                ("form_token", &form_token(&form.text)),
                ("name", &name),
                ("password", password),
                ("next", "//elsewhere.example/staff"),
            ],
        )
        .await;
    assert_eq!(location(&answer), "/staff");
}

#[actix_web::test]
async fn each_role_opens_only_its_own_pages() {
    let Some(app) = spawn_app_on(Backend::Embedded, Vec::new(), |_| {}).await else {
        return;
    };
    let day = tomorrow();
    let pages = [
        "/staff".to_owned(),
        day_page("narva", day),
        "/staff/check-in".to_owned(),
        format!("/staff/reports?checkpoint=narva&date={day}"),
        "/staff/forecast?checkpoint=narva".to_owned(),
        "/staff/audit".to_owned(),
    ];
    let expected = [
        (StaffRole::Admin, [200, 200, 200, 200, 200, 200]),
        (StaffRole::Operator, [200, 200, 200, 403, 403, 403]),
        (StaffRole::Analyst, [200, 200, 403, 200, 200, 403]),
    ];
    for (role, statuses) in expected {
        let web = signed_in(&app, role, "en").await;
        for (page, status) in pages.iter().zip(statuses) {
            let answer = web.get(page).await;
            assert_eq!(answer.status, status, "{role:?} {page}: {}", answer.text);
            if status == 403 {
                assert!(answer.text.contains("Not open to your role"));
                assert!(answer.text.contains(&format!(
                    "Your role: <strong>{}</strong>",
                    match role {
                        StaffRole::Operator => "operator",
                        _ => "analyst",
                    }
                )));
            }
        }
        // The navigation offers only what the role may open.
        let home = web.get("/staff").await;
        assert_eq!(
            home.text.contains("href=\"/staff/audit\""),
            role == StaffRole::Admin
        );
        assert_eq!(
            home.text.contains("href=\"/staff/check-in\""),
            role != StaffRole::Analyst
        );
        // Only admins get the window forms.
        let day_view = web.get(&day_page("narva", day)).await;
        assert_eq!(
            day_view.text.contains("action=\"/staff/blocks\""),
            role == StaffRole::Admin
        );
    }

    // An operator's own form token does not let it close windows; an analyst cannot check in.
    let operator = signed_in(&app, StaffRole::Operator, "en").await;
    let page = operator.get("/staff").await;
    let refused = operator
        .post_form(
            "/staff/blocks",
            &[
                ("form_token", form_token(&page.text).as_str()),
                ("checkpoint", "narva"),
                ("date", &day.to_string()),
                ("from", &at(day, 8)),
                ("to", &at(day, 9)),
                ("reason", "not mine to close"),
            ],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert_eq!(window_at(&app, day, &at(day, 8)).await["blocked"], false);
    let analyst = signed_in(&app, StaffRole::Analyst, "en").await;
    let page = analyst.get("/staff").await;
    let refused = analyst
        .post_form(
            "/staff/check-in",
            &[
                ("form_token", &form_token(&page.text)),
                ("code", "ABCD-2345"),
            ],
        )
        .await;
    assert_eq!(refused.status, 403);

    // In Russian, as the browser asks.
    let russian = signed_in(&app, StaffRole::Admin, "ru").await;
    let home = russian.get("/staff").await;
    assert!(home.text.contains("<html lang=\"ru\""));
    assert!(home.text.contains("Загрузка на ближайшие дни"));
    assert!(home.text.contains("Журнал действий"));
}

crate::on_both_backends!(an_admin_closes_reopens_and_reserves_windows_from_the_day_page);

async fn an_admin_closes_reopens_and_reserves_windows_from_the_day_page(backend: Backend) {
    let Some(app) = spawn_app_on(backend, Vec::new(), |_| {}).await else {
        return;
    };
    let web = signed_in(&app, StaffRole::Admin, "en").await;
    let day = tomorrow();
    let eight = at(day, 8);
    let free_before = app.available("narva", day, &eight).await;
    let far = web.get(&day_page("narva", day + Duration::days(60))).await;
    assert_eq!(far.status, 422);
    assert!(
        far.text
            .contains("Choose a day from yesterday to the end of the booking period.")
    );

    // A block without a reason: the form again, as it was sent, with what is missing.
    let no_reason = send_window_form(
        &web,
        "/staff/blocks",
        day,
        8,
        &[("reason", " "), ("mode", "free_only")],
    )
    .await;
    assert_eq!(no_reason.status, 422, "{}", no_reason.text);
    assert!(
        no_reason.text.contains("Reason: give a reason"),
        "{}",
        no_reason.text
    );
    assert!(
        no_reason
            .text
            .contains("id=\"blocked-reason\" name=\"reason\" type=\"text\" value=\" \"")
    );
    assert!(no_reason.text.contains("aria-invalid=\"true\""));
    assert!(
        no_reason
            .text
            .contains("name=\"categories\" value=\"car\" checked")
    );
    assert_eq!(window_at(&app, day, &eight).await["blocked"], false);

    // Closed: back to the day with a notice, and the window says why.
    let blocked = send_window_form(
        &web,
        "/staff/blocks",
        day,
        8,
        &[("reason", "Lane repairs"), ("mode", "free_only")],
    )
    .await;
    assert_eq!(blocked.status, 303, "{}", blocked.text);
    assert_eq!(
        location(&blocked),
        format!("/staff/day?checkpoint=narva&date={day}&done=blocked&windows=1")
    );
    let after = web.follow(&blocked).await;
    assert!(after.text.contains("Windows closed: 1"), "{}", after.text);
    assert!(after.text.contains("<strong>Closed:</strong> Lane repairs"));

    // The driver's page and the API say the same.
    let driver = app
        .web("en")
        .get(&format!(
            "/windows?checkpoint=narva&direction=entry&category=car&date={day}"
        ))
        .await;
    assert!(driver.text.contains("Closed by the checkpoint"));
    let window = window_at(&app, day, &eight).await;
    assert_eq!(window["blocked"], true);
    assert_eq!(window["blocked_reason"], "Lane repairs");
    assert_eq!(window["bookable"], false);

    // The audit log has it, with who did it.
    let audit = web.get("/staff/audit").await;
    assert_eq!(audit.status, 200);
    assert!(audit.text.contains("windows.block"));
    assert!(audit.text.contains("admin:test-admin"));
    assert!(audit.text.contains("Lane repairs"));
    assert!(audit.text.contains("narva/2026-03-21"));

    // Opened again.
    let opened = send_window_form(&web, "/staff/unblocks", day, 8, &[]).await;
    assert_eq!(opened.status, 303, "{}", opened.text);
    assert!(location(&opened).ends_with("done=unblocked&windows=1"));
    assert_eq!(window_at(&app, day, &eight).await["blocked"], false);
    assert_eq!(app.available("narva", day, &eight).await, free_before);

    // Ten places kept for priority vehicles: the public sees fewer.
    let reserved = send_window_form(&web, "/staff/reserved", day, 8, &[("reserved", "10")]).await;
    assert_eq!(reserved.status, 303, "{}", reserved.text);
    assert!(
        web.follow(&reserved)
            .await
            .text
            .contains("Windows with changed reserved places: 1")
    );
    let capacity = window_at(&app, day, &eight).await["capacity"]
        .as_u64()
        .unwrap();
    assert_eq!(app.available("narva", day, &eight).await, capacity - 10);
    let not_a_number =
        send_window_form(&web, "/staff/reserved", day, 8, &[("reserved", "many")]).await;
    assert_eq!(not_a_number.status, 422);
    assert!(not_a_number.text.contains("id=\"reserved-places-error\""));

    let actions: Vec<String> = app
        .store
        .audit_log(10)
        .await
        .unwrap()
        .into_iter()
        .map(|entry| entry.action)
        .collect();
    assert_eq!(
        actions,
        ["windows.reserve", "windows.unblock", "windows.block"]
    );
}

#[actix_web::test]
async fn what_staff_typed_is_shown_as_text() {
    let Some(app) = spawn_app_on(Backend::Embedded, Vec::new(), |_| {}).await else {
        return;
    };
    let day = tomorrow();
    let reason = "<script>alert(1)</script> & \"quotes\"";
    let body = json!({ "from": at(day, 8), "to": at(day, 9), "reason": reason });
    let blocked = app.block_windows("narva", &body).await;
    assert_eq!(blocked.status, 200, "{}", blocked.text);
    let web = signed_in(&app, StaffRole::Admin, "en").await;
    for page in [day_page("narva", day), "/staff/audit".to_owned()] {
        let shown = web.get(&page).await;
        assert_eq!(shown.status, 200, "{page}");
        assert!(!shown.text.contains("<script>alert"), "{page}");
        assert!(
            shown.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{page}"
        );
    }
}

crate::on_both_backends!(a_forged_staff_form_is_refused_and_changes_nothing);

async fn a_forged_staff_form_is_refused_and_changes_nothing(backend: Backend) {
    let Some(app) = spawn_app_on(backend, Vec::new(), |_| {}).await else {
        return;
    };
    let web = signed_in(&app, StaffRole::Admin, "en").await;
    let day = tomorrow();
    let page = web.get(&day_page("narva", day)).await;
    let fields = [
        ("checkpoint", "narva"),
        ("date", &day.to_string() as &str),
        ("from", &at(day, 8)),
        ("to", &at(day, 9)),
        ("reason", "forged"),
    ];

    let without = web.post_form("/staff/blocks", &fields).await;
    assert_eq!(without.status, 403, "{}", without.text);
    assert!(without.text.contains("This form has expired"));
    let mut with_wrong = fields.to_vec();
    with_wrong.push(("form_token", "00"));
    assert_eq!(
        web.post_form("/staff/blocks", &with_wrong).await.status,
        403
    );
    let mut genuine_elsewhere = fields.to_vec();
    let token = form_token(&page.text);
    genuine_elsewhere.push(("form_token", &token));
    let cross_site = app
        .client
        .post(app.url("/staff/blocks"))
        .insert_header(("origin", "https://elsewhere.example"))
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .insert_header((
            "cookie",
            format!(
                "form_session={}; staff_access={}",
                web.cookie("form_session").await.unwrap(),
                web.cookie("staff_access").await.unwrap()
            ),
        ))
        .send_body(serde_urlencoded::to_string(&genuine_elsewhere).unwrap())
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    let check_in = web
        .post_form("/staff/check-in", &[("code", "ABCD-2345")])
        .await;
    assert_eq!(check_in.status, 403);

    assert_eq!(window_at(&app, day, &at(day, 8)).await["blocked"], false);
    assert!(app.store.audit_log(10).await.unwrap().is_empty());
}

crate::on_both_backends!(an_operator_checks_vehicles_in_and_is_told_plainly_why_not);

async fn an_operator_checks_vehicles_in_and_is_told_plainly_why_not(backend: Backend) {
    let Some(app) = spawn_app_on(backend, Vec::new(), |_| {}).await else {
        return;
    };
    // 06:00 UTC now; today's 08:00 window is within three hours, tomorrow's is not.
    let today = app.clock_now().date_naive();
    let soon = app.book("narva", &at(today, 8), "111 AAA", true).await;
    assert_eq!(soon.status, 201, "{}", soon.text);
    let by_plate = app.book("narva", &at(today, 8), "222 BBB", true).await;
    let later = app.book("narva", &at(tomorrow(), 8), "333 CCC", true).await;
    let code = |booking: &Response| booking.body["code"].as_str().unwrap().to_owned();
    let web = signed_in(&app, StaffRole::Operator, "en").await;

    let form = web.get("/staff/check-in").await;
    assert_eq!(form.status, 200);
    assert!(
        form.text
            .contains("<label for=\"code\">Booking code</label>")
    );
    assert!(form.text.contains("<label for=\"plate\">"));
    let check_in = |fields: Vec<(&'static str, String)>| {
        let web = &web;
        async move {
            let page = web.get("/staff/check-in").await;
            let mut all = vec![("form_token", form_token(&page.text))];
            all.extend(fields);
            let borrowed: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
            web.post_form("/staff/check-in", &borrowed).await
        }
    };

    // By code: checked in, and the page says which window.
    let done = check_in(vec![("code", code(&soon).to_lowercase())]).await;
    assert_eq!(done.status, 303, "{}", done.text);
    let shown = web.follow(&done).await;
    assert!(shown.text.contains("Checked in."), "{}", shown.text);
    assert!(shown.text.contains("10:00–11:00"));
    assert!(shown.text.contains("data-status=\"arrived\""));
    let api = app.managed("GET", &soon.body, "", None).await;
    assert_eq!(api.body["status"], "arrived");

    // Twice, too early, unknown: each said plainly, with the booking where there is one.
    let again = check_in(vec![("code", code(&soon))]).await;
    assert_eq!(again.status, 409, "{}", again.text);
    assert!(
        again
            .text
            .contains("This booking cannot be checked in. Its status: Checked in.")
    );
    let early = check_in(vec![("code", code(&later))]).await;
    assert_eq!(early.status, 409);
    assert!(
        early
            .text
            .contains("Too early: check-in for this window opens at 07:00 local time (UTC+2)"),
        "{}",
        early.text
    );
    let unknown = check_in(vec![("code", "ZZZZ-ZZZZ".to_owned())]).await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.text.contains("No booking has this code."));
    assert!(
        unknown.text.contains("value=\"ZZZZ-ZZZZ\""),
        "what was typed stays"
    );
    let nothing = check_in(vec![("code", String::new()), ("plate", String::new())]).await;
    assert_eq!(nothing.status, 422);
    assert!(
        nothing
            .text
            .contains("Enter a booking code, or a checkpoint and a plate.")
    );

    // By checkpoint and plate, as typed at the booth.
    let plated = check_in(vec![
        ("code", String::new()),
        ("checkpoint", "narva".to_owned()),
        ("plate", "222bbb".to_owned()),
        ("direction", String::new()),
    ])
    .await;
    assert_eq!(plated.status, 303, "{}", plated.text);
    assert_eq!(
        app.managed("GET", &by_plate.body, "", None).await.body["status"],
        "arrived"
    );
    let check_ins = app
        .store
        .audit_log(10)
        .await
        .unwrap()
        .into_iter()
        .filter(|entry| entry.action == "booking.check_in")
        .count();
    assert_eq!(check_ins, 2);
}

crate::on_both_backends!(the_report_and_forecast_pages_draw_charts_with_their_numbers);

async fn the_report_and_forecast_pages_draw_charts_with_their_numbers(backend: Backend) {
    let Some(app) = spawn_app_on(backend, Vec::new(), |_| {}).await else {
        return;
    };
    let day = tomorrow();
    for plate in ["RA01", "RA02", "RA03"] {
        assert_eq!(
            app.book("narva", &at(day, 8), plate, true).await.status,
            201
        );
    }
    app.wait_until_published(std::time::Duration::from_secs(10))
        .await;
    let web = signed_in(&app, StaffRole::Analyst, "en").await;

    let report = web
        .get(&format!("/staff/reports?checkpoint=narva&date={day}"))
        .await;
    assert_eq!(report.status, 200, "{}", report.text);
    assert!(report.text.contains("<svg class=\"chart\""));
    assert!(report.text.contains(
        "role=\"img\" aria-label=\"Confirmations per local hour: Narva – Ivangorod · Sat 21 March 2026\""
    ));
    assert!(
        report.text.contains("<title>10: 3</title>"),
        "{}",
        report.text
    );
    assert!(report.text.contains("<th scope=\"row\">10:00</th>"));
    assert!(
        report
            .text
            .contains("<th scope=\"col\" class=\"number\">Confirmed</th>")
    );

    // The CSV file is the API's.
    let csv_path = attribute_values(&report.text, "href")
        .into_iter()
        .find(|href| href.starts_with("/staff/reports/csv"))
        .expect("a link to the CSV file");
    let csv = web.get(&csv_path).await;
    assert_eq!(csv.status, 200);
    assert_eq!(
        csv.headers.get("content-type").unwrap(),
        "text/csv; charset=utf-8"
    );
    let api = app
        .get_as_analyst(&format!(
            "/api/v1/reports/daily?checkpoint=narva&date={day}&format=csv"
        ))
        .await;
    assert_eq!(csv.text, api.text);

    let forecast = web
        .get("/staff/forecast?checkpoint=narva&category=car")
        .await;
    assert_eq!(forecast.status, 200, "{}", forecast.text);
    assert!(forecast.text.contains("<polyline points=\""));
    assert!(forecast.text.contains(
        "role=\"img\" aria-label=\"Expected bookings per local hour: Narva – Ivangorod · Car"
    ));
    assert!(forecast.text.contains(">Sat 21.03</text>"));
    assert!(forecast.text.contains("<th scope=\"row\">Sat 21.03</th>"));
    let wrong = web
        .get("/staff/forecast?checkpoint=narva&category=plane")
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.text.contains("Vehicle:"), "{}", wrong.text);
}

#[actix_web::test]
async fn the_dashboard_heatmap_shows_utilisation_per_checkpoint_and_day() {
    let Some(app) = spawn_app_on(
        Backend::Embedded,
        vec![counting_checkpoint("tiny", 2, 0)],
        |_| {},
    )
    .await
    else {
        return;
    };
    let day = tomorrow();
    for plate in ["HM01", "HM02"] {
        let booked = app
            .post_booking(&json!({
                "checkpoint": "tiny", "direction": "entry", "category": "car",
                "window_start": at(day, 10), "plate": plate,
                "contact": "driver@example.com", "confirm": true,
            }))
            .await;
        assert_eq!(booked.status, 201, "{}", booked.text);
    }
    let web = signed_in(&app, StaffRole::Operator, "en").await;

    let home = web.get("/staff").await;
    assert_eq!(home.status, 200, "{}", home.text);
    assert!(
        home.text
            .contains("role=\"region\" aria-label=\"Utilisation per checkpoint")
    );
    let svg = &home.text[home.text.find("<svg").unwrap()..home.text.find("</svg>").unwrap()];
    assert!(svg.contains("aria-hidden=\"true\""));
    // 2 of 96 places (24 hourly windows of 2, both ways) on the day, as number and title.
    assert!(
        svg.contains("<title>Test tiny, Sat 21 March 2026: 2%, 2 of 96 booked</title>"),
        "{svg}"
    );
    assert!(svg.contains(">2%</text>"));
    assert!(svg.contains("href=\"/staff/day?checkpoint=tiny&amp;date=2026-03-21\""));
    // Fourteen days of the one checkpoint (a store given its own has no demo ones), and the
    // five steps of the scale.
    assert_eq!(svg.matches("<rect").count(), 14 + 5, "{svg}");
    // The same numbers in a table, with the same links for the keyboard.
    assert!(home.text.contains("<th scope=\"row\"><a href=\"/staff/day?checkpoint=tiny&amp;date=2026-03-20\">Test tiny</a></th>"));
    assert!(home.text.contains("<th scope=\"col\">Sat 21.03</th>"));
    let day_view = web.get(&day_page("tiny", day)).await;
    assert_eq!(day_view.status, 200);
    assert!(day_view.text.contains("Windows of the day: Test tiny"));
}

crate::on_both_backends!(an_expired_access_token_is_renewed_from_the_refresh_cookie);

async fn an_expired_access_token_is_renewed_from_the_refresh_cookie(backend: Backend) {
    let Some(app) = spawn_app_on(backend, Vec::new(), |_| {}).await else {
        return;
    };
    let web = signed_in(&app, StaffRole::Admin, "en").await;
    let (access, refresh) = (
        web.cookie("staff_access").await.unwrap(),
        web.cookie("staff_refresh").await.unwrap(),
    );

    app.advance(Duration::minutes(16));

    let home = web.get("/staff").await;
    assert_eq!(home.status, 200, "{}", home.text);
    assert_ne!(web.cookie("staff_access").await.unwrap(), access);
    assert_ne!(web.cookie("staff_refresh").await.unwrap(), refresh);
    // The refresh token was spent: it works once.
    let reused = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": refresh }),
            &[],
        )
        .await;
    assert_eq!(reused.status, 401);
    // And the renewed session goes on.
    assert_eq!(web.get("/staff/audit").await.status, 200);

    // A file downloaded just as the access token ran out renews the sign-in as a page does.
    app.advance(Duration::minutes(16));
    let refresh = web.cookie("staff_refresh").await.unwrap();
    let file = web
        .get(&format!(
            "/staff/reports/csv?checkpoint=narva&date={}",
            tomorrow()
        ))
        .await;
    assert_eq!(file.status, 200, "{}", file.text);
    assert_ne!(web.cookie("staff_refresh").await.unwrap(), refresh);
    assert_eq!(web.get("/staff/audit").await.status, 200);
}

crate::on_both_backends!(signing_out_ends_the_session);

async fn signing_out_ends_the_session(backend: Backend) {
    let Some(app) = spawn_app_on(backend, Vec::new(), |_| {}).await else {
        return;
    };
    let web = signed_in(&app, StaffRole::Analyst, "en").await;
    let home = web.get("/staff").await;
    assert!(home.text.contains("action=\"/staff/logout\""));
    let refresh = web.cookie("staff_refresh").await.unwrap();

    // Without the form's token nothing happens.
    let forged = web.post_form("/staff/logout", &[]).await;
    assert_eq!(forged.status, 403);
    assert_eq!(web.get("/staff").await.status, 200);

    let out = web
        .post_form("/staff/logout", &[("form_token", &form_token(&home.text))])
        .await;
    assert_eq!(out.status, 303, "{}", out.text);
    assert_eq!(location(&out), "/staff/login?done=signed_out");
    assert!(web.follow(&out).await.text.contains("You have signed out."));
    assert!(web.cookie("staff_access").await.is_none());
    assert!(web.cookie("staff_refresh").await.is_none());
    let again = web.get("/staff").await;
    assert_eq!(again.status, 303);
    assert_eq!(location(&again), "/staff/login");
    let revoked = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": refresh }),
            &[],
        )
        .await;
    assert_eq!(revoked.status, 401);
}

//! The driver's pages as a browser without scripts uses them: forms, redirects and cookies.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::json;

use crate::helpers::{
    Backend, Response, at, counting_checkpoint, spawn_app_on, spawn_app_with, tomorrow,
};
use crate::web_session::{WebSession, form_token, location, same_instant, value_at};

fn day_path(checkpoint: &str, day: NaiveDate) -> String {
    format!("/windows?checkpoint={checkpoint}&direction=entry&category=car&date={day}")
}

/// Holds the window starting at `start` from the day page, as a click on its button does.
async fn hold(web: &WebSession<'_>, checkpoint: &str, day: NaiveDate, start: &str) -> Response {
    let page = web.get(&day_path(checkpoint, day)).await;
    assert_eq!(page.status, 200, "{}", page.text);
    let start = value_at(&page.text, start);
    web.post_form(
        "/holds",
        &[
            ("form_token", &form_token(&page.text)),
            ("checkpoint", checkpoint),
            ("direction", "entry"),
            ("category", "car"),
            ("window_start", &start),
        ],
    )
    .await
}

/// The booking a redirect to its page names: the address, the code and the manage token.
fn booking_of(redirect: &Response) -> (String, String, String) {
    let location = location(redirect);
    let (path, query) = location.split_once('?').unwrap();
    let code = path.trim_start_matches("/booking/").to_owned();
    let token = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))
        .unwrap()
        .to_owned();
    (location, code, token)
}

async fn confirm(web: &WebSession<'_>, held: &Response, plate: &str) -> Response {
    let page = web.follow(held).await;
    confirm_from(web, held, &page, plate).await
}

/// Sends the confirm form of `page`, the booking page the hold led to.
async fn confirm_from(
    web: &WebSession<'_>,
    held: &Response,
    page: &Response,
    plate: &str,
) -> Response {
    let (_, code, token) = booking_of(held);
    web.post_form(
        &format!("/booking/{code}/confirm"),
        &[
            ("form_token", &form_token(&page.text)),
            ("token", &token),
            ("plate", plate),
            ("contact", "driver@example.com"),
        ],
    )
    .await
}

crate::on_both_backends!(a_driver_books_moves_and_cancels_through_the_pages);

async fn a_driver_books_moves_and_cancels_through_the_pages(backend: Backend) {
    let Some(app) = spawn_app_on(backend, Vec::new(), |_| {}).await else {
        return;
    };
    let web = app.web("en-GB,en;q=0.9");
    let day = tomorrow();
    let before = app.available("narva", day, &at(day, 8)).await;

    // The day page lists the window in words, with its local and neighbouring times.
    let page = web.get(&day_path("narva", day)).await;
    assert_eq!(page.status, 200);
    assert!(
        page.text.contains(&format!("{before} places free")),
        "{}",
        page.text
    );
    assert!(
        page.text
            .contains("10:00–11:00</span> <span class=\"zone\">local time (UTC+2)")
    );
    assert!(page.text.contains("11:00–12:00 across the border (UTC+3)"));

    // Hold: a redirect to the booking's own page, which counts down.
    let held = hold(&web, "narva", day, &at(day, 8)).await;
    assert_eq!(held.status, 303, "{}", held.text);
    assert_eq!(app.available("narva", day, &at(day, 8)).await, before - 1);
    let hold_page = web.follow(&held).await;
    assert!(hold_page.text.contains("Your window is held"));
    assert!(hold_page.text.contains("data-seconds-left=\"600\""));

    // A plate that is no plate: the form again, the field marked, nothing confirmed.
    let refused = confirm(&web, &held, "!").await;
    assert_eq!(refused.status, 422);
    assert!(refused.text.contains("aria-invalid=\"true\""));
    assert!(refused.text.contains("id=\"plate-error\""));

    // Confirmed: code, QR code, manage link and calendar file.
    let confirmed = confirm(&web, &held, "123 abc").await;
    assert_eq!(confirmed.status, 303, "{}", confirmed.text);
    let booking_page = web.follow(&confirmed).await;
    assert!(booking_page.text.contains("Your window is confirmed"));
    assert!(booking_page.text.contains("<svg class=\"qr\""));
    let (_, code, token) = booking_of(&confirmed);
    assert!(
        booking_page.text.contains(&format!("data-code=\"{code}\"")),
        "{code}: {}",
        booking_page.text
    );
    let calendar = web
        .get(&format!("/api/v1/bookings/{code}.ics?token={token}"))
        .await;
    assert_eq!(calendar.status, 200);
    assert!(calendar.text.contains("BEGIN:VEVENT"));

    // Reloading shows the same booking; the button pressed again changes nothing.
    let reloaded = web.get(&format!("/booking/{code}?token={token}")).await;
    assert!(reloaded.text.contains(&format!("data-code=\"{code}\"")));
    let again = confirm_from(&web, &held, &hold_page, "123 abc").await;
    assert_eq!(again.status, 303, "{}", again.text);
    assert!(
        web.follow(&again)
            .await
            .text
            .contains("Your window is confirmed")
    );
    assert_eq!(app.available("narva", day, &at(day, 8)).await, before - 1);

    // Move: the new window is taken and the old one freed in one step.
    let choose = web
        .get(&format!("/booking/{code}/reschedule?token={token}"))
        .await;
    assert_eq!(choose.status, 200, "{}", choose.text);
    assert!(
        choose
            .text
            .contains("stays booked until the new one is confirmed")
    );
    let new_start = value_at(&choose.text, &at(day, 10));
    let moved = web
        .post_form(
            &format!("/booking/{code}/reschedule"),
            &[
                ("form_token", &form_token(&choose.text)),
                ("token", &token),
                ("window_start", &new_start),
            ],
        )
        .await;
    assert_eq!(moved.status, 303, "{}", moved.text);
    assert!(web.follow(&moved).await.text.contains("Moved."));
    assert_eq!(app.available("narva", day, &at(day, 8)).await, before);
    assert_eq!(app.available("narva", day, &at(day, 10)).await, before - 1);

    // Cancel: a question first, then the form that answers it.
    let page = web
        .get(&format!("/booking/{code}/cancel?token={token}"))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("Cancel this booking?"));
    let cancelled = web
        .post_form(
            &format!("/booking/{code}/cancel"),
            &[("form_token", &form_token(&page.text)), ("token", &token)],
        )
        .await;
    assert_eq!(cancelled.status, 303);
    let page = web.follow(&cancelled).await;
    assert!(page.text.contains("data-status=\"cancelled\""));
    assert_eq!(app.available("narva", day, &at(day, 10)).await, before);
    // A cancelled booking offers no more changes, even to an old link.
    for step in ["reschedule", "cancel"] {
        let stale = web
            .get(&format!("/booking/{code}/{step}?token={token}"))
            .await;
        assert_eq!(stale.status, 409, "{step}");
        assert!(
            stale
                .text
                .contains("This booking cannot be changed any more")
        );
    }
}

crate::on_both_backends!(a_window_filled_while_deciding_is_said_to_be_full);

async fn a_window_filled_while_deciding_is_said_to_be_full(backend: Backend) {
    let Some(app) = spawn_app_on(backend, vec![counting_checkpoint("tiny", 1, 0)], |_| {}).await
    else {
        return;
    };
    let day = tomorrow();
    let (first, second) = (app.web("en"), app.web("en"));
    let deciding = first.get(&day_path("tiny", day)).await;
    assert!(deciding.text.contains("1 place free"));

    assert_eq!(hold(&second, "tiny", day, &at(day, 8)).await.status, 303);

    let late = first
        .post_form(
            "/holds",
            &[
                ("form_token", &form_token(&deciding.text)),
                ("checkpoint", "tiny"),
                ("direction", "entry"),
                ("category", "car"),
                ("window_start", &at(day, 8)),
            ],
        )
        .await;
    assert_eq!(late.status, 409);
    assert!(
        late.text
            .contains("This window has just filled up while you were deciding")
    );
    assert!(late.text.contains("role=\"alert\""));
    // The answer refreshes itself from the day's own address, not the form's.
    assert!(late.text.contains(&format!(
        "data-refresh-url=\"/windows?checkpoint=tiny&amp;direction=entry&amp;category=car&amp;date={day}\""
    )));
    assert_eq!(app.available("tiny", day, &at(day, 8)).await, 0);
}

crate::on_both_backends!(a_hold_that_ran_out_cannot_be_confirmed);

async fn a_hold_that_ran_out_cannot_be_confirmed(backend: Backend) {
    let Some(app) = spawn_app_on(backend, Vec::new(), |_| {}).await else {
        return;
    };
    let web = app.web("en");
    let day = tomorrow();
    let held = hold(&web, "narva", day, &at(day, 9)).await;
    assert_eq!(held.status, 303);
    let deciding = web.follow(&held).await;

    app.advance(Duration::minutes(11));

    let late = confirm_from(&web, &held, &deciding, "555XYZ").await;
    assert_eq!(late.status, 410, "{}", late.text);
    assert!(late.text.contains("Your hold has expired"));
    assert!(!late.text.contains("id=\"confirm-form\""));
}

crate::on_both_backends!(forms_from_elsewhere_are_refused);

async fn forms_from_elsewhere_are_refused(backend: Backend) {
    let Some(app) = spawn_app_on(backend, Vec::new(), |_| {}).await else {
        return;
    };
    let day = tomorrow();
    let before = app.available("narva", day, &at(day, 8)).await;
    let fields = [
        ("checkpoint", "narva"),
        ("direction", "entry"),
        ("category", "car"),
        ("window_start", &at(day, 8) as &str),
    ];

    // No session and no token: what a page on another site can send.
    let forged = app.web("en").post_form("/holds", &fields).await;
    assert_eq!(forged.status, 403);
    assert!(forged.text.contains("This form has expired"));

    // A session of its own but someone else's token.
    let web = app.web("en");
    web.get("/").await;
    let mut with_token = fields.to_vec();
    with_token.push(("form_token", "00"));
    assert_eq!(web.post_form("/holds", &with_token).await.status, 403);

    // A genuine token sent from another origin.
    let page = web.get(&day_path("narva", day)).await;
    let token = form_token(&page.text);
    let mut genuine = fields.to_vec();
    genuine.push(("form_token", &token));
    let cross_site = app
        .client
        .post(app.url("/holds"))
        .insert_header(("origin", "https://elsewhere.example"))
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .insert_header((
            "cookie",
            format!("form_session={}", web.cookie("form_session").await.unwrap()),
        ))
        .send_body(serde_urlencoded::to_string(&genuine).unwrap())
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    assert_eq!(app.available("narva", day, &at(day, 8)).await, before);

    // Forms about a booking need the token of the browser that shows it, too.
    let held = hold(&web, "narva", day, &at(day, 9)).await;
    let (location, code, manage_token) = booking_of(&held);
    let stranger = app.web("en");
    for (action, extra) in [
        ("confirm", ("plate", "777AAA")),
        ("reschedule", ("window_start", &at(day, 10) as &str)),
        ("cancel", ("contact", "")),
    ] {
        let forged = stranger
            .post_form(
                &format!("/booking/{code}/{action}"),
                &[("token", &manage_token), ("form_token", "00"), extra],
            )
            .await;
        assert_eq!(forged.status, 403, "{action}: {}", forged.text);
    }
    let page = web.get(&location).await;
    assert!(page.text.contains("data-status=\"held\""));
    assert_eq!(app.available("narva", day, &at(day, 9)).await, before - 1);
}

#[actix_web::test]
async fn pages_speak_the_browser_s_language_until_switched() {
    let Some(app) = spawn_app_on(Backend::Embedded, Vec::new(), |_| {}).await else {
        return;
    };
    let web = app.web("ru-RU,ru;q=0.9,en;q=0.5");
    let page = web.get("/").await;
    assert!(page.text.contains("<html lang=\"ru\""));
    assert!(page.text.contains("Запишитесь на время пересечения"));
    assert!(page.text.contains("href=\"/?lang=en\""));

    let switched = web.get("/?lang=en").await;
    assert!(switched.text.contains("<html lang=\"en\""));
    // The choice outlives the page.
    let later = web.get(&day_path("narva", tomorrow())).await;
    assert!(later.text.contains("<html lang=\"en\""));
    assert!(later.text.contains("Sat 21 March 2026"));
}

#[actix_web::test]
async fn pages_escape_what_was_typed_and_forbid_inline_scripts() {
    let Some(app) = spawn_app_on(Backend::Embedded, Vec::new(), |_| {}).await else {
        return;
    };
    let web = app.web("en");
    let page = web
        .get("/windows?checkpoint=narva&direction=entry&category=car&date=%3Cscript%3Ealert(1)%3C/script%3E")
        .await;
    assert_eq!(page.status, 422);
    assert!(!page.text.contains("<script>alert"));
    assert!(page.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    let policy = page.header("content-security-policy");
    assert!(policy.contains("script-src 'self'"));
    assert!(!policy.contains("unsafe-inline"));
    assert!(policy.contains("frame-ancestors 'none'"));

    let wrong_method = web.get("/holds").await;
    assert_eq!(wrong_method.status, 405);
    assert!(
        wrong_method
            .text
            .contains("This page cannot be used this way")
    );
    assert_eq!(
        app.send("GET", "/api/v1/bookings", &[], None)
            .await
            .headers
            .get("content-type")
            .unwrap(),
        "application/problem+json"
    );

    let missing = web.get("/no/such/page").await;
    assert_eq!(missing.status, 404);
    assert!(missing.text.contains("There is no page at this address"));
    // Programs still get problems.
    assert_eq!(
        app.get("/no/such/route")
            .await
            .headers
            .get("content-type")
            .unwrap(),
        "application/problem+json"
    );
}

crate::on_both_backends!(the_status_page_shows_fullness_queue_and_next_window);

async fn the_status_page_shows_fullness_queue_and_next_window(backend: Backend) {
    let Some(app) = spawn_app_on(backend, vec![counting_checkpoint("tiny", 2, 0)], |_| {}).await
    else {
        return;
    };
    // 06:00 UTC now: today's 10:00 window is open; book and confirm both of its places.
    let today = app.clock_now().date_naive();
    let mut codes = Vec::new();
    for plate in ["111AAA", "222BBB"] {
        let booked = app
            .post_booking(&json!({
                "checkpoint": "tiny", "direction": "entry", "category": "car",
                "window_start": at(today, 10), "plate": plate,
                "contact": "driver@example.com", "confirm": true,
            }))
            .await;
        assert_eq!(booked.status, 201, "{}", booked.text);
        codes.push(booked.body["code"].as_str().unwrap().to_owned());
    }

    let status = app.get("/api/v1/checkpoints/tiny/status").await;
    assert_eq!(status.status, 200, "{}", status.text);
    let lane = &status.body["lanes"][0];
    assert_eq!(
        (lane["direction"].as_str(), lane["category"].as_str()),
        (Some("entry"), Some("car"))
    );
    assert_eq!(lane["today"]["booked"], 2);
    assert_eq!(lane["expected"], 2);
    assert_eq!(lane["checked_in"], 0);
    // 06:30 is the first window that is still open (30 minutes' cut-off), and it has room.
    assert!(same_instant(
        lane["next_free_window"]["start"].as_str().unwrap(),
        &format!("{today}T07:00:00Z")
    ));

    // One of them arrives.
    app.advance(Duration::hours(2));
    let operator = format!(
        "Bearer {}",
        app.staff_token(borderslot::auth::StaffRole::Operator).await
    );
    let checked_in = app
        .send_as(
            "POST",
            "/api/v1/operator/check-ins",
            &operator,
            Some(&json!({ "code": codes[0] })),
        )
        .await;
    assert_eq!(checked_in.status, 200, "{}", checked_in.text);

    let status = app.get("/api/v1/checkpoints/tiny/status").await;
    assert_eq!(status.body["lanes"][0]["checked_in"], 1);
    assert_eq!(status.body["lanes"][0]["expected"], 1);

    let page = app.web("en").get("/status/tiny").await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("<td>1 vehicle</td>"));
    // Today is what is left of it: sixteen hourly windows of two places from 08:00.
    assert!(page.text.contains("2 of 32 booked"), "{}", page.text);
    assert!(app.web("en").get("/status/nowhere").await.status == 404);
}

/// A driver with a booking asks for an earlier window from the booking page, keeps the booking
/// while the place is offered, and accepts it on the entry's page: the booking moves there.
#[actix_web::test]
async fn a_booking_waits_for_an_earlier_window_through_the_pages() {
    let Some(app) = spawn_app_on(
        Backend::Embedded,
        vec![counting_checkpoint("early", 1, 0)],
        |_| {},
    )
    .await
    else {
        return;
    };
    let web = app.web("en-GB");
    let day = tomorrow();
    let early = app.book("early", &at(day, 8), "EARLY1", true).await.body;
    let mine = app.book("early", &at(day, 12), "LATE1", true).await.body;
    let (code, token) = (
        mine["code"].as_str().unwrap(),
        mine["manage_token"].as_str().unwrap(),
    );

    // The booking page links to the form, which offers only earlier windows.
    let booking_page = web.get(&format!("/booking/{code}?token={token}")).await;
    assert!(
        booking_page
            .text
            .contains(&format!("/booking/{code}/earlier?token={token}")),
        "{}",
        booking_page.text
    );
    let form = web
        .get(&format!("/booking/{code}/earlier?token={token}"))
        .await;
    assert_eq!(form.status, 200, "{}", form.text);
    assert!(form.text.contains("Wait for an earlier window"));
    let eight = value_at(&form.text, &at(day, 8));
    assert!(
        !crate::web_session::attribute_values(&form.text, "value")
            .iter()
            .any(|value| same_instant(value, &at(day, 13))),
        "no later window is offered"
    );
    let joined = web
        .post_form(
            &format!("/booking/{code}/earlier"),
            &[
                ("form_token", &form_token(&form.text)),
                ("token", token),
                ("from", &eight),
                ("to", &eight),
            ],
        )
        .await;
    assert_eq!(joined.status, 303, "{}", joined.text);
    let entry_page = web.follow(&joined).await;
    assert!(
        entry_page.text.contains("data-status=\"waiting\""),
        "{}",
        entry_page.text
    );

    // 08:00 is freed: offered, while the booking stays at 12:00.
    app.managed("DELETE", &early, "", None).await;
    let offered = web.get(&location(&joined)).await;
    assert!(
        offered.text.contains("data-status=\"offered\""),
        "{}",
        offered.text
    );
    let still = app.managed("GET", &mine, "", None).await;
    assert!(same_instant(
        still.body["window"]["start"].as_str().unwrap(),
        &at(day, 12)
    ));

    let entry_path = location(&joined);
    let (path, query) = entry_path.split_once('?').unwrap();
    let entry_token = query.strip_prefix("token=").unwrap();
    let accepted = web
        .post_form(
            &format!("{path}/accept"),
            &[
                ("form_token", &form_token(&offered.text)),
                ("token", entry_token),
            ],
        )
        .await;
    assert_eq!(accepted.status, 303, "{}", accepted.text);
    let done = web.follow(&accepted).await;
    assert!(
        done.text.contains("data-status=\"accepted\""),
        "{}",
        done.text
    );
    assert!(
        done.text.contains("moved to the earlier window"),
        "{}",
        done.text
    );
    let moved = app.managed("GET", &mine, "", None).await;
    assert!(same_instant(
        moved.body["window"]["start"].as_str().unwrap(),
        &at(day, 8)
    ));
    assert_eq!(moved.body["code"], code);
}

/// The `li` of the window starting at `start` on a day page, from its opening tag to its
/// closing one.
fn window_item<'a>(page: &'a str, start: &str) -> &'a str {
    let start = start.parse::<DateTime<Utc>>().unwrap().to_rfc3339();
    let at = page
        .find(&format!("data-start=\"{start}\""))
        .unwrap_or_else(|| panic!("no window at {start}: {page}"));
    let opening = page[..at].rfind("<li ").unwrap();
    let closing = at + page[at..].find("</li>").unwrap();
    &page[opening..closing]
}

/// Three requests for the same day page: the first starts the day's actor, the second keeps
/// what it renders, the third is served from it.
async fn kept_day_page(web: &WebSession<'_>, path: &str) -> Vec<Response> {
    let mut pages = Vec::new();
    for _ in 0..3 {
        let page = web.get(path).await;
        assert_eq!(page.status, 200, "{}", page.text);
        pages.push(page);
    }
    pages
}

#[actix_web::test]
async fn a_kept_day_page_shows_a_window_filled_after_it_was_rendered() {
    let app = spawn_app_with(vec![counting_checkpoint("tiny", 2, 0)], |_| {}).await;
    let day = tomorrow();
    let (driver, others) = (app.web("en"), app.web("en"));
    let kept = kept_day_page(&driver, &day_path("tiny", day)).await;
    assert!(window_item(&kept[2].text, &at(day, 8)).contains("2 places free"));

    for _ in 0..2 {
        assert_eq!(hold(&others, "tiny", day, &at(day, 8)).await.status, 303);
    }
    let page = driver.get(&day_path("tiny", day)).await;

    let window = window_item(&page.text, &at(day, 8));
    assert!(window.starts_with("<li class=\"full\""), "{window}");
    assert!(window.contains("Wait for a place"), "{window}");
    assert!(!window.contains("<button"), "{window}");
    assert!(window_item(&page.text, &at(day, 9)).contains("2 places free"));
}

#[actix_web::test]
async fn a_kept_day_page_carries_each_browser_s_own_form_tag() {
    let app = spawn_app_with(vec![counting_checkpoint("tiny", 5, 0)], |_| {}).await;
    let day = tomorrow();
    let (first, second) = (app.web("en"), app.web("en"));
    let first_pages = kept_day_page(&first, &day_path("tiny", day)).await;
    let second_pages = kept_day_page(&second, &day_path("tiny", day)).await;

    // Each browser sees the page as it was rendered for it, with its own session's tag.
    assert_eq!(first_pages[1].text, first_pages[2].text);
    assert_eq!(
        form_token(&first_pages[0].text),
        form_token(&first_pages[2].text)
    );
    assert_ne!(
        form_token(&first_pages[2].text),
        form_token(&second_pages[2].text)
    );
    assert_eq!(
        first_pages[2]
            .text
            .replace(&form_token(&first_pages[2].text), ""),
        second_pages[2]
            .text
            .replace(&form_token(&second_pages[2].text), "")
    );

    for (web, page) in [(&first, &first_pages[2]), (&second, &second_pages[2])] {
        let held = web
            .post_form(
                "/holds",
                &[
                    ("form_token", &form_token(&page.text)),
                    ("checkpoint", "tiny"),
                    ("direction", "entry"),
                    ("category", "car"),
                    ("window_start", &value_at(&page.text, &at(day, 8))),
                ],
            )
            .await;
        assert_eq!(held.status, 303, "{}", held.text);
    }
    // A tag from one browser's kept page does nothing for another browser.
    let forged = second
        .post_form(
            "/holds",
            &[
                ("form_token", &form_token(&first_pages[2].text)),
                ("checkpoint", "tiny"),
                ("direction", "entry"),
                ("category", "car"),
                ("window_start", &value_at(&first_pages[2].text, &at(day, 8))),
            ],
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.text);
    assert_eq!(app.available("tiny", day, &at(day, 8)).await, 3);
}

#[actix_web::test]
async fn a_kept_day_page_shows_windows_closing_and_ending_with_the_clock() {
    let app = spawn_app_with(vec![counting_checkpoint("tiny", 2, 0)], |_| {}).await;
    let today = app.clock_now().date_naive();
    let web = app.web("en");
    let kept = kept_day_page(&web, &day_path("tiny", today)).await;
    assert!(window_item(&kept[2].text, &at(today, 8)).contains("<button"));

    // Past the 08:00 window's cut-off, with nothing booked in between.
    app.advance(Duration::minutes(105));
    let closing = web.get(&day_path("tiny", today)).await;
    let window = window_item(&closing.text, &at(today, 8));
    assert!(window.starts_with("<li class=\"closed\""), "{window}");
    assert!(window_item(&closing.text, &at(today, 9)).contains("<button"));

    // Once it has ended, it leaves the list.
    app.advance(Duration::minutes(90));
    let ended = web.get(&day_path("tiny", today)).await;
    let eight = at(today, 8).parse::<DateTime<Utc>>().unwrap();
    assert!(!ended.text.contains(&eight.to_rfc3339()), "{}", ended.text);
    assert!(window_item(&ended.text, &at(today, 9)).starts_with("<li class=\"closed\""));
}

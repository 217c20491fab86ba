//! Accounts through a real OpenID Connect provider (`oidc_provider`): signing in and out on
//! the pages, the provider's access tokens at the API (and the tokens it must refuse), a key
//! rotation, a sign-in that cannot be replayed, bookings that belong to one person or one
//! carrier organisation and stay unreachable to everyone else, and staff whose role the
//! provider holds.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

use crate::helpers::{
    Backend, Response, TestApp, assert_problem, at, eventually, spawn_app_on, test_start, tomorrow,
};
use crate::oidc_provider::{TestProvider, UserAgent, absolute, free_port, input_value, jwt};

/// A provider with the test accounts and the service signing in through it.
async fn with_provider(backend: Backend) -> Option<(TestProvider, TestApp)> {
    let app_port = free_port();
    let accounts = json!({
        "carol": { "roles": ["admin"] },
        "dave": { "carrier": "acme" },
        "erin": { "carrier": "acme" },
    });
    let provider = TestProvider::start(app_port, accounts).await?;
    let config = provider.config();
    let app = spawn_app_on(backend, Vec::new(), |settings| {
        settings.listen_addr = format!("127.0.0.1:{app_port}");
        settings.oidc = Some(config);
    })
    .await?;
    Some((provider, app))
}

async fn send_with(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> Response {
    app.send_as(method, path, &format!("Bearer {token}"), body)
        .await
}

fn booking_body(plate: &str, hour: u32) -> Value {
    json!({
        "checkpoint": "narva", "direction": "entry", "category": "car",
        "window_start": at(tomorrow(), hour), "plate": plate,
        "contact": "driver@example.com", "confirm": true,
    })
}

/// Books as the person whose access token is `token`; the booking's code.
async fn book_as(app: &TestApp, token: &str, plate: &str, hour: u32) -> String {
    let made = send_with(
        app,
        "POST",
        "/api/v1/bookings",
        token,
        Some(&booking_body(plate, hour)),
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.text);
    made.body["code"].as_str().unwrap().to_owned()
}

async fn listed(app: &TestApp, token: &str) -> Vec<String> {
    let list = send_with(app, "GET", "/api/v1/account/bookings", token, None).await;
    assert_eq!(list.status, 200, "{}", list.text);
    list.body["bookings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["code"].as_str().unwrap().to_owned())
        .collect()
}

/// Signs `login` in on the pages, starting at `start`; the page it ends on.
async fn sign_in_on_pages(
    agent: &UserAgent,
    app: &TestApp,
    start: &str,
    login: &str,
) -> (String, String) {
    let callback = app.url("/account/callback");
    let back = agent
        .sign_in_at_provider(&app.url(start), login, &callback)
        .await;
    let (at, page) = agent.follow(&back, None).await;
    let page = page.unwrap();
    assert_eq!(page.status, 200, "{at}: {}", page.text);
    (at, page.text)
}

/// Confirms the sign-out the provider's end-session page asks about; where it sends back to.
async fn sign_out_at_provider(agent: &UserAgent, end_session: &str) -> String {
    let (at_provider, confirm) = agent.follow(end_session, None).await;
    let confirm = confirm.unwrap().text;
    let xsrf = input_value(&confirm, "xsrf").expect("the provider asks to confirm");
    let action = confirm
        .split("action=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    let done = agent
        .post_form(
            &absolute(&at_provider, action),
            &[("xsrf", &xsrf), ("logout", "yes")],
        )
        .await;
    absolute(&at_provider, &done.location.unwrap())
}

#[actix_web::test]
async fn a_driver_signs_in_sees_claims_cancels_and_signs_out_on_the_pages() {
    let Some((provider, app)) = with_provider(Backend::Embedded).await else {
        return;
    };
    let agent = UserAgent::new();

    // Signed out, the page offers the provider's sign-in and registration.
    let (_, page) = agent.follow(&app.url("/account"), None).await;
    let page = page.unwrap();
    assert_eq!(page.status, 200);
    assert!(page.text.contains("/account/login"), "{}", page.text);
    assert!(page.text.contains(&format!("{}/register", provider.issuer)));

    let (at_page, text) = sign_in_on_pages(&agent, &app, "/account/login", "alice").await;
    assert!(at_page.ends_with("/account"), "{at_page}");
    assert!(
        text.contains("Signed in as") && text.contains("alice"),
        "{text}"
    );
    assert!(text.contains("No active bookings"));

    // A booking made with the provider's token is hers; one made anonymously becomes hers
    // with its code and manage token.
    let token = provider.access_token("alice").await;
    let own = book_as(&app, &token, "111 AAA", 8).await;
    let anonymous = app.book("narva", &at(tomorrow(), 9), "222 BBB", true).await;
    assert_eq!(anonymous.status, 201, "{}", anonymous.text);
    let (_, page) = agent.follow(&app.url("/account"), None).await;
    let page = page.unwrap().text;
    assert!(page.contains(&own), "{page}");
    let form_token = input_value(&page, "form_token").unwrap();
    let claimed = agent
        .post_form(
            &app.url("/account/claim"),
            &[
                ("form_token", &form_token),
                ("code", anonymous.body["code"].as_str().unwrap()),
                ("token", anonymous.body["manage_token"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(claimed.status, 303, "{}", claimed.text);
    let (_, page) = agent
        .follow(&absolute(&app.url("/"), &claimed.location.unwrap()), None)
        .await;
    let page = page.unwrap().text;
    assert!(page.contains("The booking is now among yours"), "{page}");
    assert!(page.contains(anonymous.body["code"].as_str().unwrap()));

    // A wrong manage token claims nothing.
    let refused = agent
        .post_form(
            &app.url("/account/claim"),
            &[
                ("form_token", &form_token),
                ("code", &own),
                ("token", "0".repeat(64).as_str()),
            ],
        )
        .await;
    assert_eq!(refused.status, 404, "{}", refused.text);

    // A hold confirmed from the list, without the manage token.
    let mut hold = booking_body("333 CCC", 10);
    hold["confirm"] = json!(false);
    let held = send_with(&app, "POST", "/api/v1/bookings", &token, Some(&hold)).await;
    assert_eq!(held.body["status"], "held", "{}", held.text);
    let held = held.body["code"].as_str().unwrap().to_owned();
    let confirmed = agent
        .post_form(
            &app.url(&format!("/account/bookings/{held}/confirm")),
            &[("form_token", &form_token)],
        )
        .await;
    assert_eq!(confirmed.status, 303, "{}", confirmed.text);
    let (_, page) = agent
        .follow(&absolute(&app.url("/"), &confirmed.location.unwrap()), None)
        .await;
    assert!(page.unwrap().text.contains("The booking is confirmed"));
    let read = send_with(
        &app,
        "GET",
        &format!("/api/v1/bookings/{held}"),
        &token,
        None,
    )
    .await;
    assert_eq!(read.body["status"], "confirmed", "{}", read.text);

    // Cancelled from the list, without the manage token.
    let cancelled = agent
        .post_form(
            &app.url(&format!("/account/bookings/{own}/cancel")),
            &[("form_token", &form_token)],
        )
        .await;
    assert_eq!(cancelled.status, 303, "{}", cancelled.text);
    let read = send_with(
        &app,
        "GET",
        &format!("/api/v1/bookings/{own}"),
        &token,
        None,
    )
    .await;
    assert_eq!(read.body["status"], "cancelled", "{}", read.text);

    // The Russian page says the same.
    let (_, page) = agent.follow(&app.url("/account?lang=ru"), None).await;
    assert!(page.unwrap().text.contains("Мои бронирования"));
    agent.follow(&app.url("/account?lang=en"), None).await;

    // Signing out ends the session here and at the provider.
    let signed_out = agent
        .post_form(&app.url("/account/logout"), &[("form_token", &form_token)])
        .await;
    assert_eq!(signed_out.status, 303, "{}", signed_out.text);
    assert!(agent.cookie("account").is_none());
    let end_session = signed_out.location.unwrap();
    assert!(
        end_session.starts_with(&format!("{}/session/end", provider.issuer)),
        "{end_session}"
    );
    let back = sign_out_at_provider(&agent, &end_session).await;
    let (_, page) = agent.follow(&back, None).await;
    assert!(
        back.starts_with(&app.url("/account?done=signed_out")),
        "{back}"
    );
    let page = page.unwrap().text;
    assert!(
        page.contains("You have signed out") && page.contains("/account/login"),
        "{page}"
    );
}

#[actix_web::test]
async fn a_signed_in_driver_books_and_moves_on_the_pages_without_manage_tokens() {
    let Some((provider, app)) = with_provider(Backend::Postgres).await else {
        return;
    };
    let agent = UserAgent::new();
    sign_in_on_pages(&agent, &app, "/account/login", "alice").await;
    let token = provider.access_token("alice").await;

    // A hold made on the day page while signed in is hers, with nothing else to do.
    let day = format!(
        "/windows?checkpoint=narva&direction=entry&category=car&date={}",
        tomorrow()
    );
    let (_, page) = agent.follow(&app.url(&day), None).await;
    let form_token = input_value(&page.unwrap().text, "form_token").unwrap();
    let held = agent
        .post_form(
            &app.url("/holds"),
            &[
                ("form_token", &form_token),
                ("checkpoint", "narva"),
                ("direction", "entry"),
                ("category", "car"),
                ("window_start", &at(tomorrow(), 7)),
            ],
        )
        .await;
    assert_eq!(held.status, 303, "{}", held.text);
    assert_eq!(listed(&app, &token).await.len(), 1);

    // A confirmed one moves from the account page to a window of its day.
    let confirmed = book_as(&app, &token, "111 AAA", 8).await;
    let (_, page) = agent.follow(&app.url("/account"), None).await;
    let page = page.unwrap().text;
    let choose = format!("/account/bookings/{confirmed}/reschedule");
    assert!(page.contains(&choose), "{page}");
    let (_, windows) = agent.follow(&app.url(&choose), None).await;
    let windows = windows.unwrap();
    assert_eq!(windows.status, 200, "{}", windows.text);
    assert!(
        windows.text.contains(&format!("action=\"{choose}\"")),
        "{}",
        windows.text
    );
    assert!(!windows.text.contains("name=\"token\""), "{}", windows.text);
    let form_token = input_value(&windows.text, "form_token").unwrap();
    let moved = agent
        .post_form(
            &app.url(&choose),
            &[
                ("form_token", &form_token),
                ("window_start", &at(tomorrow(), 11)),
            ],
        )
        .await;
    assert_eq!(moved.status, 303, "{}", moved.text);
    let (_, page) = agent
        .follow(&absolute(&app.url("/"), &moved.location.unwrap()), None)
        .await;
    assert!(
        page.unwrap()
            .text
            .contains("The booking is moved to its new window")
    );
    let read = send_with(
        &app,
        "GET",
        &format!("/api/v1/bookings/{confirmed}"),
        &token,
        None,
    )
    .await;
    assert_eq!(
        read.body["window"]["start"],
        at(tomorrow(), 11),
        "{}",
        read.text
    );
    assert_eq!(listed(&app, &token).await.len(), 2);

    // Someone else's booking cannot be moved from their account page; nor without one.
    let bob = UserAgent::new();
    sign_in_on_pages(&bob, &app, "/account/login", "bob").await;
    let (_, page) = bob.follow(&app.url("/account"), None).await;
    let bobs_token = input_value(&page.unwrap().text, "form_token").unwrap();
    let refused = bob
        .post_form(
            &app.url(&choose),
            &[
                ("form_token", &bobs_token),
                ("window_start", &at(tomorrow(), 12)),
            ],
        )
        .await;
    assert_eq!(refused.status, 404, "{}", refused.text);
    let anonymous = UserAgent::new().get(&app.url(&choose)).await;
    assert_eq!(anonymous.status, 303);
    assert!(
        anonymous
            .location
            .unwrap()
            .starts_with("/account/login?next="),
        "a signed-out visitor is sent to sign in"
    );
}

/// Claims as the provider would sign them for the API, valid for an hour at the test clock.
fn api_claims(provider: &TestProvider) -> Value {
    let now = test_start().timestamp();
    json!({
        "iss": provider.issuer, "aud": crate::oidc_provider::AUDIENCE, "sub": "alice",
        "iat": now, "exp": now + 3600, "preferred_username": "alice",
    })
}

fn signed(provider: &TestProvider, claims: &Value) -> String {
    let (kid, der) = provider.signing_key();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid);
    encode(&header, claims, &EncodingKey::from_rsa_der(&der)).unwrap()
}

/// A private key that is not the provider's, made with openssl, as PKCS#1 DER.
fn stranger_key() -> Vec<u8> {
    let output = std::process::Command::new("sh")
        .args(["-c", "openssl genrsa -traditional 2048 2>/dev/null | openssl rsa -traditional -outform DER 2>/dev/null"])
        .output()
        .expect("openssl runs");
    assert!(output.status.success() && !output.stdout.is_empty());
    output.stdout
}

/// The public half of a PKCS#1 DER private key, as PEM: what anyone can get from the JWKS.
fn public_pem(private: &[u8]) -> Vec<u8> {
    let mut child = std::process::Command::new("openssl")
        .args(["rsa", "-inform", "DER", "-pubout"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), private).unwrap();
    child.wait_with_output().unwrap().stdout
}

#[actix_web::test]
async fn the_api_takes_the_providers_access_tokens_and_refuses_forged_ones() {
    let Some((provider, app)) = with_provider(Backend::Embedded).await else {
        return;
    };
    let token = provider.access_token("alice").await;
    let mine = send_with(&app, "GET", "/api/v1/account/bookings", &token, None).await;
    assert_eq!(mine.status, 200, "{}", mine.text);
    assert_eq!(mine.body["name"], "alice");
    assert_eq!(mine.body["bookings"], json!([]));

    // A token signed with the provider's own key as it would sign it passes: the refusals
    // below are about what each one changes.
    let claims = api_claims(&provider);
    let good = signed(&provider, &claims);
    assert_eq!(
        send_with(&app, "GET", "/api/v1/account/bookings", &good, None)
            .await
            .status,
        200
    );

    let (kid, der) = provider.signing_key();
    let with = |change: Value| {
        let mut changed = claims.clone();
        for (name, value) in change.as_object().unwrap() {
            changed[name] = value.clone();
        }
        signed(&provider, &changed)
    };
    let hour_ago = test_start().timestamp() - 3600;
    let stranger = stranger_key();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.clone());
    let wrongly_signed = encode(&header, &claims, &EncodingKey::from_rsa_der(&stranger)).unwrap();
    let unsigned = jwt(&json!({"alg": "none", "kid": kid}), &claims, |_| {
        String::new()
    });
    // HMAC keyed with the provider's public key, which anyone can fetch.
    let public = public_pem(&der);
    let mut hmac_header = Header::new(Algorithm::HS256);
    hmac_header.kid = Some(kid.clone());
    let hmac_with_public_key =
        encode(&hmac_header, &claims, &EncodingKey::from_secret(&public)).unwrap();
    let mut unknown_header = Header::new(Algorithm::RS256);
    unknown_header.kid = Some("no-such-key".to_owned());
    let unknown_key = encode(&unknown_header, &claims, &EncodingKey::from_rsa_der(&der)).unwrap();
    let mut tampered = good.split('.').map(str::to_owned).collect::<Vec<_>>();
    let mut forged = claims.clone();
    forged["sub"] = json!("carol");
    tampered[1] = URL_SAFE_NO_PAD.encode(forged.to_string());

    for (what, token) in [
        (
            "expired",
            with(json!({"exp": hour_ago, "iat": hour_ago - 600})),
        ),
        ("wrong issuer", with(json!({"iss": "http://127.0.0.1:1"}))),
        ("wrong audience", with(json!({"aud": "someone-else"}))),
        ("no subject", with(json!({"sub": ""}))),
        ("wrongly signed", wrongly_signed),
        ("alg none", unsigned),
        ("HMAC with the public key", hmac_with_public_key),
        ("unknown key", unknown_key),
        ("tampered", tampered.join(".")),
        ("garbage", "a.b.c".to_owned()),
    ] {
        let refused = send_with(&app, "GET", "/api/v1/account/bookings", &token, None).await;
        assert_problem(&refused, 401, "unauthenticated");
        let booking = send_with(
            &app,
            "POST",
            "/api/v1/bookings",
            &token,
            Some(&booking_body("333 CCC", 10)),
        )
        .await;
        assert_eq!(booking.status, 401, "{what}: {}", booking.text);
    }

    // The same token once the service's clock passes its expiry.
    app.clock.advance(chrono::Duration::hours(2));
    let expired = send_with(&app, "GET", "/api/v1/account/bookings", &good, None).await;
    assert_problem(&expired, 401, "unauthenticated");
    assert!(expired.text.contains("expired"), "{}", expired.text);
}

#[actix_web::test]
async fn a_key_rotation_at_the_provider_is_picked_up() {
    let Some((provider, app)) = with_provider(Backend::Embedded).await else {
        return;
    };
    let before = provider.access_token("alice").await;
    assert_eq!(
        send_with(&app, "GET", "/api/v1/account/bookings", &before, None)
            .await
            .status,
        200
    );
    let (old_kid, _) = provider.signing_key();

    provider.rotate_keys().await;
    let (new_kid, _) = provider.signing_key();
    assert_ne!(old_kid, new_kid);
    let after = provider.access_token("alice").await;
    // The new key is fetched on first sight of its id (at most once a second).
    eventually(
        std::time::Duration::from_secs(10),
        "the new key to be taken",
        || {
            let request = send_with(&app, "GET", "/api/v1/account/bookings", &after, None);
            async move { (request.await.status == 200).then_some(()) }
        },
    )
    .await;
    // The old key is still published, so its tokens stay good until they expire.
    assert_eq!(
        send_with(&app, "GET", "/api/v1/account/bookings", &before, None)
            .await
            .status,
        200
    );
}

#[actix_web::test]
async fn a_sign_in_answer_is_taken_once() {
    let Some((_provider, app)) = with_provider(Backend::Embedded).await else {
        return;
    };
    let agent = UserAgent::new();
    let callback = app.url("/account/callback");
    let back = agent
        .sign_in_at_provider(&app.url("/account/login"), "alice", &callback)
        .await;
    let attempt = agent.cookie("sign_in").expect("the attempt is in a cookie");

    // Another state than the attempt's is refused.
    let mut other = back.clone();
    let state = crate::oidc_provider::query_value(&back, "state").unwrap();
    other = other.replace(&state, &uuid::Uuid::new_v4().to_string());
    let wrong = agent.get(&other).await;
    assert_eq!(wrong.status, 401, "{}", wrong.text);
    assert!(agent.cookie("account").is_none());

    // The real answer signs in once.
    agent.set_cookie("sign_in", &attempt);
    let first = agent.get(&back).await;
    assert_eq!(first.status, 303, "{}", first.text);
    assert!(agent.cookie("account").is_some());

    // Replayed, with the same attempt cookie and the same state, nonce and code: refused.
    let replayer = UserAgent::new();
    replayer.set_cookie("sign_in", &attempt);
    let replayed = replayer.get(&back).await;
    assert_eq!(replayed.status, 401, "{}", replayed.text);
    assert!(replayer.cookie("account").is_none());

    // Without the attempt's cookie (another browser), the answer means nothing.
    let stranger = UserAgent::new().get(&back).await;
    assert_eq!(stranger.status, 400, "{}", stranger.text);
}

async fn other_peoples_bookings_stay_unreachable(backend: Backend) {
    let Some((provider, app)) = with_provider(backend).await else {
        return;
    };
    let alice = provider.access_token("alice").await;
    let bob = provider.access_token("bob").await;
    let dave = provider.access_token("dave").await;
    let erin = provider.access_token("erin").await;

    let hers = book_as(&app, &alice, "111 AAA", 8).await;
    let path = format!("/api/v1/bookings/{hers}");
    // Bob cannot read, move, confirm or cancel it; it looks like no booking at all.
    for (method, suffix, body) in [
        ("GET", "", None),
        ("DELETE", "", None),
        ("POST", "/confirm", Some(json!({}))),
        (
            "POST",
            "/reschedule",
            Some(json!({"window_start": at(tomorrow(), 12)})),
        ),
    ] {
        let refused = send_with(
            &app,
            method,
            &format!("{path}{suffix}"),
            &bob,
            body.as_ref(),
        )
        .await;
        assert_problem(&refused, 404, "not-found");
    }
    assert!(listed(&app, &bob).await.is_empty());
    assert_eq!(listed(&app, &alice).await, std::slice::from_ref(&hers));
    // Alice moves it without a manage token.
    let moved = send_with(
        &app,
        "POST",
        &format!("{path}/reschedule"),
        &alice,
        Some(&json!({"window_start": at(tomorrow(), 12)})),
    )
    .await;
    assert_eq!(moved.status, 200, "{}", moved.text);

    // A carrier organisation's staff see each other's bookings and those of its API keys.
    let daves = book_as(&app, &dave, "444 DDD", 9).await;
    let key = app
        .send_as_staff(
            borderslot::auth::StaffRole::Admin,
            "POST",
            "/api/v1/admin/api-keys",
            Some(&json!({"name": "acme"})),
        )
        .await;
    assert_eq!(key.status, 201, "{}", key.text);
    let by_key = app
        .send_as(
            "POST",
            "/api/v1/bookings",
            &format!("Bearer {}", key.body["key"].as_str().unwrap()),
            Some(&booking_body("555 EEE", 10)),
        )
        .await;
    assert_eq!(by_key.status, 201, "{}", by_key.text);
    let by_key = by_key.body["code"].as_str().unwrap().to_owned();
    let mut seen = listed(&app, &erin).await;
    seen.sort();
    let mut expected = vec![daves.clone(), by_key.clone()];
    expected.sort();
    assert_eq!(seen, expected);
    let read = send_with(
        &app,
        "GET",
        &format!("/api/v1/bookings/{daves}"),
        &erin,
        None,
    )
    .await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_problem(
        &send_with(
            &app,
            "GET",
            &format!("/api/v1/bookings/{daves}"),
            &alice,
            None,
        )
        .await,
        404,
        "not-found",
    );
    assert_problem(
        &send_with(&app, "GET", &path, &dave, None).await,
        404,
        "not-found",
    );

    // Claiming takes the code and the manage token; then the booking is Bob's.
    let anonymous = app
        .book("narva", &at(tomorrow(), 11), "666 FFF", true)
        .await;
    let code = anonymous.body["code"].as_str().unwrap();
    let claim = format!("/api/v1/account/bookings/{code}/claim");
    let wrong = app
        .send(
            "POST",
            &claim,
            &[
                ("authorization", &format!("Bearer {bob}")),
                ("x-manage-token", &"0".repeat(64)),
            ],
            None,
        )
        .await;
    assert_problem(&wrong, 404, "not-found");
    let claimed = app
        .send(
            "POST",
            &claim,
            &[
                ("authorization", &format!("Bearer {bob}")),
                (
                    "x-manage-token",
                    anonymous.body["manage_token"].as_str().unwrap(),
                ),
            ],
            None,
        )
        .await;
    assert_eq!(claimed.status, 200, "{}", claimed.text);
    assert_eq!(listed(&app, &bob).await, [code.to_owned()]);
    let cancelled = send_with(
        &app,
        "DELETE",
        &format!("/api/v1/bookings/{code}"),
        &bob,
        None,
    )
    .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    assert!(listed(&app, &bob).await.is_empty());
}

crate::on_both_backends!(other_peoples_bookings_stay_unreachable);

#[actix_web::test]
async fn staff_sign_in_through_the_provider_with_the_role_it_holds() {
    let Some((provider, app)) = with_provider(Backend::Embedded).await else {
        return;
    };
    let carol = provider.access_token("carol").await;
    let key = send_with(
        &app,
        "POST",
        "/api/v1/admin/api-keys",
        &carol,
        Some(&json!({"name": "acme"})),
    )
    .await;
    assert_eq!(key.status, 201, "{}", key.text);
    // The audit log tells her from a local account named carol.
    let audit = send_with(&app, "GET", "/api/v1/admin/audit", &carol, None).await;
    assert_eq!(audit.status, 200, "{}", audit.text);
    assert_eq!(
        audit.body["entries"][0]["actor"], "admin:oidc:carol",
        "{}",
        audit.text
    );
    let alice = provider.access_token("alice").await;
    assert_problem(
        &send_with(&app, "GET", "/api/v1/admin/audit", &alice, None).await,
        403,
        "forbidden",
    );
    // Local staff tokens keep working beside the provider's.
    assert_eq!(
        app.get_as(borderslot::auth::StaffRole::Admin, "/api/v1/admin/audit")
            .await
            .status,
        200
    );

    // On the pages: the staff sign-in offers the provider, and comes back to the staff page.
    let agent = UserAgent::new();
    let (_, login) = agent.follow(&app.url("/staff/audit"), None).await;
    let login = login.unwrap().text;
    assert!(
        login.contains("/account/login?next=%2Fstaff%2Faudit"),
        "{login}"
    );
    let (at_page, text) = sign_in_on_pages(
        &agent,
        &app,
        "/account/login?next=%2Fstaff%2Faudit",
        "carol",
    )
    .await;
    assert!(at_page.ends_with("/staff/audit"), "{at_page}");
    assert!(text.contains("carol"), "{text}");
    // Signing out of the staff pages ends the provider session here too.
    let form_token = input_value(&text, "form_token").unwrap();
    let out = agent
        .post_form(&app.url("/staff/logout"), &[("form_token", &form_token)])
        .await;
    assert_eq!(out.status, 303, "{}", out.text);
    let end_session = out.location.unwrap();
    assert!(
        end_session.starts_with(&format!("{}/session/end", provider.issuer)),
        "{end_session}"
    );
    let back = sign_out_at_provider(&agent, &end_session).await;
    assert!(
        back.starts_with(&app.url("/staff/login?done=signed_out")),
        "{back}"
    );
    let (_, again) = agent.follow(&app.url("/staff/audit"), None).await;
    assert!(again.unwrap().text.contains("name=\"password\""));

    // A driver signed in through the provider is no staff member.
    let driver = UserAgent::new();
    let (at_page, _) =
        sign_in_on_pages(&driver, &app, "/account/login?next=%2Fstaff", "alice").await;
    assert!(at_page.contains("/staff"), "{at_page}");
}

#[actix_web::test]
async fn without_a_provider_there_are_no_accounts() {
    let Some(app) = spawn_app_on(Backend::Embedded, Vec::new(), |_| {}).await else {
        return;
    };
    assert_eq!(app.get("/account").await.status, 404);
    assert_eq!(app.get("/account/login").await.status, 404);
    let list = app
        .send_as("GET", "/api/v1/account/bookings", "Bearer a.b.c", None)
        .await;
    assert_problem(&list, 401, "unauthenticated");
    // Manage tokens and anonymous bookings work as before.
    let made = app.book("narva", &at(tomorrow(), 8), "777 GGG", true).await;
    assert_eq!(made.status, 201, "{}", made.text);
    let token = made.body["manage_token"].as_str().unwrap();
    let read = app
        .send_as(
            "GET",
            &format!("/api/v1/bookings/{}", made.body["code"].as_str().unwrap()),
            &format!("Bearer {token}"),
            None,
        )
        .await;
    assert_eq!(read.status, 200, "{}", read.text);
}

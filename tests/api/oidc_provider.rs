//! A real OpenID Connect provider for the account tests: `tests/oidc/provider.mjs` (the npm
//! package `oidc-provider`, which the test command installs and names in
//! `TEST_OIDC_MODULES`) on a loopback port, and a small user agent that keeps cookies and
//! follows redirects one at a time, as a browser would, between the provider and the service.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use borderslot::oidc::OidcConfig;
use borderslot::oidc::claims::{ClaimNames, RoleMap};
use borderslot::secret::Secret;
use serde_json::{Value, json};
use sha2::Digest;

pub const CLIENT_ID: &str = "borderslot";
pub const CLIENT_SECRET: &str = "test client secret";
/// The provider's public client, through which the tests get access tokens for the API.
const API_CLIENT_ID: &str = "borderslot-test";
pub const AUDIENCE: &str = "urn:borderslot:api";

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Where the test command installed `oidc-provider`; `None` (outside CI) skips the test.
fn modules() -> Option<PathBuf> {
    match std::env::var("TEST_OIDC_MODULES") {
        Ok(dir) if PathBuf::from(&dir).join("oidc-provider").is_dir() => Some(dir.into()),
        _ => {
            assert!(
                std::env::var("CI").map_or(true, |ci| ci != "true"),
                "TEST_OIDC_MODULES must name the installed oidc-provider under CI: run scripts/test"
            );
            eprintln!(
                "skipped: TEST_OIDC_MODULES is not set (scripts/test installs oidc-provider)"
            );
            None
        }
    }
}

pub struct TestProvider {
    pub issuer: String,
    port: u16,
    app_port: u16,
    modules: PathBuf,
    dir: tempfile::TempDir,
    accounts: Value,
    child: Mutex<Option<Child>>,
}

impl TestProvider {
    /// A provider for the service that will listen on `app_port`, with `accounts` (login →
    /// extra claims, such as `roles` and `carrier`).
    pub async fn start(app_port: u16, accounts: Value) -> Option<Self> {
        let modules = modules()?;
        let port = free_port();
        let provider = Self {
            issuer: format!("http://127.0.0.1:{port}"),
            port,
            app_port,
            modules,
            dir: tempfile::tempdir().unwrap(),
            accounts,
            child: Mutex::new(None),
        };
        provider.launch().await;
        Some(provider)
    }

    fn keys_file(&self) -> PathBuf {
        self.dir.path().join("keys.json")
    }

    async fn launch(&self) {
        let app = format!("http://127.0.0.1:{}", self.app_port);
        let config = json!({
            "port": self.port,
            "modules": self.modules,
            "keys_file": self.keys_file(),
            "audience": AUDIENCE,
            "accounts": self.accounts,
            "clients": [
                {
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "redirect_uris": [format!("{app}/account/callback")],
                    "post_logout_redirect_uris": [
                        format!("{app}/account?done=signed_out"),
                        format!("{app}/staff/login?done=signed_out"),
                    ],
                },
                {
                    "client_id": API_CLIENT_ID,
                    "token_endpoint_auth_method": "none",
                    "redirect_uris": [format!("{app}/test-callback")],
                },
            ],
        });
        let script =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oidc/provider.mjs");
        let child = Command::new("node")
            .arg(script)
            .arg(config.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs");
        *self.child.lock().unwrap() = Some(child);
        let discovery = format!("{}/.well-known/openid-configuration", self.issuer);
        let client = awc::Client::default();
        crate::helpers::eventually(Duration::from_secs(20), "the provider to start", || {
            let request = client.get(discovery.clone()).send();
            async move { request.await.ok().filter(|r| r.status() == 200).map(|_| ()) }
        })
        .await;
    }

    fn stop(&self) {
        if let Some(mut child) = self.child.lock().unwrap().take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the provider again: it signs with a new key from then on, and still publishes
    /// the old one.
    pub async fn rotate_keys(&self) {
        self.stop();
        self.launch().await;
    }

    /// The service's settings for this provider.
    pub fn config(&self) -> OidcConfig {
        OidcConfig {
            issuer: self.issuer.clone(),
            client_id: CLIENT_ID.to_owned(),
            client_secret: Some(Secret::new(CLIENT_SECRET)),
            scopes: "openid profile".to_owned(),
            audience: AUDIENCE.to_owned(),
            claims: ClaimNames {
                roles: "roles".to_owned(),
                organisation: "carrier".to_owned(),
                role_map: RoleMap::default(),
            },
            register_url: Some(format!("{}/register", self.issuer)),
            account_url: Some(format!("{}/account", self.issuer)),
            keys_refetch_min: Duration::from_secs(1),
            timeout: Duration::from_secs(5),
        }
    }

    /// The provider's current signing key: its id and its private key as PKCS#1 DER.
    pub fn signing_key(&self) -> (String, Vec<u8>) {
        let keys: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(self.keys_file()).unwrap()).unwrap();
        let kid = keys[0]["kid"].as_str().unwrap().to_owned();
        let der = std::fs::read(self.keys_file().with_extension("json.der")).unwrap();
        (kid, der)
    }

    /// An access token for the API, as a program signed in as `login` gets it: the code flow
    /// with PKCE through the provider's public client.
    pub async fn access_token(&self, login: &str) -> String {
        let agent = UserAgent::new();
        let verifier = URL_SAFE_NO_PAD.encode(rand_bytes());
        let challenge = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
        let redirect_uri = format!("http://127.0.0.1:{}/test-callback", self.app_port);
        let query = serde_urlencoded::to_string([
            ("response_type", "code"),
            ("client_id", API_CLIENT_ID),
            ("redirect_uri", redirect_uri.as_str()),
            ("scope", "openid profile api"),
            ("state", "test"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .unwrap();
        let back = agent
            .sign_in_at_provider(
                &format!("{}/auth?{query}", self.issuer),
                login,
                &redirect_uri,
            )
            .await;
        let code = query_value(&back, "code").expect("the provider gives a code");
        let response = agent
            .post_form(
                &format!("{}/token", self.issuer),
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("client_id", API_CLIENT_ID),
                    ("redirect_uri", &redirect_uri),
                    ("code_verifier", &verifier),
                ],
            )
            .await;
        assert_eq!(response.status, 200, "{}", response.text);
        let body: Value = serde_json::from_str(&response.text).unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }
}

impl Drop for TestProvider {
    fn drop(&mut self) {
        self.stop();
    }
}

fn rand_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    bytes
}

/// The value of a query parameter of `url`.
pub fn query_value(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()?
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub text: String,
}

/// A browser without scripts: one cookie jar for 127.0.0.1 (browsers keep cookies per host,
/// not per port), redirects followed by the caller.
pub struct UserAgent {
    client: awc::Client,
    cookies: Mutex<BTreeMap<String, String>>,
}

impl UserAgent {
    pub fn new() -> Self {
        Self {
            client: awc::Client::builder()
                .disable_redirects()
                .timeout(Duration::from_secs(20))
                .finish(),
            cookies: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().unwrap().get(name).cloned()
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        self.cookies
            .lock()
            .unwrap()
            .insert(name.to_owned(), value.to_owned());
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn answer<S>(&self, mut response: awc::ClientResponse<S>) -> Answer
    where
        S: futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>>
            + Unpin,
    {
        for set in response.headers().get_all("set-cookie") {
            let set = set.to_str().unwrap();
            let (pair, attributes) = set.split_once(';').unwrap_or((set, ""));
            let (name, value) = pair.split_once('=').unwrap();
            let removed = value.is_empty()
                || attributes.to_ascii_lowercase().contains("max-age=0")
                || attributes.contains("1970");
            let mut cookies = self.cookies.lock().unwrap();
            if removed {
                cookies.remove(name.trim());
            } else {
                cookies.insert(name.trim().to_owned(), value.trim().to_owned());
            }
        }
        let location = response
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned());
        let body = response.body().limit(4 * 1024 * 1024).await.unwrap();
        Answer {
            status: response.status().as_u16(),
            location,
            text: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    pub async fn get(&self, url: &str) -> Answer {
        let response = self
            .client
            .get(url)
            .insert_header(("cookie", self.cookie_header()))
            .insert_header(("accept", "text/html"))
            .send()
            .await
            .expect("the server answers");
        self.answer(response).await
    }

    pub async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Answer {
        let response = self
            .client
            .post(url)
            .insert_header(("cookie", self.cookie_header()))
            .insert_header(("accept", "text/html"))
            .send_form(&form)
            .await
            .expect("the server answers");
        self.answer(response).await
    }

    /// Follows redirects from `url` (made absolute against `base`) until an answer that is
    /// not one, or until the next address starts with `stop_at`; answers the last address
    /// and the answer there (`None` when stopped before asking).
    pub async fn follow(&self, url: &str, stop_at: Option<&str>) -> (String, Option<Answer>) {
        let mut url = url.to_owned();
        for _ in 0..20 {
            if stop_at.is_some_and(|stop| url.starts_with(stop)) {
                return (url, None);
            }
            let answer = self.get(&url).await;
            match (answer.status, &answer.location) {
                (301..=303 | 307 | 308, Some(next)) => url = absolute(&url, next),
                _ => return (url, Some(answer)),
            }
        }
        panic!("too many redirects from {url}");
    }

    /// Goes to `start` (the provider's authorization endpoint or a page that leads there),
    /// signs in as `login` at the provider and follows the redirects until the browser is
    /// sent to an address starting with `back_to`, which is answered without asking it.
    pub async fn sign_in_at_provider(&self, start: &str, login: &str, back_to: &str) -> String {
        let (at, page) = self.follow(start, Some(back_to)).await;
        let page = page.unwrap_or_else(|| panic!("no sign-in page on the way to {at}"));
        assert_eq!(page.status, 200, "{at}: {}", page.text);
        assert!(at.contains("/interaction/"), "{at}");
        let posted = self.post_form(&at, &[("login", login)]).await;
        let next = posted.location.expect("the provider sends the browser on");
        let (back, _) = self.follow(&absolute(&at, &next), Some(back_to)).await;
        back
    }
}

pub fn absolute(base: &str, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        return location.to_owned();
    }
    let origin_end = base
        .match_indices('/')
        .nth(2)
        .map_or(base.len(), |(at, _)| at);
    format!("{}{location}", &base[..origin_end])
}

/// The value of the first `<input name="NAME" … value="…">` in a page.
pub fn input_value(page: &str, name: &str) -> Option<String> {
    let at = page.find(&format!("name=\"{name}\""))?;
    let tag_start = page[..at].rfind('<')?;
    let tag_end = at + page[at..].find('>')?;
    let tag = &page[tag_start..tag_end];
    let value = tag.split("value=\"").nth(1)?.split('"').next()?;
    Some(value.replace("&amp;", "&").replace("&quot;", "\""))
}

/// A JWT with the given header and claims, signed with `sign` (or unsigned).
pub fn jwt(header: &Value, claims: &Value, sign: impl FnOnce(&str) -> String) -> String {
    let head = URL_SAFE_NO_PAD.encode(header.to_string());
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    let message = format!("{head}.{body}");
    let signature = sign(&message);
    format!("{message}.{signature}")
}

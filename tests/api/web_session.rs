//! A browser's view of the web pages without a browser: cookies kept between requests,
//! redirects seen rather than followed, forms sent as `application/x-www-form-urlencoded`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use tokio::sync::Mutex;

use crate::helpers::{Response, TestApp};

pub struct WebSession<'a> {
    app: &'a TestApp,
    client: awc::Client,
    cookies: Mutex<BTreeMap<String, String>>,
    accept_language: &'static str,
}

impl TestApp {
    /// A fresh browser session speaking `accept_language`.
    pub fn web(&self, accept_language: &'static str) -> WebSession<'_> {
        WebSession {
            app: self,
            client: awc::Client::builder()
                .disable_redirects()
                .timeout(std::time::Duration::from_secs(30))
                .finish(),
            cookies: Mutex::default(),
            accept_language,
        }
    }
}

impl WebSession<'_> {
    pub async fn get(&self, path: &str) -> Response {
        self.send("GET", path, None).await
    }

    /// Sends a form as a browser would, from a page of this site.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let body = serde_urlencoded::to_string(fields).unwrap();
        self.send("POST", path, Some(body)).await
    }

    /// The page a `303 See Other` leads to.
    pub async fn follow(&self, redirect: &Response) -> Response {
        assert_eq!(redirect.status, 303, "{}", redirect.text);
        self.get(&location(redirect)).await
    }

    pub async fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().await.get(name).cloned()
    }

    async fn send(&self, method: &str, path: &str, form: Option<String>) -> Response {
        let method = awc::http::Method::from_bytes(method.as_bytes()).unwrap();
        let cookie_header = self
            .cookies
            .lock()
            .await
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut request = self
            .client
            .request(method, self.app.url(path))
            .insert_header(("accept", "text/html"))
            .insert_header(("accept-language", self.accept_language));
        if !cookie_header.is_empty() {
            request = request.insert_header(("cookie", cookie_header));
        }
        let mut response = match form {
            Some(form) => request
                .insert_header(("content-type", "application/x-www-form-urlencoded"))
                .insert_header(("origin", self.app.url("")))
                .send_body(form)
                .await
                .expect("the server answers"),
            None => request.send().await.expect("the server answers"),
        };
        {
            let mut cookies = self.cookies.lock().await;
            for set in response.headers().get_all("set-cookie") {
                let pair = set.to_str().unwrap().split(';').next().unwrap();
                let (name, value) = pair.split_once('=').unwrap();
                if value.is_empty() {
                    cookies.remove(name);
                } else {
                    cookies.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        let bytes = response.body().limit(16 * 1024 * 1024).await.unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Response {
            status: response.status(),
            headers: response.headers().clone(),
            body: serde_json::Value::Null,
            text,
        }
    }
}

/// Where a redirect leads.
pub fn location(response: &Response) -> String {
    response.header("location").to_owned()
}

/// Whether two RFC 3339 texts name the same instant (however each writes its offset).
pub fn same_instant(a: &str, b: &str) -> bool {
    matches!(
        (a.parse::<DateTime<Utc>>(), b.parse::<DateTime<Utc>>()),
        (Ok(a), Ok(b)) if a == b
    )
}

/// The value among a page's `value` attributes that names the instant `at`: the window a
/// button or an option stands for.
pub fn value_at(html: &str, at: &str) -> String {
    attribute_values(html, "value")
        .into_iter()
        .find(|value| same_instant(value, at))
        .unwrap_or_else(|| panic!("no choice for {at}"))
}

/// Every value of attribute `name` in a page, in order.
pub fn attribute_values(html: &str, name: &str) -> Vec<String> {
    let needle = format!(" {name}=\"");
    html.match_indices(&needle)
        .map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            rest[..rest.find('"').unwrap()].replace("&amp;", "&")
        })
        .collect()
}

/// The anti-forgery token the page's forms carry.
pub fn form_token(html: &str) -> String {
    let at = html
        .find("name=\"form_token\" value=\"")
        .expect("the page has a form");
    let rest = &html[at + "name=\"form_token\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

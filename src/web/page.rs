//! What every page shares: its language, the form session that guards its forms against
//! forgery, the security headers, and the frame around the content.
//!
//! Forgery protection is a signed double submit: the browser keeps a random form session in a
//! `SameSite=Strict`, `HttpOnly` cookie, and every form carries the server's HMAC of it. A page
//! on another site can neither read the cookie nor compute the tag; a form whose `Origin` names
//! another site is refused as well.
//!
//! A page can be rendered to be kept and served again to other requests
//! ([`Page::for_keeping`]): everything a request brings of its own (the form tag, the addresses
//! that repeat its query) is then left as a hole, which [`Page::fill`] fills for each request.
//! Cookies and headers are never kept: each answer gets its own.

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::i18n::{Lang, Texts};
use super::prerendered::{Hole, Prerendered};
use crate::app::AppState;
use crate::auth::token::TokenKeys;

const FORM_SESSION_COOKIE: &str = "form_session";
const LANG_COOKIE: &str = "lang";
const LANG_COOKIE_DAYS: i64 = 365;
/// The name of the hidden field that carries the form tag.
pub const FORM_TOKEN_FIELD: &str = "form_token";

/// Scripts and styles only from our own files, nothing inline, no frames, forms only to us.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

/// Where a page sits, so the navigation can mark it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Book,
    Status,
    Account,
    Staff,
}

#[derive(Clone)]
pub struct Page {
    pub lang: Lang,
    pub t: &'static Texts,
    form_session: String,
    new_form_session: bool,
    remember_lang: bool,
    secure: bool,
    path: String,
    query: Vec<(String, String)>,
    /// Whether people may sign in through an OpenID Connect provider here.
    accounts: bool,
    /// Another site a form of this page may lead to (after a redirect): the provider's
    /// end-session endpoint, which browsers hold to `form-action` too.
    form_action_to: Option<String>,
    /// Whether this page is rendered to be kept, with holes for what is the request's own.
    keeping: bool,
}

impl Page {
    pub fn new(request: &HttpRequest) -> Self {
        let query = query_pairs(request.query_string());
        let chosen = query
            .iter()
            .find(|(name, _)| name == "lang")
            .map(|(_, value)| value.as_str());
        let remembered = request.cookie(LANG_COOKIE);
        let accept = request
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        let lang = Lang::negotiate(chosen, remembered.as_ref().map(|c| c.value()), accept);
        let existing = request
            .cookie(FORM_SESSION_COOKIE)
            .map(|c| c.value().to_owned())
            .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()));
        let new_form_session = existing.is_none();
        let form_session = existing.unwrap_or_else(random_hex);
        Self {
            lang,
            t: lang.texts(),
            form_session,
            new_form_session,
            remember_lang: chosen.and_then(Lang::parse).is_some(),
            accounts: request
                .app_data::<actix_web::web::Data<AppState>>()
                .is_some_and(|state| state.oidc.is_some()),
            form_action_to: None,
            keeping: false,
            secure: request.connection_info().scheme() == "https",
            path: own_path(request.path()),
            query: query
                .into_iter()
                .filter(|(name, _)| name != "lang")
                .collect(),
        }
    }

    /// Names the address that shows what this page shows, for an answer to a form: the
    /// language switch must lead to a page, not repeat the form.
    pub fn at(mut self, location: &str) -> Self {
        let (path, query) = location.split_once('?').unwrap_or((location, ""));
        self.path = path.to_owned();
        self.query = serde_urlencoded::from_str(query).unwrap_or_default();
        self
    }

    /// Lets this page's forms lead to the origin of `url` as well as to this site.
    pub fn allowing_forms_to(mut self, url: &str) -> Self {
        self.form_action_to = url_origin(url);
        self
    }

    /// Whether the request reached us over https (as a proxy in front says, too).
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// This page as it is rendered to be served to other requests as well: the same page with
    /// holes where [`Page::fill`] puts each request's own parts.
    pub fn for_keeping(&self) -> Self {
        Self {
            keeping: true,
            ..self.clone()
        }
    }

    /// A kept rendering of this page, with this request's own parts in its holes.
    pub fn fill(&self, kept: &Prerendered, tokens: &TokenKeys) -> Bytes {
        let location = self.location_path();
        kept.fill(|hole| match hole {
            Hole::FormTag => tokens.form_tag(&self.form_session),
            Hole::LanguageSwitch => self.switch_from(&location),
            Hole::Location => location.clone(),
        })
    }

    /// `value`, escaped as a value in markup, or its hole on a page rendered to be kept.
    fn own_part(&self, hole: Hole, value: impl FnOnce() -> String) -> Markup {
        if self.keeping {
            PreEscaped(hole.mark().0.to_owned())
        } else {
            html! { (value()) }
        }
    }

    /// The hidden field every form that changes something carries.
    pub fn form_token(&self, state: &AppState) -> Markup {
        self.form_field(&state.tokens)
    }

    fn form_field(&self, tokens: &TokenKeys) -> Markup {
        let tag = self.own_part(Hole::FormTag, || tokens.form_tag(&self.form_session));
        html! {
            input type="hidden" name=(FORM_TOKEN_FIELD) value=(tag);
        }
    }

    /// This page in the other language.
    fn switch_href(&self) -> String {
        self.switch_from(&self.location_path())
    }

    /// This page in the other language, from its address in this one.
    fn switch_from(&self, location: &str) -> String {
        let separator = if self.query.is_empty() { '?' } else { '&' };
        format!("{location}{separator}lang={}", self.lang.other().code())
    }

    /// The address that shows this page again (what `at` named, for an answer to a form), as
    /// a value in markup.
    pub fn location(&self) -> Markup {
        self.own_part(Hole::Location, || self.location_path())
    }

    fn location_path(&self) -> String {
        if self.query.is_empty() {
            return self.path.clone();
        }
        format!(
            "{}?{}",
            self.path,
            serde_urlencoded::to_string(&self.query).unwrap_or_default()
        )
    }

    /// The first value of a query parameter; the others are read even when one is malformed
    /// or repeated.
    pub fn query_value(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    pub fn render(
        &self,
        status: StatusCode,
        section: Section,
        title: &str,
        main: Markup,
    ) -> HttpResponse {
        self.answer(status, self.document(section, title, main).into_string())
    }

    /// The whole page `render` answers with, around `main`.
    pub fn document(&self, section: Section, title: &str, main: Markup) -> Markup {
        self.frame(
            title,
            main,
            (self.t.main_navigation, self.public_nav(section)),
        )
    }

    /// An answer with `page` (a whole page) and this page's headers and cookies.
    pub fn answer(&self, status: StatusCode, page: impl MessageBody + 'static) -> HttpResponse {
        let mut response = HttpResponse::build(status);
        self.page_headers(&mut response);
        response.body(page)
    }

    fn public_nav(&self, section: Section) -> Markup {
        let t = self.t;
        html! {
            a href="/" aria-current=[(section == Section::Book).then_some("page")] { (t.nav_book) }
            a href="/status" aria-current=[(section == Section::Status).then_some("page")] { (t.nav_status) }
            @if self.accounts {
                a href="/account" aria-current=[(section == Section::Account).then_some("page")] {
                    (super::account::texts::account_texts(self.lang).nav_my_bookings)
                }
            }
            a href="/staff" aria-current=[(section == Section::Staff).then_some("page")] { (t.nav_staff) }
        }
    }

    /// A whole page around `main`, with `nav` as its navigation: its name and its links.
    pub fn render_with_nav(
        &self,
        status: StatusCode,
        title: &str,
        main: Markup,
        nav: (&str, Markup),
    ) -> HttpResponse {
        self.answer(status, self.frame(title, main, nav).into_string())
    }

    fn frame(&self, title: &str, main: Markup, (nav_label, nav): (&str, Markup)) -> Markup {
        let t = self.t;
        let other = self.lang.other();
        let switch = self.own_part(Hole::LanguageSwitch, || self.switch_href());
        html! {
            (DOCTYPE)
            html lang=(self.lang.code()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) " · " (t.site_title) }
                    link rel="stylesheet" href=(super::assets::STYLESHEET.as_str());
                    script src=(super::assets::SCRIPT.as_str()) defer {}
                }
                body {
                    a class="skip" href="#main" { (t.skip_to_content) }
                    header class="top" {
                        a class="brand" href="/" { (t.site_title) }
                        nav aria-label=(nav_label) { (nav) }
                        a class="lang" href=(switch) lang=(other.code()) hreflang=(other.code()) {
                            (t.switch_language)
                        }
                    }
                    main id="main" tabindex="-1" { (main) }
                }
            }
        }
    }

    /// A `303 See Other` after a form did its work, so a reload does not send it again.
    pub fn redirect(&self, location: &str) -> HttpResponse {
        let mut response = HttpResponse::SeeOther();
        self.page_headers(&mut response);
        response
            .insert_header((header::LOCATION, location.to_owned()))
            .finish()
    }

    fn page_headers(&self, response: &mut HttpResponseBuilder) {
        response
            .insert_header((
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ))
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                match &self.form_action_to {
                    Some(origin) => HeaderValue::from_str(&CONTENT_SECURITY_POLICY.replace(
                        "form-action 'self'",
                        &format!("form-action 'self' {origin}"),
                    ))
                    .unwrap_or(HeaderValue::from_static(CONTENT_SECURITY_POLICY)),
                    None => HeaderValue::from_static(CONTENT_SECURITY_POLICY),
                },
            ))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .insert_header((header::X_FRAME_OPTIONS, "DENY"))
            // Manage links carry their token in the address: never pass it to another site.
            // (`no-referrer` would also make browsers send `Origin: null` with our own forms.)
            .insert_header((header::REFERRER_POLICY, "same-origin"))
            .insert_header((header::CACHE_CONTROL, "no-store"));
        if self.new_form_session {
            response.cookie(
                Cookie::build(FORM_SESSION_COOKIE, self.form_session.clone())
                    .path("/")
                    .http_only(true)
                    .same_site(SameSite::Strict)
                    .secure(self.secure)
                    .finish(),
            );
        }
        if self.remember_lang {
            response.cookie(
                Cookie::build(LANG_COOKIE, self.lang.code())
                    .path("/")
                    .same_site(SameSite::Lax)
                    .secure(self.secure)
                    .max_age(actix_web::cookie::time::Duration::days(LANG_COOKIE_DAYS))
                    .finish(),
            );
        }
    }
}

/// Whether a submitted form came from one of our pages in this browser.
pub fn form_is_genuine(request: &HttpRequest, state: &AppState, token: Option<&str>) -> bool {
    let Some(session) = request.cookie(FORM_SESSION_COOKIE) else {
        return false;
    };
    let Some(token) = token else {
        return false;
    };
    same_origin(request) && state.tokens.form_tag_matches(session.value(), token)
}

/// A browser names the page a form was sent from in `Origin`; it must be this site. Old
/// browsers that send none still need the tag.
fn same_origin(request: &HttpRequest) -> bool {
    let Some(sent_from) = request.headers().get(header::ORIGIN) else {
        return true;
    };
    sent_from.to_str().ok() == Some(origin(request).as_str())
}

/// This site as the request reached it: scheme and host (a proxy in front names them in
/// `X-Forwarded-Proto` and `X-Forwarded-Host`).
pub fn origin(request: &HttpRequest) -> String {
    let info = request.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// `scheme://host[:port]` of an http(s) URL, as a Content-Security-Policy source; `None` for
/// anything else, so nothing else can be spliced into the policy.
fn url_origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let plain = |c: char| c.is_ascii_alphanumeric() || ".-:[]".contains(c);
    (matches!(scheme, "http" | "https") && !authority.is_empty() && authority.chars().all(plain))
        .then(|| format!("{scheme}://{authority}"))
}

/// Every well-formed `name=value` pair of a query string, in order.
fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter_map(|pair| serde_urlencoded::from_str::<Vec<(String, String)>>(pair).ok())
        .flatten()
        .collect()
}

/// A path of this site to link back to. `//host/…` (or `/\\host`, which browsers read the same
/// way) would make a link to this page lead to another site.
fn own_path(path: &str) -> String {
    if path.starts_with('/') && !path.starts_with("//") && !path.starts_with("/\\") {
        path.to_owned()
    } else {
        "/".to_owned()
    }
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    crate::domain::token::to_hex(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn the_language_switch_stays_on_this_site() {
        for (asked, switch) in [
            (
                "/windows?date=2026-03-21",
                "/windows?date=2026-03-21&lang=ru",
            ),
            ("//evil.example/?x=1", "/?x=1&lang=ru"),
            ("/%5Cevil.example/", "/%5Cevil.example/?lang=ru"),
            ("/windows?lang=ru", "/windows?lang=en"),
            ("/windows?q=a%20b%26c&lang=ru", "/windows?q=a+b%26c&lang=en"),
        ] {
            let page = Page::new(&TestRequest::with_uri(asked).to_http_request());
            assert_eq!(page.switch_href(), switch, "{asked}");
        }
        assert_eq!(own_path("/\\evil.example"), "/");
    }

    #[test]
    fn a_kept_page_filled_for_a_request_is_the_page_rendered_for_it() {
        let tokens = TokenKeys::ephemeral();
        let render = |page: &Page| {
            let main = html! {
                div data-refresh-url=(page.location()) {
                    form { (page.form_field(&tokens)) }
                    form { (page.form_field(&tokens)) }
                }
            };
            page.document(Section::Book, "Windows", main).into_string()
        };
        let rendered_for = Page::new(
            &TestRequest::with_uri("/windows?date=2026-03-21&note=%22%3Cb%3E%26&lang=ru")
                .to_http_request(),
        );
        let kept = Prerendered::from_document(&render(&rendered_for.for_keeping()));
        let served_to = Page::new(
            &TestRequest::with_uri("/windows?checkpoint=narva&date=2026-03-21")
                .insert_header((header::ACCEPT_LANGUAGE, "ru"))
                .to_http_request(),
        );

        let filled = served_to.fill(&kept, &tokens);

        assert_eq!(filled, render(&served_to).as_bytes());
        let filled = String::from_utf8(filled.to_vec()).unwrap();
        assert!(filled.contains(&tokens.form_tag(&served_to.form_session)));
        assert!(filled.contains("/windows?checkpoint=narva&amp;date=2026-03-21&amp;lang=en"));
        assert!(!filled.contains("note"));
    }

    #[test]
    fn only_an_http_origin_joins_the_form_action_sources() {
        assert_eq!(
            url_origin("https://id.example.org:8443/realms/x/logout?a=b").as_deref(),
            Some("https://id.example.org:8443")
        );
        assert_eq!(url_origin("https://x; script-src *"), None);
        assert_eq!(url_origin("javascript://x"), None);
        assert_eq!(url_origin("https://user@x"), None);
    }

    #[test]
    fn one_bad_parameter_does_not_lose_the_others() {
        let page = Page::new(
            &TestRequest::with_uri("/booking/X?token=abc&done=whatever&token=other&lang=ru")
                .to_http_request(),
        );
        assert_eq!(page.query_value("token"), Some("abc"));
        assert_eq!(page.query_value("done"), Some("whatever"));
        assert_eq!(page.lang, Lang::Ru);
        assert_eq!(
            page.location_path(),
            "/booking/X?token=abc&done=whatever&token=other"
        );
    }
}

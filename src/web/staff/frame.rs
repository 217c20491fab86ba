//! What every staff page shares: a signed-in staff member whose role may see it, the staff
//! navigation (only the pages that role may open, and the sign-out form), and the renewed
//! session cookies on whatever the page answers.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use maud::{Markup, html};

use super::problems::staff_problem;
use super::session::{self, StaffSession};
use super::texts::{StaffTexts, staff_texts};
use crate::app::AppState;
use crate::app::error::ApiError;
use crate::app::staff::Staff;
use crate::auth::StaffRole;
use crate::domain::Checkpoint;
use crate::web::page::{Page, form_is_genuine};
use crate::web::problems::Problem;

pub const EVERY_ROLE: &[StaffRole] = &[StaffRole::Admin, StaffRole::Operator, StaffRole::Analyst];
pub const ADMINS: &[StaffRole] = &[StaffRole::Admin];
pub const AT_THE_CHECKPOINT: &[StaffRole] = &[StaffRole::Operator, StaffRole::Admin];
pub const ANALYSTS: &[StaffRole] = &[StaffRole::Analyst, StaffRole::Admin];

/// The entries of the staff navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffSection {
    Dashboard,
    CheckIn,
    Reports,
    Forecast,
    Audit,
}

impl StaffSection {
    const ALL: [StaffSection; 5] = [
        StaffSection::Dashboard,
        StaffSection::CheckIn,
        StaffSection::Reports,
        StaffSection::Forecast,
        StaffSection::Audit,
    ];

    fn href(self) -> &'static str {
        match self {
            StaffSection::Dashboard => "/staff",
            StaffSection::CheckIn => "/staff/check-in",
            StaffSection::Reports => "/staff/reports",
            StaffSection::Forecast => "/staff/forecast",
            StaffSection::Audit => "/staff/audit",
        }
    }

    fn roles(self) -> &'static [StaffRole] {
        match self {
            StaffSection::Dashboard => EVERY_ROLE,
            StaffSection::CheckIn => AT_THE_CHECKPOINT,
            StaffSection::Reports | StaffSection::Forecast => ANALYSTS,
            StaffSection::Audit => ADMINS,
        }
    }

    fn name(self, st: &StaffTexts) -> &'static str {
        match self {
            StaffSection::Dashboard => st.nav_dashboard,
            StaffSection::CheckIn => st.nav_check_in,
            StaffSection::Reports => st.nav_reports,
            StaffSection::Forecast => st.nav_forecast,
            StaffSection::Audit => st.nav_audit,
        }
    }
}

pub struct StaffPage<'a> {
    pub page: Page,
    pub st: &'static StaffTexts,
    pub session: StaffSession,
    pub state: &'a AppState,
    secure: bool,
}

impl<'a> StaffPage<'a> {
    /// The page for a staff member whose role is one of `roles`; otherwise the answer already:
    /// the sign-in page (which leads back here after a `GET`), or a refusal.
    pub async fn open(
        request: &HttpRequest,
        state: &'a AppState,
        roles: &[StaffRole],
    ) -> Result<StaffPage<'a>, HttpResponse> {
        let page = Page::new(request);
        let st = staff_texts(page.lang);
        let secure = page.is_secure();
        let session = match session::resume(request, state).await {
            Ok(Some(session)) => session,
            Ok(None) => {
                // A form's answer cannot be sent again after signing in: start over at home.
                let next = if request.method() == actix_web::http::Method::GET {
                    request
                        .uri()
                        .path_and_query()
                        .map_or(session::HOME, |p| p.as_str())
                } else {
                    session::HOME
                };
                // The cookies stay: a request that lost a race to spend the same refresh token
                // must not wipe the pair the winner has just set.
                return Err(page.redirect(&session::login_path(next)));
            }
            Err(error) => {
                let problem = Problem::of(page.lang, &error);
                let main = html! { h1 { (st.login_heading) } (problem.summary(page.t)) };
                return Err(page.render(
                    problem.status,
                    crate::web::page::Section::Staff,
                    st.login_heading,
                    main,
                ));
            }
        };
        // The sign-out form of someone signed in through the provider leads on to its
        // end-session page, which the page's form policy must allow.
        let mut page = page;
        if let (true, Some(provider)) = (
            crate::app::accounts::is_provider_staff(&session.staff),
            state.oidc.as_ref(),
        ) && let Some(end_session) = provider.end_session_url(session::HOME).await
        {
            page = page.allowing_forms_to(&end_session);
        }
        let staff_page = StaffPage {
            page,
            st,
            session,
            state,
            secure,
        };
        if !roles.contains(&staff_page.session.role()) {
            return Err(staff_page.forbidden());
        }
        Ok(staff_page)
    }

    pub fn staff(&self) -> &Staff {
        &self.session.staff
    }

    /// The checkpoint a page's query names, or the first one when it names none.
    pub fn checkpoint_or_first(&self, named: Option<String>) -> Result<Arc<Checkpoint>, ApiError> {
        let first = self
            .state
            .registry
            .checkpoints()
            .first()
            .map(|c| c.id.to_string());
        self.state.checkpoint_in_query(named.or(first).as_deref())
    }

    /// The field that picks one of the checkpoints, with `chosen` (an id) selected.
    pub fn checkpoint_field(&self, id: &str, chosen: Option<&str>) -> Markup {
        html! {
            div {
                label for=(id) { (self.page.t.checkpoint) }
                select id=(id) name="checkpoint" {
                    @for other in self.state.registry.checkpoints() {
                        option value=(other.id.as_str()) selected[chosen == Some(other.id.as_str())] { (other.name) }
                    }
                }
            }
        }
    }

    pub fn may(&self, roles: &[StaffRole]) -> bool {
        roles.contains(&self.session.role())
    }

    /// Names the page an answer to a form shows, for the language switch.
    pub fn at(mut self, location: &str) -> Self {
        self.page = self.page.at(location);
        self
    }

    /// The hidden field every form that changes something carries.
    pub fn form_token(&self) -> Markup {
        self.page.form_token(self.state)
    }

    pub fn form_is_genuine(&self, request: &HttpRequest, token: Option<&str>) -> bool {
        form_is_genuine(request, self.state, token)
    }

    /// What a form without a genuine token is told.
    pub fn form_expired(&self) -> Problem {
        Problem::new(self.page.t.error_form_expired, StatusCode::FORBIDDEN)
    }

    fn nav(&self, current: Option<StaffSection>) -> Markup {
        let st = self.st;
        html! {
            @for section in StaffSection::ALL {
                @if self.may(section.roles()) {
                    a href=(section.href()) aria-current=[(current == Some(section)).then_some("page")] {
                        (section.name(st))
                    }
                }
            }
            span class="who" { (st.signed_in_as) " " strong { (self.session.name()) } " (" (st.role(self.session.role())) ")" }
            form class="sign-out" method="post" action="/staff/logout" {
                (self.form_token())
                button type="submit" class="link" { (st.sign_out) }
            }
        }
    }

    pub fn render(
        &self,
        status: StatusCode,
        current: Option<StaffSection>,
        title: &str,
        main: Markup,
    ) -> HttpResponse {
        let response = self.page.render_with_nav(
            status,
            title,
            main,
            (self.st.staff_navigation, self.nav(current)),
        );
        self.with_session(response)
    }

    /// A `303 See Other` after a form did its work.
    pub fn redirect(&self, location: &str) -> HttpResponse {
        self.with_session(self.page.redirect(location))
    }

    /// An answer of another kind (a file): it still carries a renewed sign-in.
    pub fn respond(&self, response: HttpResponse) -> HttpResponse {
        self.with_session(response)
    }

    fn with_session(&self, mut response: HttpResponse) -> HttpResponse {
        for cookie in self.session.cookies(self.secure) {
            let _ = response.add_cookie(&cookie);
        }
        response
    }

    /// A page that says only what went wrong.
    pub fn problem_page(
        &self,
        current: Option<StaffSection>,
        title: &str,
        problem: &Problem,
    ) -> HttpResponse {
        let main = html! {
            h1 { (title) }
            (problem.summary(self.page.t))
            p { a href=(session::HOME) { (self.st.back_to_dashboard) } }
        };
        self.render(problem.status, current, title, main)
    }

    /// A page that cannot show what was asked: what is wrong, and `chooser`, the form that asks
    /// again.
    pub fn problem_with_chooser(
        &self,
        current: Option<StaffSection>,
        title: &str,
        problem: &Problem,
        chooser: Markup,
    ) -> HttpResponse {
        let main = html! {
            h1 { (title) }
            (problem.summary(self.page.t))
            (chooser)
        };
        self.render(problem.status, current, title, main)
    }

    /// The page of an error the API would answer with.
    pub fn error_page(
        &self,
        current: Option<StaffSection>,
        title: &str,
        error: &ApiError,
    ) -> HttpResponse {
        self.problem_page(current, title, &staff_problem(self.page.lang, error))
    }

    /// The refusal when the role may not open a page or do an action.
    pub fn forbidden(&self) -> HttpResponse {
        let st = self.st;
        let main = html! {
            h1 { (st.forbidden_heading) }
            div class="problem" role="alert" {
                (st.forbidden_role) " " strong { (st.role(self.session.role())) } "."
            }
            p { a href=(session::HOME) { (st.back_to_dashboard) } }
        };
        self.render(StatusCode::FORBIDDEN, None, st.forbidden_heading, main)
    }
}

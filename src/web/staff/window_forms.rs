//! The answers to the day page's window forms: `POST /staff/blocks`, `/staff/unblocks` and
//! `/staff/reserved`. Each is decided and audited by the same function as its API route; on
//! success the browser goes back to the day with a notice, on refusal the day page shows the
//! form again as it was sent, with what is wrong.

use actix_web::{HttpRequest, HttpResponse, web};

use super::day::{day_page, day_path};
use super::frame::{ADMINS, StaffPage};
use super::problems::staff_problem;
use super::range_form::{Action, Failed, RangeForm};
use crate::app::AppState;
use crate::app::input::parse_date;
use crate::app::windows::{WindowRequest, change_windows};

#[tracing::instrument(name = "Block windows from the staff page", skip_all)]
pub async fn block(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    apply_form(&request, &body, &state, Action::Block).await
}

#[tracing::instrument(name = "Unblock windows from the staff page", skip_all)]
pub async fn unblock(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    apply_form(&request, &body, &state, Action::Unblock).await
}

#[tracing::instrument(name = "Reserve places from the staff page", skip_all)]
pub async fn reserve(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    apply_form(&request, &body, &state, Action::Reserve).await
}

async fn apply_form(
    request: &HttpRequest,
    body: &[u8],
    state: &AppState,
    action: Action,
) -> HttpResponse {
    let sp = match StaffPage::open(request, state, ADMINS).await {
        Ok(sp) => sp,
        Err(answer) => return answer,
    };
    let form = RangeForm::parse(body);
    let checkpoint = match state.checkpoint_in_query(Some(&form.checkpoint)) {
        Ok(checkpoint) => checkpoint,
        Err(error) => return sp.error_page(None, sp.st.day_heading, &error),
    };
    // The day the form was on; the range itself says which day it changes.
    let date = parse_date("date", &form.date).unwrap_or_else(|_| state.today_at(&checkpoint));
    let sp = sp.at(&day_path(&checkpoint.id, date, None));
    let refused = |problem| Failed {
        action,
        entered: &form,
        problem,
    };
    if !sp.form_is_genuine(request, form.form_token.as_deref()) {
        let problem = sp.form_expired();
        return day_page(&sp, &checkpoint, date, None, Some(refused(problem))).await;
    }
    let parse = match action {
        Action::Block => WindowRequest::block,
        Action::Unblock => WindowRequest::unblock,
        Action::Reserve => WindowRequest::reserve,
    };
    let changed = match parse(form.window_request()) {
        Ok((range, action)) => {
            change_windows(state, sp.staff(), &checkpoint.id, range, action, None).await
        }
        Err(invalid) => Err(invalid.into()),
    };
    match changed {
        Ok(change) => sp.redirect(&day_path(
            &checkpoint.id,
            change.day,
            Some((action, change.windows.len())),
        )),
        Err(error) => {
            let problem = staff_problem(sp.page.lang, &error);
            day_page(&sp, &checkpoint, date, None, Some(refused(problem))).await
        }
    }
}

//! Moving one of the signed-in person's confirmed bookings to another window of its lane: the
//! same day pages as a move through the manage link, reached through the account instead of
//! the manage token.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::texts::account_texts;
use super::{HOME, Said, account_page, genuine_form, session};
use crate::app::AppState;
use crate::app::accounts::find_owned;
use crate::app::bookings::reschedule_booking;
use crate::app::input::{parse_date, parse_instant};
use crate::auth::account::Identity;
use crate::domain::window::local_date;
use crate::domain::{Booking, BookingStatus, Checkpoint};
use crate::web::day::{self, Holder, Lane, Pick};
use crate::web::page::Page;
use crate::web::problems::Problem;

fn reschedule_path(booking: &Booking, date: chrono::NaiveDate) -> String {
    format!("/account/bookings/{}/reschedule?date={date}", booking.code)
}

/// The person's confirmed booking `code`; otherwise the account page saying why not.
async fn movable(
    page: &Page,
    state: &AppState,
    identity: Identity,
    code: &str,
) -> Result<(Booking, std::sync::Arc<Checkpoint>), HttpResponse> {
    let refused = match find_owned(state, &identity, code).await {
        Ok((booking, checkpoint)) if booking.status == BookingStatus::Confirmed => {
            return Ok((booking, checkpoint));
        }
        Ok(_) => {
            let message = account_texts(page.lang).only_confirmed_move;
            Problem::new(message, StatusCode::CONFLICT)
        }
        Err(error) => Problem::of(page.lang, &error),
    };
    Err(account_page(page, state, Some(identity), Said::Refused(refused)).await)
}

/// The windows of the booking's day (or of `?date=`) to move it to.
pub async fn choose_new_window(
    request: HttpRequest,
    code: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let page = Page::new(&request);
    if state.oidc.is_none() {
        return crate::web::not_found_page(&request);
    }
    let Some(identity) = session::signed_in(&request, &state) else {
        let here = format!("/account/bookings/{code}/reschedule");
        let query = serde_urlencoded::to_string([("next", here.as_str())]).unwrap_or_default();
        return page.redirect(&format!("/account/login?{query}"));
    };
    let (booking, checkpoint) = match movable(&page, &state, identity, &code).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let date = page
        .query_value("date")
        .and_then(|d| parse_date("date", d).ok())
        .unwrap_or(booking.day);
    let pick = Pick::Move {
        booking: &booking,
        by: Holder::Account,
    };
    day::render(
        &page,
        &state,
        &Lane::of_booking(&booking, checkpoint.clone(), date),
        pick,
        None,
    )
    .await
}

/// Moves the booking to the window chosen on the day page.
#[tracing::instrument(name = "Reschedule from the account page", skip_all)]
pub async fn reschedule(
    request: HttpRequest,
    code: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let (page, identity, form) = match genuine_form(&request, &state, &body).await {
        Ok(sent) => sent,
        Err(answer) => return answer,
    };
    let (booking, checkpoint) = match movable(&page, &state, identity, &code).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let window_start = form.window_start.unwrap_or_default();
    let start = parse_instant("window_start", &window_start);
    // A refused move shows the day it aimed at again.
    let date = start
        .as_ref()
        .map(|start| local_date(checkpoint.time_zone, *start))
        .unwrap_or(booking.day);
    let moved = match start {
        Ok(start) => reschedule_booking(&state, &booking, &checkpoint, start, None).await,
        Err(invalid) => Err(invalid.into()),
    };
    match moved {
        Ok(_) => page.redirect(&format!("{HOME}?done=moved")),
        Err(error) => {
            let problem = Problem::of(page.lang, &error);
            let page = page.at(&reschedule_path(&booking, date));
            let pick = Pick::Move {
                booking: &booking,
                by: Holder::Account,
            };
            let lane = Lane::of_booking(&booking, checkpoint.clone(), date);
            day::render(&page, &state, &lane, pick, Some(problem)).await
        }
    }
}

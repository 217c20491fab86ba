//! A booking the checkpoint moved out of a window it closed, on the booking's page: where it
//! was, where it is, and the driver's one answer — keep the new window, pick another, or
//! cancel. The notice stays until the driver keeps the window or moves or cancels the booking.

use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};

use super::manage::{Done, Managed, ManagedForm, manage_path};
use super::page::Page;
use super::problems::Problem;
use super::times;
use crate::app::AppState;
use crate::app::reslot::accept_reslot;
use crate::domain::BookingStatus;

/// The notice and its three answers; nothing for a booking the checkpoint has not moved.
pub(super) fn notice(page: &Page, state: &AppState, managed: &Managed) -> Markup {
    let (t, booking, checkpoint) = (page.t, &managed.booking, &managed.checkpoint);
    let Some(chosen) = booking.reslotted_from else {
        return html! {};
    };
    let duration = booking.window_end - booking.window_start;
    let token_query =
        serde_urlencoded::to_string([("token", managed.token.as_str())]).unwrap_or_default();
    html! {
        section class="notice reslot" role="status" aria-labelledby="reslot-heading" {
            h2 id="reslot-heading" { (t.reslot_heading) }
            p { (t.reslot_intro) }
            p {
                (t.reslot_chosen) ": "
                (page.lang.date(crate::domain::window::local_date(checkpoint.time_zone, chosen))) ", "
                (times::window(page.lang, checkpoint, chosen, chosen + duration))
            }
            div class="actions" {
                form method="post" action=(format!("/booking/{}/accept-move", booking.code)) {
                    (page.form_token(state))
                    input type="hidden" name="token" value=(managed.token);
                    button type="submit" { (t.reslot_keep) }
                }
                @if booking.status == BookingStatus::Confirmed {
                    a class="button secondary" href=(format!("/booking/{}/reschedule?{token_query}", booking.code)) { (t.reslot_pick) }
                    a class="button danger" href=(format!("/booking/{}/cancel?{token_query}", booking.code)) { (t.cancel_booking) }
                }
            }
        }
    }
}

#[tracing::instrument(
    name = "Keep the window the checkpoint chose, from the web page",
    skip_all
)]
pub async fn accept(
    request: HttpRequest,
    code: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let sent = match ManagedForm::read_genuine(&request, &state, &code, &body).await {
        Ok(sent) => sent,
        Err(answer) => return answer,
    };
    // A second press finds the move accepted already.
    if sent.managed.booking.reslotted_from.is_none() {
        return sent.page.redirect(&sent.managed.path(Some(Done::Kept)));
    }
    match accept_reslot(&state, &sent.managed.booking, None).await {
        Ok(kept) => sent
            .page
            .redirect(&manage_path(&kept, &sent.managed.token, Some(Done::Kept))),
        Err(error) => sent.refused(&state, &request, Problem::of(sent.page.lang, &error)),
    }
}

//! Fair openings on the driver's pages: the day page counts down to a day's opening and says
//! how its draw works; a window chosen during the draw period leads to the entry's page, "you
//! are in the draw", which counts down to the draw's close and then shows what the draw gave:
//! the booking, or why there was none and where to look next.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use maud::{Markup, html};

use super::i18n::Lang;
use super::manage::manage_path;
use super::page::{Page, Section};
use super::problems::Problem;
use super::times;
use crate::app::AppState;
use crate::app::draws::{find_entry, window_end};
use crate::app::error::ApiError;
use crate::domain::draw::{Admission, DrawEntry, DrawTimes, Refusal};
use crate::domain::token::ManageToken;
use crate::domain::{Booking, BookingStatus, Checkpoint};

pub fn draw_texts(lang: Lang) -> &'static DrawTexts {
    match lang {
        Lang::En => &EN,
        Lang::Ru => &RU,
    }
}

pub struct DrawTexts {
    pub not_open_heading: &'static str,
    pub opens_at: &'static str,
    /// Counts down to the draw period, when requests are first taken.
    pub opens_in: &'static str,
    pub refresh: &'static str,
    pub draw_open_heading: &'static str,
    pub draw_closes_at: &'static str,
    pub draw_closes_in: &'static str,
    pub not_open_yet: &'static str,
    pub in_draw_heading: &'static str,
    pub in_draw_intro: &'static str,
    pub in_draw_updates: &'static str,
    pub entered_at: &'static str,
    pub admitted_heading: &'static str,
    pub admitted_intro: &'static str,
    pub admitted_confirm: &'static str,
    pub continue_to_booking: &'static str,
    pub refused_heading: &'static str,
    pub refused_full: &'static str,
    pub refused_blocked: &'static str,
    pub position: &'static str,
    pub check_the_draw: &'static str,
    pub choose_another: &'static str,
    pub error_not_open: &'static str,
    pub error_in_draw: &'static str,
    pub error_already_entered: &'static str,
    pub entry_not_found: &'static str,
}

pub static EN: DrawTexts = DrawTexts {
    not_open_heading: "Booking for this day has not opened yet",
    opens_at: "Opens",
    opens_in: "Requests are taken in",
    refresh: "Refresh this page",
    draw_open_heading: "This day is opening now: its fair draw takes requests",
    draw_closes_at: "The draw closes",
    draw_closes_in: "The draw closes in",
    not_open_yet: "Not open yet",
    in_draw_heading: "You are in the draw",
    in_draw_intro: "Your request is saved. When the draw closes, everyone who entered is given a place in a random order, so it made no difference when you came. This page then shows what you got.",
    in_draw_updates: "This page updates by itself; you may also refresh it.",
    entered_at: "Entered",
    admitted_heading: "You got a place",
    admitted_intro: "The draw gave you the window you chose.",
    admitted_confirm: "Confirm it with your vehicle's plate and a contact before the hold runs out.",
    continue_to_booking: "Continue to your booking",
    refused_heading: "No place this time",
    refused_full: "Every place in the window you chose went to entrants drawn before you. The day is now booked first come: other windows may still have room.",
    refused_blocked: "The checkpoint closed the window you chose before your turn came. Other windows of the day may still have room.",
    position: "Your place in the draw",
    check_the_draw: "Check the draw: its seed and order (JSON)",
    choose_another: "Choose another window",
    error_not_open: "Booking for this day has not opened yet. The page says when it opens.",
    error_in_draw: "This day is opening with a draw right now. A booking can move into it once the draw has closed.",
    error_already_entered: "This vehicle has already entered the draw for this day and direction.",
    entry_not_found: "No draw entry matches this link. Check that you copied the whole link.",
};

pub static RU: DrawTexts = DrawTexts {
    not_open_heading: "Запись на этот день ещё не открыта",
    opens_at: "Открывается",
    opens_in: "Приём заявок через",
    refresh: "Обновить страницу",
    draw_open_heading: "Запись на этот день открывается: идёт честная жеребьёвка",
    draw_closes_at: "Жеребьёвка закрывается",
    draw_closes_in: "Жеребьёвка закроется через",
    not_open_yet: "Ещё не открыто",
    in_draw_heading: "Вы участвуете в жеребьёвке",
    in_draw_intro: "Ваша заявка сохранена. Когда жеребьёвка закроется, места получат все участники в случайном порядке, поэтому неважно, когда вы пришли. Здесь появится результат.",
    in_draw_updates: "Страница обновляется сама; её можно и обновить вручную.",
    entered_at: "Заявка подана",
    admitted_heading: "Вы получили место",
    admitted_intro: "Жеребьёвка дала вам выбранное окно.",
    admitted_confirm: "Подтвердите его номером машины и контактом, пока окно закреплено за вами.",
    continue_to_booking: "Перейти к записи",
    refused_heading: "На этот раз места нет",
    refused_full: "Все места в выбранном окне достались участникам, вытянутым раньше вас. Теперь запись на день идёт в порядке очереди: в других окнах места могут быть.",
    refused_blocked: "Пункт пропуска закрыл выбранное окно до вашей очереди. В других окнах этого дня места могут быть.",
    position: "Ваш номер в жеребьёвке",
    check_the_draw: "Проверить жеребьёвку: зерно и порядок (JSON)",
    choose_another: "Выбрать другое окно",
    error_not_open: "Запись на этот день ещё не открыта. На странице указано, когда она откроется.",
    error_in_draw: "На этот день сейчас идёт жеребьёвка. Перенести запись на этот день можно после её закрытия.",
    error_already_entered: "Эта машина уже участвует в жеребьёвке на этот день и направление.",
    entry_not_found: "По этой ссылке заявка не найдена. Проверьте, что ссылка скопирована целиком.",
};

/// The page of a draw entry.
pub fn entry_path(entry: &DrawEntry, token: &str) -> String {
    format!(
        "/draw-entry/{}?{}",
        entry.id,
        serde_urlencoded::to_string([("token", token)]).unwrap_or_default()
    )
}

/// "Sat 21 March 2026, 10:00 local time (UTC+2)".
fn moment(lang: Lang, checkpoint: &Checkpoint, at: DateTime<Utc>) -> String {
    let local = crate::domain::window::local_date(checkpoint.time_zone, at);
    format!(
        "{}, {}",
        lang.date(local),
        times::instant(lang, checkpoint, at)
    )
}

/// A countdown to `at` by the server's clock (a phone's may be off), hidden until the script
/// runs it; the page reloads when it reaches zero.
fn countdown(label: &str, now: DateTime<Utc>, at: DateTime<Utc>) -> Markup {
    html! {
        p class="countdown" hidden data-count-down=((at - now).num_seconds().max(0)) data-reload-at-zero {
            (label) ": " span data-countdown-value role="timer" {}
        }
    }
}

/// What the day page says about a day that opens later.
pub fn not_open_notice(
    page: &Page,
    checkpoint: &Checkpoint,
    times: DrawTimes,
    now: DateTime<Utc>,
) -> Markup {
    let d = draw_texts(page.lang);
    html! {
        section class="opening" aria-labelledby="opening-heading" {
            h2 id="opening-heading" { (d.not_open_heading) }
            p { (d.opens_at) ": " strong { (moment(page.lang, checkpoint, times.opens_at)) } }
            p { (draw_rule(page.lang, checkpoint, times)) }
            (countdown(d.opens_in, now, times.draw_opens_at))
            p { a href=(page.location()) { (d.refresh) } }
        }
    }
}

/// What the day page says while the day's draw takes requests.
pub fn draw_notice(
    page: &Page,
    checkpoint: &Checkpoint,
    times: DrawTimes,
    now: DateTime<Utc>,
) -> Markup {
    let d = draw_texts(page.lang);
    html! {
        section class="opening notice" aria-labelledby="opening-heading" {
            h2 id="opening-heading" { (d.draw_open_heading) }
            p { (draw_rule(page.lang, checkpoint, times)) }
            p { (d.draw_closes_at) ": " strong { (times::instant(page.lang, checkpoint, times.closes_at)) } }
            (countdown(d.draw_closes_in, now, times.closes_at))
        }
    }
}

/// How the opening works, in a sentence with its times.
fn draw_rule(lang: Lang, checkpoint: &Checkpoint, times: DrawTimes) -> String {
    let (from, until) = (
        times::clock_with_seconds(checkpoint.time_zone, times.draw_opens_at),
        times::clock_with_seconds(checkpoint.time_zone, times.closes_at),
    );
    match lang {
        Lang::En => format!(
            "Requests made from {from} until {until} (local time) enter a fair draw: when it closes, places are given in a random order, so being first gains nothing. After that, booking is first come."
        ),
        Lang::Ru => format!(
            "Заявки, поданные с {from} до {until} (местное время), участвуют в честной жеребьёвке: после её закрытия места распределяются в случайном порядке, так что быть первым не нужно. Потом запись идёт в порядке очереди."
        ),
    }
}

/// What a problem of a draw says on a page, in its language.
pub fn problem_text(lang: Lang, error: &ApiError) -> Option<&'static str> {
    let d = draw_texts(lang);
    match error {
        ApiError::NotOpenYet { .. } => Some(d.error_not_open),
        ApiError::InDraw(_) => Some(d.error_in_draw),
        ApiError::AlreadyEntered => Some(d.error_already_entered),
        ApiError::NotFound("draw entry") => Some(d.entry_not_found),
        _ => None,
    }
}

/// Why an entrant got no place, in the page's language.
fn refusal_text(lang: Lang, refusal: &Refusal) -> &'static str {
    let (t, d) = (lang.texts(), draw_texts(lang));
    match refusal.problem.as_str() {
        "window-full" => d.refused_full,
        "window-blocked" => d.refused_blocked,
        "plate-already-booked" => t.error_plate_booked,
        "too-many-holds" => t.error_too_many_holds,
        "window-closed" | "unknown-window" => t.error_window_closed,
        _ => t.error_unavailable,
    }
}

/// `GET /draw-entry/{id}?token=…`: the entry's page, opened with its manage token.
#[tracing::instrument(name = "Draw entry page", skip_all)]
pub async fn show(
    request: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let page = Page::new(&request);
    let token = page.query_value("token").unwrap_or_default().to_owned();
    let opened = find_entry(&state, &id, |entry| {
        ManageToken::verify(&token, &entry.manage_token_digest)
    })
    .await;
    let (entry, draw, checkpoint) = match opened {
        Ok(found) => found,
        Err(error) => {
            let d = draw_texts(page.lang);
            let problem = Problem::of(page.lang, &error);
            let main = html! {
                h1 { (d.in_draw_heading) }
                (problem.summary(page.t))
                p { a class="button" href="/" { (page.t.book_again) } }
            };
            return page.render(problem.status, Section::Book, d.in_draw_heading, main);
        }
    };
    let booking = match entry.outcome.as_ref().map(|o| &o.admission) {
        Some(Admission::Admitted { code }) => state.store.find_booking(code).await.ok().flatten(),
        _ => None,
    };
    let now = state.now();
    let d = draw_texts(page.lang);
    let t = page.t;
    let lane_query = serde_urlencoded::to_string([
        ("checkpoint", entry.checkpoint.as_str()),
        ("direction", entry.window.direction.as_str()),
        ("category", entry.window.category.as_str()),
        ("date", &entry.day.to_string()),
    ])
    .unwrap_or_default();
    let log = crate::http::draws::log_path(&entry.checkpoint, entry.day);
    let facts = html! {
        dl class="facts" {
            dt { (t.checkpoint) } dd { (checkpoint.name) }
            dt { (t.direction) } dd { (page.lang.direction(entry.window.direction)) }
            dt { (t.category) } dd { (page.lang.category(entry.window.category)) }
            dt { (t.date) } dd { (page.lang.date(entry.day)) }
            dt { (t.window) } dd { (times::window(page.lang, &checkpoint, entry.window.start, window_end(&checkpoint, &entry))) }
            @if let Some(plate) = &entry.plate { dt { (t.plate) } dd { (plate.to_string()) } }
            dt { (d.entered_at) } dd { (times::instant(page.lang, &checkpoint, entry.entered_at)) }
            @if let Some(outcome) = &entry.outcome {
                dt { (d.position) } dd data-position=(outcome.position) { (outcome.position) " / " (draw.entrants) }
            }
        }
    };
    let (heading, main) = match entry.outcome.as_ref().map(|o| &o.admission) {
        None => (
            d.in_draw_heading,
            html! {
                div id="draw-entry" data-refresh="5" data-refresh-url=(page.location()) data-state="pending" {
                    h1 { (d.in_draw_heading) }
                    div class="notice" role="status" { (d.in_draw_intro) }
                    p { (d.draw_closes_at) ": " strong { (times::instant(page.lang, &checkpoint, draw.times.closes_at)) } }
                    (facts)
                }
                (countdown(d.draw_closes_in, now, draw.times.closes_at))
                p class="hint" { (d.in_draw_updates) " " a href=(page.location()) { (d.refresh) } }
            },
        ),
        Some(Admission::Admitted { .. }) => (
            d.admitted_heading,
            html! {
                div id="draw-entry" data-state="admitted" {
                    h1 { (d.admitted_heading) }
                    div class="notice" role="status" {
                        (d.admitted_intro)
                        @if booking.as_ref().is_some_and(|b| b.status == BookingStatus::Held) { " " (d.admitted_confirm) }
                    }
                    (facts)
                    @if let Some(booking) = &booking {
                        p { a class="button" href=(booking_link(booking, &token)) { (d.continue_to_booking) } }
                    }
                    p { a href=(log) { (d.check_the_draw) } }
                }
            },
        ),
        Some(Admission::Refused(refusal)) => (
            d.refused_heading,
            html! {
                div id="draw-entry" data-state="refused" {
                    h1 { (d.refused_heading) }
                    div class="problem" role="alert" data-problem=(refusal.problem) { (refusal_text(page.lang, refusal)) }
                    (facts)
                    p { a class="button" href=(format!("/windows?{lane_query}")) { (d.choose_another) } }
                    p { a href=(log) { (d.check_the_draw) } }
                }
            },
        ),
    };
    page.render(StatusCode::OK, Section::Book, heading, main)
}

fn booking_link(booking: &Booking, token: &str) -> String {
    manage_path(booking, token, None)
}

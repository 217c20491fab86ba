//! `GET /staff/forecast?checkpoint=&category=`: the API's demand forecast for the coming week
//! as a line of expected bookings per local hour, with the model, the history it learned from
//! and its backtest, and every value in a table of days by hours.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use maud::{Markup, html};
use serde::Deserialize;

use super::charts::{self, Axes};
use super::frame::{ANALYSTS, StaffPage, StaffSection};
use super::problems::staff_problem;
use crate::analytics::ModelKind;
use crate::app::AppState;
use crate::app::error::ApiError;
use crate::app::forecast::{ForecastAsk, ForecastRange, forecast_of, forecast_range};
use crate::domain::Checkpoint;
use crate::reports::forecast::DemandForecast;

#[derive(Debug, Default, Deserialize)]
struct ForecastQuery {
    checkpoint: Option<String>,
    category: Option<String>,
}

pub async fn show(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let sp = match StaffPage::open(&request, &state, ANALYSTS).await {
        Ok(sp) => sp,
        Err(answer) => return answer,
    };
    let query: ForecastQuery =
        serde_urlencoded::from_str(request.query_string()).unwrap_or_default();
    let category = query.category.as_deref().filter(|c| !c.is_empty());
    let checkpoint = match sp.checkpoint_or_first(query.checkpoint) {
        Ok(checkpoint) => checkpoint,
        Err(error) => return refused_page(&sp, None, category, &error),
    };
    let range = ForecastAsk::parse(None, None, category)
        .map_err(ApiError::from)
        .and_then(|ask| forecast_range(&state, &checkpoint, ask));
    let range = match range {
        Ok(range) => range,
        Err(error) => return refused_page(&sp, Some(&checkpoint), category, &error),
    };
    match forecast_of(&state, sp.staff(), &checkpoint, range).await {
        Ok(forecast) => forecast_page(&sp, &checkpoint, range, &forecast),
        Err(error) => refused_page(&sp, Some(&checkpoint), category, &error),
    }
}

fn chooser(sp: &StaffPage<'_>, checkpoint: Option<&Checkpoint>, category: Option<&str>) -> Markup {
    let (lang, t, st) = (sp.page.lang, sp.page.t, sp.st);
    let checkpoints = sp.state.registry.checkpoints();
    let categories: Vec<_> = checkpoint
        .or(checkpoints.first().map(|c| c.as_ref()))
        .map(|c| c.capacity.keys().copied().collect())
        .unwrap_or_default();
    html! {
        form class="stack search" method="get" action="/staff/forecast" {
            (sp.checkpoint_field("forecast-checkpoint", checkpoint.map(|c| c.id.as_str())))
            div {
                label for="forecast-category" { (t.category) }
                select id="forecast-category" name="category" {
                    option value="" selected[category.is_none()] { (st.all_vehicles) }
                    @for c in categories {
                        option value=(c.as_str()) selected[category == Some(c.as_str())] { (lang.category(c)) }
                    }
                }
            }
            div class="wide" { button type="submit" class="secondary" { (st.show) } }
        }
    }
}

fn refused_page(
    sp: &StaffPage<'_>,
    checkpoint: Option<&Checkpoint>,
    category: Option<&str>,
    error: &ApiError,
) -> HttpResponse {
    let problem = staff_problem(sp.page.lang, error);
    let chooser = chooser(sp, checkpoint, category);
    let heading = sp.st.forecast_heading;
    sp.problem_with_chooser(Some(StaffSection::Forecast), heading, &problem, chooser)
}

fn model_name(sp: &StaffPage<'_>, model: &ModelKind) -> &'static str {
    match model {
        ModelKind::HoltWinters { .. } => sp.st.model_holt_winters,
        ModelKind::SeasonalNaive => sp.st.model_seasonal_naive,
        ModelKind::Mean => sp.st.model_mean,
    }
}

fn forecast_page(
    sp: &StaffPage<'_>,
    checkpoint: &Checkpoint,
    range: ForecastRange,
    forecast: &DemandForecast,
) -> HttpResponse {
    let (lang, t, st) = (sp.page.lang, sp.page.t, sp.st);
    let category = range.category.map(|c| c.as_str());
    let vehicles = range.category.map_or(st.all_vehicles, |c| lang.category(c));
    let title = format!("{} · {vehicles}", checkpoint.name);
    let span = format!("{} – {}", lang.date(range.from), lang.date(range.to()));
    let values: Vec<f64> = forecast.hours.iter().map(|h| h.expected).collect();
    // A mark where each day begins, named by its weekday and date.
    let mut x_ticks: Vec<(usize, String)> = Vec::new();
    for (index, hour) in forecast.hours.iter().enumerate() {
        if x_ticks
            .last()
            .is_none_or(|(last, _)| forecast.hours[*last].date != hour.date)
        {
            x_ticks.push((
                index,
                format!("{} {}", lang.weekday(hour.date), hour.date.format("%d.%m")),
            ));
        }
    }
    let by_day: BTreeMap<NaiveDate, BTreeMap<u8, f64>> =
        forecast.hours.iter().fold(BTreeMap::new(), |mut days, h| {
            // The autumn night has its 03:00 twice: one row holds both hours' demand.
            *days.entry(h.date).or_default().entry(h.hour).or_default() += h.expected;
            days
        });
    let chart_label = format!("{}: {title}, {span}", st.forecast_chart);
    let axes = Axes {
        x: st.day_local,
        y: st.expected_bookings,
    };
    let main = html! {
        h1 { (st.forecast_heading) ": " (title) }
        (chooser(sp, Some(checkpoint), category))
        p { (st.forecast_intro) }
        dl class="facts" {
            dt { (t.date) } dd { (span) }
            dt { (st.model) } dd { (model_name(sp, &forecast.model)) }
            dt { (st.history) }
            dd {
                @match &forecast.history {
                    Some(history) => { (lang.date(history.from)) " – " (lang.date(history.to)) }
                    None => (st.no_history),
                }
            }
            @if let Some(backtest) = &forecast.backtest {
                dt { (st.backtest) }
                dd { (format!("{:.1}%", backtest.smape_percent)) " (" (st.backtest_naive) ": " (format!("{:.1}%", backtest.naive_smape_percent)) ")" }
            }
        }
        h2 id="forecast-chart" { (st.forecast_chart) }
        p class="hint" { (t.local_time) " · " (checkpoint.time_zone.name()) }
        (charts::line_chart(&chart_label, &axes, &values, &x_ticks))
        h2 id="forecast-numbers" { (st.in_numbers) }
        div class="table-scroll" tabindex="0" role="region" aria-labelledby="forecast-numbers" {
            table class="compact" aria-labelledby="forecast-numbers" {
                thead {
                    tr {
                        th scope="col" { (t.date) }
                        @for hour in 0..24u8 { th scope="col" class="number" { (format!("{hour:02}")) } }
                        th scope="col" class="number" { (st.day_total) }
                    }
                }
                tbody {
                    @for day in &forecast.days {
                        tr {
                            th scope="row" { (lang.weekday(day.date)) " " (day.date.format("%d.%m")) }
                            @for hour in 0..24u8 {
                                td class="number" {
                                    @match by_day.get(&day.date).and_then(|hours| hours.get(&hour)) {
                                        Some(expected) => (format!("{expected:.1}")),
                                        None => "–",
                                    }
                                }
                            }
                            td class="number" { strong { (format!("{:.1}", day.expected)) } }
                        }
                    }
                }
            }
        }
    };
    sp.render(StatusCode::OK, Some(StaffSection::Forecast), &title, main)
}

//! The best time to cross on the pages: the queue page's table of vehicles expected per hour
//! over the coming days with the quiet hours marked, and the mark a quiet window gets on the
//! driver's day page. Quiet is said in words, not only in colour.

use maud::{Markup, html};

use super::page::Page;
use crate::reports::best_times::{DayDemand, hour_runs};

/// "02:00–06:00, 22:00–24:00": the quiet hours of a day as ranges of whole hours.
pub fn quiet_ranges(page: &Page, day: &DayDemand) -> String {
    let runs = hour_runs(&day.quiet_hours);
    if runs.is_empty() {
        return page.t.no_quiet_hours.to_owned();
    }
    runs.iter()
        .map(|&(first, last)| format!("{first:02}:00–{:02}:00", u32::from(last) + 1))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The queue page's section: per day its quiet hours, then every hour's expected vehicles.
pub fn section(page: &Page, days: &[DayDemand]) -> Markup {
    let t = page.t;
    let hours: Vec<u8> = (0..24).collect();
    html! {
        section id="best-times" aria-labelledby="best-times-heading" {
            h2 id="best-times-heading" { (t.best_times_heading) }
            p { (t.best_times_intro) }
            ul {
                @for day in days {
                    li { strong { (page.lang.date(day.date)) } ": " (t.quiet_hours) " " (quiet_ranges(page, day)) }
                }
            }
            div class="table-scroll" tabindex="0" role="region" aria-label=(t.best_times_heading) {
                table class="best-times" {
                    caption class="hint" { (t.best_times_heading) }
                    thead {
                        tr {
                            th scope="col" { (t.hour) }
                            @for day in days { th scope="col" class="number" { (page.lang.date(day.date)) } }
                        }
                    }
                    tbody {
                        @for &hour in &hours {
                            tr {
                                th scope="row" { (format!("{hour:02}:00")) }
                                @for day in days {
                                    @match day.hours.iter().find(|h| h.hour == hour) {
                                        Some(h) if h.quiet => td class="number quiet" data-hour=(hour) { (format!("{:.0}", h.expected)) " · " (t.quiet) },
                                        Some(h) => td class="number" data-hour=(hour) { (format!("{:.0}", h.expected)) },
                                        None => td class="number" { "—" },
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The mark of a window that starts in a quiet hour.
pub fn quiet_mark(page: &Page) -> Markup {
    html! { span class="quiet-mark" { (page.t.quiet_hour) } }
}

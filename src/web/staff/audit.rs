//! `GET /staff/audit`: the audit log for admins, newest first — when, who, what, on which
//! thing, and its state before and after — as the API reads it, a page of entries at a time
//! with a link to see more.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::frame::{ADMINS, StaffPage, StaffSection};
use crate::app::AppState;
use crate::app::staff::{AUDIT_ENTRIES_MAX, audit_limit, read_audit_log};
use crate::web::table::Column::Text;
use crate::web::table::heading_row;

#[derive(Debug, Default, Deserialize)]
struct AuditQuery {
    limit: Option<usize>,
}

/// A state as the log keeps it, compact; nothing when there is none.
fn state_of(value: Option<&serde_json::Value>) -> Markup {
    match value {
        Some(value) => html! { code class="json" { (value.to_string()) } },
        None => html! { "–" },
    }
}

pub async fn show(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let sp = match StaffPage::open(&request, &state, ADMINS).await {
        Ok(sp) => sp,
        Err(answer) => return answer,
    };
    let st = sp.st;
    let query: AuditQuery = serde_urlencoded::from_str(request.query_string()).unwrap_or_default();
    let limit = audit_limit(query.limit);
    let entries = match read_audit_log(&state, sp.staff(), Some(limit)).await {
        Ok(entries) => entries,
        Err(error) => return sp.error_page(Some(StaffSection::Audit), st.audit_heading, &error),
    };
    let more = (entries.len() == limit && limit < AUDIT_ENTRIES_MAX)
        .then(|| format!("/staff/audit?limit={}", (limit * 2).min(AUDIT_ENTRIES_MAX)));
    let main = html! {
        h1 id="audit" { (st.audit_heading) }
        p { (st.audit_intro) }
        @if entries.is_empty() {
            p { (st.audit_empty) }
        } @else {
            div class="table-scroll" tabindex="0" role="region" aria-labelledby="audit" {
                table class="audit" aria-labelledby="audit" {
                    thead {
                        (heading_row(&[
                            Text(st.when), Text(st.who), Text(st.action),
                            Text(st.target), Text(st.before), Text(st.after),
                        ]))
                    }
                    tbody {
                        @for entry in &entries {
                            tr {
                                th scope="row" {
                                    time datetime=(entry.at.to_rfc3339()) { (entry.at.format("%Y-%m-%d %H:%M:%S")) }
                                }
                                td { (entry.actor) }
                                td { code { (entry.action) } }
                                td { (entry.target) }
                                td { (state_of(entry.before.as_ref())) }
                                td { (state_of(entry.after.as_ref())) }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(more) = more {
            p { a class="button secondary" href=(more) { (st.show_more) } }
        }
    };
    sp.render(
        StatusCode::OK,
        Some(StaffSection::Audit),
        st.audit_heading,
        main,
    )
}

//! The OpenAPI 3.1 description of the API, served at `/api/openapi.json`, derived with utoipa
//! from the types the handlers read and write, so that a field, a spelling or a rule cannot
//! drift from what serde does. A test holds every route of the router to the document, and the
//! test command fuzzes the running server against it (`scripts/api-contract`, schemathesis with
//! every check), so a status, a field or a rule the document does not state fails the build.
//!
//! # Documenting a route
//!
//! 1. Put `#[utoipa::path(…)]` on the handler with the method, the full path, the
//!    `operation_id` (camelCase, stable: links and clients use it), a `tag`, a `summary`,
//!    `security(("bearer" = []))` for staff routes (`apiKey` for carriers, `account` for the
//!    OpenID Connect provider's people), the parameters (`params(CheckpointPath,
//!    IdempotencyHeader, TheQuery)`, see [`params`]), `request_body = TheBody` and the answers
//!    it may give: its success with `body = TheAnswer`, and only the problem statuses peculiar
//!    to it (`(status = 410, response = Problem)`).
//! 2. Derive `ToSchema` on the body and answer types next to their `Deserialize`/`Serialize`
//!    (`#[schema(value_type = Direction)]` where a field is parsed later from a string), and
//!    `IntoParams` on a query struct. The domain's types are described in [`domain`].
//! 3. Add the handler to `paths(…)` of [`ApiDoc`].
//!
//! What every operation shares is added in [`cross_cutting`]: the security schemes, the problem
//! statuses each may answer (429 and 503 on `/api/v1`, 401 and 403 when signed, 400 and 422
//! with input, 404 with a path parameter, 409 and 422 with an idempotency key), closed request
//! bodies and answers (flattened structs merged into one object), optional inputs that are
//! absent rather than null, the bounds of each integer type, and the links from a new booking
//! to the operations that manage it.

pub mod cross_cutting;
pub mod domain;
pub mod params;

use actix_web::HttpResponse;
use utoipa::OpenApi;

use cross_cutting::{
    AbsentNotNull, BookingLinks, ClosedObjects, IntegerBounds, ProblemStatuses, SecuritySchemes,
};

use crate::app::error::Problem;
use crate::http::{
    account, admin, admin_checkpoints, auth, best_times, bookings, carrier, checkpoints, draws,
    forecast, health, metrics, operator, reports, stats, status, waitlist,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "borderslot",
        description = "Arrival-window bookings for road border checkpoints. Errors are application/problem+json."
    ),
    paths(
        health::healthz,
        health::readyz,
        metrics::scrape,
        serve,
        checkpoints::list,
        checkpoints::availability,
        draws::logs,
        status::read,
        best_times::read,
        stats::read,
        reports::daily,
        forecast::read,
        auth::login,
        auth::refresh,
        auth::logout,
        admin::block,
        admin::unblock,
        admin_checkpoints::put,
        admin::reserve,
        admin::capacity,
        admin::audit_log,
        carrier::create_key,
        carrier::list_keys,
        carrier::revoke_key,
        carrier::bookings,
        operator::plate,
        admin::lift_bar,
        operator::walk_in,
        operator::check_in,
        account::bookings,
        account::claim,
        bookings::create,
        bookings::read,
        bookings::cancel,
        bookings::calendar,
        bookings::confirm,
        bookings::accept_move,
        bookings::reschedule,
        draws::entry,
        waitlist::join,
        waitlist::read,
        waitlist::leave,
        waitlist::accept,
        waitlist::decline,
    ),
    components(schemas(Problem), responses(Problem)),
    modifiers(
        &SecuritySchemes,
        &ProblemStatuses,
        &ClosedObjects,
        &AbsentNotNull,
        &IntegerBounds,
        &BookingLinks
    ),
)]
pub struct ApiDoc;

/// The document, as served.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The document never changes while the process runs: built and serialised once.
static SERVED: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    document()
        .to_json()
        .expect("the API document is plain data and always serialises")
});

#[utoipa::path(get, path = "/api/openapi.json", operation_id = "openapi", tag = "service",
    summary = "This document", responses((status = 200, description = "OpenAPI 3.1 document")))]
pub async fn serve() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(SERVED.as_str())
}

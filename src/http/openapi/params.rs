//! The parameters many operations share — the ids in paths, the manage token and the
//! idempotency key — and the problem answer every refusal is. The handlers read these from the
//! request themselves (a path segment as a string, a header by name), so these types exist for
//! the document only.

use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response};
use utoipa::{IntoParams, ToResponse};

use crate::app::error::{PROBLEM_JSON, Problem};
use crate::domain::{CheckpointId, Plate};

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[expect(dead_code, reason = "describes the `{id}` of a checkpoint's path")]
pub struct CheckpointPath {
    #[param(value_type = CheckpointId)]
    id: String,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[expect(dead_code, reason = "describes the `{code}` of a booking's path")]
pub struct BookingCodePath {
    #[param(example = "ABCD-2345")]
    code: String,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[expect(dead_code, reason = "describes the `{plate}` of a plate's path")]
pub struct PlatePath {
    #[param(value_type = Plate)]
    plate: String,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[expect(dead_code, reason = "describes the header `manage_token` reads")]
pub struct ManageTokenHeader {
    /// The manage token returned when the booking was made; `Authorization: Bearer` or
    /// `?token=` work too. The owner signed in through the OpenID Connect provider (or their
    /// carrier organisation's staff) may send `Authorization: Bearer <the provider's access
    /// token>` instead.
    #[param(rename = "X-Manage-Token")]
    manage_token: Option<String>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[expect(dead_code, reason = "describes the header `run_idempotent` reads")]
pub struct IdempotencyHeader {
    /// Retries with the same key get the first answer; a different body with the same key is
    /// 422.
    #[param(rename = "Idempotency-Key", pattern = "^[!-~]{1,255}$")]
    idempotency_key: Option<String>,
}

/// The name of the idempotency key's header, as the document's cross-cutting rules look for it.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

impl<'r> ToResponse<'r> for Problem {
    fn response() -> (&'r str, RefOr<Response>) {
        let content = ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build();
        let response = ResponseBuilder::new()
            .description("Problem details (RFC 9457)")
            .content(PROBLEM_JSON, content)
            .build();
        ("Problem", response.into())
    }
}

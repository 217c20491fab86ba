//! The request rate limit per client address, around every route: over it, a problem document
//! for a program and a page for a person, both `429` with `Retry-After`.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{ResponseError, web};

use crate::app::AppState;

/// A request that says it comes with a carrier's key: the key's own rate applies instead,
/// checked with the key. Only API routes that take a key may say so; a sign-in or a page never
/// escapes the address's rate by naming a key it does not use.
fn signed_by_a_carrier(request: &ServiceRequest) -> bool {
    let path = request.path();
    path.starts_with("/api/")
        && !path.starts_with("/api/v1/auth/")
        && request
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("Bearer bsk_"))
}

/// The API and the web pages; not the probes, the metrics or the static files a page loads.
fn counts_against_address(path: &str) -> bool {
    !(path.starts_with("/static/") || path == "/healthz" || path == "/readyz" || path == "/metrics")
}

/// The request rate limit per client address.
pub async fn limit_requests(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<impl MessageBody>>, actix_web::Error> {
    let refused = match (
        request.app_data::<web::Data<AppState>>(),
        request.peer_addr().map(|a| a.ip()),
    ) {
        // Carriers' requests count against their key's own rate instead.
        (Some(state), Some(client))
            if counts_against_address(request.path()) && !signed_by_a_carrier(&request) =>
        {
            state.limits.check_request(client).err()
        }
        _ => None,
    };
    match refused {
        Some(error) => {
            let response = if request.path().starts_with("/api/") {
                error.error_response()
            } else {
                crate::web::too_many_requests_page(
                    request.request(),
                    error.retry_after_seconds().unwrap_or(1),
                )
            };
            Ok(request.into_response(response.map_into_right_body()))
        }
        None => next
            .call(request)
            .await
            .map(ServiceResponse::map_into_left_body),
    }
}

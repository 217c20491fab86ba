//! A path and the methods it takes. Every GET route also answers HEAD, and any other method
//! is `405` with the `Allow` header RFC 9110 requires, so a client learns what the path takes.

use actix_web::dev::{AppService, HttpServiceFactory};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, Handler, HttpRequest, HttpResponse, Resource, Responder, guard, web};

pub struct Endpoint {
    resource: Resource,
    allowed: Vec<&'static str>,
}

/// Starts the routes of one path; register it with `.service(…)` once its methods are added.
pub fn endpoint(path: &str) -> Endpoint {
    Endpoint {
        resource: web::resource(path),
        allowed: Vec::new(),
    }
}

impl Endpoint {
    pub fn get<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        // The server sends a HEAD answer's headers and drops its body.
        let get_or_head = guard::Any(guard::Get()).or(guard::Head());
        self.method(&["GET", "HEAD"], web::route().guard(get_or_head), handler)
    }

    pub fn post<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.method(&["POST"], web::post(), handler)
    }

    pub fn put<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.method(&["PUT"], web::put(), handler)
    }

    pub fn delete<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.method(&["DELETE"], web::delete(), handler)
    }

    fn method<F, Args>(
        mut self,
        names: &[&'static str],
        route: actix_web::Route,
        handler: F,
    ) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.resource = self.resource.route(route.to(handler));
        self.allowed.extend(names);
        self
    }
}

impl HttpServiceFactory for Endpoint {
    fn register(self, config: &mut AppService) {
        let allow = self.allowed.join(", ");
        self.resource
            .default_service(web::to(move |request: HttpRequest| {
                let allow = allow.clone();
                async move { method_not_allowed(&request, &allow) }
            }))
            .register(config);
    }
}

fn method_not_allowed(request: &HttpRequest, allow: &str) -> HttpResponse {
    let mut response = if crate::web::wants_page(request) {
        crate::web::error_page(request, StatusCode::METHOD_NOT_ALLOWED)
    } else {
        super::problem(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "Method Not Allowed",
            &format!("This path takes {allow}; see /api/openapi.json."),
        )
    };
    if let Ok(value) = HeaderValue::from_str(allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

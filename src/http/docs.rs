//! `/api/docs`: the API document in Swagger UI, whose files are built into the binary (vendored
//! from the npm package `swagger-ui-dist`, see `assets/swagger-ui/VERSION`) so that the page works
//! where no CDN can be reached.

use actix_web::HttpResponse;
use actix_web::http::header::{self, HeaderValue};

const BUNDLE: &str = include_str!("../../assets/swagger-ui/swagger-ui-bundle.js");
const STYLESHEET: &str = include_str!("../../assets/swagger-ui/swagger-ui.css");

/// Starts Swagger UI on the served document; a file of its own, as the page allows no inline
/// script.
const INIT: &str = r##"window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({ url: "/api/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
});
"##;

const PAGE: &str = r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>borderslot API</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body>
</html>
"##;

/// Swagger UI styles its widgets inline and draws its icons from `data:` images; nothing else
/// comes from anywhere but this server.
const POLICY: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                      frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

fn file(body: &'static str, content_type: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(content_type)))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CONTENT_SECURITY_POLICY, POLICY))
        .body(body)
}

pub async fn page() -> HttpResponse {
    file(PAGE, "text/html; charset=utf-8")
}

pub async fn bundle() -> HttpResponse {
    file(BUNDLE, "text/javascript; charset=utf-8")
}

pub async fn stylesheet() -> HttpResponse {
    file(STYLESHEET, "text/css; charset=utf-8")
}

pub async fn init() -> HttpResponse {
    file(INIT, "text/javascript; charset=utf-8")
}

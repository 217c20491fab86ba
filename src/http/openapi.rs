//! The OpenAPI 3 description of the API, served at `/api/openapi.json`. Written by hand to stay
//! readable; a test walks every operation in it against the real router, and the test command
//! fuzzes the running server against it (`scripts/api-contract`, schemathesis with every check),
//! so a status, a field or a rule the document does not state fails the build.

use actix_web::HttpResponse;
use serde_json::{Value, json};

/// What the server accepts as a plate: 2 to 12 letters and digits, with spaces, dashes and dots
/// anywhere, Cyrillic letters that look Latin read as those.
const PLATE_PATTERN: &str =
    "^[ .\\u00a0-]*([A-Za-z0-9авеікмнорстухАВЕІКМНОРСТУХ][ .\\u00a0-]*){2,12}$";
const U32_MAX: u32 = u32::MAX;

/// The operations a booking just made can be managed through, with its code and manage token.
fn with_booking_links(mut responses: Value) -> Value {
    let by_code = json!({ "code": "$response.body#/code", "header.X-Manage-Token": "$response.body#/manage_token" });
    let links: serde_json::Map<String, Value> = [
        "getBooking",
        "bookingCalendar",
        "confirmBooking",
        "rescheduleBooking",
        "acceptMove",
        "cancelBooking",
    ]
    .into_iter()
    .map(|operation| {
        let link = json!({ "operationId": operation, "parameters": by_code });
        (operation.to_owned(), link)
    })
    .collect();
    if let Some(Value::Object(response)) = responses
        .as_object_mut()
        .and_then(|r| r.values_mut().next())
    {
        response.insert("links".to_owned(), Value::Object(links));
    }
    responses
}

/// What any API operation may answer besides what its entry lists: every route is rate-limited
/// and needs the store; signed routes refuse a missing or weak token; input can be malformed or
/// invalid; an idempotent request can find its key in use or reused. Every request body is a
/// closed object, as the server refuses fields it does not know.
fn complete(document: &mut Value) {
    let Some(paths) = document["paths"].as_object_mut() else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for operation in item.values_mut() {
            let mut statuses = vec![];
            if path.starts_with("/api/v1/") {
                statuses.extend([429, 503]);
            }
            if operation.get("security").is_some() {
                statuses.extend([401, 403]);
            }
            let parameters = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let takes = |place: &str| parameters.iter().any(|p| p["in"] == place);
            if operation.get("requestBody").is_some() || takes("query") || takes("header") {
                statuses.extend([400, 422]);
            }
            if takes("path") {
                statuses.push(404);
            }
            if parameters.iter().any(|p| p["name"] == "Idempotency-Key") {
                statuses.extend([409, 422]);
            }
            if let Some(responses) = operation["responses"].as_object_mut() {
                for (status, problem) in problem_responses(&statuses)
                    .as_object()
                    .into_iter()
                    .flatten()
                {
                    responses
                        .entry(status.clone())
                        .or_insert_with(|| problem.clone());
                }
            }
            let schema = &mut operation["requestBody"]["content"]["application/json"]["schema"];
            if let Some(schema) = schema.as_object_mut()
                && schema.get("type").is_some_and(|t| t == "object")
            {
                schema
                    .entry("additionalProperties")
                    .or_insert(Value::Bool(false));
            }
        }
    }
}

fn problem_responses(statuses: &[u16]) -> Value {
    let mut responses = serde_json::Map::new();
    for status in statuses {
        responses.insert(
            status.to_string(),
            json!({
                "description": "Problem details (RFC 9457)",
                "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } }
            }),
        );
    }
    Value::Object(responses)
}

fn merge(mut base: Value, extra: Value) -> Value {
    if let (Some(base), Value::Object(extra)) = (base.as_object_mut(), extra) {
        base.extend(extra);
    }
    base
}

fn waitlist_ok(status: u16, description: &str) -> Value {
    json!({ status.to_string(): {
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/WaitlistEntry" } } }
    }})
}

/// The operations an entry just made can be used through, with its id and token.
fn with_entry_links(mut responses: Value) -> Value {
    let by_id =
        json!({ "id": "$response.body#/id", "header.X-Manage-Token": "$response.body#/token" });
    let links: serde_json::Map<String, Value> = [
        "getWaitlistEntry",
        "acceptWaitlistOffer",
        "declineWaitlistOffer",
        "leaveWaitlist",
    ]
    .into_iter()
    .map(|operation| {
        let link = json!({ "operationId": operation, "parameters": by_id });
        (operation.to_owned(), link)
    })
    .collect();
    if let Some(Value::Object(response)) = responses
        .as_object_mut()
        .and_then(|r| r.values_mut().next())
    {
        response.insert("links".to_owned(), Value::Object(links));
    }
    responses
}

fn booking_ok(status: u16, description: &str) -> Value {
    json!({ status.to_string(): {
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Booking" } } }
    }})
}

pub fn document() -> Value {
    let code = json!({ "name": "code", "in": "path", "required": true, "schema": { "type": "string" }, "example": "ABCD-2345" });
    let token = json!({ "name": "X-Manage-Token", "in": "header", "required": false, "schema": { "type": "string" },
        "description": "The manage token returned when the booking was made; `Authorization: Bearer` or `?token=` work too. The owner signed in through the OpenID Connect provider (or their carrier organisation's staff) may send `Authorization: Bearer <the provider's access token>` instead." });
    let idempotency = json!({ "name": "Idempotency-Key", "in": "header", "required": false, "schema": { "type": "string", "pattern": "^[!-~]{1,255}$" },
        "description": "Retries with the same key get the first answer; a different body with the same key is 422." });
    let entry_id = json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string" }, "example": "5f0c6a52-8a53-4b1e-9a51-0f8f3c1f9b2e" });
    let entry_token = json!({ "name": "X-Manage-Token", "in": "header", "required": false, "schema": { "type": "string" },
        "description": "The token returned when the entry was made (also in the link of an offer's notification); `Authorization: Bearer` or `?token=` work too." });
    let checkpoint =
        json!({ "type": "string", "pattern": "^[a-z0-9-]{1,40}$", "example": "narva" });
    let plate = json!({ "type": "string", "pattern": PLATE_PATTERN, "example": "123 ABC",
        "description": "Spaces, dashes and dots are ignored; Cyrillic look-alike letters read as Latin" });
    let priority = json!({ "type": "string", "enum": ["normal", "humanitarian", "perishable", "diplomatic", "emergency"], "nullable": true });
    let categories = json!({ "type": "array", "items": { "type": "string", "enum": ["car", "truck", "bus", "motorcycle"] } });
    let plate_param = json!({ "name": "plate", "in": "path", "required": true, "schema": { "type": "string", "pattern": PLATE_PATTERN },
        "description": "Spaces, dashes and dots are ignored; Cyrillic look-alike letters read as Latin" });
    let mut document = json!({
        "openapi": "3.0.3",
        "info": {
            "title": "borderslot",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Arrival-window bookings for road border checkpoints. Errors are application/problem+json."
        },
        "paths": {
            "/healthz": { "get": { "summary": "Liveness", "operationId": "healthz", "responses": { "200": { "description": "Alive" } } } },
            "/readyz": { "get": { "summary": "Readiness: the store answers", "operationId": "readyz",
                "responses": merge(json!({ "200": { "description": "Ready" } }), problem_responses(&[503])) } },
            "/metrics": { "get": { "summary": "Prometheus metrics (text format)", "operationId": "metrics", "responses": { "200": { "description": "Metrics" } } } },
            "/api/openapi.json": { "get": { "summary": "This document", "operationId": "openapi", "responses": { "200": { "description": "OpenAPI 3 document" } } } },
            "/api/v1/checkpoints": { "get": { "summary": "Checkpoints and their categories", "operationId": "listCheckpoints",
                "responses": { "200": { "description": "All checkpoints" } } } },
            "/api/v1/checkpoints/{id}/availability": { "get": {
                "summary": "Windows of one day with free places", "operationId": "availability",
                "parameters": [
                    { "name": "id", "in": "path", "required": true, "schema": { "type": "string" }, "example": "narva" },
                    { "name": "date", "in": "query", "schema": { "type": "string", "format": "date" }, "description": "Local date; today by default" },
                    { "name": "direction", "in": "query", "schema": { "type": "string", "enum": ["entry", "exit"] } },
                    { "name": "category", "in": "query", "schema": { "type": "string", "enum": ["car", "truck", "bus", "motorcycle"] } }
                ],
                "responses": merge(json!({ "200": { "description": "Windows" } }), problem_responses(&[400, 404, 422, 503]))
            } },
            "/api/v1/checkpoints/{id}/status": { "get": {
                "summary": "Live queue view: how full today's and tomorrow's windows are per lane, vehicles checked in and still expected today, and the next free window", "operationId": "checkpointStatus",
                "parameters": [
                    { "name": "id", "in": "path", "required": true, "schema": { "type": "string" }, "example": "narva" }
                ],
                "responses": merge(json!({ "200": { "description": "Status per direction and category" } }), problem_responses(&[404, 503]))
            } },
            "/api/v1/checkpoints/{id}/best-times": { "get": {
                "summary": "The best time to cross: expected bookings per local hour of the coming days, from the demand forecast, with the quiet hours marked (at most quiet_share_of_mean of the day's mean hour)", "operationId": "bestTimes",
                "parameters": [
                    { "name": "id", "in": "path", "required": true, "schema": { "type": "string" }, "example": "narva" },
                    { "name": "days", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 14, "default": 7 }, "description": "Days from today at the checkpoint" },
                    { "name": "category", "in": "query", "schema": { "type": "string", "enum": ["car", "truck", "bus", "motorcycle"] }, "description": "One category; all summed by default" }
                ],
                "responses": merge(json!({ "200": { "description": "Expected demand per day and hour",
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/BestTimes" } } } } }),
                    problem_responses(&[400, 404, 422, 503]))
            } },
            "/api/v1/stats": { "get": {
                "summary": "Booking statistics per local day, hour and category, counted from the events", "operationId": "statistics",
                "security": [{ "bearer": [] }],
                "parameters": [
                    { "name": "checkpoint", "in": "query", "required": true, "schema": { "type": "string" }, "example": "narva" },
                    { "name": "from", "in": "query", "schema": { "type": "string", "format": "date" }, "description": "First local day; today by default" },
                    { "name": "to", "in": "query", "schema": { "type": "string", "format": "date" }, "description": "Last local day; `from` by default; at most 93 days in all" }
                ],
                "responses": merge(json!({ "200": { "description": "Rows and totals" } }), problem_responses(&[400, 404, 422, 503]))
            } },
            "/api/v1/reports/daily": { "get": {
                "summary": "Daily report of one checkpoint: occupancy per direction, category and local hour next to the day's booking counts", "operationId": "dailyReport",
                "security": [{ "bearer": [] }],
                "parameters": [
                    { "name": "checkpoint", "in": "query", "required": true, "schema": { "type": "string" }, "example": "narva" },
                    { "name": "date", "in": "query", "schema": { "type": "string", "format": "date" }, "description": "Local date; yesterday at the checkpoint by default" },
                    { "name": "format", "in": "query", "schema": { "type": "string", "enum": ["json", "csv"], "default": "json" },
                      "description": "csv answers text/csv as an attachment named <checkpoint>-<date>.csv" }
                ],
                "responses": merge(json!({ "200": { "description": "The report",
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/DailyReport" } }, "text/csv": { "schema": { "type": "string" } } } } }),
                    problem_responses(&[400, 404, 422, 503]))
            } },
            "/api/v1/forecast": { "get": {
                "summary": "Expected confirmations per local hour, learned from the statistics, with the model's backtest", "operationId": "forecast",
                "security": [{ "bearer": [] }],
                "parameters": [
                    { "name": "checkpoint", "in": "query", "required": true, "schema": { "type": "string" }, "example": "narva" },
                    { "name": "from", "in": "query", "schema": { "type": "string", "format": "date" }, "description": "First local day; tomorrow by default; from 366 days before to 92 days after today" },
                    { "name": "days", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 14, "default": 7 } },
                    { "name": "category", "in": "query", "schema": { "type": "string", "enum": ["car", "truck", "bus", "motorcycle"] }, "description": "One category; all summed by default" }
                ],
                "responses": merge(json!({ "200": { "description": "The forecast",
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Forecast" } } } } }),
                    problem_responses(&[400, 404, 422, 503]))
            } },
            "/api/v1/auth/login": { "post": {
                "summary": "Staff sign-in: name and password for a 15-minute access token and a refresh token", "operationId": "login",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["name", "password"],
                    "properties": { "name": { "type": "string" }, "password": { "type": "string", "format": "password" } } } } } },
                "responses": merge(json!({ "200": { "description": "access_token, token_type, expires_in, refresh_token, role" } }), problem_responses(&[400, 401, 422, 503]))
            } },
            "/api/v1/auth/refresh": { "post": {
                "summary": "Spend a refresh token for a new access and refresh token", "operationId": "refresh",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["refresh_token"],
                    "properties": { "refresh_token": { "type": "string" } } } } } },
                "responses": merge(json!({ "200": { "description": "A new pair" } }), problem_responses(&[400, 401, 422, 503]))
            } },
            "/api/v1/auth/logout": { "post": {
                "summary": "Revoke a refresh token", "operationId": "logout",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["refresh_token"],
                    "properties": { "refresh_token": { "type": "string" } } } } } },
                "responses": merge(json!({ "204": { "description": "Signed out" } }), problem_responses(&[400, 422, 503]))
            } },
            "/api/v1/admin/checkpoints/{id}/blocks": { "post": {
                "summary": "Admin: block the windows of one local day in a time range, direction and categories; free_only keeps bookings, cancel_affected cancels them, move_affected moves them to the nearest windows with room (the same day first, then the next; a booking neither can take is cancelled)", "operationId": "blockWindows",
                "security": [{ "bearer": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" }, "example": "narva" }, idempotency.clone()],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["from", "to", "reason"],
                    "properties": { "from": { "type": "string", "format": "date-time" }, "to": { "type": "string", "format": "date-time" },
                        "direction": { "type": "string", "enum": ["entry", "exit"], "nullable": true }, "categories": categories.clone(),
                        "reason": { "type": "string", "minLength": 1, "maxLength": 500 },
                        "mode": { "type": "string", "enum": ["free_only", "cancel_affected", "move_affected"], "default": "free_only", "nullable": true } } } } } },
                "responses": merge(json!({ "200": { "description": "The windows blocked" } }), problem_responses(&[400, 401, 403, 404, 422, 503]))
            } },
            "/api/v1/admin/checkpoints/{id}/unblocks": { "post": {
                "summary": "Admin: open blocked windows again", "operationId": "unblockWindows",
                "security": [{ "bearer": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" }, "example": "narva" }, idempotency.clone()],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["from", "to"],
                    "properties": { "from": { "type": "string", "format": "date-time" }, "to": { "type": "string", "format": "date-time" },
                        "direction": { "type": "string", "enum": ["entry", "exit"], "nullable": true }, "categories": categories.clone() } } } } },
                "responses": merge(json!({ "200": { "description": "The windows opened" } }), problem_responses(&[400, 401, 403, 404, 422, 503]))
            } },
            "/api/v1/admin/checkpoints/{id}": { "put": {
                "summary": "Admin: create a checkpoint or change its schedule template; days scheduled from now on follow it", "operationId": "putCheckpoint",
                "security": [{ "bearer": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "pattern": "^[a-z0-9-]{1,40}$" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object",
                    "required": ["name", "time_zone", "window_minutes", "directions", "capacity"],
                    "properties": { "name": { "type": "string" }, "time_zone": { "type": "string", "example": "Europe/Tallinn" },
                        "neighbour_time_zone": { "type": "string", "nullable": true, "example": "Europe/Moscow", "description": "The time zone across the border, when it is another one" },
                        "window_minutes": { "type": "integer", "minimum": 0, "maximum": U32_MAX, "example": 60 },
                        "directions": { "type": "array", "items": { "type": "string", "enum": ["entry", "exit"] } },
                        "capacity": { "type": "object", "description": "per category: { capacity, reserved }",
                            "example": { "car": { "capacity": 40, "reserved": 4 } } },
                        "calendar": { "type": "object", "description": "rules: [{ category, weekdays (1–7), from_hour, to_hour, capacity, reserved }] (later ones win); holidays: [{ date, capacity_percent }]" } } } } } },
                "responses": merge(json!({ "200": { "description": "Changed" }, "201": { "description": "Created" } }), problem_responses(&[400, 401, 403, 422, 503]))
            } },
            "/api/v1/admin/checkpoints/{id}/reserved": { "post": {
                "summary": "Admin: keep places of the windows of one local day in a time range for priority classes (humanitarian, perishable, diplomatic, emergency)", "operationId": "reservePlaces",
                "security": [{ "bearer": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" }, "example": "narva" }, idempotency.clone()],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["from", "to", "reserved"],
                    "properties": { "from": { "type": "string", "format": "date-time" }, "to": { "type": "string", "format": "date-time" },
                        "direction": { "type": "string", "enum": ["entry", "exit"], "nullable": true }, "categories": categories.clone(),
                        "reserved": { "type": "integer", "minimum": 0, "maximum": U32_MAX } } } } } },
                "responses": merge(json!({ "200": { "description": "The windows changed" } }), problem_responses(&[400, 401, 403, 404, 422, 503]))
            } },
            "/api/v1/admin/checkpoints/{id}/capacity": { "post": {
                "summary": "Admin: set the places of the windows of one local day in a time range, a day already scheduled (a template change applies to days scheduled later); never below the places taken or reserved. Places gained go to the waitlist first", "operationId": "setCapacity",
                "security": [{ "bearer": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" }, "example": "narva" }, idempotency.clone()],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["from", "to", "capacity"],
                    "properties": { "from": { "type": "string", "format": "date-time" }, "to": { "type": "string", "format": "date-time" },
                        "direction": { "type": "string", "enum": ["entry", "exit"], "nullable": true }, "categories": categories.clone(),
                        "capacity": { "type": "integer", "minimum": 0, "maximum": 100000 } } } } } },
                "responses": merge(json!({ "200": { "description": "The windows changed" } }), problem_responses(&[400, 401, 403, 404, 422, 503]))
            } },
            "/api/v1/admin/audit": { "get": {
                "summary": "Admin: the latest admin and operator actions, newest first", "operationId": "auditLog",
                "security": [{ "bearer": [] }],
                "parameters": [{ "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 1000, "default": 100 } }],
                "responses": merge(json!({ "200": { "description": "Entries: at, actor, action, target, before, after" } }), problem_responses(&[400, 401, 403, 503]))
            } },
            "/api/v1/admin/api-keys": {
                "post": { "summary": "Admin: create a carrier API key; the key is in this answer only", "operationId": "createApiKey",
                    "security": [{ "bearer": [] }], "parameters": [idempotency.clone()],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["name"],
                        "properties": { "name": { "type": "string" },
                            "requests_per_second": { "type": "integer", "minimum": 0, "maximum": U32_MAX, "default": 20, "nullable": true },
                            "burst": { "type": "integer", "minimum": 0, "maximum": U32_MAX, "default": 40, "nullable": true },
                            "active_bookings_max": { "type": "integer", "minimum": 0, "maximum": U32_MAX, "default": 200, "nullable": true },
                            "privileged": { "type": "boolean", "default": false, "description": "may book the capacity reserved for priority classes" } } } } } },
                    "responses": merge(json!({ "201": { "description": "The key (shown once) and its limits" } }), problem_responses(&[400, 401, 403, 422, 503])) },
                "get": { "summary": "Admin: every API key, without the keys themselves", "operationId": "listApiKeys",
                    "security": [{ "bearer": [] }],
                    "responses": merge(json!({ "200": { "description": "Keys" } }), problem_responses(&[401, 403, 503])) }
            },
            "/api/v1/admin/api-keys/{id}": { "delete": {
                "summary": "Admin: revoke an API key", "operationId": "revokeApiKey",
                "security": [{ "bearer": [] }],
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } }],
                "responses": merge(json!({ "204": { "description": "Revoked" } }), problem_responses(&[401, 403, 404, 503]))
            } },
            "/api/v1/carrier/bookings": { "get": {
                "summary": "Carrier: its active bookings (sign with Authorization: Bearer <API key>)", "operationId": "carrierBookings",
                "security": [{ "apiKey": [] }],
                "responses": merge(json!({ "200": { "description": "Bookings" } }), problem_responses(&[401, 429, 503]))
            } },
            "/api/v1/operator/plates/{plate}": { "get": {
                "summary": "Operator: a plate's strikes (no-shows, own cancellations) and whether it is barred from booking", "operationId": "plate",
                "security": [{ "bearer": [] }],
                "parameters": [plate_param.clone()],
                "responses": merge(json!({ "200": { "description": "strikes and barred_until" } }), problem_responses(&[401, 403, 422, 503]))
            } },
            "/api/v1/admin/bars/{plate}": { "delete": {
                "summary": "Admin: lift a plate's bar; earlier strikes no longer count", "operationId": "liftBar",
                "security": [{ "bearer": [] }],
                "parameters": [plate_param.clone()],
                "responses": merge(json!({ "204": { "description": "Lifted" } }), problem_responses(&[401, 403, 422, 503]))
            } },
            "/api/v1/operator/walk-ins": { "post": {
                "summary": "Operator: register a vehicle that came without a booking into the next window with a free place, checked in", "operationId": "walkIn",
                "security": [{ "bearer": [] }], "parameters": [idempotency.clone()],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["checkpoint", "direction", "category", "plate"],
                    "properties": { "checkpoint": checkpoint.clone(), "direction": { "type": "string", "enum": ["entry", "exit"] },
                        "category": { "type": "string", "enum": ["car", "truck", "bus", "motorcycle"] }, "plate": plate.clone(),
                        "contact": { "type": "string", "nullable": true }, "priority": priority.clone() } } } } },
                "responses": merge(json!({ "201": { "description": "The booking, arrived" } }), problem_responses(&[400, 401, 403, 409, 422, 503]))
            } },
            "/api/v1/operator/check-ins": { "post": {
                "summary": "Operator: check a confirmed booking in by its code, or by checkpoint and plate (a number-plate camera), within the arrival tolerance", "operationId": "checkIn",
                "security": [{ "bearer": [] }], "parameters": [idempotency.clone()],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object",
                    "properties": { "code": { "type": "string", "example": "ABCD-2345", "nullable": true }, "checkpoint": merge(checkpoint.clone(), json!({ "nullable": true })),
                        "plate": merge(plate.clone(), json!({ "nullable": true })), "direction": { "type": "string", "enum": ["entry", "exit"], "nullable": true } } } } } },
                "responses": merge(json!({ "200": { "description": "The booking, arrived" } }), problem_responses(&[400, 401, 403, 404, 409, 422, 503]))
            } },
            "/api/v1/account/bookings": { "get": {
                "summary": "Signed-in person: their active bookings and, for a carrier organisation's staff, the organisation's (Authorization: Bearer <the OpenID Connect provider's access token>)",
                "operationId": "accountBookings",
                "security": [{ "account": [] }],
                "responses": merge(json!({ "200": { "description": "Who is signed in, and the bookings",
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/AccountBookings" } } } } }),
                    problem_responses(&[401, 503]))
            } },
            "/api/v1/account/bookings/{code}/claim": { "post": {
                "summary": "Signed-in person: make a booking made without signing in theirs, proven by its code and manage token",
                "operationId": "claimBooking",
                "security": [{ "account": [] }],
                "parameters": [code.clone(), { "name": "X-Manage-Token", "in": "header", "required": false, "schema": { "type": "string" },
                    "description": "The booking's manage token (required)" }],
                "responses": merge(booking_ok(200, "The booking, now the signed-in person's"), problem_responses(&[401, 404, 503]))
            } },
            "/api/v1/bookings": { "post": {
                "summary": "Hold a window (and confirm at once with \"confirm\": true)", "operationId": "createBooking",
                "parameters": [idempotency.clone()],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/CreateBooking" } } } },
                "responses": merge(with_booking_links(booking_ok(201, "Held or confirmed; carries the manage token, shown only here")),
                    problem_responses(&[400, 401, 403, 409, 422, 503]))
            } },
            "/api/v1/bookings/{code}": {
                "get": { "summary": "Read a booking", "operationId": "getBooking", "parameters": [code.clone(), token.clone()],
                    "responses": merge(booking_ok(200, "The booking"), problem_responses(&[401, 404])) },
                "delete": { "summary": "Cancel a booking", "operationId": "cancelBooking", "parameters": [code.clone(), token.clone(), idempotency.clone()],
                    "responses": merge(booking_ok(200, "Cancelled"), problem_responses(&[401, 404, 409, 410, 503])) }
            },
            "/api/v1/bookings/{code}.ics": { "get": { "summary": "The booking as an iCalendar file", "operationId": "bookingCalendar",
                "parameters": [code.clone(), token.clone()],
                "responses": merge(json!({ "200": { "description": "text/calendar" } }), problem_responses(&[401, 404])) } },
            "/api/v1/bookings/{code}/confirm": { "post": {
                "summary": "Confirm a hold with plate and contact", "operationId": "confirmBooking",
                "parameters": [code.clone(), token.clone(), idempotency.clone()],
                "requestBody": { "required": false, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ConfirmBooking" } } } },
                "responses": merge(booking_ok(200, "Confirmed"), problem_responses(&[400, 401, 404, 409, 410, 422, 503]))
            } },
            "/api/v1/bookings/{code}/accept-move": { "post": {
                "summary": "Keep the window the checkpoint moved the booking to when it closed the booking's window (reslotted_from is set until then)", "operationId": "acceptMove",
                "parameters": [code.clone(), token.clone(), idempotency.clone()],
                "responses": merge(booking_ok(200, "Kept; reslotted_from is null"), problem_responses(&[401, 404, 409, 410, 503]))
            } },
            "/api/v1/waitlist": { "post": {
                "summary": "Wait for a place in windows that are full: named windows (window_starts) or every window starting in [from, to) of one day and lane. A place that frees up is offered to the first waiting driver (priority classes first, then who came first) as a hold of WAITLIST_OFFER_MINUTES. With a booking's code (and its manage token), wait for an earlier window of its day: the booking stays until the offer is accepted", "operationId": "joinWaitlist",
                "parameters": [idempotency.clone()],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/JoinWaitlist" } } } },
                "responses": merge(with_entry_links(waitlist_ok(201, "Waiting; carries the entry's token, which opens it")),
                    problem_responses(&[400, 401, 403, 404, 409, 422, 503]))
            } },
            "/api/v1/waitlist/{id}": {
                "get": { "summary": "Read a waitlist entry: its status, position, and the offer while one is held", "operationId": "getWaitlistEntry",
                    "parameters": [entry_id.clone(), entry_token.clone()],
                    "responses": merge(waitlist_ok(200, "The entry"), problem_responses(&[401, 404])) },
                "delete": { "summary": "Leave the waitlist; an offer held goes to the next waiting driver", "operationId": "leaveWaitlist",
                    "parameters": [entry_id.clone(), entry_token.clone(), idempotency.clone()],
                    "responses": merge(waitlist_ok(200, "Left"), problem_responses(&[401, 404, 409, 410, 503])) }
            },
            "/api/v1/waitlist/{id}/accept": { "post": {
                "summary": "Take the place offered: it becomes a confirmed booking managed with the entry's token, or the entry's booking moves into it and gives its old window back", "operationId": "acceptWaitlistOffer",
                "parameters": [entry_id.clone(), entry_token.clone(), idempotency.clone()],
                "responses": merge(json!({ "200": { "description": "Accepted",
                    "content": { "application/json": { "schema": { "type": "object", "additionalProperties": false, "required": ["entry", "booking"], "properties": {
                        "entry": { "$ref": "#/components/schemas/WaitlistEntry" }, "booking": { "$ref": "#/components/schemas/Booking" } } } } } } }),
                    problem_responses(&[401, 404, 409, 410, 503]))
            } },
            "/api/v1/waitlist/{id}/decline": { "post": {
                "summary": "Turn the place offered down; it goes to the next waiting driver and the entry ends", "operationId": "declineWaitlistOffer",
                "parameters": [entry_id, entry_token, idempotency.clone()],
                "responses": merge(waitlist_ok(200, "Declined"), problem_responses(&[401, 404, 409, 410, 503]))
            } },
            "/api/v1/bookings/{code}/reschedule": { "post": {
                "summary": "Move a booking to another window; the original stays if the move fails", "operationId": "rescheduleBooking",
                "parameters": [code, token, idempotency],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/RescheduleBooking" } } } },
                "responses": merge(booking_ok(200, "Moved"), problem_responses(&[400, 401, 404, 409, 410, 422, 503]))
            } }
        },
        "components": { "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "A staff access token from /api/v1/auth/login, or an access token of the OpenID Connect provider for someone it gives a staff role (OIDC_STAFF_ROLES)" }, "apiKey": { "type": "http", "scheme": "bearer", "description": "A carrier's API key, bsk_…" },
            "account": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "An access token of the OpenID Connect provider (OIDC_ISSUER), for the audience OIDC_AUDIENCE" } }, "schemas": {
            "AccountBookings": { "type": "object", "additionalProperties": false, "required": ["subject", "name", "bookings"], "properties": {
                "subject": { "type": "string", "description": "The provider's subject" },
                "name": { "type": "string" },
                "organisation": { "type": "string", "nullable": true, "description": "The carrier organisation whose bookings are listed too" },
                "bookings": { "type": "array", "items": { "$ref": "#/components/schemas/Booking" } } } },
            "Problem": { "type": "object", "required": ["type", "title", "status"], "properties": {
                "type": { "type": "string" }, "title": { "type": "string" }, "status": { "type": "integer" },
                "detail": { "type": "string" },
                "errors": { "type": "array", "items": { "type": "object", "properties": { "field": { "type": "string" }, "reason": { "type": "string" } } } } } },
            "Occupancy": { "type": "object", "description": "Windows added up; utilisation_percent is taken / capacity (null without capacity)", "properties": {
                "windows": { "type": "integer" }, "blocked_windows": { "type": "integer" }, "capacity": { "type": "integer" },
                "held": { "type": "integer" }, "confirmed": { "type": "integer" }, "taken": { "type": "integer" },
                "utilisation_percent": { "type": "number", "nullable": true } } },
            "BookingCounts": { "type": "object", "description": "Counted from the booking events", "properties": {
                "holds": { "type": "integer" }, "confirmations": { "type": "integer" }, "cancellations": { "type": "integer" },
                "expiries": { "type": "integer" }, "no_shows": { "type": "integer" }, "arrivals": { "type": "integer" },
                "reschedules": { "type": "integer" }, "mean_lead_time_hours": { "type": "number", "nullable": true },
                "waitlist_joins": { "type": "integer" }, "waitlist_offers": { "type": "integer" },
                "waitlist_accepted": { "type": "integer" }, "waitlist_expired": { "type": "integer" } } },
            "DailyReport": { "type": "object", "properties": {
                "checkpoint": { "type": "string" }, "name": { "type": "string" }, "date": { "type": "string", "format": "date" },
                "time_zone": { "type": "string" },
                "day": { "allOf": [{ "$ref": "#/components/schemas/Occupancy" }, { "$ref": "#/components/schemas/BookingCounts" }] },
                "categories": { "type": "array", "items": { "allOf": [
                    { "type": "object", "properties": { "category": { "type": "string" } } },
                    { "$ref": "#/components/schemas/Occupancy" }, { "$ref": "#/components/schemas/BookingCounts" }] } },
                "lines": { "type": "array", "items": { "allOf": [
                    { "type": "object", "properties": { "direction": { "type": "string" }, "category": { "type": "string" } } },
                    { "$ref": "#/components/schemas/Occupancy" }] } },
                "hours": { "type": "array", "items": { "allOf": [
                    { "type": "object", "properties": { "hour": { "type": "integer", "minimum": 0, "maximum": 23 } } },
                    { "$ref": "#/components/schemas/Occupancy" }, { "$ref": "#/components/schemas/BookingCounts" }] } } } },
            "Forecast": { "type": "object", "properties": {
                "checkpoint": { "type": "string" }, "time_zone": { "type": "string" },
                "category": { "type": "string", "nullable": true },
                "from": { "type": "string", "format": "date" }, "to": { "type": "string", "format": "date" },
                "model": { "type": "object", "description": "kind: holt_winters (with alpha, beta, gamma), seasonal_naive or mean", "properties": {
                    "kind": { "type": "string", "enum": ["holt_winters", "seasonal_naive", "mean"] },
                    "alpha": { "type": "number" }, "beta": { "type": "number" }, "gamma": { "type": "number" } } },
                "backtest": { "type": "object", "nullable": true, "description": "Errors on the last two weeks of history held out, next to a seasonal-naive forecast's", "properties": {
                    "smape_percent": { "type": "number" }, "mae": { "type": "number" },
                    "naive_smape_percent": { "type": "number" }, "naive_mae": { "type": "number" }, "hours": { "type": "integer" } } },
                "history": { "type": "object", "nullable": true, "properties": {
                    "from": { "type": "string", "format": "date" }, "to": { "type": "string", "format": "date" },
                    "days": { "type": "integer" }, "hours": { "type": "integer" } } },
                "days": { "type": "array", "items": { "type": "object", "properties": {
                    "date": { "type": "string", "format": "date" }, "expected": { "type": "number" } } } },
                "hours": { "type": "array", "items": { "type": "object", "properties": {
                    "date": { "type": "string", "format": "date" }, "hour": { "type": "integer" }, "expected": { "type": "number" } } } } } },
            "BestTimes": { "type": "object", "additionalProperties": false,
                "required": ["checkpoint", "name", "time_zone", "category", "from", "to", "quiet_share_of_mean", "days"], "properties": {
                "checkpoint": { "type": "string" }, "name": { "type": "string" }, "time_zone": { "type": "string" },
                "category": { "type": "string", "enum": ["car", "truck", "bus", "motorcycle"], "nullable": true },
                "from": { "type": "string", "format": "date" }, "to": { "type": "string", "format": "date" },
                "quiet_share_of_mean": { "type": "number" },
                "days": { "type": "array", "items": { "type": "object", "additionalProperties": false,
                    "required": ["date", "expected", "quiet_hours", "hours"], "properties": {
                    "date": { "type": "string", "format": "date" }, "expected": { "type": "number", "minimum": 0 },
                    "quiet_hours": { "type": "array", "items": { "type": "integer", "minimum": 0, "maximum": 23 } },
                    "hours": { "type": "array", "items": { "type": "object", "additionalProperties": false,
                        "required": ["hour", "expected", "quiet"], "properties": {
                        "hour": { "type": "integer", "minimum": 0, "maximum": 23 }, "expected": { "type": "number", "minimum": 0 },
                        "quiet": { "type": "boolean" } } } } } } } } },
            "CreateBooking": { "type": "object", "additionalProperties": false,
                "required": ["checkpoint", "direction", "category", "window_start"], "properties": {
                "checkpoint": checkpoint.clone(),
                "direction": { "type": "string", "enum": ["entry", "exit"] },
                "category": { "type": "string", "enum": ["car", "truck", "bus", "motorcycle"] },
                "window_start": { "type": "string", "format": "date-time" },
                "plate": merge(plate.clone(), json!({ "nullable": true })),
                "contact": { "type": "string", "example": "+372 5555 1234", "nullable": true },
                "priority": priority.clone(),
                "confirm": { "type": "boolean", "default": false } } },
            "JoinWaitlist": { "type": "object", "additionalProperties": false,
                "description": "Either checkpoint, direction, category, plate and contact, or booking (a code, with the booking's manage token); and either window_starts or from and to",
                "properties": {
                "checkpoint": checkpoint.clone(),
                "direction": { "type": "string", "enum": ["entry", "exit"] },
                "category": { "type": "string", "enum": ["car", "truck", "bus", "motorcycle"] },
                "window_starts": { "type": "array", "items": { "type": "string", "format": "date-time" }, "minItems": 1 },
                "from": { "type": "string", "format": "date-time" },
                "to": { "type": "string", "format": "date-time" },
                "plate": plate.clone(),
                "contact": { "type": "string", "example": "driver@example.com" },
                "priority": priority.clone(),
                "booking": { "type": "string", "example": "ABCD-2345", "description": "The driver's booking, to wait for an earlier window of its day" } } },
            "WaitlistEntry": { "type": "object", "additionalProperties": false,
                "required": ["id", "status", "checkpoint", "day", "direction", "category", "plate", "contact", "priority", "range", "version", "created_at", "updated_at", "links"],
                "properties": {
                "id": { "type": "string", "format": "uuid" },
                "status": { "type": "string", "enum": ["waiting", "offered", "accepted", "expired", "declined", "left"] },
                "checkpoint": { "type": "string" }, "day": { "type": "string", "format": "date" },
                "direction": { "type": "string", "enum": ["entry", "exit"] },
                "category": { "type": "string", "enum": ["car", "truck", "bus", "motorcycle"] },
                "plate": { "type": "string" }, "contact": { "type": "string" },
                "priority": { "type": "string", "enum": ["normal", "humanitarian", "perishable", "diplomatic", "emergency"] },
                "range": { "type": "object", "additionalProperties": false, "properties": {
                    "from": { "type": "string", "format": "date-time" }, "to": { "type": "string", "format": "date-time" },
                    "window_starts": { "type": "array", "items": { "type": "string", "format": "date-time" } } } },
                "position": { "type": "integer", "nullable": true, "description": "1 for the entry served next among its lane's waiting entries; null unless waiting" },
                "waiting": { "type": "integer", "description": "Entries of the day waiting or offered now; only while the entry is" },
                "offer": { "type": "object", "nullable": true, "additionalProperties": false, "properties": {
                    "window": { "type": "object", "additionalProperties": false, "properties": {
                        "start": { "type": "string", "format": "date-time" }, "end": { "type": "string", "format": "date-time" },
                        "start_local": { "type": "string" }, "end_local": { "type": "string" }, "time_zone": { "type": "string" } } },
                    "expires_at": { "type": "string", "format": "date-time" },
                    "offered_at": { "type": "string", "format": "date-time" } } },
                "booking_code": { "type": "string", "nullable": true, "description": "The code of the booking offered or made" },
                "version": { "type": "integer" },
                "created_at": { "type": "string", "format": "date-time" },
                "updated_at": { "type": "string", "format": "date-time" },
                "token": { "type": "string", "description": "Only in the answer that made the entry" },
                "links": { "type": "object", "additionalProperties": false, "properties": {
                    "self": { "type": "string" }, "accept": { "type": "string" },
                    "decline": { "type": "string" }, "page": { "type": "string" } } } } },
            "ConfirmBooking": { "type": "object", "additionalProperties": false, "properties": {
                "plate": merge(plate.clone(), json!({ "nullable": true })), "contact": { "type": "string", "nullable": true } } },
            "RescheduleBooking": { "type": "object", "additionalProperties": false, "required": ["window_start"], "properties": {
                "window_start": { "type": "string", "format": "date-time" } } },
            "Booking": { "type": "object", "additionalProperties": false,
                "required": ["id", "code", "status", "checkpoint", "direction", "category", "day", "window", "priority", "version", "created_at", "updated_at", "links"],
                "properties": {
                "id": { "type": "string", "format": "uuid" }, "code": { "type": "string" },
                "status": { "type": "string", "enum": ["held", "confirmed", "arrived", "completed", "cancelled", "expired", "no_show"] },
                "checkpoint": { "type": "string" }, "direction": { "type": "string", "enum": ["entry", "exit"] },
                "category": { "type": "string", "enum": ["car", "truck", "bus", "motorcycle"] },
                "day": { "type": "string", "format": "date" },
                "window": { "type": "object", "additionalProperties": false, "properties": {
                    "start": { "type": "string", "format": "date-time" }, "end": { "type": "string", "format": "date-time" },
                    "start_local": { "type": "string" }, "end_local": { "type": "string" }, "time_zone": { "type": "string" } } },
                "plate": { "type": "string", "nullable": true }, "contact": { "type": "string", "nullable": true },
                "priority": { "type": "string", "enum": ["normal", "humanitarian", "perishable", "diplomatic", "emergency"] }, "version": { "type": "integer" },
                "hold_expires_at": { "type": "string", "format": "date-time", "nullable": true },
                "reslotted_from": { "type": "string", "format": "date-time", "nullable": true,
                    "description": "The start of the window the checkpoint moved the booking out of, until the driver keeps the new one, moves or cancels it" },
                "created_at": { "type": "string", "format": "date-time" },
                "updated_at": { "type": "string", "format": "date-time" },
                "manage_token": { "type": "string", "description": "Only in the answer that created the booking" },
                "links": { "type": "object", "additionalProperties": false, "properties": {
                    "self": { "type": "string" }, "confirm": { "type": "string" },
                    "reschedule": { "type": "string" }, "calendar": { "type": "string" } } } } }
        } }
    });
    complete(&mut document);
    document
}

/// The document never changes while the process runs: built and serialised once.
static SERVED: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| document().to_string());

pub async fn serve() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(SERVED.as_str())
}

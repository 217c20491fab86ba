//! What every operation of the document shares, added once here rather than on each handler:
//! the security schemes, the problem statuses an operation may answer, closed objects, inputs
//! that are absent rather than null, integer bounds, and the links from a new booking to the
//! operations that manage it.

use std::collections::BTreeMap;
use utoipa::Modify;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};

use utoipa::openapi::schema::{
    AdditionalProperties, ArrayItems, KnownFormat, Object, ObjectBuilder, Schema, SchemaFormat,
    SchemaType, Type,
};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{OpenApi, Ref, RefOr, Required};

use super::params::IDEMPOTENCY_KEY;

/// Who may sign which request: staff, carriers and people signed in at the provider.
pub struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut OpenApi) {
        let bearer = |format: Option<&str>, description: &str| {
            let mut scheme = Http::new(HttpAuthScheme::Bearer);
            scheme.bearer_format = format.map(str::to_owned);
            scheme.description = Some(description.to_owned());
            SecurityScheme::Http(scheme)
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            bearer(
                Some("JWT"),
                "A staff access token from /api/v1/auth/login, or an access token of the OpenID Connect provider for someone it gives a staff role (OIDC_STAFF_ROLES)",
            ),
        );
        components.add_security_scheme("apiKey", bearer(None, "A carrier's API key, bsk_…"));
        components.add_security_scheme(
            "account",
            bearer(
                Some("JWT"),
                "An access token of the OpenID Connect provider (OIDC_ISSUER), for the audience OIDC_AUDIENCE",
            ),
        );
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ]
    .into_iter()
    .flatten()
}

/// What any operation may answer besides what its handler lists: every `/api/v1` route is
/// rate-limited and needs the store; a signed route refuses a missing or weak token; input can
/// be malformed or invalid; a path can name nothing; an idempotent request can find its key in
/// use or reused.
pub struct ProblemStatuses;

impl ProblemStatuses {
    fn statuses(path: &str, operation: &Operation) -> Vec<u16> {
        let mut statuses = vec![];
        if path.starts_with("/api/v1/") {
            statuses.extend([429, 503]);
        }
        if operation.security.is_some() {
            statuses.extend([401, 403]);
        }
        let parameters: Vec<_> = operation
            .parameters
            .iter()
            .flatten()
            .filter_map(|parameter| match parameter {
                RefOr::T(parameter) => Some(parameter),
                RefOr::Ref(_) => None,
            })
            .collect();
        let takes = |place: ParameterIn| parameters.iter().any(|p| p.parameter_in == place);
        if operation.request_body.is_some()
            || takes(ParameterIn::Query)
            || takes(ParameterIn::Header)
        {
            statuses.extend([400, 422]);
        }
        if takes(ParameterIn::Path) {
            statuses.push(404);
        }
        if parameters.iter().any(|p| p.name == IDEMPOTENCY_KEY) {
            statuses.extend([409, 422]);
        }
        statuses
    }
}

impl Modify for ProblemStatuses {
    fn modify(&self, openapi: &mut OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            for operation in operations(item) {
                for status in Self::statuses(path, operation) {
                    operation
                        .responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| RefOr::Ref(Ref::from_response_name("Problem")));
                }
            }
        }
    }
}

/// The component schemas by name, as the document holds them before any change here.
type Schemas = BTreeMap<String, RefOr<Schema>>;

/// Every request body and answer is a serde struct, which reads or writes exactly its fields:
/// the server refuses a field it does not know (`deny_unknown_fields`), and writes none it does
/// not declare. A struct with `#[serde(flatten)]` fields is one object on the wire, so its
/// `allOf` of parts is merged into that object first: a closed part would refuse the fields of
/// the others.
pub struct ClosedObjects;

impl ClosedObjects {
    fn close(schema: &mut RefOr<Schema>, schemas: &Schemas) {
        let RefOr::T(schema) = schema else { return };
        if let Schema::AllOf(all_of) = schema
            && let Some(merged) = Self::merged(&all_of.items, schemas)
        {
            *schema = Schema::Object(merged);
        }
        match schema {
            Schema::Object(object) => {
                if !object.properties.is_empty() && object.additional_properties.is_none() {
                    object.additional_properties =
                        Some(Box::new(AdditionalProperties::FreeForm(false)));
                }
                for property in object.properties.values_mut() {
                    Self::close(property, schemas);
                }
            }
            Schema::Array(array) => {
                if let ArrayItems::RefOrSchema(items) = &mut array.items {
                    Self::close(items, schemas);
                }
            }
            Schema::OneOf(one_of) => {
                for item in &mut one_of.items {
                    Self::close(item, schemas);
                }
            }
            _ => {}
        }
    }

    /// One object with the properties of all `parts`, if each is an object.
    fn merged(parts: &[RefOr<Schema>], schemas: &Schemas) -> Option<Object> {
        let mut merged = ObjectBuilder::new().schema_type(Type::Object).build();
        for part in parts {
            let part = Self::object(part, schemas)?;
            merged.properties.extend(part.properties);
            merged.required.extend(part.required);
        }
        Some(merged)
    }

    fn object(schema: &RefOr<Schema>, schemas: &Schemas) -> Option<Object> {
        match schema {
            RefOr::Ref(reference) => {
                let name = reference.ref_location.rsplit('/').next()?;
                Self::object(schemas.get(name)?, schemas)
            }
            RefOr::T(Schema::Object(object)) => Some(object.clone()),
            RefOr::T(Schema::AllOf(all_of)) => Self::merged(&all_of.items, schemas),
            RefOr::T(_) => None,
        }
    }
}

impl Modify for ClosedObjects {
    fn modify(&self, openapi: &mut OpenApi) {
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let schemas = components.schemas.clone();
        for schema in components.schemas.values_mut() {
            Self::close(schema, &schemas);
        }
        for item in openapi.paths.paths.values_mut() {
            for operation in operations(item) {
                for schema in request_schemas(operation) {
                    Self::close(schema, &schemas);
                }
            }
        }
    }
}

fn request_schemas(operation: &mut Operation) -> impl Iterator<Item = &mut RefOr<Schema>> {
    let body = match operation.request_body.as_mut() {
        Some(RefOr::T(body)) => Some(body),
        _ => None,
    };
    body.into_iter()
        .flat_map(|body| body.content.values_mut())
        .filter_map(|content| match content {
            RefOr::T(content) => content.schema.as_mut(),
            RefOr::Ref(_) => None,
        })
}

/// An optional input is left out, never sent as null: a parameter is absent or has a value,
/// and an optional body is no body (read as `{}`), while a JSON `null` body is refused. A Rust
/// `Option` says "may be null" to utoipa, which is right for a field but not for these.
pub struct AbsentNotNull;

impl AbsentNotNull {
    fn without_null(schema: &mut RefOr<Schema>) {
        let RefOr::T(inner) = schema else { return };
        match inner {
            Schema::Object(object) => {
                if let SchemaType::Array(types) = &object.schema_type {
                    let types: Vec<Type> = types
                        .iter()
                        .filter(|t| **t != Type::Null)
                        .cloned()
                        .collect();
                    object.schema_type = match types.as_slice() {
                        [one] => SchemaType::Type(one.clone()),
                        _ => SchemaType::Array(types),
                    };
                }
            }
            Schema::OneOf(one_of) => {
                let is_null = |item: &RefOr<Schema>| {
                    matches!(item, RefOr::T(Schema::Object(o))
                        if o.schema_type == SchemaType::Type(Type::Null))
                };
                let rest: Vec<_> = one_of.items.iter().filter(|i| !is_null(i)).collect();
                if let [only] = rest.as_slice() {
                    *schema = (*only).clone();
                }
            }
            _ => {}
        }
    }
}

impl Modify for AbsentNotNull {
    fn modify(&self, openapi: &mut OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for operation in operations(item) {
                for parameter in operation.parameters.iter_mut().flatten() {
                    if let RefOr::T(parameter) = parameter {
                        parameter.schema.iter_mut().for_each(Self::without_null);
                    }
                }
                if let Some(RefOr::T(body)) = &operation.request_body
                    && body.required != Some(Required::True)
                {
                    request_schemas(operation).for_each(Self::without_null);
                }
            }
        }
    }
}

/// The bounds of a Rust integer type, from the format utoipa gives it, so that a value the
/// server cannot hold is outside the document too. Unsigned formats are spelt `uint32` and so
/// on, as the OpenAPI format registry does (utoipa writes `u-int32`).
pub struct IntegerBounds;

impl IntegerBounds {
    fn bounds(format: &KnownFormat) -> Option<(&'static str, i64, Option<i64>)> {
        let bounds = match format {
            KnownFormat::Int8 => ("int8", i8::MIN.into(), Some(i8::MAX.into())),
            KnownFormat::Int16 => ("int16", i16::MIN.into(), Some(i16::MAX.into())),
            KnownFormat::Int32 => ("int32", i32::MIN.into(), Some(i32::MAX.into())),
            KnownFormat::UInt8 => ("uint8", 0, Some(u8::MAX.into())),
            KnownFormat::UInt16 => ("uint16", 0, Some(u16::MAX.into())),
            KnownFormat::UInt32 => ("uint32", 0, Some(u32::MAX.into())),
            KnownFormat::UInt64 => ("uint64", 0, None),
            _ => return None,
        };
        Some(bounds)
    }

    fn bound(schema: &mut RefOr<Schema>) {
        let RefOr::T(schema) = schema else { return };
        match schema {
            Schema::Object(object) => {
                if let Some(SchemaFormat::KnownFormat(known)) = &object.format
                    && let Some((name, min, max)) = Self::bounds(known)
                {
                    object.format = Some(SchemaFormat::Custom(name.to_owned()));
                    object.minimum.get_or_insert(min.into());
                    if let Some(max) = max {
                        object.maximum.get_or_insert(max.into());
                    }
                }
                object.properties.values_mut().for_each(Self::bound);
                if let Some(additional) = object.additional_properties.as_deref_mut()
                    && let AdditionalProperties::RefOr(values) = additional
                {
                    Self::bound(values);
                }
            }
            Schema::Array(array) => {
                if let ArrayItems::RefOrSchema(items) = &mut array.items {
                    Self::bound(items);
                }
            }
            Schema::OneOf(one_of) => one_of.items.iter_mut().for_each(Self::bound),
            Schema::AllOf(all_of) => all_of.items.iter_mut().for_each(Self::bound),
            _ => {}
        }
    }
}

impl Modify for IntegerBounds {
    fn modify(&self, openapi: &mut OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.schemas.values_mut().for_each(Self::bound);
        }
        for item in openapi.paths.paths.values_mut() {
            for operation in operations(item) {
                for parameter in operation.parameters.iter_mut().flatten() {
                    if let RefOr::T(parameter) = parameter {
                        parameter.schema.iter_mut().for_each(Self::bound);
                    }
                }
                request_schemas(operation).for_each(Self::bound);
            }
        }
    }
}

/// The operations what an answer just made (a booking, a draw entry, a waitlist entry) can be
/// used through, with its id and token from that answer.
pub struct BookingLinks;

/// `status` of `made_by` links to each of `used_by` with `parameters` (name, where in the
/// answer).
struct AnswerLinks {
    made_by: &'static str,
    status: &'static str,
    used_by: &'static [&'static str],
    parameters: [(&'static str, &'static str); 2],
}

const ANSWER_LINKS: [AnswerLinks; 3] = [
    AnswerLinks {
        made_by: "createBooking",
        status: "201",
        used_by: &[
            "getBooking",
            "bookingCalendar",
            "confirmBooking",
            "rescheduleBooking",
            "acceptMove",
            "cancelBooking",
        ],
        parameters: [
            ("code", "$response.body#/code"),
            ("header.X-Manage-Token", "$response.body#/manage_token"),
        ],
    },
    // A request that entered an opening draw polls its entry with the same token.
    AnswerLinks {
        made_by: "createBooking",
        status: "202",
        used_by: &["getDrawEntry"],
        parameters: [
            ("id", "$response.body#/id"),
            ("header.X-Manage-Token", "$response.body#/manage_token"),
        ],
    },
    AnswerLinks {
        made_by: "joinWaitlist",
        status: "201",
        used_by: &[
            "getWaitlistEntry",
            "acceptWaitlistOffer",
            "declineWaitlistOffer",
            "leaveWaitlist",
        ],
        parameters: [
            ("id", "$response.body#/id"),
            ("header.X-Manage-Token", "$response.body#/token"),
        ],
    },
];

impl Modify for BookingLinks {
    fn modify(&self, openapi: &mut OpenApi) {
        for links in &ANSWER_LINKS {
            let answer = openapi
                .paths
                .paths
                .values_mut()
                .flat_map(operations)
                .find(|operation| operation.operation_id.as_deref() == Some(links.made_by))
                .and_then(|operation| operation.responses.responses.get_mut(links.status));
            let Some(RefOr::T(answer)) = answer else {
                continue;
            };
            for operation in links.used_by {
                let link = links
                    .parameters
                    .iter()
                    .fold(
                        LinkBuilder::new().operation_id(*operation),
                        |link, (name, at)| link.parameter(*name, *at),
                    )
                    .build();
                answer.links.insert((*operation).to_owned(), link.into());
            }
        }
    }
}

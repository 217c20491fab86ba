//! How the domain's types look in the API document. The domain knows nothing of HTTP or of the
//! document, so its types are described here, from the same variant lists and spellings serde
//! writes (a test below holds the two together).

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::domain::draw::{DAYS_AHEAD_MAX, DRAW_SECONDS_MAX, Opening};
use crate::domain::{BookingStatus, Category, CheckpointId, Direction, Plate, PriorityClass};

/// What the server accepts as a plate: 2 to 12 letters and digits, with spaces, dashes and dots
/// anywhere, Cyrillic letters that look Latin read as those.
pub const PLATE_PATTERN: &str =
    "^[ .\\u00a0-]*([A-Za-z0-9авеікмнорстухАВЕІКМНОРСТУХ][ .\\u00a0-]*){2,12}$";
pub const PLATE_DESCRIPTION: &str =
    "Spaces, dashes and dots are ignored; Cyrillic look-alike letters read as Latin";

/// A checkpoint's id as `CheckpointId::parse` takes it.
pub const CHECKPOINT_PATTERN: &str = "^[a-z0-9-]{1,40}$";

fn one_of(values: impl IntoIterator<Item = &'static str>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .build()
        .into()
}

impl PartialSchema for Direction {
    fn schema() -> RefOr<Schema> {
        one_of(Direction::ALL.map(Direction::as_str))
    }
}
impl ToSchema for Direction {}

impl PartialSchema for Category {
    fn schema() -> RefOr<Schema> {
        one_of(Category::ALL.map(Category::as_str))
    }
}
impl ToSchema for Category {}

impl PartialSchema for PriorityClass {
    fn schema() -> RefOr<Schema> {
        one_of(PriorityClass::ALL.map(PriorityClass::as_str))
    }
}
impl ToSchema for PriorityClass {}

impl PartialSchema for BookingStatus {
    fn schema() -> RefOr<Schema> {
        one_of(BookingStatus::ALL.map(BookingStatus::as_str))
    }
}
impl ToSchema for BookingStatus {}

impl PartialSchema for CheckpointId {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(CHECKPOINT_PATTERN))
            .examples(["narva"])
            .build()
            .into()
    }
}
impl ToSchema for CheckpointId {}

impl PartialSchema for Plate {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(PLATE_PATTERN))
            .description(Some(PLATE_DESCRIPTION))
            .examples(["123 ABC"])
            .build()
            .into()
    }
}
impl ToSchema for Plate {}

/// A local time of day as `HH:MM` or `HH:MM:SS`.
pub const LOCAL_TIME_PATTERN: &str = "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$";

fn bounded(max: u32) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(0))
        .maximum(Some(max))
}

impl PartialSchema for Opening {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .description(Some(
                "When days open for booking: days_ahead days before, at local_time; requests \
                 from draw_before_seconds before until draw_after_seconds after enter a draw",
            ))
            .property("days_ahead", bounded(DAYS_AHEAD_MAX).examples([30]))
            .required("days_ahead")
            .property(
                "local_time",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(LOCAL_TIME_PATTERN))
                    .examples(["10:00"]),
            )
            .required("local_time")
            .property(
                "draw_before_seconds",
                bounded(DRAW_SECONDS_MAX).default(Some(Opening::DRAW_BEFORE_DEFAULT.into())),
            )
            .property(
                "draw_after_seconds",
                bounded(DRAW_SECONDS_MAX).default(Some(Opening::DRAW_AFTER_DEFAULT.into())),
            )
            .build()
            .into()
    }
}
impl ToSchema for Opening {}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(schema: RefOr<Schema>) -> Vec<serde_json::Value> {
        let schema = serde_json::to_value(schema).unwrap();
        schema["enum"].as_array().cloned().unwrap_or_default()
    }

    fn written<T: serde::Serialize>(all: &[T]) -> Vec<serde_json::Value> {
        all.iter()
            .map(|v| serde_json::to_value(v).unwrap())
            .collect()
    }

    #[test]
    fn documented_enum_values_are_what_serde_writes() {
        assert_eq!(values(Direction::schema()), written(&Direction::ALL));
        assert_eq!(values(Category::schema()), written(&Category::ALL));
        assert_eq!(
            values(PriorityClass::schema()),
            written(&PriorityClass::ALL)
        );
        assert_eq!(
            values(BookingStatus::schema()),
            written(&BookingStatus::ALL)
        );
    }
}

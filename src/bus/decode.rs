//! Reading an event off the wire, telling apart what a newer release wrote from what no
//! release could ever read.
//!
//! During a rolling upgrade an older consumer may receive an event type it does not know. That
//! event is not poison: a consumer that knows it would handle it. Fields it does not know are
//! simply ignored (no event type refuses unknown fields), so only an unknown type needs a
//! decision, which the consumer makes (see `docs/events.md`).

use serde_json::Value;

use crate::domain::{DomainEvent, EventType};

#[derive(Debug)]
pub enum Decoded {
    Event(Box<DomainEvent>),
    /// A well-formed event of a type this release does not know.
    UnknownType(String),
    /// Not an event of any release: not JSON, or a known type with a broken shape.
    Unreadable(String),
}

pub fn decode(body: &[u8]) -> Decoded {
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(error) => return Decoded::Unreadable(format!("not JSON: {error}")),
    };
    if let Some(event_type) = value.get("type").and_then(Value::as_str)
        && serde_json::from_value::<EventType>(Value::String(event_type.to_owned())).is_err()
        && value.get("id").is_some()
    {
        return Decoded::UnknownType(event_type.chars().take(100).collect());
    }
    match serde_json::from_value::<DomainEvent>(value) {
        Ok(event) => Decoded::Event(Box::new(event)),
        Err(error) => Decoded::Unreadable(format!("unreadable event: {error}")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::CheckpointId;

    fn known() -> Value {
        serde_json::to_value(DomainEvent::new(
            EventType::WindowBlocked,
            CheckpointId::parse("narva").unwrap(),
            chrono::NaiveDate::from_ymd_opt(2026, 3, 21).unwrap(),
            json!({}),
            chrono::Utc::now(),
        ))
        .unwrap()
    }

    #[test]
    fn a_known_event_with_fields_of_a_newer_release_is_read() {
        let mut event = known();
        event["priority_lane"] = json!("green");
        event["payload"]["weather"] = json!("fog");
        assert!(matches!(
            decode(&serde_json::to_vec(&event).unwrap()),
            Decoded::Event(_)
        ));
    }

    #[test]
    fn an_event_type_of_a_newer_release_is_told_apart_from_garbage() {
        let mut event = known();
        event["type"] = json!("booking.rerouted");
        assert!(matches!(
            decode(&serde_json::to_vec(&event).unwrap()),
            Decoded::UnknownType(t) if t == "booking.rerouted"
        ));
        assert!(matches!(decode(b"\xff{"), Decoded::Unreadable(_)));
        assert!(matches!(decode(b"[1, 2]"), Decoded::Unreadable(_)));
        let mut broken = known();
        broken["day"] = json!("not a date");
        assert!(matches!(
            decode(&serde_json::to_vec(&broken).unwrap()),
            Decoded::Unreadable(_)
        ));
    }
}

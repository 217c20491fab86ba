//! What an event says about its change, kept as the JSON text it travels as.
//!
//! A payload is written once, on the day's actor, straight from the booking (or window, or
//! entry) into text, and from then on only copied: into the outbox, onto the bus, out of the
//! outbox again. As a `serde_json::Value` it was a tree of maps built for every event,
//! serialised from that tree, and parsed back into one by the relay; that was about a fifth of
//! the server's work per booking. A consumer reads the fields it needs with [`read`].
//!
//! [`read`]: EventPayload::read

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

#[derive(Clone)]
pub struct EventPayload(Box<RawValue>);

impl EventPayload {
    /// The payload `value` serialises to. Every payload type serialises (no maps with
    /// non-string keys), so a failure is a programming error worth seeing at once.
    pub fn of(value: &impl Serialize) -> Self {
        Self(serde_json::value::to_raw_value(value).expect("an event payload serialises to JSON"))
    }

    /// The payload read as `T`; fields `T` does not name are skipped.
    pub fn read<T: DeserializeOwned>(&self) -> serde_json::Result<T> {
        serde_json::from_str(self.0.get())
    }

    /// The payload as a JSON value, for the few that change a field after the fact.
    pub fn to_value(&self) -> serde_json::Value {
        self.read()
            .expect("an event payload is JSON, as it was made from JSON")
    }

    pub fn as_json(&self) -> &str {
        self.0.get()
    }
}

impl From<serde_json::Value> for EventPayload {
    fn from(value: serde_json::Value) -> Self {
        Self::of(&value)
    }
}

impl PartialEq for EventPayload {
    fn eq(&self, other: &Self) -> bool {
        self.to_value() == other.to_value()
    }
}

impl fmt::Debug for EventPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.get())
    }
}

impl Serialize for EventPayload {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for EventPayload {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(deserializer).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_payload_travels_as_the_json_it_was_made_from() {
        let payload = EventPayload::of(&json!({ "booking": { "code": "ABCD2345" } }));
        let event = json!({ "id": 1, "payload": payload });
        let text = serde_json::to_string(&event).unwrap();
        assert_eq!(
            text,
            r#"{"id":1,"payload":{"booking":{"code":"ABCD2345"}}}"#
        );

        #[derive(Deserialize)]
        struct Carried {
            payload: EventPayload,
        }
        let read: Carried = serde_json::from_str(&text).unwrap();
        assert_eq!(read.payload, payload);
        let from_value: Carried = serde_json::from_value(event).unwrap();
        assert_eq!(from_value.payload.to_value()["booking"]["code"], "ABCD2345");
    }
}

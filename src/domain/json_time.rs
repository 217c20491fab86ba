//! Timestamps written into JSON exactly as chrono writes them (RFC 3339 in UTC with `Z`, the
//! fraction only when there is one, in 3, 6 or 9 digits), without chrono's formatter. That
//! formatter reaches the serializer through `collect_str`, and serde_json escapes every piece
//! it writes; a booking's timestamps are written up to three times each (its events and its
//! answer), which made this about 3 % of the server's time in a rush.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Serialize, Serializer};

pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    let mut text = [0u8; 30];
    match write(at, &mut text) {
        Some(written) => match std::str::from_utf8(&text[..written]) {
            Ok(text) => serializer.serialize_str(text),
            Err(_) => at.serialize(serializer),
        },
        // Years beyond four digits and leap seconds: chrono's own way.
        None => at.serialize(serializer),
    }
}

pub fn option<S: Serializer>(at: &Option<DateTime<Utc>>, serializer: S) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => serialize(at, serializer),
        None => serializer.serialize_none(),
    }
}

/// Writes `at` into `text`; the length written, or `None` where chrono's own way is needed.
fn write(at: &DateTime<Utc>, text: &mut [u8; 30]) -> Option<usize> {
    let naive = at.naive_utc();
    let year = u32::try_from(naive.year())
        .ok()
        .filter(|year| *year <= 9999)?;
    let nanos = naive.nanosecond();
    if nanos >= 1_000_000_000 {
        return None;
    }
    let mut at = 0;
    let mut put = |before: Option<u8>, value: u32, digits: u32| {
        if let Some(separator) = before {
            text[at] = separator;
            at += 1;
        }
        for place in (0..digits).rev() {
            // A digit is below ten: the cast cannot truncate.
            text[at] = b'0' + (value / 10u32.pow(place) % 10) as u8;
            at += 1;
        }
    };
    put(None, year, 4);
    put(Some(b'-'), naive.month(), 2);
    put(Some(b'-'), naive.day(), 2);
    put(Some(b'T'), naive.hour(), 2);
    put(Some(b':'), naive.minute(), 2);
    put(Some(b':'), naive.second(), 2);
    match nanos {
        0 => {}
        n if n % 1_000_000 == 0 => put(Some(b'.'), n / 1_000_000, 3),
        n if n % 1_000 == 0 => put(Some(b'.'), n / 1_000, 6),
        n => put(Some(b'.'), n, 9),
    }
    put(Some(b'Z'), 0, 0);
    Some(at)
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone};
    use proptest::prelude::*;

    use super::*;

    fn ours(at: &DateTime<Utc>) -> String {
        let mut out = Vec::new();
        serialize(at, &mut serde_json::Serializer::new(&mut out)).unwrap();
        String::from_utf8(out).unwrap()
    }

    proptest! {
        #[test]
        fn a_timestamp_is_written_as_chrono_writes_it(
            seconds in -62_167_219_200i64..253_402_300_800i64,
            nanos in prop_oneof![
                Just(0u32),
                (0u32..1000).prop_map(|ms| ms * 1_000_000),
                (0u32..1_000_000).prop_map(|us| us * 1_000),
                0u32..1_000_000_000,
            ],
        ) {
            let at = Utc.timestamp_opt(seconds, nanos).unwrap();
            prop_assert_eq!(ours(&at), serde_json::to_string(&at).unwrap());
        }
    }

    #[test]
    fn years_past_four_digits_and_leap_seconds_are_written_by_chrono() {
        let far = Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(ours(&far), serde_json::to_string(&far).unwrap());
        let leap = NaiveDate::from_ymd_opt(2016, 12, 31)
            .unwrap()
            .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
            .unwrap()
            .and_utc();
        assert_eq!(ours(&leap), serde_json::to_string(&leap).unwrap());
        assert_eq!(ours(&leap), "\"2016-12-31T23:59:60.500Z\"");
    }

    #[test]
    fn an_absent_timestamp_is_null() {
        let mut out = Vec::new();
        option(&None, &mut serde_json::Serializer::new(&mut out)).unwrap();
        assert_eq!(out, b"null");
    }
}

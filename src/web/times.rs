//! Times as drivers read them: in the checkpoint's local time, labelled with its offset from
//! UTC, and with the time across the border beside it when the two sides' clocks differ.

use chrono::{DateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use maud::{Markup, html};

use super::i18n::Lang;
use crate::domain::Checkpoint;

/// "UTC+2", "UTC+5:30".
pub fn offset_label(tz: Tz, at: DateTime<Utc>) -> String {
    let seconds = tz
        .offset_from_utc_datetime(&at.naive_utc())
        .fix()
        .local_minus_utc();
    let sign = if seconds < 0 { '-' } else { '+' };
    let (hours, minutes) = (seconds.abs() / 3600, seconds.abs() % 3600 / 60);
    if minutes == 0 {
        format!("UTC{sign}{hours}")
    } else {
        format!("UTC{sign}{hours}:{minutes:02}")
    }
}

pub fn clock(tz: Tz, at: DateTime<Utc>) -> String {
    at.with_timezone(&tz).format("%H:%M").to_string()
}

/// "10:04:30": a draw's period is counted in seconds.
pub fn clock_with_seconds(tz: Tz, at: DateTime<Utc>) -> String {
    at.with_timezone(&tz).format("%H:%M:%S").to_string()
}

/// "14:00–15:00"; across a change of the clocks each end says its offset, since the autumn
/// night's window would otherwise read "03:00–03:00" and the spring one "02:00–04:00".
pub fn range(tz: Tz, start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    let (from, to) = (offset_label(tz, start), offset_label(tz, end));
    if from == to {
        format!("{}–{}", clock(tz, start), clock(tz, end))
    } else {
        format!("{} ({from})–{} ({to})", clock(tz, start), clock(tz, end))
    }
}

/// The time across the border when it reads differently from the local one at `at`.
pub fn neighbour_zone(checkpoint: &Checkpoint, at: DateTime<Utc>) -> Option<Tz> {
    checkpoint
        .neighbour_time_zone
        .filter(|other| offset_label(*other, at) != offset_label(checkpoint.time_zone, at))
}

/// A window's times: local first, labelled, then across the border where it differs.
pub fn window(
    lang: Lang,
    checkpoint: &Checkpoint,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Markup {
    let t = lang.texts();
    let tz = checkpoint.time_zone;
    html! {
        span class="time" { (range(tz, start, end)) }
        " "
        span class="zone" { (t.local_time) " (" (offset_label(tz, start)) ")" }
        @if let Some(other) = neighbour_zone(checkpoint, start) {
            br;
            span class="zone neighbour" {
                (range(other, start, end)) " " (t.across_the_border) " (" (offset_label(other, start)) ")"
            }
        }
    }
}

/// One instant, local and across the border: "14:32 local time (UTC+2) · 15:32 across …".
pub fn instant(lang: Lang, checkpoint: &Checkpoint, at: DateTime<Utc>) -> String {
    let t = lang.texts();
    let tz = checkpoint.time_zone;
    let mut text = format!(
        "{} {} ({})",
        clock(tz, at),
        t.local_time,
        offset_label(tz, at)
    );
    if let Some(other) = neighbour_zone(checkpoint, at) {
        text.push_str(&format!(
            " · {} {} ({})",
            clock(other, at),
            t.across_the_border,
            offset_label(other, at)
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::demo_checkpoints;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn narva_and_ivangorod_differ_by_an_hour_in_winter_only() {
        let narva = demo_checkpoints().remove(0);
        let winter = at("2026-01-15T10:00:00Z");
        assert_eq!(
            neighbour_zone(&narva, winter),
            Some(chrono_tz::Europe::Moscow)
        );
        assert_eq!(
            instant(Lang::En, &narva, winter),
            "12:00 local time (UTC+2) · 13:00 across the border (UTC+3)"
        );
        // Estonia's summer time is Moscow's all-year time.
        assert_eq!(neighbour_zone(&narva, at("2026-07-15T10:00:00Z")), None);
    }

    #[test]
    fn a_window_across_the_clock_change_says_both_offsets() {
        let tz = chrono_tz::Europe::Tallinn;
        // 25 October 2026: 04:00 EEST becomes 03:00 EET, so 03:00 comes twice.
        let first = at("2026-10-25T00:00:00Z");
        let second = at("2026-10-25T01:00:00Z");
        assert_eq!(range(tz, first, second), "03:00 (UTC+3)–03:00 (UTC+2)");
        assert_eq!(range(tz, second, at("2026-10-25T02:00:00Z")), "03:00–04:00");
        // 29 March 2026: 03:00 EET becomes 04:00 EEST.
        assert_eq!(
            range(tz, at("2026-03-29T00:00:00Z"), at("2026-03-29T01:00:00Z")),
            "02:00 (UTC+2)–04:00 (UTC+3)"
        );
    }

    #[test]
    fn medyka_and_shehyni_differ_by_an_hour_all_year() {
        let medyka = demo_checkpoints().remove(1);
        for when in ["2026-01-15T10:00:00Z", "2026-07-15T10:00:00Z"] {
            assert_eq!(
                neighbour_zone(&medyka, at(when)),
                Some(chrono_tz::Europe::Kyiv)
            );
        }
        let html = window(
            Lang::Ru,
            &medyka,
            at("2026-07-15T10:00:00Z"),
            at("2026-07-15T11:00:00Z"),
        )
        .into_string();
        assert!(html.contains("12:00–13:00"), "{html}");
        assert!(
            html.contains("13:00–14:00 по ту сторону границы (UTC+3)"),
            "{html}"
        );
    }
}

//! A booking as an iCalendar (RFC 5545) event, so the window lands in the driver's calendar.

use chrono::{DateTime, Utc};

use crate::domain::{Booking, Checkpoint, Policy};

fn ics_time(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Escapes text values as RFC 5545 section 3.3.11 requires.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

pub fn render(
    booking: &Booking,
    checkpoint: &Checkpoint,
    policy: &Policy,
    now: DateTime<Utc>,
) -> String {
    let status = if booking.status.is_active() {
        "CONFIRMED"
    } else {
        "CANCELLED"
    };
    let plate = booking
        .plate
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    let lines = [
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//borderslot//arrival window//EN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}@borderslot", booking.id),
        format!("DTSTAMP:{}", ics_time(now)),
        format!("DTSTART:{}", ics_time(booking.window_start)),
        format!("DTEND:{}", ics_time(booking.window_end)),
        format!(
            "SUMMARY:{}",
            escape(&format!(
                "Border crossing {} ({}) {}",
                checkpoint.name,
                booking.direction.as_str(),
                booking.code
            ))
        ),
        format!(
            "DESCRIPTION:{}",
            escape(&format!(
                "Booking {} for {} {}. Arrive within the window; check-in opens {} minutes before it.",
                booking.code,
                booking.category.as_str(),
                plate,
                policy.arrival_early.num_minutes()
            ))
        ),
        format!("LOCATION:{}", escape(&checkpoint.name)),
        format!("STATUS:{status}"),
        "END:VEVENT".to_owned(),
        "END:VCALENDAR".to_owned(),
    ];
    let mut out = lines.join("\r\n");
    out.push_str("\r\n");
    out
}

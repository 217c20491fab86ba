//! Turning events into English messages. Pure: no I/O, no clock.
//!
//! Every time is printed in UTC as ISO-8601 (`2026-06-01T08:00:00Z`), because one message may be
//! read on either side of a border that is also a time-zone boundary.

use chrono::{DateTime, SecondsFormat, Utc};
use lettre::Address;
use serde::Deserialize;
use uuid::Uuid;

use crate::domain::{
    Booking, BookingStatus, CheckpointId, Contact, DomainEvent, EventType, SlotWindow,
    WaitlistEntry,
};

use super::notification::{Notification, NotificationKind};

/// An event whose payload does not have the documented shape. Sending it again will not help.
#[derive(Debug, thiserror::Error)]
#[error("event {event_id} ({event_type}) has a malformed payload")]
pub struct RenderError {
    pub event_id: Uuid,
    pub event_type: &'static str,
    #[source]
    pub source: serde_json::Error,
}

#[derive(Deserialize)]
struct BookingPayload {
    booking: Booking,
    /// Present on `booking.rescheduled`: where the booking was before.
    from: Option<PreviousWindow>,
    /// Present on a cancellation by staff: the nearest windows that still had room.
    #[serde(default)]
    alternatives: Vec<DateTime<Utc>>,
    /// Present on `booking.reslotted`: why the checkpoint closed the window.
    reason: Option<String>,
}

#[derive(Deserialize)]
struct PreviousWindow {
    window_start: DateTime<Utc>,
}

#[derive(Deserialize)]
struct WindowPayload {
    window: SlotWindow,
}

/// The message an event calls for, or `None` when it calls for none.
pub fn render_event(event: &DomainEvent) -> Result<Option<Notification>, RenderError> {
    let notification = match event.event_type {
        EventType::BookingConfirmed => {
            let payload: BookingPayload = parse_payload(event)?;
            Some(confirmed(event.id, &payload.booking))
        }
        EventType::BookingCancelled => {
            let payload: BookingPayload = parse_payload(event)?;
            Some(cancelled(event.id, &payload.booking, &payload.alternatives))
        }
        EventType::BookingRescheduled => {
            let payload: BookingPayload = parse_payload(event)?;
            // A hold that moves before it is confirmed was never announced to anyone, so there
            // is nothing to correct; its confirmation will carry the new window.
            (payload.booking.status != BookingStatus::Held).then(|| {
                let previous_start = payload.from.map(|from| from.window_start);
                rescheduled(event.id, &payload.booking, previous_start)
            })
        }
        EventType::BookingReslotted => {
            let payload: BookingPayload = parse_payload(event)?;
            let previous_start = payload.from.map(|from| from.window_start);
            Some(reslotted(
                event.id,
                &payload.booking,
                previous_start,
                payload.reason.as_deref(),
            ))
        }
        EventType::WindowBlocked => {
            let payload: WindowPayload = parse_payload(event)?;
            Some(window_blocked(event.id, &event.checkpoint, &payload.window))
        }
        // The driver is still on the booking page while a hold is open; an expired hold, an
        // arrival, a no-show and a reopened window change nothing anyone has to act on.
        EventType::BookingHeld
        | EventType::BookingExpired
        | EventType::BookingArrived
        | EventType::BookingNoShow
        | EventType::BookingReslotAccepted
        | EventType::WindowUnblocked
        | EventType::WindowReserved
        // An admitted entrant hears of its booking through the booking's own events; the
        // draw's page and poll tell every entrant its outcome.
        | EventType::DrawEntered
        | EventType::DrawClosed => None,
        | EventType::WindowCapacitySet => None,
        // An offer is told with the link that accepts it, which the consumer makes
        // (`render_offer`); the rest of the waitlist's life is shown on its page.
        EventType::WaitlistOffered
        | EventType::WaitlistJoined
        | EventType::WaitlistAccepted
        | EventType::WaitlistExpired
        | EventType::WaitlistLeft => None,
    };
    Ok(notification)
}

#[derive(Deserialize)]
struct OfferPayload {
    entry: WaitlistEntry,
}

/// The message of a `waitlist.offered` event: the window offered, until when, and `link`, the
/// page that accepts it. `None` for another event or an entry that is offered nothing.
pub fn render_offer(event: &DomainEvent, link: &str) -> Result<Option<Notification>, RenderError> {
    if event.event_type != EventType::WaitlistOffered {
        return Ok(None);
    }
    let OfferPayload { entry } = parse_payload(event)?;
    let Some(offer) = &entry.offer else {
        return Ok(None);
    };
    let email_to = Some(entry.contact.as_str())
        .filter(|contact| contact.contains('@'))
        .and_then(|address| address.parse().ok());
    Ok(Some(Notification {
        event_id: event.id,
        kind: NotificationKind::WaitlistOffered,
        email_to,
        booking_code: entry.code.clone(),
        subject: format!(
            "A place is free for you at {}: {}",
            entry.checkpoint,
            iso_utc(offer.window_start)
        ),
        text: format!(
            "A place you waited for has come free and is held for you until {} UTC.\n\n\
             Checkpoint: {}\nDirection: {}\nCategory: {}\nPlate: {}\n\
             Window: {} to {} UTC\n\n\
             Accept it here before then, or it goes to the next driver waiting:\n{link}\n",
            iso_utc(offer.expires_at),
            entry.checkpoint,
            entry.direction.as_str(),
            entry.category.as_str(),
            entry.plate,
            iso_utc(offer.window_start),
            iso_utc(offer.window_end),
        ),
    }))
}

/// A reminder before a confirmed booking's window. No event carries reminders, so the caller
/// supplies `reminder_id`; it must be the same on every attempt for the same reminder, because
/// receivers deduplicate by it. Returns `None` for a booking that is not confirmed.
pub fn render_reminder(booking: &Booking, reminder_id: Uuid) -> Option<Notification> {
    if booking.status != BookingStatus::Confirmed {
        return None;
    }
    let code = &booking.code;
    let start = iso_utc(booking.window_start);
    Some(Notification {
        event_id: reminder_id,
        kind: NotificationKind::Reminder,
        email_to: email_of(booking),
        booking_code: Some(code.clone()),
        subject: format!(
            "Reminder: booking {code} at {} starts {start}",
            booking.checkpoint
        ),
        text: format!(
            "Your arrival window is coming up.\n\n{}\n\
             Arrive within the window and show the booking code at the booth.\n",
            booking_lines(booking)
        ),
    })
}

fn confirmed(event_id: Uuid, booking: &Booking) -> Notification {
    let code = &booking.code;
    Notification {
        event_id,
        kind: NotificationKind::BookingConfirmed,
        email_to: email_of(booking),
        booking_code: Some(code.clone()),
        subject: format!(
            "Booking {code} confirmed: {} {}",
            booking.checkpoint,
            iso_utc(booking.window_start)
        ),
        text: format!(
            "Your arrival window is booked.\n\n{}\n\
             Arrive within the window and show the booking code at the booth.\n",
            booking_lines(booking)
        ),
    }
}

fn cancelled(event_id: Uuid, booking: &Booking, alternatives: &[DateTime<Utc>]) -> Notification {
    let code = &booking.code;
    let offer = if alternatives.is_empty() {
        "Book a new window if you still need to cross.\n".to_owned()
    } else {
        let starts: Vec<String> = alternatives
            .iter()
            .map(|start| format!("  {} UTC\n", iso_utc(*start)))
            .collect();
        format!(
            "The checkpoint closed this window. Windows nearby that still have room:\n{}\
             Book one of them if you still need to cross.\n",
            starts.concat()
        )
    };
    Notification {
        event_id,
        kind: NotificationKind::BookingCancelled,
        email_to: email_of(booking),
        booking_code: Some(code.clone()),
        subject: format!("Booking {code} cancelled"),
        text: format!(
            "This booking is cancelled and its place is released.\n\n{}\n{offer}",
            booking_lines(booking)
        ),
    }
}

fn rescheduled(
    event_id: Uuid,
    booking: &Booking,
    previous_start: Option<DateTime<Utc>>,
) -> Notification {
    let code = &booking.code;
    let previous = previous_start
        .map(|start| format!("Previous window started at {} UTC.\n", iso_utc(start)))
        .unwrap_or_default();
    Notification {
        event_id,
        kind: NotificationKind::BookingRescheduled,
        email_to: email_of(booking),
        booking_code: Some(code.clone()),
        subject: format!("Booking {code} moved to {}", iso_utc(booking.window_start)),
        text: format!(
            "Your booking has moved to a new window. The booking code stays the same.\n\n{}\n{previous}",
            booking_lines(booking)
        ),
    }
}

/// The checkpoint closed the booking's window and moved it: where to, why, and the three
/// answers the booking page takes.
fn reslotted(
    event_id: Uuid,
    booking: &Booking,
    previous_start: Option<DateTime<Utc>>,
    reason: Option<&str>,
) -> Notification {
    let code = &booking.code;
    let previous = previous_start
        .map(|start| format!("Your window starting at {} UTC was closed", iso_utc(start)))
        .unwrap_or_else(|| "Your window was closed".to_owned());
    let reason = reason.unwrap_or("not given");
    Notification {
        event_id,
        kind: NotificationKind::BookingReslotted,
        email_to: email_of(booking),
        booking_code: Some(code.clone()),
        subject: format!(
            "Booking {code} moved by the checkpoint to {}",
            iso_utc(booking.window_start)
        ),
        text: format!(
            "{previous} (reason: {reason}). The checkpoint moved your booking to the nearest \
             window with room; the booking code stays the same.\n\n{}\n\
             On your booking page (the link you got when booking, /booking/{code}) you can keep \
             the new window, pick another one, or cancel.\n",
            booking_lines(booking)
        ),
    }
}

fn window_blocked(event_id: Uuid, checkpoint: &CheckpointId, window: &SlotWindow) -> Notification {
    let key = &window.key;
    let reason = window.blocked.as_deref().unwrap_or("not given");
    Notification {
        event_id,
        kind: NotificationKind::WindowBlocked,
        email_to: None,
        booking_code: None,
        subject: format!(
            "Window closed at {checkpoint}: {} {} {}",
            key.direction.as_str(),
            key.category.as_str(),
            iso_utc(key.start)
        ),
        text: format!(
            "A window at checkpoint {checkpoint} takes no new bookings.\n\n\
             Checkpoint:   {checkpoint}\n\
             Direction:    {}\n\
             Vehicle:      {}\n\
             Window (UTC): {} to {}\n\
             Reason:       {reason}\n\
             Places taken: {} of {}\n",
            key.direction.as_str(),
            key.category.as_str(),
            iso_utc(key.start),
            iso_utc(window.end),
            window.taken(),
            window.capacity,
        ),
    }
}

fn booking_lines(booking: &Booking) -> String {
    let vehicle = match &booking.plate {
        Some(plate) => format!("{}, plate {plate}", booking.category.as_str()),
        None => booking.category.as_str().to_owned(),
    };
    format!(
        "Booking code: {}\n\
         Checkpoint:   {}\n\
         Direction:    {}\n\
         Vehicle:      {vehicle}\n\
         Window (UTC): {} to {}\n",
        booking.code,
        booking.checkpoint,
        booking.direction.as_str(),
        iso_utc(booking.window_start),
        iso_utc(booking.window_end),
    )
}

/// The booking's contact as a mail address, if it is one. `Contact` accepts a few addresses
/// that SMTP does not; those could not be delivered anyway, and the webhook still reports them.
fn email_of(booking: &Booking) -> Option<Address> {
    booking
        .contact
        .as_ref()
        .map(Contact::as_str)
        .filter(|contact| contact.contains('@'))
        .and_then(|address| address.parse().ok())
}

fn iso_utc(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn parse_payload<'a, T: Deserialize<'a>>(event: &'a DomainEvent) -> Result<T, RenderError> {
    serde_json::from_str(event.payload.as_json()).map_err(|source| RenderError {
        event_id: event.id,
        event_type: event.event_type.as_str(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::{Category, CheckpointId, Direction, WindowKey};
    use crate::notify::tests::fixtures::{booking, event_time};

    fn render(event: &DomainEvent) -> Notification {
        render_event(event)
            .expect("payload is well formed")
            .expect("event calls for a message")
    }

    #[test]
    fn a_confirmation_names_code_checkpoint_direction_category_window_and_plate() {
        let booking = booking(BookingStatus::Confirmed, "driver@example.com");
        let event = DomainEvent::for_booking(EventType::BookingConfirmed, &booking, event_time());

        let n = render(&event);

        assert_eq!(n.kind, NotificationKind::BookingConfirmed);
        assert_eq!(n.event_id, event.id);
        assert_eq!(n.booking_code, Some(booking.code.clone()));
        assert_eq!(
            n.email_to.map(|a| a.to_string()).as_deref(),
            Some("driver@example.com")
        );
        assert!(n.subject.contains("ABCD-2345"), "{}", n.subject);
        for expected in [
            "ABCD-2345",
            "narva",
            "entry",
            "truck",
            "123ABC",
            "2026-06-01T08:00:00Z to 2026-06-01T09:00:00Z",
        ] {
            assert!(
                n.text.contains(expected),
                "{expected} missing in:\n{}",
                n.text
            );
        }
    }

    #[test]
    fn a_phone_contact_gets_no_email_but_the_message_is_still_rendered() {
        let booking = booking(BookingStatus::Confirmed, "+372 5555 1234");
        let event = DomainEvent::for_booking(EventType::BookingConfirmed, &booking, event_time());

        let n = render(&event);

        assert_eq!(n.email_to, None);
        assert_eq!(n.booking_code, Some(booking.code));
    }

    #[test]
    fn a_cancellation_says_the_booking_is_cancelled() {
        let booking = booking(BookingStatus::Cancelled, "driver@example.com");
        let event = DomainEvent::for_booking(EventType::BookingCancelled, &booking, event_time());

        let n = render(&event);

        assert_eq!(n.kind, NotificationKind::BookingCancelled);
        assert!(n.subject.contains("cancelled"));
        assert!(n.text.contains("ABCD-2345"));
    }

    #[test]
    fn a_reschedule_gives_the_new_window_and_the_previous_start() {
        let before = booking(BookingStatus::Confirmed, "driver@example.com");
        let mut after = before.clone();
        after.window_start = Utc.with_ymd_and_hms(2026, 6, 1, 11, 0, 0).unwrap();
        after.window_end = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();
        let event = DomainEvent::for_move(&before, &after, event_time());

        let n = render(&event);

        assert_eq!(n.kind, NotificationKind::BookingRescheduled);
        assert!(n.subject.contains("2026-06-01T11:00:00Z"), "{}", n.subject);
        assert!(
            n.text
                .contains("2026-06-01T11:00:00Z to 2026-06-01T12:00:00Z")
        );
        assert!(
            n.text
                .contains("Previous window started at 2026-06-01T08:00:00Z")
        );
    }

    #[test]
    fn a_hold_that_moves_before_confirmation_notifies_nobody() {
        let before = booking(BookingStatus::Held, "driver@example.com");
        let event = DomainEvent::for_move(&before, &before, event_time());

        assert_eq!(render_event(&event).unwrap(), None);
    }

    #[test]
    fn a_blocked_window_names_the_window_and_the_reason_and_has_no_email() {
        let window = SlotWindow {
            key: WindowKey {
                direction: Direction::Exit,
                category: Category::Bus,
                start: Utc.with_ymd_and_hms(2026, 6, 1, 8, 0, 0).unwrap(),
            },
            end: Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap(),
            capacity: 10,
            reserved: 2,
            held: 1,
            confirmed: 3,
            priority_taken: 0,
            blocked: Some("lane maintenance".into()),
        };
        let checkpoint = CheckpointId::parse("narva").unwrap();
        let event = DomainEvent::for_window(
            EventType::WindowBlocked,
            &checkpoint,
            window.key.start.date_naive(),
            &window,
            event_time(),
        );

        let n = render(&event);

        assert_eq!(n.kind, NotificationKind::WindowBlocked);
        assert_eq!(n.email_to, None);
        assert_eq!(n.booking_code, None);
        for expected in [
            "narva",
            "exit",
            "bus",
            "lane maintenance",
            "2026-06-01T08:00:00Z to 2026-06-01T09:00:00Z",
            "Places taken: 4 of 10",
        ] {
            assert!(
                n.text.contains(expected),
                "{expected} missing in:\n{}",
                n.text
            );
        }
    }

    #[test]
    fn events_nobody_acts_on_render_nothing() {
        for event_type in [
            EventType::BookingHeld,
            EventType::BookingExpired,
            EventType::BookingArrived,
            EventType::BookingNoShow,
        ] {
            let booking = booking(BookingStatus::Held, "driver@example.com");
            let event = DomainEvent::for_booking(event_type, &booking, event_time());
            assert_eq!(render_event(&event).unwrap(), None, "{event_type:?}");
        }
    }

    #[test]
    fn a_malformed_payload_is_an_error_not_silence() {
        let booking = booking(BookingStatus::Confirmed, "driver@example.com");
        let mut event =
            DomainEvent::for_booking(EventType::BookingConfirmed, &booking, event_time());
        event.payload = serde_json::json!({ "booking": { "code": "nope" } }).into();

        let error = render_event(&event).unwrap_err();

        assert_eq!(error.event_id, event.id);
        assert_eq!(error.event_type, "booking.confirmed");
    }

    #[test]
    fn a_reminder_is_rendered_only_for_a_confirmed_booking() {
        let reminder_id = Uuid::new_v4();
        let confirmed = booking(BookingStatus::Confirmed, "driver@example.com");
        let cancelled = booking(BookingStatus::Cancelled, "driver@example.com");

        let n = render_reminder(&confirmed, reminder_id).expect("confirmed bookings are reminded");

        assert_eq!(n.kind, NotificationKind::Reminder);
        assert_eq!(n.event_id, reminder_id);
        assert!(n.subject.contains("ABCD-2345"));
        assert!(n.text.contains("2026-06-01T08:00:00Z"));
        assert_eq!(render_reminder(&cancelled, reminder_id), None);
    }
}

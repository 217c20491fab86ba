//! Reminders: the drivers of confirmed bookings whose window starts soon are told once each,
//! through the same sender (and the same per-channel records) as the event notifications.

use actix::Addr;
use chrono::{DateTime, Duration, Utc};

use super::Outcome;
use crate::actors::notifications::{Deliver, NotificationActor, REMINDERS, deliver};
use crate::notify::render_reminder;
use crate::store::{ProcessedEvent, SlotStore};

/// Reminds the drivers of confirmed bookings whose window starts within `lead`, once each.
pub async fn send_reminders(
    store: &dyn SlotStore,
    sender: &Addr<NotificationActor>,
    now: DateTime<Utc>,
    lead: Duration,
) -> anyhow::Result<Outcome> {
    let mut sent = 0;
    for booking in store.confirmed_starting_between(now, now + lead).await? {
        // Booked this close to the window: the confirmation was the reminder.
        if booking.created_at + lead > booking.window_start {
            continue;
        }
        // The booking's id is the reminder's id: the same on every attempt.
        if store.is_processed(REMINDERS, booking.id.0).await? {
            continue;
        }
        let Some(reminder) = render_reminder(&booking, booking.id.0) else {
            continue;
        };
        let message = Deliver {
            notification: reminder,
            record: REMINDERS,
            key: booking.id.0,
        };
        // Delivered channels are recorded; one reminder failing must not hold up the others.
        match deliver(sender, message).await {
            Ok(()) => {
                store
                    .record_processed(REMINDERS, &[ProcessedEvent::new(booking.id.0, None)], now)
                    .await?;
                sent += 1;
            }
            Err(error) => {
                tracing::warn!(booking.id = %booking.id, error.cause_chain = ?error, "reminder not sent; next round tries again");
            }
        }
    }
    Ok(if sent == 0 {
        Outcome::Idle
    } else {
        Outcome::Worked(sent)
    })
}

//! The day's opening draw: the entrants, in the order of the seed, each asking for the place it
//! entered for under the same rules as any hold; those whose turn finds no place (or another
//! reason a hold would be refused) are refused with that reason.

use super::*;
use crate::domain::draw::{
    Admission, ClosedDraw, DrawClose, DrawEntry, DrawSeed, DrawTimes, EntryOutcome, Refusal,
};

/// What a draw is decided from: its times, its seed and its entries, each with the code its
/// booking gets if admitted.
#[derive(Debug, Clone)]
pub struct DrawInput {
    pub times: DrawTimes,
    pub seed: DrawSeed,
    pub entries: Vec<(DrawEntry, BookingCode)>,
}

impl DaySchedule {
    /// Admits `input`'s entrants in the seed's order; returns the draw's durable result (also
    /// among the changes) and the changes: the bookings made, their events and `draw.closed`.
    pub fn run_draw(
        &mut self,
        input: DrawInput,
        policy: &Policy,
        now: DateTime<Utc>,
    ) -> (DrawClose, ChangeSet) {
        let DrawInput {
            times,
            seed,
            entries,
        } = input;
        let entrants = u32::try_from(entries.len()).unwrap_or(u32::MAX);
        let mut by_id: HashMap<uuid::Uuid, (DrawEntry, BookingCode)> = entries
            .into_iter()
            .map(|(entry, code)| (entry.id, (entry, code)))
            .collect();
        let order = seed.order(by_id.keys().copied().collect::<Vec<_>>());
        let mut changes = ChangeSet::default();
        let mut outcomes = Vec::with_capacity(order.len());
        let mut admitted = 0;
        for (index, id) in order.into_iter().enumerate() {
            let Some((entry, code)) = by_id.remove(&id) else {
                continue;
            };
            let request = HoldRequest {
                id: entry.booking_id,
                code: code.clone(),
                manage_token_digest: entry.manage_token_digest.clone(),
                window: entry.window,
                plate: entry.plate.clone(),
                contact: entry.contact.clone(),
                priority: entry.priority,
                confirm: entry.confirm,
                carrier: entry.carrier,
                owner: None,
            };
            let admission = match self.hold(request, policy, now) {
                Ok((_, made)) => {
                    admitted += 1;
                    changes.append(made);
                    Admission::Admitted { code }
                }
                Err(refused) => Admission::Refused(Refusal::of(&refused)),
            };
            let position = u32::try_from(index + 1).unwrap_or(u32::MAX);
            outcomes.push((
                id,
                EntryOutcome {
                    position,
                    admission,
                },
            ));
        }
        let close = DrawClose {
            checkpoint: self.checkpoint.clone(),
            day: self.date,
            times,
            entrants,
            closed: ClosedDraw {
                closed_at: now,
                seed: seed.to_hex(),
                admitted,
            },
            outcomes,
        };
        changes
            .changes
            .push(ScheduleChange::CloseDraw(close.clone()));
        changes
            .events
            .push(DomainEvent::for_draw_close(&close, now));
        (close, changes)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::{Duration, NaiveDate, TimeZone};

    use super::*;
    use crate::domain::checkpoint::{CategoryCapacity, Checkpoint};
    use crate::domain::window::generate_windows;

    fn day_of(capacity: u32) -> (DaySchedule, WindowKey) {
        let checkpoint = Checkpoint {
            id: CheckpointId::parse("draw").unwrap(),
            name: "Draw".into(),
            time_zone: chrono_tz::UTC,
            neighbour_time_zone: None,
            directions: vec![Direction::Entry],
            window_minutes: 60,
            capacity: BTreeMap::from([(
                Category::Car,
                CategoryCapacity {
                    capacity,
                    reserved: 0,
                },
            )]),
            calendar: Default::default(),
            opening: None,
        };
        let date = NaiveDate::from_ymd_opt(2026, 3, 21).unwrap();
        let windows = generate_windows(&checkpoint, date);
        let key = windows[8].key;
        let day =
            DaySchedule::from_parts(checkpoint.id, chrono_tz::UTC, date, windows, vec![]).unwrap();
        (day, key)
    }

    fn entry(day: &DaySchedule, window: WindowKey, plate: &str, at: DateTime<Utc>) -> DrawEntry {
        DrawEntry {
            id: uuid::Uuid::new_v4(),
            checkpoint: day.checkpoint().clone(),
            day: day.date(),
            booking_id: BookingId::generate(),
            manage_token_digest: "d".into(),
            window,
            plate: Some(Plate::parse(plate).unwrap()),
            contact: Some(Contact::parse("a@example.com").unwrap()),
            priority: PriorityClass::Normal,
            confirm: true,
            carrier: None,
            entered_at: at,
            outcome: None,
        }
    }

    #[test]
    fn the_draw_admits_the_capacity_in_the_seeds_order_and_refuses_the_rest_with_the_reason() {
        let (mut day, window) = day_of(3);
        let now = Utc.with_ymd_and_hms(2026, 3, 20, 6, 11, 0).unwrap();
        let mut entries: Vec<(DrawEntry, BookingCode)> = (0..8)
            .map(|i| {
                let at = now - Duration::seconds(60 - i);
                let code = BookingCode::generate(&mut rand::rng());
                (entry(&day, window, &format!("DR{i:03}"), at), code)
            })
            .collect();
        // The same plate twice: its second turn is refused as the vehicle is booked already.
        let mut twin = entries[0].0.clone();
        twin.id = uuid::Uuid::new_v4();
        twin.booking_id = BookingId::generate();
        entries.push((twin, BookingCode::generate(&mut rand::rng())));
        let seed = DrawSeed([42; 32]);
        let expected = seed.order(entries.iter().map(|(e, _)| e.id));
        let times = DrawTimes {
            draw_opens_at: now - Duration::seconds(360),
            opens_at: now - Duration::seconds(60),
            closes_at: now,
        };

        let (close, changes) = day.run_draw(
            DrawInput {
                times,
                seed,
                entries,
            },
            &Policy::default(),
            now,
        );

        let order: Vec<uuid::Uuid> = close.outcomes.iter().map(|(id, _)| *id).collect();
        assert_eq!(order, expected);
        let positions: Vec<u32> = close.outcomes.iter().map(|(_, o)| o.position).collect();
        assert_eq!(positions, (1..=9).collect::<Vec<_>>());
        assert_eq!(close.closed.admitted, 3);
        assert_eq!(close.entrants, 9);
        assert_eq!(day.window(&window).unwrap().confirmed, 3);
        let refusals: Vec<&str> = close
            .outcomes
            .iter()
            .filter_map(|(_, o)| match &o.admission {
                Admission::Refused(r) => Some(r.problem.as_str()),
                Admission::Admitted { .. } => None,
            })
            .collect();
        assert_eq!(refusals.len(), 6);
        assert!(
            refusals
                .iter()
                .all(|p| *p == "window-full" || *p == "plate-already-booked")
        );
        assert!(matches!(
            changes.changes.last(),
            Some(ScheduleChange::CloseDraw(_))
        ));
        assert_eq!(
            changes.events.last().map(|e| e.event_type),
            Some(EventType::DrawClosed)
        );
        assert_eq!(
            changes.events.last().unwrap().payload.to_value()["draw"]["admitted"],
            3
        );
    }
}

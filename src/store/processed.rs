//! What a consumer records of the events it dealt with: one record per consumer and event, so
//! that a redelivered event is counted once, written together with the statistics it adds.

use std::collections::{BTreeMap, HashSet};

use uuid::Uuid;

use crate::domain::statistics::{BookingCounts, StatisticsDelta, StatisticsKey};

/// An event a consumer has dealt with, and what it adds to the statistics, if anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessedEvent {
    pub event_id: Uuid,
    pub statistics: Option<StatisticsDelta>,
}

impl ProcessedEvent {
    pub fn new(event_id: Uuid, statistics: Option<StatisticsDelta>) -> Self {
        Self {
            event_id,
            statistics,
        }
    }
}

/// Given which ids the store recorded as new, whether each of `events` is new (an id that
/// comes twice is new the first time only) and the statistics of the new ones, added up per
/// row and in key order: consumers writing at the same time then lock the rows they share in
/// one order.
pub(crate) fn fold_new(
    events: &[ProcessedEvent],
    recorded: impl Fn(&Uuid) -> bool,
) -> (Vec<bool>, Vec<StatisticsDelta>) {
    let mut seen = HashSet::with_capacity(events.len());
    let mut rows: BTreeMap<&StatisticsKey, BookingCounts> = BTreeMap::new();
    let fresh = events
        .iter()
        .map(|event| {
            let fresh = recorded(&event.event_id) && seen.insert(event.event_id);
            if let (true, Some(delta)) = (fresh, &event.statistics) {
                rows.entry(&delta.key).or_default().add(&delta.counts);
            }
            fresh
        })
        .collect();
    let rows = rows
        .into_iter()
        .map(|(key, counts)| StatisticsDelta {
            key: key.clone(),
            counts,
        })
        .collect();
    (fresh, rows)
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::domain::{Category, CheckpointId};

    fn delta(hour: u8, confirmations: i64) -> StatisticsDelta {
        StatisticsDelta {
            key: StatisticsKey {
                checkpoint: CheckpointId::parse("narva").unwrap(),
                day: NaiveDate::from_ymd_opt(2026, 12, 10).unwrap(),
                hour,
                category: Category::Car,
            },
            counts: BookingCounts {
                confirmations,
                ..BookingCounts::default()
            },
        }
    }

    #[test]
    fn an_event_recorded_before_or_twice_in_the_batch_counts_once() {
        let (a, b, old) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let events = [
            ProcessedEvent::new(a, Some(delta(9, 1))),
            ProcessedEvent::new(old, Some(delta(9, 10))),
            ProcessedEvent::new(a, Some(delta(9, 1))),
            ProcessedEvent::new(b, Some(delta(9, 2))),
        ];

        let (fresh, rows) = fold_new(&events, |id| [a, b].contains(id));

        assert_eq!(fresh, [true, false, false, true]);
        assert_eq!(rows, [delta(9, 3)]);
    }

    #[test]
    fn rows_come_in_key_order_and_events_without_statistics_add_nothing() {
        let (a, b, c) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let events = [
            ProcessedEvent::new(a, Some(delta(14, 1))),
            ProcessedEvent::new(b, None),
            ProcessedEvent::new(c, Some(delta(8, 1))),
        ];

        let (fresh, rows) = fold_new(&events, |id| [a, b, c].contains(id));

        assert_eq!(fresh, [true, true, true]);
        assert_eq!(rows, [delta(8, 1), delta(14, 1)]);
    }
}

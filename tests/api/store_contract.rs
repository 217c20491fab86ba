//! One contract, two backends: every case runs against the embedded store and PostgreSQL, so
//! the two cannot drift apart. Changes are produced by the real domain (`DaySchedule`), and a
//! second schedule built from the same stored day plays a replica with an outdated view.

use std::sync::Arc;

use borderslot::domain::token::ManageToken;
use borderslot::domain::window::generate_windows;
use borderslot::domain::{
    AccountOwner, BookingCode, BookingId, ChangeSet, Checkpoint, Contact, DaySchedule, Direction,
    HoldRequest, Plate, Policy, PriorityClass, WindowKey, WindowSelection,
};
use borderslot::store::{
    AnswerRecord, Chain, CommitBatch, KeyClaim, ProcessedEvent, SlotStore, StoreError,
    StoredResponse, answer_key_id,
};
use chrono::Duration;

use crate::helpers::{
    Backend, counting_checkpoint, eventually, fresh_origin, open_store, test_start, tomorrow,
};

struct Fixture {
    store: Arc<dyn SlotStore>,
    checkpoint: Checkpoint,
    // Keeps a temp folder or database alive for the test.
    _origin: crate::helpers::Origin,
}

async fn fixture(backend: Backend, capacity: u32) -> Option<Fixture> {
    let origin = fresh_origin(backend).await?;
    let store = open_store(&origin).await;
    let checkpoint = counting_checkpoint("contract", capacity, 0);
    store.upsert_checkpoint(&checkpoint).await.unwrap();
    let windows = generate_windows(&checkpoint, tomorrow());
    store
        .ensure_windows(&checkpoint.id, tomorrow(), &windows)
        .await
        .unwrap();
    Some(Fixture {
        store,
        checkpoint,
        _origin: origin,
    })
}

impl Fixture {
    /// The day as a replica would load it now.
    async fn replica(&self) -> DaySchedule {
        let record = self
            .store
            .load_day(&self.checkpoint.id, tomorrow())
            .await
            .unwrap();
        DaySchedule::from_parts(
            self.checkpoint.id.clone(),
            self.checkpoint.time_zone,
            tomorrow(),
            record.windows,
            record.bookings,
        )
        .and_then(|day| day.with_waitlist(record.waitlist))
        .unwrap()
    }

    fn window(&self, index: usize) -> WindowKey {
        generate_windows(&self.checkpoint, tomorrow())
            .iter()
            .filter(|w| w.key.direction == Direction::Entry)
            .nth(index)
            .unwrap()
            .key
    }

    async fn commit(&self, sets: Vec<ChangeSet>) -> Result<(), StoreError> {
        let mut batch = CommitBatch::new(self.checkpoint.id.clone(), tomorrow());
        for set in sets {
            batch.push(set);
        }
        self.store.commit(batch).await
    }
}

fn request(window: WindowKey, plate: &str) -> HoldRequest {
    HoldRequest {
        id: BookingId::generate(),
        code: BookingCode::generate(&mut rand::rng()),
        manage_token_digest: ManageToken::digest("token"),
        window,
        plate: Some(Plate::parse(plate).unwrap()),
        contact: Some(Contact::parse("a@example.com").unwrap()),
        priority: PriorityClass::Normal,
        confirm: false,
        carrier: None,
        owner: None,
    }
}

fn policy() -> Policy {
    Policy::default()
}

crate::on_both_backends!(a_committed_batch_is_loaded_back_with_its_events);

async fn a_committed_batch_is_loaded_back_with_its_events(backend: Backend) {
    let Some(f) = fixture(backend, 5).await else {
        return;
    };
    let now = test_start();
    let mut day = f.replica().await;
    let (held, first) = day
        .hold(request(f.window(8), "AA100"), &policy(), now)
        .unwrap();
    let (_, second) = day.confirm(held.id, None, None, now).unwrap();
    let (other, third) = day
        .hold(request(f.window(9), "AA200"), &policy(), now)
        .unwrap();

    f.commit(vec![first, second, third]).await.unwrap();
    let (_, fourth) = day
        .hold(request(f.window(10), "AA300"), &policy(), now)
        .unwrap();
    f.commit(vec![fourth]).await.unwrap();

    let found = f.store.find_booking(&held.code).await.unwrap().unwrap();
    assert_eq!(found.status.as_str(), "confirmed");
    assert_eq!(found.version, 2);
    assert_eq!(found, day.booking(held.id).unwrap().clone());
    let reloaded = f.replica().await;
    assert_eq!(reloaded.window(&f.window(8)).unwrap().confirmed, 1);
    assert_eq!(reloaded.window(&f.window(9)).unwrap().held, 1);
    assert_eq!(reloaded.booking(other.id), Some(&other));
    let events = f.store.outbox_pending(10).await.unwrap();
    let types: Vec<_> = events.iter().map(|e| e.event.event_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "booking.held",
            "booking.confirmed",
            "booking.held",
            "booking.held"
        ]
    );
    // What one commit wrote is marked published by the seqs its events came with.
    let first_commit: Vec<i64> = events[..3].iter().map(|e| e.seq).collect();
    f.store
        .outbox_mark_published(&first_commit, now)
        .await
        .unwrap();
    let left = f.store.outbox_pending(10).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].event.id, events[3].event.id);
    assert_eq!(f.store.audit().await.unwrap().violations(), 0);
}

crate::on_both_backends!(a_stale_replica_cannot_take_the_last_place);

async fn a_stale_replica_cannot_take_the_last_place(backend: Backend) {
    let Some(f) = fixture(backend, 1).await else {
        return;
    };
    let now = test_start();
    let mut replica_a = f.replica().await;
    let mut replica_b = f.replica().await;
    let (_, a) = replica_a
        .hold(request(f.window(8), "AA300"), &policy(), now)
        .unwrap();
    let (_, b) = replica_b
        .hold(request(f.window(8), "BB300"), &policy(), now)
        .unwrap();
    // An unrelated change in B's batch must be rolled back with it.
    let (unrelated, c) = replica_b
        .hold(request(f.window(9), "CC300"), &policy(), now)
        .unwrap();

    f.commit(vec![a]).await.unwrap();
    let refused = f.commit(vec![c, b]).await;

    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );
    assert!(
        f.store
            .find_booking(&unrelated.code)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(f.replica().await.window(&f.window(8)).unwrap().held, 1);
    assert_eq!(f.store.audit().await.unwrap().violations(), 0);
}

crate::on_both_backends!(a_stale_replica_cannot_book_a_plate_twice_or_change_an_old_version);

async fn a_stale_replica_cannot_book_a_plate_twice_or_change_an_old_version(backend: Backend) {
    let Some(f) = fixture(backend, 5).await else {
        return;
    };
    let now = test_start();
    let (held, first) = f
        .replica()
        .await
        .hold(request(f.window(8), "PL400"), &policy(), now)
        .unwrap();
    f.commit(vec![first]).await.unwrap();
    let mut replica_a = f.replica().await;
    let mut replica_b = f.replica().await;

    let (_, confirm) = replica_a.confirm(held.id, None, None, now).unwrap();
    let (_, cancel) = replica_b.cancel(held.id, now).unwrap();
    f.commit(vec![confirm]).await.unwrap();
    let stale_cancel = f.commit(vec![cancel]).await;
    // Another replica that never saw the booking books the same plate the same day.
    let mut blind = DaySchedule::from_parts(
        f.checkpoint.id.clone(),
        f.checkpoint.time_zone,
        tomorrow(),
        generate_windows(&f.checkpoint, tomorrow()),
        Vec::new(),
    )
    .unwrap();
    let (_, twin) = blind
        .hold(request(f.window(10), "PL400"), &policy(), now)
        .unwrap();
    let duplicate = f.commit(vec![twin]).await;

    assert!(
        matches!(stale_cancel, Err(StoreError::Conflict(_))),
        "{stale_cancel:?}"
    );
    assert!(
        matches!(duplicate, Err(StoreError::Conflict(_))),
        "{duplicate:?}"
    );
    let stored = f.store.find_booking(&held.code).await.unwrap().unwrap();
    assert_eq!(stored.status.as_str(), "confirmed");
}

crate::on_both_backends!(a_stale_replica_cannot_book_into_a_window_blocked_meanwhile);

async fn a_stale_replica_cannot_book_into_a_window_blocked_meanwhile(backend: Backend) {
    let Some(f) = fixture(backend, 5).await else {
        return;
    };
    let now = test_start();
    let mut admin = f.replica().await;
    let mut stale = f.replica().await;
    let selection = WindowSelection {
        from: f.window(8).start,
        to: f.window(8).start + Duration::minutes(1),
        direction: None,
        categories: Vec::new(),
    };
    let (_, block) = admin.block(&selection, "road works", now).unwrap();
    f.commit(vec![block]).await.unwrap();

    let (_, hold) = stale
        .hold(request(f.window(8), "BL500"), &policy(), now)
        .unwrap();
    let refused = f.commit(vec![hold]).await;

    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );
    let reloaded = f.replica().await;
    assert_eq!(
        reloaded.window(&f.window(8)).unwrap().blocked.as_deref(),
        Some("road works")
    );
}

crate::on_both_backends!(a_transfer_hold_is_never_dropped_after_it_received_the_code);

async fn a_transfer_hold_is_never_dropped_after_it_received_the_code(backend: Backend) {
    let Some(f) = fixture(backend, 5).await else {
        return;
    };
    let now = test_start();
    let mut source = f.replica().await;
    // No plate: source and target share a day here, and a plate may be booked once a day.
    let plateless = HoldRequest {
        plate: None,
        ..request(f.window(8), "MV600")
    };
    let (original, first) = source.hold(plateless, &policy(), now).unwrap();
    f.commit(vec![first]).await.unwrap();
    // The target is another window of the same stored day, which is enough for the store.
    let mut target = f.replica().await;
    let (transfer, hold) = target
        .hold_for_transfer(
            &original,
            BookingId::generate(),
            f.window(12),
            false,
            &policy(),
            now,
        )
        .unwrap();
    f.commit(vec![hold]).await.unwrap();
    let mut late_target = f.replica().await;
    let (_, release) = source
        .release_for_transfer(original.id, original.version, &transfer, None, now)
        .unwrap();
    f.commit(vec![release]).await.unwrap();

    let abandon = late_target.abandon_transfer(transfer.id, now).unwrap();
    let refused = f.commit(vec![abandon]).await;

    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );
    let owner = f.store.find_booking(&original.code).await.unwrap().unwrap();
    assert_eq!(owner.id, transfer.id);
    let record = f
        .store
        .load_day(&f.checkpoint.id, tomorrow())
        .await
        .unwrap();
    assert_eq!(record.completed_moves, vec![transfer.id]);
    assert_eq!(f.store.audit().await.unwrap().violations(), 0);
}

crate::on_both_backends!(a_booking_made_signed_in_is_its_owners_and_stays_so_when_moved);

async fn a_booking_made_signed_in_is_its_owners_and_stays_so_when_moved(backend: Backend) {
    let Some(f) = fixture(backend, 5).await else {
        return;
    };
    let now = test_start();
    let mut source = f.replica().await;
    let owner = AccountOwner {
        subject: "driver-7".to_owned(),
        organisation: Some("acme".to_owned()),
    };
    let signed_in = HoldRequest {
        plate: None,
        owner: Some(owner.clone()),
        ..request(f.window(8), "OW100")
    };
    let (original, made) = source.hold(signed_in, &policy(), now).unwrap();
    f.commit(vec![made]).await.unwrap();

    let found = f.store.booking_owner(original.id).await.unwrap();
    assert_eq!(found.subject.as_deref(), Some("driver-7"));
    assert_eq!(found.organisation.as_deref(), Some("acme"));
    let listed = f.store.account_bookings("driver-7", None).await.unwrap();
    assert_eq!(listed, vec![original.clone()]);

    // Moved (to another window of the stored day, as far as the store can tell), the booking
    // it becomes is the same person's.
    let mut target = f.replica().await;
    let (transfer, hold) = target
        .hold_for_transfer(
            &original,
            BookingId::generate(),
            f.window(12),
            false,
            &policy(),
            now,
        )
        .unwrap();
    f.commit(vec![hold]).await.unwrap();
    let (_, release) = source
        .release_for_transfer(original.id, original.version, &transfer, None, now)
        .unwrap();
    f.commit(vec![release]).await.unwrap();
    let (_, complete) = target
        .complete_transfer(transfer.id, &policy(), now)
        .unwrap();
    f.commit(vec![complete]).await.unwrap();

    let moved = f.store.booking_owner(transfer.id).await.unwrap();
    assert_eq!(moved.subject.as_deref(), Some("driver-7"));
    let listed: Vec<_> = f
        .store
        .account_bookings("driver-7", None)
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.id)
        .collect();
    assert_eq!(listed, vec![transfer.id]);
    // Nobody else's.
    let stranger = f.store.account_bookings("driver-8", None).await.unwrap();
    assert!(stranger.is_empty());
    assert_eq!(f.store.audit().await.unwrap().violations(), 0);
}

crate::on_both_backends!(an_answer_is_stored_with_its_change_and_a_key_answers_once);

fn answer(scope: &str, key: &str, digest: u8, body: &[u8]) -> AnswerRecord {
    AnswerRecord {
        claim: KeyClaim {
            scope: scope.into(),
            key: key.into(),
            request_digest: [digest; 32],
        },
        created_at: test_start(),
        response: StoredResponse {
            status: 201,
            content_type: "application/json".into(),
            body: body.to_vec(),
        },
    }
}

async fn an_answer_is_stored_with_its_change_and_a_key_answers_once(backend: Backend) {
    let Some(f) = fixture(backend, 5).await else {
        return;
    };
    let now = test_start();
    let mut day = f.replica().await;
    let (first, first_set) = day
        .hold(request(f.window(8), "AN100"), &policy(), now)
        .unwrap();
    let (second, second_set) = day
        .hold(request(f.window(9), "AN200"), &policy(), now)
        .unwrap();
    let mut batch = CommitBatch::new(f.checkpoint.id.clone(), tomorrow());
    batch.push(first_set);
    batch.answers.push(answer("c1", "k", 1, b"first"));
    f.store.commit(batch).await.unwrap();

    // The same key again (another replica's attempt): the whole batch is refused, naming it.
    let mut again = CommitBatch::new(f.checkpoint.id.clone(), tomorrow());
    again.push(second_set);
    again.answers.push(answer("c2", "k", 2, b"other client"));
    again.answers.push(answer("c1", "k", 1, b"second"));
    let refused = f.store.commit(again).await;

    match refused {
        Err(StoreError::AnswerTaken(keys)) => {
            assert_eq!(keys, vec![answer_key_id("c1", "k")]);
        }
        other => panic!("expected AnswerTaken, got {other:?}"),
    }
    assert!(f.store.find_booking(&second.code).await.unwrap().is_none());
    assert!(f.store.stored_answer("c2", "k").await.unwrap().is_none());
    let stored = f.store.stored_answer("c1", "k").await.unwrap().unwrap();
    assert_eq!(stored, answer("c1", "k", 1, b"first"));
    assert!(f.store.find_booking(&first.code).await.unwrap().is_some());
    assert!(
        f.store
            .stored_answer("c1", "other")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        f.store
            .idempotency_prune(now - Duration::minutes(1))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        f.store
            .idempotency_prune(now + Duration::minutes(1))
            .await
            .unwrap(),
        1
    );
    assert_eq!(f.store.audit().await.unwrap().violations(), 0);
}

crate::on_both_backends!(a_refused_batch_fails_alone_among_batches_of_other_days);

/// PostgreSQL writes batches of different days waiting at the same moment in one
/// transaction; a refusal must still reach only the batch that caused it.
async fn a_refused_batch_fails_alone_among_batches_of_other_days(backend: Backend) {
    let Some(f) = fixture(backend, 5).await else {
        return;
    };
    let now = test_start();
    let days: Vec<_> = (0..6).map(|i| tomorrow() + Duration::days(i)).collect();
    let mut schedules = Vec::new();
    for day in &days {
        let windows = generate_windows(&f.checkpoint, *day);
        f.store
            .ensure_windows(&f.checkpoint.id, *day, &windows)
            .await
            .unwrap();
        let record = f.store.load_day(&f.checkpoint.id, *day).await.unwrap();
        schedules.push(
            DaySchedule::from_parts(
                f.checkpoint.id.clone(),
                f.checkpoint.time_zone,
                *day,
                record.windows,
                record.bookings,
            )
            .unwrap(),
        );
    }
    let window_on = |day: usize| {
        let mut key = f.window(8);
        key.start += Duration::days(day as i64);
        key
    };
    let (taken, first) = schedules[0]
        .hold(request(window_on(0), "CC100"), &policy(), now)
        .unwrap();
    let mut batch = CommitBatch::new(f.checkpoint.id.clone(), days[0]);
    batch.push(first);
    f.store.commit(batch).await.unwrap();

    let colliding = 3;
    let mut batches = Vec::new();
    let mut booked = Vec::new();
    for (index, schedule) in schedules.iter_mut().enumerate().skip(1) {
        let mut hold = request(window_on(index), &format!("CC{index}01"));
        if index == colliding {
            hold.code = taken.code.clone();
        }
        let (booking, set) = schedule.hold(hold, &policy(), now).unwrap();
        let mut batch = CommitBatch::new(f.checkpoint.id.clone(), days[index]);
        batch.push(set);
        batches.push(f.store.commit(batch));
        booked.push((index, booking));
    }
    let results = futures_util::future::join_all(batches).await;

    for ((index, booking), result) in booked.iter().zip(results) {
        if *index == colliding {
            assert!(
                matches!(result, Err(StoreError::Conflict(_))),
                "day {index}: {result:?}"
            );
            let reloaded = f.store.load_day(&f.checkpoint.id, days[*index]).await;
            assert!(reloaded.unwrap().bookings.is_empty());
        } else {
            result.unwrap_or_else(|e| panic!("day {index}: {e}"));
            let found = f.store.find_booking(&booking.code).await.unwrap();
            assert_eq!(found.as_ref(), Some(booking));
        }
    }
    let owner = f.store.find_booking(&taken.code).await.unwrap().unwrap();
    assert_eq!(owner.id, taken.id);
    assert_eq!(f.store.audit().await.unwrap().violations(), 0);
}

crate::on_both_backends!(
    a_day_whose_windows_overlap_a_neighbour_after_a_time_zone_change_keeps_the_rest
);

/// A checkpoint moved to a time zone three hours ahead: the next day's first windows start
/// where the last ones of the day before already do. They stay that day's, and the rest of
/// the next day is made.
async fn a_day_whose_windows_overlap_a_neighbour_after_a_time_zone_change_keeps_the_rest(
    backend: Backend,
) {
    let Some(f) = fixture(backend, 5).await else {
        return;
    };
    let moved = Checkpoint {
        time_zone: chrono_tz::Europe::Moscow,
        ..f.checkpoint.clone()
    };
    f.store.upsert_checkpoint(&moved).await.unwrap();
    let next_day = tomorrow() + Duration::days(1);
    let planned = generate_windows(&moved, next_day);
    f.store
        .ensure_windows(&moved.id, next_day, &planned)
        .await
        .unwrap();

    let before = f.store.load_day(&moved.id, tomorrow()).await.unwrap();
    let after = f.store.load_day(&moved.id, next_day).await.unwrap();
    let taken: std::collections::HashSet<WindowKey> =
        before.windows.iter().map(|w| w.key).collect();
    let mut expected: Vec<WindowKey> = planned
        .iter()
        .map(|w| w.key)
        .filter(|key| !taken.contains(key))
        .collect();
    assert_eq!(
        before.windows.len(),
        generate_windows(&f.checkpoint, tomorrow()).len()
    );
    assert!(
        expected.len() < planned.len(),
        "the zones were meant to overlap"
    );
    let mut made: Vec<WindowKey> = after.windows.iter().map(|w| w.key).collect();
    made.sort();
    expected.sort();
    assert_eq!(made, expected);
}

crate::on_both_backends!(a_booking_code_taken_on_another_day_is_replaced_on_the_next_attempt);

async fn a_booking_code_taken_on_another_day_is_replaced_on_the_next_attempt(backend: Backend) {
    use borderslot::actors::schedule::Hold;
    use borderslot::actors::{ActorSettings, ScheduleRegistry};
    use borderslot::clock::ManualClock;

    let Some(f) = fixture(backend, 5).await else {
        return;
    };
    let next_day = tomorrow() + Duration::days(1);
    let windows = generate_windows(&f.checkpoint, next_day);
    f.store
        .ensure_windows(&f.checkpoint.id, next_day, &windows)
        .await
        .unwrap();
    let registry = ScheduleRegistry::new(
        vec![f.checkpoint.clone()],
        f.store.clone(),
        Arc::new(ManualClock::new(test_start())),
        policy(),
        ActorSettings::default(),
    );
    let first = registry
        .ask(
            &f.checkpoint.id,
            tomorrow(),
            Hold(request(f.window(8), "DD100")),
        )
        .await
        .unwrap();

    let mut attempts = 0;
    let mut next_window = f.window(8);
    next_window.start += Duration::days(1);
    let template = request(next_window, "DD200");
    let second = registry
        .ask_with(&f.checkpoint.id, next_day, || {
            attempts += 1;
            let code = if attempts == 1 {
                first.code.clone()
            } else {
                BookingCode::generate(&mut rand::rng())
            };
            Hold(HoldRequest {
                code,
                ..template.clone()
            })
        })
        .await
        .unwrap();

    assert_eq!(attempts, 2);
    assert_ne!(second.code, first.code);
    assert_eq!(
        f.store.find_booking(&second.code).await.unwrap(),
        Some(second)
    );
    assert_eq!(
        f.store.find_booking(&first.code).await.unwrap().unwrap().id,
        first.id
    );
    registry.shutdown(std::time::Duration::from_secs(5)).await;
}

crate::on_both_backends!(a_consumer_applies_each_event_once);

async fn a_consumer_applies_each_event_once(backend: Backend) {
    use borderslot::domain::statistics::{BookingCounts, StatisticsDelta, StatisticsKey};

    let Some(f) = fixture(backend, 5).await else {
        return;
    };
    let delta = StatisticsDelta {
        key: StatisticsKey {
            checkpoint: f.checkpoint.id.clone(),
            day: tomorrow(),
            hour: 9,
            category: borderslot::domain::Category::Car,
        },
        counts: BookingCounts {
            confirmations: 1,
            lead_time_seconds: 3600,
            lead_times: 1,
            ..BookingCounts::default()
        },
    };
    let event = uuid::Uuid::new_v4();
    let now = test_start();

    assert!(!f.store.is_processed("statistics", event).await.unwrap());
    assert!(
        f.store
            .record_processed(
                "statistics",
                &[ProcessedEvent::new(event, Some(delta.clone()))],
                now
            )
            .await
            .unwrap()[0]
    );
    assert!(
        !f.store
            .record_processed(
                "statistics",
                &[ProcessedEvent::new(event, Some(delta.clone()))],
                now
            )
            .await
            .unwrap()[0]
    );
    assert!(f.store.is_processed("statistics", event).await.unwrap());
    // Another consumer group keeps its own record of the same event.
    assert!(!f.store.is_processed("notifications", event).await.unwrap());
    assert!(
        f.store
            .record_processed("notifications", &[ProcessedEvent::new(event, None)], now)
            .await
            .unwrap()[0]
    );
    let other = uuid::Uuid::new_v4();
    assert!(
        f.store
            .record_processed(
                "statistics",
                &[ProcessedEvent::new(other, Some(delta.clone()))],
                now
            )
            .await
            .unwrap()[0]
    );

    // Many at once: an event recorded before, or twice in the same call, counts once.
    let (third, fourth) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let with_delta = |id| ProcessedEvent::new(id, Some(delta.clone()));
    assert_eq!(
        f.store
            .record_processed(
                "statistics",
                &[
                    with_delta(third),
                    with_delta(event),
                    with_delta(third),
                    with_delta(fourth)
                ],
                now
            )
            .await
            .unwrap(),
        [true, false, false, true]
    );
    // Twice in a call of events none of which was recorded before.
    let fifth = uuid::Uuid::new_v4();
    assert_eq!(
        f.store
            .record_processed("statistics", &[with_delta(fifth), with_delta(fifth)], now)
            .await
            .unwrap(),
        [true, false]
    );

    let rows = f
        .store
        .statistics(&f.checkpoint.id, tomorrow(), tomorrow())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].key, delta.key);
    assert_eq!(rows[0].counts.confirmations, 5);
    assert_eq!(rows[0].counts.lead_time_seconds, 18000);
    assert_eq!(rows[0].counts.mean_lead_time_hours(), Some(1.0));
}

crate::on_both_backends!(one_relay_at_a_time_holds_the_outbox);

async fn one_relay_at_a_time_holds_the_outbox(backend: Backend) {
    let Some(f) = fixture(backend, 5).await else {
        return;
    };
    let first = f
        .store
        .lock_relay()
        .await
        .unwrap()
        .expect("the lock is free");
    let second = f.store.lock_relay().await.unwrap();
    if matches!(backend, Backend::Postgres) {
        assert!(second.is_none(), "a second relay got the lock");
    }
    first.release().await;
    if let Some(second) = second {
        second.release().await;
    }
    let again = f.store.lock_relay().await.unwrap().expect("released");
    // Dropped without release (a cancelled round): the lock still ends, once the server has
    // seen its session close.
    drop(again);
    let last = eventually(
        std::time::Duration::from_secs(10),
        "the dropped lease's session to end and free the lock",
        || async { f.store.lock_relay().await.unwrap() },
    )
    .await;
    last.release().await;
}

crate::on_both_backends!(a_hold_then_a_block_of_its_window_commit_in_one_batch);

/// The actor decided the hold before the block: written together, the hold is no stale
/// replica's and must not be refused for the block that follows it.
async fn a_hold_then_a_block_of_its_window_commit_in_one_batch(backend: Backend) {
    let Some(f) = fixture(backend, 5).await else {
        return;
    };
    let now = test_start();
    let mut day = f.replica().await;
    let (held, hold) = day
        .hold(request(f.window(8), "HB100"), &policy(), now)
        .unwrap();
    let selection = WindowSelection {
        from: f.window(8).start,
        to: f.window(8).start + Duration::minutes(1),
        direction: None,
        categories: Vec::new(),
    };
    let (_, block) = day.block(&selection, "lane closed", now).unwrap();

    f.commit(vec![hold, block]).await.unwrap();

    let reloaded = f.replica().await;
    let window = reloaded.window(&f.window(8)).unwrap();
    assert_eq!(window.blocked.as_deref(), Some("lane closed"));
    assert_eq!(window.held, 1);
    assert_eq!(reloaded.booking(held.id), Some(&held));
    assert_eq!(f.store.audit().await.unwrap().violations(), 0);
}

crate::on_both_backends!(delivered_events_and_consumer_records_go_after_their_retention);

async fn delivered_events_and_consumer_records_go_after_their_retention(backend: Backend) {
    let Some(f) = fixture(backend, 5).await else {
        return;
    };
    let now = test_start();
    let mut day = f.replica().await;
    let (_, first) = day
        .hold(request(f.window(8), "PD100"), &policy(), now)
        .unwrap();
    f.commit(vec![first]).await.unwrap();
    let published = f.store.outbox_pending(10).await.unwrap();
    f.store
        .outbox_mark_published(&[published[0].seq], now - Duration::days(40))
        .await
        .unwrap();
    let (_, second) = day
        .hold(request(f.window(9), "PD200"), &policy(), now)
        .unwrap();
    f.commit(vec![second]).await.unwrap();
    let (old, recent) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    f.store
        .record_processed(
            "statistics",
            &[ProcessedEvent::new(old, None)],
            now - Duration::days(70),
        )
        .await
        .unwrap();
    f.store
        .record_processed("statistics", &[ProcessedEvent::new(recent, None)], now)
        .await
        .unwrap();

    let removed = f
        .store
        .prune_delivered(now - Duration::days(30), now - Duration::days(60), 100)
        .await
        .unwrap();

    assert_eq!(removed, 2, "the old published event and the old record");
    assert!(!f.store.is_processed("statistics", old).await.unwrap());
    assert!(f.store.is_processed("statistics", recent).await.unwrap());
    // Unpublished events are never pruned.
    assert_eq!(f.store.outbox_pending(10).await.unwrap().len(), 1);
}

crate::on_both_backends!(a_job_lease_is_held_by_one_process_until_it_expires);

async fn a_job_lease_is_held_by_one_process_until_it_expires(backend: Backend) {
    let Some(f) = fixture(backend, 1).await else {
        return;
    };
    let (first, second) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let now = test_start();
    let until = now + Duration::minutes(3);
    let lease = |holder, now, until| f.store.take_job_lease("reminders", holder, now, until);

    assert!(
        lease(first, now, until).await.unwrap(),
        "a free lease is taken"
    );
    assert!(
        !lease(second, now, until).await.unwrap(),
        "a live lease is another's"
    );
    assert!(
        lease(
            first,
            now + Duration::minutes(1),
            until + Duration::minutes(1)
        )
        .await
        .unwrap(),
        "the holder renews its lease"
    );
    assert!(
        f.store
            .take_job_lease("no_shows", second, now, until)
            .await
            .unwrap(),
        "each job has a lease of its own"
    );
    let after_expiry = until + Duration::minutes(1);
    assert!(
        !lease(second, after_expiry - Duration::seconds(1), after_expiry)
            .await
            .unwrap(),
        "a renewed lease lasts until its new end"
    );
    assert!(
        lease(second, after_expiry, after_expiry + Duration::minutes(3))
            .await
            .unwrap(),
        "an expired lease goes to whoever asks"
    );
    assert!(
        !lease(first, after_expiry, after_expiry + Duration::minutes(3))
            .await
            .unwrap(),
        "the old holder has lost it"
    );
}

crate::on_both_backends!(a_draw_closes_once_and_never_without_an_entry_stored_meanwhile);

/// Entries and the close meet on the draw's row: a close decided on fewer entries than are
/// stored is refused, a second close is refused, and an entry after the close is turned away;
/// one entry per plate.
async fn a_draw_closes_once_and_never_without_an_entry_stored_meanwhile(backend: Backend) {
    use borderslot::domain::DomainEvent;
    use borderslot::domain::draw::{DrawEntry, DrawSeed, DrawTimes};
    use borderslot::domain::schedule::DrawInput;
    use borderslot::store::Entering;

    let Some(f) = fixture(backend, 2).await else {
        return;
    };
    let now = test_start() + Duration::minutes(11);
    let times = DrawTimes {
        draw_opens_at: test_start() + Duration::minutes(5),
        opens_at: test_start() + Duration::minutes(10),
        closes_at: test_start() + Duration::minutes(11),
    };
    let entry = |plate: &str| DrawEntry {
        id: uuid::Uuid::new_v4(),
        checkpoint: f.checkpoint.id.clone(),
        day: tomorrow(),
        booking_id: BookingId::generate(),
        manage_token_digest: ManageToken::digest("token"),
        window: f.window(8),
        plate: Some(Plate::parse(plate).unwrap()),
        contact: Some(Contact::parse("a@example.com").unwrap()),
        priority: PriorityClass::Normal,
        confirm: true,
        carrier: None,
        entered_at: test_start() + Duration::minutes(6),
        outcome: None,
    };
    let enter = async |entry: &DrawEntry| {
        f.store
            .enter_draw(entry, &times, &DomainEvent::for_draw_entry(entry), None)
            .await
            .unwrap()
    };
    let (first, second, third) = (entry("DW100"), entry("DW200"), entry("DW300"));
    assert_eq!(enter(&first).await, Entering::Entered { entrants: 1 });
    assert_eq!(enter(&second).await, Entering::Entered { entrants: 2 });
    assert_eq!(enter(&entry("DW100")).await, Entering::PlateEntered);
    let draw = |entries: Vec<&DrawEntry>| DrawInput {
        times,
        seed: DrawSeed([9; 32]),
        entries: entries
            .into_iter()
            .map(|e| (e.clone(), BookingCode::generate(&mut rand::rng())))
            .collect(),
    };
    // Decided on two entries, while a third was stored: refused, nothing written.
    let (_, on_two) = f
        .replica()
        .await
        .run_draw(draw(vec![&first, &second]), &policy(), now);
    assert_eq!(enter(&third).await, Entering::Entered { entrants: 3 });
    let refused = f.commit(vec![on_two]).await.unwrap_err();
    assert!(matches!(refused, StoreError::Conflict(_)), "{refused:?}");
    let (open, _) = f
        .store
        .day_draw(&f.checkpoint.id, tomorrow())
        .await
        .unwrap()
        .unwrap();
    assert!(open.closed.is_none());
    assert_eq!(open.entrants, 3);

    // Decided on all three: written with every outcome.
    let everyone = vec![&first, &second, &third];
    let (close, on_three) = f
        .replica()
        .await
        .run_draw(draw(everyone.clone()), &policy(), now);
    let (_, twice) = f.replica().await.run_draw(draw(everyone), &policy(), now);
    f.commit(vec![on_three]).await.unwrap();
    let (closed, entries) = f
        .store
        .day_draw(&f.checkpoint.id, tomorrow())
        .await
        .unwrap()
        .unwrap();
    let closed_draw = closed.closed.clone().unwrap();
    assert_eq!(closed_draw.seed, DrawSeed([9; 32]).to_hex());
    assert_eq!(closed_draw.admitted, 2);
    assert!(entries.iter().all(|e| e.outcome.is_some()));
    let (stored, with_draw) = f.store.draw_entry(first.id).await.unwrap().unwrap();
    assert_eq!(with_draw.closed, closed.closed);
    assert_eq!(
        stored.outcome,
        close
            .outcomes
            .iter()
            .find(|(id, _)| *id == first.id)
            .map(|(_, o)| o.clone())
    );
    assert_eq!(f.replica().await.window(&f.window(8)).unwrap().confirmed, 2);

    // A second close (another replica's decision) is refused; so is a late entry.
    let again = f.commit(vec![twice]).await.unwrap_err();
    assert!(matches!(again, StoreError::Conflict(_)), "{again:?}");
    assert_eq!(enter(&entry("DW400")).await, Entering::Closed);
    assert!(f.store.due_draws(now).await.unwrap().is_empty());
    assert_eq!(
        f.store
            .closed_draws(&f.checkpoint.id, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(f.store.audit().await.unwrap().violations(), 0);
}

fn join_request(window: WindowKey, plate: &str) -> borderslot::domain::JoinRequest {
    borderslot::domain::JoinRequest {
        id: borderslot::domain::WaitlistId::new_random(),
        token_digest: ManageToken::digest("entry token"),
        direction: window.direction,
        category: window.category,
        range: borderslot::domain::WaitRange::windows(vec![window.start]).unwrap(),
        plate: Plate::parse(plate).unwrap(),
        contact: Contact::parse(&format!("{plate}@example.com")).unwrap(),
        priority: PriorityClass::Normal,
        booking: None,
        carrier: None,
    }
}

crate::on_both_backends!(a_waitlist_and_its_offer_are_loaded_back_and_a_stale_replica_is_refused);

async fn a_waitlist_and_its_offer_are_loaded_back_and_a_stale_replica_is_refused(backend: Backend) {
    use borderslot::domain::WaitlistStatus;
    let Some(f) = fixture(backend, 1).await else {
        return;
    };
    let now = test_start();
    let mut day = f.replica().await;
    let (held, booked) = day
        .hold(request(f.window(8), "WL100"), &policy(), now)
        .unwrap();
    f.commit(vec![booked]).await.unwrap();
    let mut blind = f.replica().await;
    let (first, joined_first) = day
        .join_waitlist(join_request(f.window(8), "WL200"), &policy(), now)
        .unwrap();
    let (second, joined_second) = day
        .join_waitlist(join_request(f.window(8), "WL300"), &policy(), now)
        .unwrap();
    f.commit(vec![joined_first, joined_second]).await.unwrap();
    let mut stale = f.replica().await;

    // The hold is cancelled and its place offered to the first entry, in one batch.
    let (_, mut cancelled) = day.cancel(held.id, now).unwrap();
    day.offer_places_freed_by(&mut cancelled, &policy(), now);
    f.commit(vec![cancelled]).await.unwrap();

    let reloaded = f.replica().await;
    let entry = reloaded.waitlist_entry(first.entry.id).unwrap();
    assert_eq!(entry.status, WaitlistStatus::Offered);
    assert_eq!(entry.token_digest, ManageToken::digest("entry token"));
    let hold = entry.offer.as_ref().unwrap().booking;
    assert!(reloaded.is_offer(hold));
    assert_eq!(reloaded.window(&f.window(8)).unwrap().held, 1);
    assert_eq!(
        reloaded.standing(second.entry.id).unwrap().position,
        Some(1)
    );
    let found = f
        .store
        .find_waitlist_entry(first.entry.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, *entry);

    // A replica that still sees both entries waiting cannot end one of them.
    let (_, left) = stale
        .leave_waitlist(first.entry.id, &policy(), now)
        .unwrap();
    assert!(matches!(
        f.commit(vec![left]).await,
        Err(StoreError::Conflict(_))
    ));

    // One active entry per plate and day, in the store as well: a replica that never saw the
    // plate's entry (and gives the new one an order of its own) is refused.
    for plate in ["WL401", "WL402"] {
        blind
            .join_waitlist(join_request(f.window(8), plate), &policy(), now)
            .unwrap();
    }
    let (_, duplicate) = blind
        .join_waitlist(join_request(f.window(8), "WL300"), &policy(), now)
        .unwrap();
    assert!(matches!(
        f.commit(vec![duplicate]).await,
        Err(StoreError::Conflict(_))
    ));
    let audit = f.store.audit().await.unwrap();
    assert_eq!(audit.violations(), 0, "{audit:?}");
}

/// A connection of the test's own to the fixture's PostgreSQL database; `None` off it.
async fn connect(f: &Fixture) -> Option<tokio_postgres::Client> {
    let crate::helpers::Origin::Postgres(url) = &f._origin else {
        return None;
    };
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    actix_web::rt::spawn(connection);
    Some(client)
}

/// A transaction of the test's own that logged `id` in `commit_log` and waits for its end, as
/// a write that has done everything but its COMMIT.
async fn committing_transaction(f: &Fixture, id: uuid::Uuid) -> tokio_postgres::Client {
    let client = connect(f).await.expect("only PostgreSQL logs commits");
    client
        .batch_execute(&format!(
            "BEGIN; INSERT INTO commit_log (batch_id) VALUES ('{id}')"
        ))
        .await
        .unwrap();
    client
}

/// A hold in window 8 committed behind the transaction `after`: the write's task, the
/// transaction it is told it was written in, and the booking.
async fn chained_hold(
    f: &Fixture,
    after: uuid::Uuid,
) -> (
    tokio::task::JoinHandle<Result<(), StoreError>>,
    tokio::sync::oneshot::Receiver<uuid::Uuid>,
    borderslot::domain::Booking,
) {
    let mut day = f.replica().await;
    let (held, set) = day
        .hold(request(f.window(8), "CH100"), &policy(), test_start())
        .unwrap();
    let mut batch = CommitBatch::new(f.checkpoint.id.clone(), tomorrow());
    batch.push(set);
    let (prepared, told) = tokio::sync::oneshot::channel();
    let chain = Chain {
        after: Some(after),
        prepared,
    };
    let store = f.store.clone();
    let write = actix_web::rt::spawn(async move { store.commit_chained(batch, chain).await });
    (write, told, held)
}

async fn window_taken(f: &Fixture) -> u32 {
    f.replica()
        .await
        .window(&f.window(8))
        .map(|w| w.taken())
        .unwrap()
}

/// Long enough for a write that did not wait to have committed.
const NOT_WAITING: std::time::Duration = std::time::Duration::from_millis(400);

#[actix_web::test]
async fn a_write_chained_behind_one_still_committing_commits_after_it_and_only_then() {
    let Some(f) = fixture(Backend::Postgres, 5).await else {
        return;
    };
    let previous = uuid::Uuid::new_v4();
    let committing = committing_transaction(&f, previous).await;
    let (mut write, mut told, held) = chained_hold(&f, previous).await;

    assert!(
        tokio::time::timeout(NOT_WAITING, &mut write).await.is_err(),
        "the write waits for the transaction it follows"
    );
    assert!(told.try_recv().is_err(), "and is not ready to commit yet");
    assert!(f.store.find_booking(&held.code).await.unwrap().is_none());

    committing.batch_execute("COMMIT").await.unwrap();
    write.await.unwrap().unwrap();
    let transaction = told.await.unwrap();

    assert!(f.store.find_booking(&held.code).await.unwrap().is_some());
    assert_eq!(window_taken(&f).await, 1);
    let logged = logged_commits(&f, &[previous, transaction]).await;
    assert_eq!(
        logged,
        vec![(previous, false), (transaction, false)]
            .into_iter()
            .collect()
    );
    assert_eq!(f.store.audit().await.unwrap().violations(), 0);
}

#[actix_web::test]
async fn a_write_chained_behind_one_that_rolled_back_stores_nothing() {
    let Some(f) = fixture(Backend::Postgres, 5).await else {
        return;
    };
    let previous = uuid::Uuid::new_v4();
    let committing = committing_transaction(&f, previous).await;
    let (write, told, held) = chained_hold(&f, previous).await;
    tokio::time::sleep(NOT_WAITING).await;

    committing.batch_execute("ROLLBACK").await.unwrap();
    let refused = write.await.unwrap();

    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "refused as resting on a write that is not stored: {refused:?}"
    );
    assert!(told.await.is_err(), "never ready to commit");
    assert!(f.store.find_booking(&held.code).await.unwrap().is_none());
    assert_eq!(window_taken(&f).await, 0);
    assert!(logged_commits(&f, &[previous]).await.is_empty());
    assert_eq!(f.store.audit().await.unwrap().violations(), 0);
}

#[actix_web::test]
async fn a_write_chained_behind_a_commit_looked_up_as_lost_stores_nothing() {
    let Some(f) = fixture(Backend::Postgres, 5).await else {
        return;
    };
    // What a connection looking a lost COMMIT up leaves when the transaction was not applied.
    let previous = uuid::Uuid::new_v4();
    connect(&f)
        .await
        .unwrap()
        .batch_execute(&format!(
            "INSERT INTO commit_log (batch_id, claimed) VALUES ('{previous}', true)"
        ))
        .await
        .unwrap();

    let (write, _told, held) = chained_hold(&f, previous).await;

    assert!(matches!(write.await.unwrap(), Err(StoreError::Conflict(_))));
    assert!(f.store.find_booking(&held.code).await.unwrap().is_none());
    assert_eq!(window_taken(&f).await, 0);
}

#[actix_web::test]
async fn the_embedded_store_never_takes_a_chained_write() {
    let Some(f) = fixture(Backend::Embedded, 5).await else {
        return;
    };
    let (write, told, held) = chained_hold(&f, uuid::Uuid::new_v4()).await;

    assert!(matches!(write.await.unwrap(), Err(StoreError::Other(_))));
    assert!(told.await.is_err());
    assert!(f.store.find_booking(&held.code).await.unwrap().is_none());
}

/// Which of `ids` are in `commit_log`, and whether each is a claim.
async fn logged_commits(
    f: &Fixture,
    ids: &[uuid::Uuid],
) -> std::collections::HashMap<uuid::Uuid, bool> {
    connect(f)
        .await
        .expect("only PostgreSQL logs commits")
        .query(
            "SELECT batch_id, claimed FROM commit_log WHERE batch_id = ANY($1)",
            &[&ids],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect()
}

//! What an `Idempotency-Key` costs the server for each booking it answers: packing and sealing
//! the answer to be stored with the booking, and opening it again for a replay.
//!
//! - `answers/seal`: a hold's answer (about 830 bytes of JSON, manage token included) packed
//!   with the trained dictionary and sealed with AES-256-GCM-SIV, as the schedule actor does
//!   for every keyed booking it decides.
//! - `answers/open`: the same answer opened and unpacked, as a replay does.
//!
//! Run with `cargo bench --bench answers`; see BENCHMARKS.md.

use std::hint::black_box;

use borderslot::store::{AnswerSeal, KeyClaim};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const HOLD: &str = r#"{"id":"01a252ba-61e8-784a-a0d7-4ac93d3f15af","code":"NG5W-8TGD","status":"held","checkpoint":"narva","direction":"entry","category":"truck","day":"2026-12-08","window":{"start":"2026-12-08T17:00:00Z","end":"2026-12-08T18:00:00Z","start_local":"2026-12-08T19:00:00+02:00","end_local":"2026-12-08T20:00:00+02:00","time_zone":"Europe/Tallinn"},"plate":"62 RDS 482","contact":"+48 65181909","priority":"normal","version":1,"hold_expires_at":"2026-12-07T23:07:56.200930621Z","reslotted_from":null,"created_at":"2026-12-07T22:57:56.200930621Z","updated_at":"2026-12-07T22:57:56.200930621Z","links":{"self":"/api/v1/bookings/NG5W-8TGD","confirm":"/api/v1/bookings/NG5W-8TGD/confirm","reschedule":"/api/v1/bookings/NG5W-8TGD/reschedule","calendar":"/api/v1/bookings/NG5W-8TGD.ics"},"manage_token":"a0821cdf2c654c5a5e4f64f21279199b644de27b38512f51536ce28a8db963d3"}"#;

fn answers(c: &mut Criterion) {
    let seal = AnswerSeal::new([7; 32]);
    let claim = KeyClaim {
        scope: "ip:203.0.113.7".into(),
        key: "4f9d3c1e-8a2b-4c6d-9e0f-1a2b3c4d5e6f".into(),
        request_digest: [0xd; 32],
    };
    let mut group = c.benchmark_group("answers");
    group.throughput(Throughput::Elements(1));
    group.bench_function("seal", |b| {
        b.iter(|| seal.seal(black_box(&claim), black_box(HOLD.as_bytes())))
    });
    let sealed = seal.seal(&claim, HOLD.as_bytes());
    println!(
        "a hold's answer: {} bytes sealed from {}",
        sealed.len(),
        HOLD.len()
    );
    group.bench_function("open", |b| {
        b.iter(|| seal.open(black_box(&claim), black_box(&sealed)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, answers);
criterion_main!(benches);

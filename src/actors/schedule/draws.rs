//! The day's opening draw, decided by the day's actor like every other change of its windows:
//! the entries are read from the store while the mailbox waits, so that no request is decided
//! between the read and the draw, and the draw's bookings, outcomes and seed go into the batch
//! like any decision. A draw that another replica closed first is refused by the store; the
//! actor then reloads the day, and the draw reads as closed.

use rand::TryRngCore;

use super::*;
use crate::domain::BookingCode;
use crate::domain::draw::{DayDraw, DrawEntry, DrawSeed, DrawTimes};
use crate::domain::schedule::DrawInput;

/// How long after its period an opening draw that nobody entered is still recorded (closed with
/// no entrants, so that an entry stored late finds it closed). Older openings were over before
/// anyone could enter: there is nothing to record.
pub const DRAW_RECORDED_WITHIN: chrono::Duration = chrono::Duration::days(1);

/// Run the day's opening draw if its period is over and it has not run. `times` are the day's
/// opening as the checkpoint publishes it now; a draw that has entries keeps the times it was
/// opened with.
#[derive(Message, Clone)]
#[rtype(result = "Result<DrawRun, ScheduleError>")]
pub struct RunDraw {
    pub times: DrawTimes,
}

/// What `RunDraw` came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrawRun {
    /// The period has not ended.
    NotDue,
    /// Run now, and durable.
    Ran { entrants: u32, admitted: u32 },
    /// It had run already (here or on another replica), or there was nothing to run.
    Done,
}

impl Handler<RunDraw> for ScheduleActor {
    type Result = ResponseFuture<Result<DrawRun, ScheduleError>>;

    fn handle(&mut self, msg: RunDraw, ctx: &mut Self::Context) -> Self::Result {
        self.last_activity = Instant::now();
        if self.draw_done {
            // Decided in memory; answered once that is durable (an empty change waits behind
            // everything queued, and is told to retry if the draw's batch is refused).
            return self.enqueue(ctx, ChangeSet::default(), DrawRun::Done);
        }
        if self.services.clock.now() < msg.times.closes_at {
            return Box::pin(async { Ok(DrawRun::NotDue) });
        }
        let store = self.services.store.clone();
        let (checkpoint, day) = (self.checkpoint.id.clone(), self.date);
        let (decided, outcome) = oneshot::channel();
        // The mailbox waits for the read, so the draw is decided before any request that
        // arrives after this message; the answer then waits for the write, outside it.
        ctx.wait(
            async move { store.day_draw(&checkpoint, day).await }
                .into_actor(self)
                .map(move |read, actor, ctx| {
                    let _ = decided.send(actor.decide_draw(ctx, read, msg.times));
                }),
        );
        Box::pin(async move {
            match outcome.await {
                Ok(durable) => durable.await,
                Err(_) => Err(ScheduleError::Unavailable),
            }
        })
    }
}

impl ScheduleActor {
    fn decide_draw(
        &mut self,
        ctx: &mut Context<Self>,
        read: Result<Option<(DayDraw, Vec<DrawEntry>)>, crate::store::StoreError>,
        times: DrawTimes,
    ) -> ResponseFuture<Result<DrawRun, ScheduleError>> {
        let now = self.services.clock.now();
        let read = match read {
            Ok(read) => read,
            Err(error) => {
                tracing::warn!(checkpoint = %self.checkpoint.id, day = %self.date, error.cause_chain = ?error, "the draw's entries could not be read");
                return Box::pin(async { Err(ScheduleError::Unavailable) });
            }
        };
        let (times, entries) = match read {
            Some((draw, _)) if draw.closed.is_some() => {
                self.draw_done = true;
                self.catch_up_with_draw(ctx, draw.closed.map_or(0, |c| c.admitted));
                return Box::pin(async { Ok(DrawRun::Done) });
            }
            Some((draw, entries)) => (draw.times, entries),
            None if now >= times.closes_at + DRAW_RECORDED_WITHIN => {
                self.draw_done = true;
                return Box::pin(async { Ok(DrawRun::Done) });
            }
            None => (times, Vec::new()),
        };
        if now < times.closes_at {
            return Box::pin(async { Ok(DrawRun::NotDue) });
        }
        self.run_expiry(ctx);
        let mut rng = rand::rng();
        let entries: Vec<(DrawEntry, BookingCode)> = entries
            .into_iter()
            .filter(|entry| entry.outcome.is_none())
            .map(|entry| (entry, BookingCode::generate(&mut rng)))
            .collect();
        let input = DrawInput {
            times,
            seed: fresh_seed(),
            entries,
        };
        let policy = self.services.policy;
        let Some(day) = self.day.as_mut() else {
            return Box::pin(async { Err(ScheduleError::Unavailable) });
        };
        let (close, changes) = day.run_draw(input, &policy, now);
        self.draw_done = true;
        self.arm_expiry_timer(ctx);
        let run = DrawRun::Ran {
            entrants: close.entrants,
            admitted: close.closed.admitted,
        };
        tracing::info!(
            checkpoint = %self.checkpoint.id,
            day = %self.date,
            entrants = close.entrants,
            admitted = close.closed.admitted,
            seed = %close.closed.seed,
            "opening draw decided"
        );
        let label = self.checkpoint.id.to_string();
        let durable = self.enqueue(ctx, changes, run);
        Box::pin(async move {
            let outcome = durable.await;
            if let Ok(DrawRun::Ran { entrants, admitted }) = outcome {
                crate::metrics::record_draw(&label, entrants, admitted);
            }
            outcome
        })
    }

    /// Another replica ran the day's draw: this day's memory may lack the bookings it made, so
    /// it is read again unless it already counts that many places taken, or a write is in
    /// flight (whose refusal reloads it anyway).
    fn catch_up_with_draw(&mut self, ctx: &mut Context<Self>, admitted: u32) {
        let taken: u32 = self
            .day
            .as_ref()
            .map_or(0, |day| day.windows().map(|w| w.taken()).sum());
        if taken >= admitted || self.writing() || !self.pending.is_empty() {
            return;
        }
        tracing::debug!(checkpoint = %self.checkpoint.id, day = %self.date, "reloading a day whose draw another replica ran");
        self.day = None;
        self.revision.advance();
        self.load(ctx);
    }
}

/// 32 bytes from the operating system's generator; from the thread's generator (seeded from
/// the operating system, and cryptographically strong) should that fail.
fn fresh_seed() -> DrawSeed {
    let mut seed = [0u8; 32];
    if rand::rngs::OsRng.try_fill_bytes(&mut seed).is_err() {
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut seed);
    }
    DrawSeed(seed)
}

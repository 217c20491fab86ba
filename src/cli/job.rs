//! Jobs as one-shot commands (`borderslot job <name>`), the form a Kubernetes Job or CronJob
//! runs: the same rounds the `processor` role runs on timers, repeated until there is nothing
//! left to do, then exit.

use std::sync::Arc;

use clap::ValueEnum;

use crate::actors::ScheduleRegistry;
use crate::actors::notifications;
use crate::actors::strikes::Bars;
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::domain::strikes::StrikeRules;
use crate::jobs::{
    Outcome, draws, generate_schedule, no_shows, outbox_relay, prune_delivered, prune_idempotency,
    reminders,
};
use crate::startup::{open_bus, open_store, subscribe_consumers};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum JobName {
    /// Publish every unsent event (with the in-process bus, the consumers run here too).
    Relay,
    /// Remind drivers whose window starts within the reminder lead.
    Reminders,
    /// Mark missed confirmed bookings of yesterday and today as no-shows.
    NoShows,
    /// Run the opening draws whose period has ended.
    Draws,
    /// Create the windows of the days that came into the booking horizon.
    GenerateSchedule,
    /// Forget idempotency keys past their retention.
    PruneIdempotency,
    /// Forget published events and consumers' records past their retention.
    PruneDelivered,
}

/// Runs `job` until a round finds nothing to do; returns how many items it handled.
pub async fn run(job: JobName, settings: Settings) -> anyhow::Result<u64> {
    let store = open_store(&settings).await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let until_idle = |outcome: Outcome, total: &mut u64| match outcome {
        Outcome::Worked(n) => {
            *total += n;
            true
        }
        Outcome::Idle => false,
    };
    let mut total = 0;
    match job {
        JobName::Relay => {
            let bus = open_bus(&settings).await?;
            if settings.amqp_url.is_none() {
                // No broker: nobody else would ever see these events.
                let bars = Arc::new(Bars::new(StrikeRules::default()));
                subscribe_consumers(bus.as_ref(), &store, &clock, &settings, &bars).await;
            }
            while until_idle(
                outbox_relay::try_run_once(store.as_ref(), bus.as_ref(), clock.now()).await?,
                &mut total,
            ) {}
            bus.shutdown().await;
        }
        JobName::Reminders => {
            let sender =
                notifications::start_sender(&settings.notify, store.clone(), clock.clone());
            let outcome = reminders::send_reminders(
                store.as_ref(),
                &sender,
                clock.now(),
                settings.reminder_lead,
            )
            .await?;
            until_idle(outcome, &mut total);
        }
        JobName::NoShows | JobName::Draws => {
            // These decide through the days' actors, which live as long as the round.
            let registry = ScheduleRegistry::new(
                store.checkpoints().await?,
                store.clone(),
                clock.clone(),
                settings.policy,
                settings.actors,
            );
            let now = clock.now();
            let outcome = match job {
                JobName::NoShows => no_shows::try_run_once(&registry, store.as_ref(), now).await,
                _ => draws::try_run_once(&registry, store.as_ref(), now).await,
            };
            registry.shutdown(settings.shutdown_timeout).await;
            until_idle(outcome?, &mut total);
        }
        JobName::GenerateSchedule => {
            generate_schedule::try_run_once(
                store.as_ref(),
                clock.now(),
                settings.policy.horizon_days,
            )
            .await?;
        }
        JobName::PruneDelivered => {
            while until_idle(
                prune_delivered::try_run_once(store.as_ref(), clock.now()).await?,
                &mut total,
            ) {}
        }
        JobName::PruneIdempotency => {
            while until_idle(
                prune_idempotency::try_run_once(store.as_ref(), clock.now()).await?,
                &mut total,
            ) {}
        }
    }
    Ok(total)
}

//! Builds the running system from `Settings`: store, schedule actors, jobs and HTTP server.
//! `main` and the tests share it.

use std::net::TcpListener;
use std::sync::Arc;

use actix::Addr;
use actix_web::dev::{Server, ServerHandle};
use actix_web::{App, HttpServer, web};
use anyhow::Context;

use crate::actors::ScheduleRegistry;
use crate::actors::notifications::{
    self, NOTIFICATIONS_GROUP, NotificationActor, NotificationsConsumer, WaitlistLinks,
};
use crate::actors::statistics::{STATISTICS_GROUP, StatisticsRecorder};
use crate::actors::strikes::{Bars, STRIKES_GROUP, StrikesRecorder};
use crate::app::AppState;
use crate::app::limits::Limits;
use crate::auth::token::TokenKeys;
use crate::bus::EventBus;
use crate::bus::in_process::InProcessBus;
use crate::bus::rabbitmq::{RabbitBus, RabbitSettings};
use crate::clock::{Clock, SystemClock};
use crate::config::{Part, Settings};
use crate::domain::strikes::StrikeRules;
use crate::http::idempotency::Answers;
use crate::http::rendered::RenderedAvailability;
use crate::jobs::{
    JobLeases, JobRunner, daily_report, draws, generate_schedule, no_shows, outbox_relay,
    prune_delivered, prune_idempotency,
};
use crate::routes::limits::limit_requests;
use crate::routes::observe::observe;
use crate::routes::{configure_for, problem_errors};
use crate::secret::Secret;
use crate::seed;
use crate::store::deadline::Deadline;
use crate::store::embedded::EmbeddedStore;
use crate::store::postgres::PostgresStore;
use crate::store::{AnswerSeal, SlotStore};
use crate::web::rendered_days::RenderedDays;

/// How often the rate limiters drop clients back at a full allowance.
const FORGET_IDLE_CLIENTS_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// How often the booking horizon is extended with new days' windows.
const SCHEDULE_GENERATION_INTERVAL: std::time::Duration = std::time::Duration::from_secs(3600);

/// Largest request body accepted; bookings are a few hundred bytes.
const BODY_BYTES_MAX: usize = 64 * 1024;

/// The store the settings ask for: PostgreSQL when a database is configured (migrated first
/// if asked), the embedded file otherwise.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Arc<dyn SlotStore>> {
    match &settings.database {
        Some(database) => {
            let store = PostgresStore::connect(database).await?;
            if settings.migrate_on_start {
                let applied = store.migrate(None).await?;
                tracing::info!(?applied, "database migrations applied");
            }
            let bound = database.operation_timeout;
            Ok(Arc::new(Deadline::new(store, bound)))
        }
        None => Ok(Arc::new(
            EmbeddedStore::open(&settings.database_path())
                .context("Failed to open the embedded store")?,
        )),
    }
}

/// Every consumer group, so that a broker holds a queue for each before the first publish.
pub const CONSUMER_GROUPS: &[&str] = &[STATISTICS_GROUP, NOTIFICATIONS_GROUP, STRIKES_GROUP];

/// What RabbitMQ needs of the settings, with `AMQP_URL`'s list checked.
pub fn rabbit_settings(settings: &Settings, urls: &Secret) -> anyhow::Result<RabbitSettings> {
    Ok(RabbitSettings {
        prefetch: settings.amqp_prefetch,
        queue_type: settings.amqp_queue_type,
        delivery_limit: settings.amqp_delivery_limit,
        ..RabbitSettings::new(urls, &settings.amqp_namespace, CONSUMER_GROUPS.to_vec())
            .map_err(anyhow::Error::msg)?
    })
}

/// The bus the settings ask for: RabbitMQ when `AMQP_URL` is set, in-process otherwise.
pub async fn open_bus(settings: &Settings) -> anyhow::Result<Arc<dyn EventBus>> {
    match &settings.amqp_url {
        Some(url) => {
            let bus = RabbitBus::connect(rabbit_settings(settings, url)?).await;
            Ok(Arc::new(bus))
        }
        None => Ok(Arc::new(InProcessBus::new())),
    }
}

/// Subscribes every consumer group to `bus`; returns the notification sender they share.
pub async fn subscribe_consumers(
    bus: &dyn EventBus,
    store: &Arc<dyn SlotStore>,
    clock: &Arc<dyn Clock>,
    settings: &Settings,
    bars: &Arc<Bars>,
) -> Addr<NotificationActor> {
    let recorder = StatisticsRecorder::new(store.clone(), clock.clone());
    bus.subscribe(STATISTICS_GROUP, Arc::new(recorder)).await;
    let strikes = StrikesRecorder::new(store.clone(), clock.clone(), bars.clone());
    bus.subscribe(STRIKES_GROUP, Arc::new(strikes)).await;
    let sender = notifications::start_sender(&settings.notify, store.clone(), clock.clone());
    let consumer = NotificationsConsumer::new(sender.clone(), &settings.notify)
        .with_waitlist_links(WaitlistLinks {
            keys: token_keys(settings),
            public_url: settings.public_url.clone(),
        });
    bus.subscribe(NOTIFICATIONS_GROUP, Arc::new(consumer)).await;
    sender
}

pub struct Application {
    port: u16,
    server: Server,
    registry: Arc<ScheduleRegistry>,
    store: Arc<dyn SlotStore>,
    bus: Arc<dyn EventBus>,
    jobs: JobRunner,
    answers: Arc<Answers>,
    settings: Settings,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    pub async fn build_with_clock(
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let store = open_store(&settings).await?;
        Self::build_with(settings, store, clock).await
    }

    pub async fn build_with(
        settings: Settings,
        store: Arc<dyn SlotStore>,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let bus = open_bus(&settings).await?;
        Self::build_with_bus(settings, store, bus, clock).await
    }

    pub async fn build_with_bus(
        settings: Settings,
        store: Arc<dyn SlotStore>,
        bus: Arc<dyn EventBus>,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        crate::metrics::prometheus::install();
        let bars = Arc::new(Bars::new(StrikeRules::default()));
        if settings.demo_data && seed::seed_demo_if_empty(store.as_ref()).await? {
            let days =
                seed::generate_schedule(store.as_ref(), clock.now(), settings.policy.horizon_days)
                    .await?;
            tracing::info!(days, "seeded demo checkpoints and their schedules");
        }
        let checkpoints = store
            .checkpoints()
            .await
            .context("Failed to read checkpoints")?;
        let registry = Arc::new(ScheduleRegistry::new(
            checkpoints,
            store.clone(),
            clock.clone(),
            settings.policy,
            settings.actors,
        ));

        bars.refresh(store.as_ref(), clock.now())
            .await
            .context("Failed to read the barred plates")?;
        let mut jobs = JobRunner::new();
        let leases = JobLeases::new(store.clone(), clock.clone());
        if settings.role.runs(Part::EventsAndJobs) {
            let (job_store, job_clock) = (store.clone(), clock.clone());
            jobs.spawn_leased(
                "prune_idempotency",
                settings.job_interval,
                leases.clone(),
                move || {
                    let (store, now) = (job_store.clone(), job_clock.now());
                    async move { prune_idempotency::try_run_once(store.as_ref(), now).await }
                },
            );
            let (delivered_store, delivered_clock) = (store.clone(), clock.clone());
            jobs.spawn_leased(
                "prune_delivered",
                SCHEDULE_GENERATION_INTERVAL,
                leases.clone(),
                move || {
                    let (store, now) = (delivered_store.clone(), delivered_clock.now());
                    async move { prune_delivered::try_run_once(store.as_ref(), now).await }
                },
            );
            let (no_show_registry, no_show_store, no_show_clock) =
                (registry.clone(), store.clone(), clock.clone());
            jobs.spawn_leased(
                "no_shows",
                settings.job_interval,
                leases.clone(),
                move || {
                    let (registry, store, now) = (
                        no_show_registry.clone(),
                        no_show_store.clone(),
                        no_show_clock.now(),
                    );
                    async move { no_shows::try_run_once(&registry, store.as_ref(), now).await }
                },
            );
            let (draw_registry, draw_store, draw_clock) =
                (registry.clone(), store.clone(), clock.clone());
            jobs.spawn_leased("draws", settings.draw_interval, leases.clone(), move || {
                let (registry, store, now) =
                    (draw_registry.clone(), draw_store.clone(), draw_clock.now());
                async move { draws::try_run_once(&registry, store.as_ref(), now).await }
            });
            let sender = subscribe_consumers(bus.as_ref(), &store, &clock, &settings, &bars).await;
            let (reminder_store, reminder_clock) = (store.clone(), clock.clone());
            let lead = settings.reminder_lead;
            jobs.spawn_leased(
                "reminders",
                settings.job_interval,
                leases.clone(),
                move || {
                    let (store, sender, now) =
                        (reminder_store.clone(), sender.clone(), reminder_clock.now());
                    async move {
                        crate::jobs::reminders::send_reminders(store.as_ref(), &sender, now, lead)
                            .await
                    }
                },
            );
            let (report_store, report_clock) = (store.clone(), clock.clone());
            let report_dir = settings.report_dir.clone();
            jobs.spawn_leased(
                "daily_report",
                daily_report::INTERVAL,
                leases.clone(),
                move || {
                    let (store, dir, now) =
                        (report_store.clone(), report_dir.clone(), report_clock.now());
                    async move { daily_report::try_run_once(store.as_ref(), &dir, now).await }
                },
            );
            let (relay_store, relay_bus, relay_clock) = (store.clone(), bus.clone(), clock.clone());
            jobs.spawn("outbox_relay", settings.relay_interval, move || {
                let (store, bus, now) = (relay_store.clone(), relay_bus.clone(), relay_clock.now());
                async move { outbox_relay::try_run_once(store.as_ref(), bus.as_ref(), now).await }
            });
        }

        if settings.role.runs(Part::ScheduleGeneration) {
            let (schedule_store, schedule_clock) = (store.clone(), clock.clone());
            let horizon_days = settings.policy.horizon_days;
            jobs.spawn_leased(
                "generate_schedule",
                SCHEDULE_GENERATION_INTERVAL,
                leases.clone(),
                move || {
                    let (store, now) = (schedule_store.clone(), schedule_clock.now());
                    async move {
                        generate_schedule::try_run_once(store.as_ref(), now, horizon_days).await
                    }
                },
            );
        }

        let tokens = match &settings.jwt_secret {
            Some(secret) => TokenKeys::new(secret.expose().as_bytes())?,
            None => local_token_keys(&settings.data_dir, settings.role.takes_requests()),
        };
        let answers = Arc::new(Answers::new(AnswerSeal::new(tokens.answer_key())));
        let (server, port) = {
            let listener = TcpListener::bind(&settings.listen_addr)
                .with_context(|| format!("Failed to listen on {}", settings.listen_addr))?;
            let port = listener.local_addr()?.port();
            let state = web::Data::new(AppState {
                registry: registry.clone(),
                store: store.clone(),
                bus: bus.clone(),
                tokens: tokens.clone(),
                bars: bars.clone(),
                carrier_keys: Default::default(),
                oidc: settings
                    .oidc
                    .clone()
                    .map(|config| Arc::new(crate::oidc::Provider::new(config))),
                best_times: Default::default(),
                drawn_days: Default::default(),
                limits: Limits::new(
                    settings.limits,
                    settings.policy.hold_ttl.to_std().unwrap_or_default(),
                ),
            });
            if settings.role.takes_requests() {
                // Bars decided by consumers in other processes reach this one within a minute.
                let (bars_store, bars_clock, refreshed) =
                    (store.clone(), clock.clone(), bars.clone());
                jobs.spawn("refresh_bars", FORGET_IDLE_CLIENTS_INTERVAL, move || {
                    let (store, now, bars) =
                        (bars_store.clone(), bars_clock.now(), refreshed.clone());
                    async move {
                        bars.refresh(store.as_ref(), now).await?;
                        Ok(crate::jobs::Outcome::Idle)
                    }
                });
                let idle_state = state.clone();
                jobs.spawn(
                    "forget_idle_clients",
                    FORGET_IDLE_CLIENTS_INTERVAL,
                    move || {
                        idle_state.limits.forget_idle_clients();
                        async { Ok(crate::jobs::Outcome::Idle) }
                    },
                );
            }
            let answers_data = web::Data::from(answers.clone());
            let rendered = web::Data::new(RenderedAvailability::default());
            let rendered_days = web::Data::new(RenderedDays::default());
            let role = settings.role;
            let server = HttpServer::new(move || {
                App::new()
                    .wrap(problem_errors())
                    .wrap(actix_web::middleware::from_fn(limit_requests))
                    .wrap(actix_web::middleware::from_fn(observe))
                    .app_data(state.clone())
                    .app_data(answers_data.clone())
                    .app_data(rendered.clone())
                    .app_data(rendered_days.clone())
                    .app_data(web::PayloadConfig::new(BODY_BYTES_MAX))
                    .configure(|cfg| configure_for(cfg, role))
            })
            .listen(listener)?
            .workers(settings.http_workers.max(1))
            .shutdown_timeout(settings.shutdown_timeout.as_secs())
            .run();
            (server, port)
        };
        Ok(Self {
            port,
            server,
            registry,
            store,
            bus,
            jobs,
            answers,
            settings,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn registry(&self) -> &Arc<ScheduleRegistry> {
        &self.registry
    }

    pub fn store(&self) -> &Arc<dyn SlotStore> {
        &self.store
    }

    pub fn bus(&self) -> &Arc<dyn EventBus> {
        &self.bus
    }

    /// The idempotency keys this process is answering now, and the seal of stored answers.
    pub fn answers(&self) -> &Arc<Answers> {
        &self.answers
    }

    /// A handle to stop the HTTP server from elsewhere (tests, signals).
    pub fn server_handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until the server is stopped (SIGINT/SIGTERM or a handle), then shuts down in
    /// order: HTTP drains, jobs stop, actors write what they decided.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.server.await.context("HTTP server failed")?;
        tracing::info!("HTTP server stopped");
        self.jobs.shutdown().await;
        self.bus.shutdown().await;
        self.registry.shutdown(self.settings.shutdown_timeout).await;
        tracing::info!("shutdown complete");
        Ok(())
    }
}

/// The keys the settings give: `JWT_SECRET`'s, or those of the secret kept in the data folder.
pub fn token_keys(settings: &Settings) -> TokenKeys {
    match &settings.jwt_secret {
        Some(secret) => TokenKeys::new(secret.expose().as_bytes())
            .unwrap_or_else(|_| local_token_keys(&settings.data_dir, false)),
        None => local_token_keys(&settings.data_dir, false),
    }
}

/// The keys of a process started without `JWT_SECRET`: a secret kept in the data folder, so
/// staff tokens and stored idempotent answers outlive a restart; a random one if the folder
/// cannot hold it. Other replicas do not share it, which is why production sets `JWT_SECRET`.
fn local_token_keys(data_dir: &std::path::Path, takes_requests: bool) -> TokenKeys {
    let path = data_dir.join("local-secret");
    match read_or_create_secret(&path) {
        Ok(secret) => {
            if takes_requests {
                tracing::warn!(path = %path.display(), "JWT_SECRET is not set: tokens and stored answers use the secret kept in the data folder, which no other replica shares");
            }
            TokenKeys::new(&secret).unwrap_or_else(|_| TokenKeys::ephemeral())
        }
        Err(error) => {
            if takes_requests {
                tracing::warn!(error.cause_chain = ?error, "JWT_SECRET is not set and the data folder cannot keep a secret: tokens and stored answers use a random key of this process");
            }
            TokenKeys::ephemeral()
        }
    }
}

fn read_or_create_secret(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Ok(secret) = std::fs::read(path)
        && secret.len() >= crate::auth::token::SECRET_BYTES_MIN
    {
        return Ok(secret);
    }
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("Failed to create {}", folder.display()))?;
    }
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("Failed to write {}", path.display()))?;
    file.write_all(secret.as_bytes())?;
    Ok(secret.into_bytes())
}

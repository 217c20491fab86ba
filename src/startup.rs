//! Builds the running system from `Settings`: store, schedule actors, jobs and HTTP server.
//! `main` and the tests share it.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle};
use actix_web::{App, HttpServer, web};
use anyhow::Context;

use crate::actors::ScheduleRegistry;
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::http::AppState;
use crate::http::routes::{configure, problem_errors};
use crate::jobs::{JobRunner, prune_idempotency};
use crate::seed;
use crate::store::SlotStore;
use crate::store::embedded::EmbeddedStore;
use crate::store::postgres::PostgresStore;

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
            Ok(Arc::new(store))
        }
        None => Ok(Arc::new(
            EmbeddedStore::open(&settings.database_path())
                .context("Failed to open the embedded store")?,
        )),
    }
}

pub struct Application {
    port: u16,
    server: Option<Server>,
    registry: Arc<ScheduleRegistry>,
    store: Arc<dyn SlotStore>,
    jobs: JobRunner,
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

        let mut jobs = JobRunner::new();
        if settings.role.runs_jobs() {
            let (job_store, job_clock) = (store.clone(), clock.clone());
            jobs.spawn("prune_idempotency", settings.job_interval, move || {
                let (store, now) = (job_store.clone(), job_clock.now());
                async move { prune_idempotency::try_run_once(store.as_ref(), now).await }
            });
        }

        let (server, port) = if settings.role.serves_http() {
            let listener = TcpListener::bind(&settings.listen_addr)
                .with_context(|| format!("Failed to listen on {}", settings.listen_addr))?;
            let port = listener.local_addr()?.port();
            let state = web::Data::new(AppState {
                registry: registry.clone(),
                store: store.clone(),
            });
            let server = HttpServer::new(move || {
                App::new()
                    .wrap(problem_errors())
                    .app_data(state.clone())
                    .app_data(web::PayloadConfig::new(BODY_BYTES_MAX))
                    .configure(configure)
            })
            .listen(listener)?
            .workers(settings.http_workers.max(1))
            .shutdown_timeout(settings.shutdown_timeout.as_secs())
            .run();
            (Some(server), port)
        } else {
            (None, 0)
        };
        Ok(Self {
            port,
            server,
            registry,
            store,
            jobs,
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

    /// A handle to stop the HTTP server from elsewhere (tests, signals).
    pub fn server_handle(&self) -> Option<ServerHandle> {
        self.server.as_ref().map(Server::handle)
    }

    /// Serves until the server is stopped (SIGINT/SIGTERM or a handle), then shuts down in
    /// order: HTTP drains, jobs stop, actors write what they decided.
    pub async fn run_until_stopped(mut self) -> anyhow::Result<()> {
        match self.server.take() {
            Some(server) => server.await.context("HTTP server failed")?,
            None => tokio::signal::ctrl_c()
                .await
                .context("Failed to wait for a stop signal")?,
        }
        tracing::info!("HTTP server stopped");
        self.jobs.shutdown().await;
        self.registry.shutdown(self.settings.shutdown_timeout).await;
        tracing::info!("shutdown complete");
        Ok(())
    }
}

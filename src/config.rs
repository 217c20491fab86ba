//! Settings, read from flags or the environment (every flag has an environment variable;
//! `borderslot serve --help` lists them with their defaults). Tests build `Settings` in code.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::actors::ActorSettings;
use crate::bus::rabbitmq::QueueType;
use crate::domain::Policy;
use crate::notify::NotifyConfig;
use crate::oidc::OidcConfig;
use crate::oidc::claims::{ClaimNames, RoleMap};
use crate::secret::Secret;
use crate::store::postgres::PostgresSettings;

/// Which parts of the system a process runs: one of the four services, or all of them. Every
/// role answers the probes (`/healthz`, `/readyz`) and `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Role {
    /// The public JSON API: checkpoints, availability, bookings, carriers' bookings and their
    /// API keys, sign-in, and the OpenAPI document.
    Api,
    /// What admins and operators do to the schedule through the JSON API: blocks, reserved
    /// places, checkpoints and their calendars, check-in, walk-ins, bars, the audit log, sign-in;
    /// and the generation of the schedule ahead.
    #[value(alias = "schedule-management")]
    Schedule,
    /// The driver and staff pages.
    Web,
    /// The event relay and consumers (statistics, strikes, notifications), the analysts'
    /// statistics, reports and forecasts, and the periodic jobs: reminders, no-shows, the
    /// daily report, pruning.
    #[value(alias = "data-processing", alias = "processor")]
    Data,
    /// Everything in one process.
    All,
}

/// A part of the system that one or more roles run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    PublicApi,
    ScheduleApi,
    AnalystApi,
    SignIn,
    Pages,
    ScheduleGeneration,
    EventsAndJobs,
}

impl Role {
    pub fn runs(self, part: Part) -> bool {
        use Part::*;
        match self {
            Role::All => true,
            Role::Api => matches!(part, PublicApi | SignIn),
            Role::Schedule => matches!(part, ScheduleApi | SignIn | ScheduleGeneration),
            Role::Web => matches!(part, Pages),
            Role::Data => matches!(part, AnalystApi | EventsAndJobs),
        }
    }

    /// Whether requests of people or programs (beyond the probes) reach this process, so it
    /// keeps per-client limits and barred plates fresh.
    pub fn takes_requests(self) -> bool {
        self.runs(Part::PublicApi) || self.runs(Part::ScheduleApi) || self.runs(Part::Pages)
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub listen_addr: String,
    pub data_dir: PathBuf,
    /// Where the daily report job writes its files.
    pub report_dir: PathBuf,
    /// PostgreSQL instead of the embedded store, when set.
    pub database: Option<PostgresSettings>,
    /// Apply pending PostgreSQL migrations at start-up.
    pub migrate_on_start: bool,
    pub role: Role,
    pub policy: Policy,
    pub actors: ActorSettings,
    /// Seed the demo checkpoints when the store has none.
    pub demo_data: bool,
    pub http_workers: usize,
    pub shutdown_timeout: Duration,
    pub job_interval: Duration,
    /// RabbitMQ instead of the in-process bus, when set: one URL or a comma-separated list of
    /// the cluster's nodes.
    pub amqp_url: Option<Secret>,
    /// Classic queues (what deployments before quorum queues declared) or quorum queues.
    pub amqp_queue_type: QueueType,
    /// With quorum queues, deliveries of one message before the broker dead-letters it.
    pub amqp_delivery_limit: u32,
    /// Prefix of the RabbitMQ exchange and queue names.
    pub amqp_namespace: String,
    /// Unacknowledged deliveries per RabbitMQ consumer.
    pub amqp_prefetch: u16,
    /// How often the relay looks for unsent events when the outbox is empty.
    pub relay_interval: Duration,
    /// How often the draw job looks for opening draws whose period has ended.
    pub draw_interval: Duration,
    /// Where notifications go (nothing configured: the log).
    pub notify: NotifyConfig,
    /// Drivers are reminded this long before their window.
    pub reminder_lead: chrono::Duration,
    /// Where drivers reach the pages, for links in notifications.
    pub public_url: String,
    /// Requests and holds per client address; zeros turn a limit off.
    pub limits: ClientLimits,
    /// Signs staff access tokens; `None` makes a random key per process (tokens then die
    /// with it and replicas do not accept each other's).
    pub jwt_secret: Option<Secret>,
    /// Accounts through an OpenID Connect provider, when `OIDC_ISSUER` is set.
    pub oidc: Option<OidcConfig>,
}

impl Settings {
    /// Settings for a test: an ephemeral port, the given data folder, no demo data unless
    /// asked, short timeouts.
    pub fn for_tests(data_dir: PathBuf) -> Self {
        Self {
            listen_addr: "127.0.0.1:0".to_owned(),
            report_dir: data_dir.join("reports"),
            data_dir,
            database: None,
            migrate_on_start: false,
            role: Role::All,
            policy: Policy::default(),
            actors: ActorSettings::default(),
            demo_data: true,
            http_workers: 2,
            shutdown_timeout: Duration::from_secs(5),
            // Tests run jobs by hand; a background round must not race them.
            job_interval: Duration::from_secs(3600),
            amqp_url: None,
            amqp_queue_type: QueueType::Classic,
            amqp_delivery_limit: crate::bus::rabbitmq::DELIVERY_LIMIT_DEFAULT,
            amqp_namespace: "borderslot".to_owned(),
            amqp_prefetch: 32,
            relay_interval: Duration::from_millis(50),
            // Tests run a draw by asking for its outcome (or the job by hand).
            draw_interval: Duration::from_secs(3600),
            notify: NotifyConfig::default(),
            reminder_lead: chrono::Duration::hours(24),
            public_url: "http://127.0.0.1:8080".to_owned(),
            jwt_secret: None,
            // Every test client is 127.0.0.1: limits are tested on their own.
            limits: ClientLimits::OFF,
            oidc: None,
        }
    }

    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("borderslot.sqlite3")
    }
}

/// Flags of `serve` (and of the commands that open the store).
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port the HTTP server listens on.
    #[arg(long, env = "LISTEN_ADDR", default_value = "127.0.0.1:8080")]
    pub listen_addr: String,
    /// Folder of the embedded store's database file.
    #[arg(long, env = "DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Folder the daily report job writes `<checkpoint>-<date>.json` and `.csv` into
    /// (default: `<DATA_DIR>/reports`).
    #[arg(long, env = "REPORT_DIR")]
    pub report_dir: Option<PathBuf>,
    /// PostgreSQL URL; when set, PostgreSQL is the store instead of the embedded file. Never
    /// logged.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<Secret>,
    /// Connections to PostgreSQL at most.
    #[arg(
        long,
        env = "DATABASE_POOL_SIZE",
        value_parser = within::<usize>(1..=1000),
        default_value_t = 16,
    )]
    pub database_pool_size: usize,
    /// Server-side time limit of one statement.
    #[arg(
        long,
        env = "DATABASE_STATEMENT_TIMEOUT_MS",
        value_parser = within::<u64>(1..=3_600_000),
        default_value_t = 5000,
    )]
    pub database_statement_timeout_ms: u64,
    /// How long a store call waits for PostgreSQL (for a connection, to connect, for the
    /// statements before a COMMIT) before the request is answered `503`.
    #[arg(
        long,
        env = "DATABASE_TIMEOUT_MS",
        value_parser = within::<u64>(100..=600_000),
        default_value_t = 2000,
    )]
    pub database_timeout_ms: u64,
    /// Transactions writing schedule batches at once; each writes every batch waiting.
    #[arg(
        long,
        env = "DATABASE_COMMIT_WRITERS",
        value_parser = within::<usize>(1..=64),
        default_value_t = 4,
    )]
    pub database_commit_writers: usize,
    /// Queries looking idempotency keys up at once; each answers every lookup waiting. One
    /// query for all of them costs less than several smaller ones.
    #[arg(
        long,
        env = "DATABASE_ANSWER_READERS",
        value_parser = within::<usize>(1..=64),
        default_value_t = 1,
    )]
    pub database_answer_readers: usize,
    /// Attempts to reach PostgreSQL at start-up, one second apart.
    #[arg(
        long,
        env = "DATABASE_CONNECT_ATTEMPTS",
        value_parser = within::<u32>(1..=3600),
        default_value_t = 10,
    )]
    pub database_connect_attempts: u32,
    /// Apply pending PostgreSQL migrations before serving.
    #[arg(long, env = "MIGRATE_ON_START", default_value_t = false, action = clap::ArgAction::Set)]
    pub migrate: bool,
    /// Which service to run (`api`, `schedule`, `web`, `data`), or `all` of them.
    #[arg(long, env = "ROLE", value_enum, default_value_t = Role::All)]
    pub role: Role,
    /// Seed the demo checkpoints when the store has none.
    #[arg(long, env = "DEMO_DATA", default_value_t = true, action = clap::ArgAction::Set)]
    pub demo_data: bool,
    /// How long a hold lasts before it expires unless confirmed.
    #[arg(
        long,
        env = "HOLD_TTL_SECONDS",
        value_parser = within::<u32>(10..=86_400),
        default_value_t = 600,
    )]
    pub hold_ttl_seconds: u32,
    /// How many days ahead windows can be booked.
    #[arg(
        long,
        env = "BOOKING_HORIZON_DAYS",
        value_parser = within::<u32>(1..=366),
        default_value_t = 30,
    )]
    pub booking_horizon_days: u32,
    /// No new booking into a window that starts sooner than this.
    #[arg(
        long,
        env = "BOOKING_CUTOFF_MINUTES",
        value_parser = within::<u32>(0..=10_080),
        default_value_t = 30,
    )]
    pub booking_cutoff_minutes: u32,
    /// Check-in opens this long before the window.
    #[arg(
        long,
        env = "ARRIVAL_EARLY_MINUTES",
        value_parser = within::<u32>(0..=1440),
        default_value_t = 180,
    )]
    pub arrival_early_minutes: u32,
    /// Check-in stays open this long after the window; later is a no-show.
    #[arg(
        long,
        env = "ARRIVAL_GRACE_MINUTES",
        value_parser = within::<u32>(0..=1440),
        default_value_t = 15,
    )]
    pub arrival_grace_minutes: u32,
    /// Requests written in one store transaction at most (1 turns group commit off).
    #[arg(
        long,
        env = "COMMIT_BATCH_SIZE_MAX",
        value_parser = within::<usize>(1..=65_536),
        default_value_t = 1024,
    )]
    pub commit_batch_size_max: usize,
    /// A day's writes in flight at once: 2 lets the next batch be written while the previous
    /// one commits (it then commits only after it, and only if it did), on a store that can
    /// (PostgreSQL); 1 waits for each commit.
    #[arg(
        long,
        env = "DAY_WRITES_IN_FLIGHT",
        value_parser = within::<usize>(1..=2),
        default_value_t = 2,
    )]
    pub day_writes_in_flight: usize,
    /// Messages a schedule actor's mailbox holds before senders wait.
    #[arg(
        long,
        env = "ACTOR_MAILBOX_CAPACITY",
        value_parser = within::<usize>(16..=1_048_576),
        default_value_t = 4096,
    )]
    pub actor_mailbox_capacity: usize,
    /// RabbitMQ (e.g. amqp://user:pass@host:5672/%2f) instead of the in-process event bus; for
    /// a cluster, every node's URL separated by commas: connections go to the first that
    /// answers and move to the next when one fails.
    #[arg(long, env = "AMQP_URL", hide_env_values = true)]
    pub amqp_url: Option<Secret>,
    /// `classic` or `quorum` (replicated; survives a node of three). A queue keeps the type it
    /// was declared with: see docs/operations.md to move from one to the other.
    #[arg(long, env = "AMQP_QUEUE_TYPE", value_enum, default_value_t = QueueType::Classic)]
    pub amqp_queue_type: QueueType,
    /// With quorum queues: deliveries of one event to consumers that died holding it before
    /// the broker moves it to the group's dead-letter queue.
    #[arg(
        long,
        env = "AMQP_DELIVERY_LIMIT",
        value_parser = within::<u32>(1..=1000),
        default_value_t = crate::bus::rabbitmq::DELIVERY_LIMIT_DEFAULT,
    )]
    pub amqp_delivery_limit: u32,
    /// Prefix of the RabbitMQ exchange and queue names, so deployments can share a broker.
    #[arg(long, env = "AMQP_NAMESPACE", default_value = "borderslot")]
    pub amqp_namespace: String,
    /// Unacknowledged deliveries per RabbitMQ consumer.
    #[arg(
        long,
        env = "AMQP_PREFETCH",
        value_parser = within::<u16>(1..=65_535),
        default_value_t = 32,
    )]
    pub amqp_prefetch: u16,
    /// How often the outbox relay looks for unsent events while there are none.
    #[arg(
        long,
        env = "RELAY_INTERVAL_MS",
        value_parser = within::<u64>(10..=60_000),
        default_value_t = 200,
    )]
    pub relay_interval_ms: u64,
    /// How often the draw job looks for opening draws whose period has ended (a request for the
    /// day, or an entrant asking for its outcome, runs a due draw at once as well).
    #[arg(
        long,
        env = "DRAW_INTERVAL_MS",
        value_parser = within::<u64>(100..=60_000),
        default_value_t = 1000,
    )]
    pub draw_interval_ms: u64,
    /// Requests per second one client address may make to the API and the pages (0: no limit).
    #[arg(long, env = "RATE_LIMIT_PER_SECOND", default_value_t = 20)]
    pub rate_limit_per_second: u32,
    /// Requests one client address may make at once above that rate.
    #[arg(
        long,
        env = "RATE_LIMIT_BURST",
        value_parser = within::<u32>(1..=100_000),
        default_value_t = 40,
    )]
    pub rate_limit_burst: u32,
    /// Bookings one client address may start per hold lifetime (0: no limit).
    #[arg(long, env = "HOLDS_PER_CLIENT_MAX", default_value_t = 10)]
    pub holds_per_client_max: u32,
    /// How long a place offered to a waiting driver is held for their answer.
    #[arg(
        long,
        env = "WAITLIST_OFFER_MINUTES",
        value_parser = within::<u32>(1..=1440),
        default_value_t = 10,
    )]
    pub waitlist_offer_minutes: u32,
    /// The address drivers reach the pages at, for the links in notifications (the waitlist's
    /// offers).
    #[arg(long, env = "PUBLIC_URL", default_value = "http://127.0.0.1:8080")]
    pub public_url: String,
    /// Moves one booking may make.
    #[arg(
        long,
        env = "RESCHEDULES_PER_BOOKING_MAX",
        value_parser = within::<u32>(0..=100),
        default_value_t = 3,
    )]
    pub reschedules_per_booking_max: u32,
    /// Unconfirmed holds one contact may have on one checkpoint day.
    #[arg(
        long,
        env = "HOLDS_PER_CONTACT_MAX",
        value_parser = within::<u32>(1..=1000),
        default_value_t = 3,
    )]
    pub holds_per_contact_max: u32,
    /// Key signing staff access tokens, at least 32 bytes (a Kubernetes Secret in production).
    #[arg(long, env = "JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<Secret>,
    /// Drivers are reminded this many hours before their window.
    #[arg(
        long,
        env = "REMINDER_LEAD_HOURS",
        value_parser = within::<u32>(1..=720),
        default_value_t = 24,
    )]
    pub reminder_lead_hours: u32,
    /// Issuer of the OpenID Connect provider through which drivers, carriers' staff and staff
    /// may sign in (e.g. https://id.example.org/realms/borderslot); unset: no accounts.
    #[arg(long, env = "OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,
    /// This service's client id at the provider.
    #[arg(long, env = "OIDC_CLIENT_ID", default_value = "borderslot")]
    pub oidc_client_id: String,
    /// This service's client secret at the provider (unset: a public client). Never logged.
    #[arg(long, env = "OIDC_CLIENT_SECRET", hide_env_values = true)]
    pub oidc_client_secret: Option<Secret>,
    /// Scopes the sign-in asks for.
    #[arg(long, env = "OIDC_SCOPES", default_value = "openid profile email")]
    pub oidc_scopes: String,
    /// Audience the provider's access tokens must name for the API (default: the client id).
    #[arg(long, env = "OIDC_AUDIENCE")]
    pub oidc_audience: Option<String>,
    /// Claim holding a person's roles (dots walk into objects: `realm_access.roles`).
    #[arg(long, env = "OIDC_ROLES_CLAIM", default_value = "roles")]
    pub oidc_roles_claim: String,
    /// Claim naming the carrier organisation a person works for.
    #[arg(long, env = "OIDC_ORGANISATION_CLAIM", default_value = "carrier")]
    pub oidc_organisation_claim: String,
    /// Which provider role gives which staff role: `admin=ROLE,operator=ROLE,analyst=ROLE`
    /// (empty: nobody is staff through the provider).
    #[arg(
        long,
        env = "OIDC_STAFF_ROLES",
        default_value = "admin=admin,operator=operator,analyst=analyst"
    )]
    pub oidc_staff_roles: RoleMap,
    /// The provider's registration page, linked from the sign-in page.
    #[arg(long, env = "OIDC_REGISTER_URL")]
    pub oidc_register_url: Option<String>,
    /// The provider's account page (password, e-mail), linked from "My bookings".
    #[arg(long, env = "OIDC_ACCOUNT_URL")]
    pub oidc_account_url: Option<String>,
    /// Fetches of the provider's keys for an unknown key id are at least this far apart.
    #[arg(
        long,
        env = "OIDC_KEYS_REFETCH_SECONDS",
        value_parser = within::<u64>(1..=3600),
        default_value_t = 10,
    )]
    pub oidc_keys_refetch_seconds: u64,
    /// How long a request to the provider may take.
    #[arg(
        long,
        env = "OIDC_TIMEOUT_MS",
        value_parser = within::<u64>(100..=60_000),
        default_value_t = 5000,
    )]
    pub oidc_timeout_ms: u64,
    /// HTTP worker threads (0: one per core).
    #[arg(
        long,
        env = "HTTP_WORKERS",
        value_parser = within::<usize>(0..=1024),
        default_value_t = 0,
    )]
    pub http_workers: usize,
}

impl ServeArgs {
    fn oidc(&self) -> Option<OidcConfig> {
        let issuer = self.oidc_issuer.clone().filter(|i| !i.trim().is_empty())?;
        Some(OidcConfig {
            issuer,
            client_id: self.oidc_client_id.clone(),
            client_secret: self.oidc_client_secret.clone().filter(|s| !s.is_empty()),
            scopes: self.oidc_scopes.clone(),
            audience: self
                .oidc_audience
                .clone()
                .filter(|a| !a.is_empty())
                .unwrap_or_else(|| self.oidc_client_id.clone()),
            claims: ClaimNames {
                roles: self.oidc_roles_claim.clone(),
                organisation: self.oidc_organisation_claim.clone(),
                role_map: self.oidc_staff_roles.clone(),
            },
            register_url: self.oidc_register_url.clone().filter(|u| !u.is_empty()),
            account_url: self.oidc_account_url.clone().filter(|u| !u.is_empty()),
            keys_refetch_min: Duration::from_secs(self.oidc_keys_refetch_seconds),
            timeout: Duration::from_millis(self.oidc_timeout_ms),
        })
    }

    pub fn into_settings(self) -> Settings {
        let oidc = self.oidc();
        let minutes = |m: u32| chrono::Duration::minutes(i64::from(m));
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let database = self.database_url.map(|url| PostgresSettings {
            pool_size_max: self.database_pool_size,
            statement_timeout: Duration::from_millis(self.database_statement_timeout_ms),
            operation_timeout: Duration::from_millis(self.database_timeout_ms),
            connect_timeout: Duration::from_millis(self.database_timeout_ms),
            connect_attempts: self.database_connect_attempts,
            commit_writers: self.database_commit_writers,
            answer_readers: self.database_answer_readers,
            ..PostgresSettings::new(url)
        });
        Settings {
            listen_addr: self.listen_addr,
            report_dir: self
                .report_dir
                .filter(|dir| !dir.as_os_str().is_empty())
                .unwrap_or_else(|| self.data_dir.join("reports")),
            data_dir: self.data_dir,
            database,
            migrate_on_start: self.migrate,
            role: self.role,
            policy: Policy {
                holds_per_contact_max: self.holds_per_contact_max,
                reschedules_per_booking_max: self.reschedules_per_booking_max,
                hold_ttl: chrono::Duration::seconds(i64::from(self.hold_ttl_seconds)),
                horizon_days: self.booking_horizon_days,
                booking_cutoff: minutes(self.booking_cutoff_minutes),
                arrival_early: minutes(self.arrival_early_minutes),
                arrival_grace: minutes(self.arrival_grace_minutes),
                offer_ttl: minutes(self.waitlist_offer_minutes),
            },
            actors: ActorSettings {
                mailbox_capacity: self.actor_mailbox_capacity,
                batch_size_max: self.commit_batch_size_max,
                writes_in_flight_max: self.day_writes_in_flight,
                arbiters: cores,
                ..ActorSettings::default()
            },
            demo_data: self.demo_data,
            http_workers: if self.http_workers == 0 {
                cores
            } else {
                self.http_workers
            },
            shutdown_timeout: Duration::from_secs(10),
            job_interval: Duration::from_secs(60),
            amqp_url: self.amqp_url.filter(|url| !url.is_empty()),
            amqp_queue_type: self.amqp_queue_type,
            amqp_delivery_limit: self.amqp_delivery_limit,
            amqp_namespace: self.amqp_namespace,
            amqp_prefetch: self.amqp_prefetch,
            relay_interval: Duration::from_millis(self.relay_interval_ms),
            draw_interval: Duration::from_millis(self.draw_interval_ms),
            // Read by `serve` from SMTP_URL, SMTP_FROM, WEBHOOK_URL, WEBHOOK_SECRET.
            notify: NotifyConfig::default(),
            reminder_lead: chrono::Duration::hours(i64::from(self.reminder_lead_hours)),
            public_url: self.public_url.trim_end_matches('/').to_owned(),
            jwt_secret: self.jwt_secret.filter(|s| !s.is_empty()),
            limits: ClientLimits {
                requests_per_second: self.rate_limit_per_second,
                burst: self.rate_limit_burst,
                holds_per_hold_ttl: self.holds_per_client_max,
            },
            oidc,
        }
    }
}

/// A flag's value parser that refuses anything outside `range` at start-up, naming the range.
fn within<T>(range: std::ops::RangeInclusive<i64>) -> clap::builder::RangedI64ValueParser<T>
where
    T: TryFrom<i64> + Clone + Send + Sync + 'static,
    <T as TryFrom<i64>>::Error: std::error::Error + Send + Sync + 'static,
{
    clap::builder::RangedI64ValueParser::new().range(range)
}

/// What one client address may do, against floods and against someone holding a whole day's
/// windows (OWASP API6). Zero turns a limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientLimits {
    pub requests_per_second: u32,
    pub burst: u32,
    /// Bookings started per hold lifetime (`HOLD_TTL_SECONDS`).
    pub holds_per_hold_ttl: u32,
}

impl ClientLimits {
    pub const OFF: ClientLimits = ClientLimits {
        requests_per_second: 0,
        burst: 1,
        holds_per_hold_ttl: 0,
    };
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::ServeArgs;

    #[derive(Parser)]
    struct Serve {
        #[command(flatten)]
        args: ServeArgs,
    }

    fn parse(flags: &[&str]) -> Result<ServeArgs, clap::Error> {
        Serve::try_parse_from(std::iter::once("serve").chain(flags.iter().copied()))
            .map(|serve| serve.args)
    }

    #[test]
    fn values_out_of_range_are_refused_with_the_range_named() {
        for (flag, value, range) in [
            ("--database-pool-size", "0", "1..=1000"),
            ("--hold-ttl-seconds", "5", "10..=86400"),
            ("--commit-batch-size-max", "0", "1..=65536"),
            ("--actor-mailbox-capacity", "8", "16..=1048576"),
            ("--relay-interval-ms", "1", "10..=60000"),
            ("--amqp-prefetch", "0", "1..=65535"),
            ("--amqp-delivery-limit", "0", "1..=1000"),
        ] {
            let error = parse(&[flag, value]).expect_err(flag).to_string();
            assert!(error.contains(flag) && error.contains(range), "{error}");
        }
    }

    #[test]
    fn values_in_range_are_taken_as_given() {
        let settings = parse(&["--hold-ttl-seconds", "10", "--relay-interval-ms", "10"])
            .unwrap()
            .into_settings();
        assert_eq!(settings.policy.hold_ttl.num_seconds(), 10);
        assert_eq!(settings.relay_interval.as_millis(), 10);
    }

    #[test]
    fn settings_with_secrets_keep_them_out_of_debug_output() {
        let mut settings = super::Settings::for_tests("/tmp/unused".into());
        settings.jwt_secret = Some(crate::secret::Secret::new(
            "a-signing-key-of-at-least-32-bytes!!",
        ));
        settings.amqp_url = Some(crate::secret::Secret::new(
            "amqp://app:broker-pass@mq:5672/%2f,amqp://app:broker-pass2@mq2:5672/%2f",
        ));
        settings.database = Some(crate::store::postgres::PostgresSettings::new(
            "postgres://app:db-pass@db:5432/borderslot",
        ));
        settings.oidc = parse(&[
            "--oidc-issuer",
            "https://id.example.org",
            "--oidc-client-secret",
            "client-pass",
        ])
        .unwrap()
        .into_settings()
        .oidc;
        assert!(settings.oidc.is_some());
        let shown = format!("{settings:?}");
        for secret in ["a-signing-key", "broker-pass", "db-pass", "client-pass"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("db:5432"), "{shown}");
        assert!(shown.contains("mq2:5672"), "{shown}");
    }
}

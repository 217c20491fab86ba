//! The `borderslot` binary: one image, several roles.

use std::path::PathBuf;

use chrono::{Days, NaiveDate};
use clap::{Parser, Subcommand};

use borderslot::cli::dead_letters::{self, DeadLettersCommand};
use borderslot::cli::healthcheck;
use borderslot::cli::job::{self, JobName};
use borderslot::clock::{Clock, SystemClock};
use borderslot::config::ServeArgs;
use borderslot::domain::CheckpointId;
use borderslot::loadtest::{self, LoadtestArgs};
use borderslot::reports::write_daily_reports;
use borderslot::startup::{Application, open_store};
use borderslot::store::postgres::PostgresStore;
use borderslot::{seed, telemetry};

/// Every request allocates and frees many small objects on several threads; mimalloc's
/// thread-local free lists cost a fraction of glibc malloc's, which spent about a third of the
/// server's CPU under a booking rush consolidating and unlinking chunks. Built without
/// transparent huge pages (`no_thp`): on a host that enables them for every mapping, its
/// arenas were backed 2 MiB at a time, and a day's loaded windows cost four times the memory.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Arrival-window reservations for road border checkpoints.
///
/// Run without arguments to serve everything on http://127.0.0.1:8080 with the embedded
/// store in ./data and demo checkpoints. Logs: RUST_LOG (default info), LOG_FORMAT=json.
#[derive(Parser)]
#[command(name = "borderslot", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a staff account (the first admin, say). The password is read from the
    /// environment variable BORDERSLOT_PASSWORD or, without it, from the first line of stdin;
    /// never from a flag, which would leave it in shell histories and process lists.
    Add {
        /// The name to sign in with: lower-case letters, digits, dot, dash, underscore.
        #[arg(long)]
        name: String,
        /// admin, operator or analyst (`--role` is the process's role).
        #[arg(long, value_parser = ["admin", "operator", "analyst"])]
        staff_role: String,
        #[command(flatten)]
        store: ServeArgs,
    },
}

/// The notification settings, read from the environment alone (see `notify::config`).
const NOTIFY_HELP: &str = "Notifications (environment only): SMTP_URL with SMTP_FROM sends e-mail; \
     WEBHOOK_URL with WEBHOOK_SECRET posts signed webhooks; NOTIFY_ATTEMPTS_MAX bounds the \
     attempts per notification. With neither, notifications go to the log.";

#[derive(Subcommand)]
enum Command {
    /// Serve the API and run the schedule actors and jobs (the default).
    #[command(after_long_help = NOTIFY_HELP)]
    Serve(ServeArgs),
    /// Store the demo checkpoints (if there are none) and generate their schedules.
    Seed {
        #[command(flatten)]
        store: ServeArgs,
        /// Also store the `bench` checkpoint, whose windows never fill, for load tests.
        #[arg(long)]
        bench_checkpoint: bool,
        /// Also fill the booking statistics of every checkpoint for this many days before
        /// today with synthetic history (replacing what those days had), for forecasts.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=i64::from(seed::HISTORY_DAYS_MAX)))]
        history_days: Option<u32>,
    },
    /// Write the daily report (JSON and CSV) of one or every checkpoint for one local date.
    Report {
        /// The checkpoints' local date (default: yesterday in UTC).
        #[arg(long)]
        date: Option<NaiveDate>,
        /// Only this checkpoint (default: every one).
        #[arg(long)]
        checkpoint: Option<String>,
        /// Folder for `<checkpoint>-<date>.json` and `.csv` (default: REPORT_DIR).
        #[arg(long)]
        out_dir: Option<PathBuf>,
        #[command(flatten)]
        store: ServeArgs,
    },
    /// Create the windows of every day in the booking horizon for every checkpoint.
    GenerateSchedule(ServeArgs),
    /// Check every stored invariant; exits non-zero on any violation.
    Audit(ServeArgs),
    /// Apply pending PostgreSQL migrations (needs DATABASE_URL of the database's owner).
    Migrate(ServeArgs),
    /// Create the read-only PostgreSQL role `analyst` if it is missing and grant it the
    /// reporting tables (needs DATABASE_URL of a superuser, or of the tables' owner with
    /// CREATEROLE), for databases migrated by a user that may not create roles.
    GrantAnalyst(ServeArgs),
    /// Staff accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Run one background job until it has nothing left to do, then exit.
    Job {
        #[arg(value_enum)]
        name: JobName,
        #[command(flatten)]
        store: ServeArgs,
    },
    /// The consumer groups' dead letters on RabbitMQ: list them, replay them.
    #[command(subcommand)]
    DeadLetters(DeadLettersCommand),
    /// Exit 0 when the server on LISTEN_ADDR's port answers /healthz with 200 (over loopback
    /// when it listens on every address): the container's HEALTHCHECK, which has no curl.
    Healthcheck {
        #[arg(long, env = "LISTEN_ADDR", default_value = "127.0.0.1:8080")]
        listen_addr: String,
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=60))]
        timeout_seconds: u64,
    },
    /// Drive a running instance with a booking scenario, then audit its store.
    Loadtest {
        #[command(flatten)]
        load: LoadtestArgs,
        #[command(flatten)]
        store: ServeArgs,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init(std::env::var("LOG_FORMAT").is_ok_and(|f| f == "json"));
    // With no subcommand, serve: parsing "serve" still reads every setting's environment
    // variable and default.
    let command = match cli.command {
        Some(command) => command,
        None => Cli::parse_from(["borderslot", "serve"])
            .command
            .ok_or_else(|| anyhow::anyhow!("serve is always a command"))?,
    };
    actix_web::rt::System::new().block_on(run(command))
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => {
            let mut settings = args.into_settings();
            settings.notify = borderslot::notify::NotifyConfig::from_env()?;
            let listen = settings.listen_addr.clone();
            let app = Application::build(settings).await?;
            if app.port() != 0 {
                let host = listen.rsplit_once(':').map_or("127.0.0.1", |(h, _)| h);
                println!("listening on http://{host}:{}", app.port());
            }
            app.run_until_stopped().await
        }
        Command::Seed {
            store,
            bench_checkpoint,
            history_days,
        } => {
            let settings = store.into_settings();
            let store = open_store(&settings).await?;
            let seeded = seed::seed_demo_if_empty(store.as_ref()).await?;
            if bench_checkpoint {
                store.upsert_checkpoint(&seed::bench_checkpoint()).await?;
            }
            let days = seed::generate_schedule(
                store.as_ref(),
                SystemClock.now(),
                settings.policy.horizon_days,
            )
            .await?;
            println!("demo checkpoints seeded: {seeded}; schedule days checked: {days}");
            if let Some(history_days) = history_days {
                let progress = indicatif::ProgressBar::new(0).with_style(
                    indicatif::ProgressStyle::with_template(
                        "{msg:>10} [{bar:40}] {pos}/{len} checkpoint days ({eta})",
                    )?
                    .progress_chars("=> "),
                );
                let rows =
                    seed::seed_history(store.as_ref(), SystemClock.now(), history_days, &progress)
                        .await?;
                progress.finish_with_message("done");
                println!("statistics rows written: {rows}");
            }
            Ok(())
        }
        Command::Report {
            date,
            checkpoint,
            out_dir,
            store,
        } => {
            let settings = store.into_settings();
            let out_dir = out_dir.unwrap_or(settings.report_dir.clone());
            let date = match date {
                Some(date) => date,
                None => SystemClock
                    .now()
                    .date_naive()
                    .checked_sub_days(Days::new(1))
                    .ok_or_else(|| anyhow::anyhow!("no yesterday"))?,
            };
            let only = checkpoint.as_deref().map(CheckpointId::parse).transpose()?;
            let store = open_store(&settings).await?;
            let written =
                write_daily_reports(store.as_ref(), date, only.as_ref(), &out_dir).await?;
            for files in written {
                println!("{}", files.json.display());
                println!("{}", files.csv.display());
            }
            Ok(())
        }
        Command::GenerateSchedule(args) => {
            let settings = args.into_settings();
            let store = open_store(&settings).await?;
            let days = seed::generate_schedule(
                store.as_ref(),
                SystemClock.now(),
                settings.policy.horizon_days,
            )
            .await?;
            println!("schedule days checked: {days}");
            Ok(())
        }
        Command::User(UserCommand::Add {
            name,
            staff_role,
            store,
        }) => {
            let role: borderslot::auth::StaffRole = staff_role.parse()?;
            borderslot::auth::check_account_name(&name)?;
            let password = match std::env::var("BORDERSLOT_PASSWORD") {
                Ok(password) => password,
                Err(_) => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            borderslot::auth::password::check_strength(&password)?;
            let settings = store.into_settings();
            let store = open_store(&settings).await?;
            let account = borderslot::auth::StaffAccount {
                id: uuid::Uuid::new_v4(),
                name,
                role,
                password_hash: borderslot::auth::password::hash(&password)?,
                created_at: SystemClock.now(),
                disabled: false,
            };
            store
                .create_staff_account(&account)
                .await
                .map_err(|e| match e {
                    borderslot::store::StoreError::Conflict(_) => {
                        anyhow::anyhow!("an account named {} exists already", account.name)
                    }
                    other => other.into(),
                })?;
            println!("{} account {} created", account.role.as_str(), account.name);
            Ok(())
        }
        Command::Job { name, store } => {
            let mut settings = store.into_settings();
            settings.notify = borderslot::notify::NotifyConfig::from_env()?;
            let handled = job::run(name, settings).await?;
            println!("{name:?}: {handled} handled");
            Ok(())
        }
        Command::Audit(args) => {
            let settings = args.into_settings();
            let store = open_store(&settings).await?;
            let report = store.audit().await?;
            println!("{report:#?}");
            anyhow::ensure!(
                report.violations() == 0,
                "{} invariant violations",
                report.violations()
            );
            Ok(())
        }
        Command::DeadLetters(command) => dead_letters::run(command).await,
        Command::Healthcheck {
            listen_addr,
            timeout_seconds,
        } => healthcheck::probe(
            healthcheck::probe_addr(&listen_addr)?,
            std::time::Duration::from_secs(timeout_seconds),
        ),
        Command::Loadtest { load, store } => {
            let settings = store.into_settings();
            let store = if load.audit {
                Some(open_store(&settings).await?)
            } else {
                None
            };
            loadtest::run(load, store).await
        }
        Command::Migrate(args) => {
            let settings = args.into_settings();
            let database = settings
                .database
                .ok_or_else(|| anyhow::anyhow!("migrate needs DATABASE_URL"))?;
            let store = PostgresStore::connect(&database).await?;
            let applied = store.migrate(None).await?;
            println!("migrations applied: {applied:?}");
            if !store.analyst_exists().await? {
                println!(
                    "the read-only role analyst does not exist (creating it needs CREATEROLE): \
                     an administrator can add it with `borderslot grant-analyst`"
                );
            }
            Ok(())
        }
        Command::GrantAnalyst(args) => {
            let settings = args.into_settings();
            let database = settings
                .database
                .ok_or_else(|| anyhow::anyhow!("grant-analyst needs DATABASE_URL"))?;
            let store = PostgresStore::connect(&database).await?;
            let created = store.grant_analyst().await?;
            let role = if created { "created" } else { "exists" };
            println!("role analyst {role}; its grants are applied");
            Ok(())
        }
    }
}

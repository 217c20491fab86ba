//! Logging: compact lines locally, JSON with `LOG_FORMAT=json`; the level comes from
//! `RUST_LOG` (default `info`).

use tracing_subscriber::EnvFilter;

pub mod request_id;

pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second initialisation (tests) keeps the first subscriber.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.compact().try_init()
    };
}

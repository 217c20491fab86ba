//! Each role's process serves its own service's routes, and every role answers the probes and
//! `/metrics`, so one image runs as any of the four services.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use borderslot::clock::ManualClock;
use borderslot::config::Role;
use borderslot::jobs::{JobLeases, JobRunner, Outcome};
use borderslot::store::SlotStore;
use borderslot::store::embedded::EmbeddedStore;

use crate::helpers::{TestApp, eventually, spawn_app_with, test_start};

/// One request per part of the system: whether the process has a route for it.
const PROBES: &[(&str, &str, &str)] = &[
    ("public API", "GET", "/api/v1/checkpoints"),
    ("OpenAPI document", "GET", "/api/openapi.json"),
    (
        "schedule management",
        "POST",
        "/api/v1/admin/checkpoints/narva/blocks",
    ),
    ("operators", "POST", "/api/v1/operator/check-ins"),
    ("sign-in", "POST", "/api/v1/auth/login"),
    ("analysts", "GET", "/api/v1/stats"),
    ("pages", "GET", "/"),
    ("staff pages", "GET", "/staff/login"),
];

async fn served_parts(app: &TestApp) -> Vec<&'static str> {
    let mut served = Vec::new();
    for (part, method, path) in PROBES {
        let body = (*method == "POST").then_some(b"{}".as_slice());
        let response = app.send(method, path, &[], body).await;
        if response.body["type"] != "/problems/no-such-route" {
            served.push(*part);
        }
    }
    served
}

async fn parts_of(role: Role) -> Vec<&'static str> {
    let app = spawn_app_with(Vec::new(), |settings| settings.role = role).await;
    for probe in ["/healthz", "/readyz", "/metrics"] {
        assert_eq!(app.get(probe).await.status, 200, "{role:?} {probe}");
    }
    served_parts(&app).await
}

#[actix_web::test]
async fn the_api_role_serves_drivers_carriers_and_sign_in_only() {
    assert_eq!(
        parts_of(Role::Api).await,
        ["public API", "OpenAPI document", "sign-in"]
    );
}

#[actix_web::test]
async fn the_schedule_role_serves_admins_and_operators_only() {
    assert_eq!(
        parts_of(Role::Schedule).await,
        ["schedule management", "operators", "sign-in"]
    );
}

#[actix_web::test]
async fn the_web_role_serves_the_pages_only() {
    assert_eq!(parts_of(Role::Web).await, ["pages", "staff pages"]);
}

#[actix_web::test]
async fn the_data_role_serves_the_analysts_only() {
    assert_eq!(parts_of(Role::Data).await, ["analysts"]);
}

#[actix_web::test]
async fn the_all_role_serves_everything() {
    let all: Vec<&str> = PROBES.iter().map(|(part, _, _)| *part).collect();
    assert_eq!(parts_of(Role::All).await, all);
}

#[test]
fn the_roles_keep_the_names_deployments_already_use() {
    use clap::ValueEnum;
    for (name, role) in [
        ("processor", Role::Data),
        ("data-processing", Role::Data),
        ("schedule-management", Role::Schedule),
        ("api", Role::Api),
        ("web", Role::Web),
        ("all", Role::All),
    ] {
        assert_eq!(Role::from_str(name, false), Ok(role), "{name}");
    }
}

#[actix_web::test]
async fn a_periodic_job_runs_on_one_replica_however_many_run_it() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn SlotStore> =
        Arc::new(EmbeddedStore::open(&dir.path().join("jobs.sqlite3")).unwrap());
    let clock = Arc::new(ManualClock::new(test_start()));
    let rounds: Vec<Arc<AtomicU64>> = (0..3).map(|_| Arc::default()).collect();
    let mut replicas = Vec::new();
    for counter in &rounds {
        let mut jobs = JobRunner::new();
        let counter = counter.clone();
        let leases = JobLeases::new(store.clone(), clock.clone());
        jobs.spawn_leased("tally", Duration::from_millis(5), leases, move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async { Ok(Outcome::Idle) }
        });
        replicas.push(jobs);
    }
    let total = || rounds.iter().map(|r| r.load(Ordering::SeqCst)).sum::<u64>();
    // Every replica asks for the lease each round; ten rounds let each ask several times.
    eventually(Duration::from_secs(10), "ten rounds of the job", || async {
        (total() >= 10).then_some(())
    })
    .await;
    for jobs in replicas {
        jobs.shutdown().await;
    }

    let working: Vec<u64> = rounds.iter().map(|r| r.load(Ordering::SeqCst)).collect();
    assert_eq!(working.iter().filter(|n| **n > 0).count(), 1, "{working:?}");

    // When the holder is gone, another replica takes the job over once its lease ends.
    clock.advance(chrono::Duration::minutes(2));
    let survivor = Arc::new(AtomicU64::new(0));
    let mut jobs = JobRunner::new();
    let counter = survivor.clone();
    jobs.spawn_leased(
        "tally",
        Duration::from_millis(5),
        JobLeases::new(store.clone(), clock.clone()),
        move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async { Ok(Outcome::Idle) }
        },
    );
    eventually(Duration::from_secs(10), "the job taken over", || async {
        (survivor.load(Ordering::SeqCst) > 0).then_some(())
    })
    .await;
    jobs.shutdown().await;
}

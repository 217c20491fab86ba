//! PostgreSQL migrations: on an empty database, on one at the previous version, and twice.

use borderslot::store::migrations::latest_version;
use borderslot::store::postgres::{PostgresSettings, PostgresStore};
use tokio_postgres::error::SqlState;

use crate::helpers::{Backend, Origin, fresh_origin};

async fn empty_database() -> Option<String> {
    // fresh_origin migrates; a database of its own without schema is made from it by name.
    let Origin::Postgres(url) = fresh_origin(Backend::Postgres).await? else {
        unreachable!("a Postgres origin")
    };
    let (base, _) = url.rsplit_once('/').unwrap();
    let empty = format!("{base}/empty_{}", uuid::Uuid::new_v4().simple());
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    actix_web::rt::spawn(async move {
        let _ = connection.await;
    });
    let name = empty.rsplit_once('/').unwrap().1;
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    Some(empty)
}

#[actix_web::test]
async fn migrations_apply_from_empty_from_the_previous_version_and_twice() {
    let Some(url) = empty_database().await else {
        return;
    };
    let store = PostgresStore::connect(&PostgresSettings::new(url.clone()))
        .await
        .unwrap();

    let to_previous = store.migrate(Some(latest_version() - 1)).await.unwrap();
    let rest = store.migrate(None).await.unwrap();
    let again = store.migrate(None).await.unwrap();

    assert_eq!(to_previous, (1..latest_version()).collect::<Vec<_>>());
    assert_eq!(rest, vec![latest_version()]);
    assert!(again.is_empty());

    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    actix_web::rt::spawn(async move {
        let _ = connection.await;
    });
    let can = |table: &'static str| {
        let client = &client;
        async move {
            client
                .query_one(
                    "SELECT has_table_privilege('analyst', $1, 'SELECT')",
                    &[&table],
                )
                .await
                .unwrap()
                .get::<_, bool>(0)
        }
    };
    assert!(can("windows").await);
    assert!(can("outbox").await);
    assert!(
        !can("idempotency_keys").await,
        "analysts never read stored answers"
    );
    let reads_tokens: bool = client
        .query_one(
            "SELECT has_column_privilege('analyst', 'bookings', 'manage_token_digest', 'SELECT')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(!reads_tokens);
}

#[actix_web::test]
async fn the_database_itself_refuses_overbooking() {
    let Some(Origin::Postgres(url)) = fresh_origin(Backend::Postgres).await else {
        return;
    };
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    actix_web::rt::spawn(async move {
        let _ = connection.await;
    });
    client
        .batch_execute(
            "INSERT INTO checkpoints VALUES ('x', 'X', 'UTC', 60, '[\"entry\"]', '{}');
             INSERT INTO windows (checkpoint_id, day, direction, category, start_at, end_at, capacity, reserved)
             VALUES ('x', '2026-03-21', 'entry', 'car', '2026-03-21T08:00Z', '2026-03-21T09:00Z', 2, 0);",
        )
        .await
        .unwrap();

    let over = client
        .execute(
            "UPDATE windows SET held = 2, confirmed = 1 WHERE checkpoint_id = 'x'",
            &[],
        )
        .await;

    let error = over.expect_err("CHECK (held + confirmed <= capacity) holds");
    assert_eq!(error.code(), Some(&SqlState::CHECK_VIOLATION), "{error:?}");
    let refused_by = error.as_db_error().and_then(|db| db.constraint());
    assert_eq!(refused_by, Some("windows_within_capacity"), "{error:?}");
}

//! PostgreSQL migrations: on an empty database, on one at the previous version, and twice;
//! run by a database owner that may not create roles; and how a failed one reads.

use borderslot::store::migrations::{describe_db_error, latest_version};
use borderslot::store::postgres::{PostgresSettings, PostgresStore};
use borderslot::store::{AnswerStore, OutboxStore};
use tokio_postgres::error::SqlState;

use crate::helpers::{Backend, Origin, OwnCluster, at, fresh_origin, spawn_app_in, tomorrow};

/// A client of `url` whose connection runs in the background.
async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    actix_web::rt::spawn(async move {
        let _ = connection.await;
    });
    client
}

/// A new LOGIN role, neither superuser nor CREATEROLE, and a new database it owns, as a managed
/// PostgreSQL hands them out; made with a superuser's URL.
struct OwnedDatabase {
    role: String,
    name: String,
    /// The role's URL of its database.
    url: String,
    /// A superuser's URL of the same database.
    admin_url: String,
}

impl OwnedDatabase {
    async fn create(admin_url: &str) -> Self {
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        let (role, name) = (format!("owner_{suffix}"), format!("owned_{suffix}"));
        let admin = connect(admin_url).await;
        // One statement each: CREATE DATABASE refuses the implicit transaction of a batch.
        for statement in [
            format!("CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB"),
            format!("CREATE DATABASE {name} OWNER {role}"),
        ] {
            admin.batch_execute(&statement).await.unwrap();
        }
        let (server, _) = admin_url.rsplit_once('/').unwrap();
        let host = server.rsplit_once('@').unwrap().1;
        Self {
            url: format!("postgres://{role}@{host}/{name}"),
            admin_url: format!("{server}/{name}"),
            role,
            name,
        }
    }

    /// Drops the database and the role (cluster-wide, so worth removing from a shared cluster).
    async fn drop_with(self, admin_url: &str) {
        let admin = connect(admin_url).await;
        for statement in [
            format!("DROP DATABASE {} WITH (FORCE)", self.name),
            format!("DROP ROLE {}", self.role),
        ] {
            admin.batch_execute(&statement).await.unwrap();
        }
    }
}

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

    let client = connect(&url).await;
    assert!(analyst_reads(&client, "windows").await);
    assert!(analyst_reads(&client, "outbox").await);
    assert!(
        !analyst_reads(&client, "idempotency_keys").await,
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

#[actix_web::test]
async fn an_owner_that_may_not_create_roles_migrates_and_an_administrator_adds_the_analyst_later() {
    // A cluster of its own, so that no other test's migration has made `analyst` already.
    let Some(cluster) = OwnCluster::start().await else {
        return;
    };
    let owned = OwnedDatabase::create(&cluster.url).await;
    let store = PostgresStore::connect(&PostgresSettings::new(owned.url.clone()))
        .await
        .unwrap();

    let applied = store.migrate(None).await.unwrap();

    assert_eq!(applied, (1..=latest_version()).collect::<Vec<_>>());
    assert!(!store.analyst_exists().await.unwrap());
    assert!(store.migrate(None).await.unwrap().is_empty());
    let app = spawn_app_in(Origin::Postgres(owned.url.clone()), Vec::new(), |_| {}).await;
    let booked = app.book("narva", &at(tomorrow(), 6), "OW100", true).await;
    assert_eq!(booked.status, 201, "{}", booked.text);
    assert_eq!(app.store.audit().await.unwrap().violations(), 0);
    app.stop().await;

    let admin_store = PostgresStore::connect(&PostgresSettings::new(owned.admin_url.clone()))
        .await
        .unwrap();
    let created = admin_store.grant_analyst().await.unwrap();
    let created_again = admin_store.grant_analyst().await.unwrap();

    assert!(created);
    assert!(!created_again, "the role exists the second time");
    let analyst = connect(&owned.admin_url).await;
    analyst.batch_execute("SET ROLE analyst").await.unwrap();
    for readable in [
        "SELECT count(*) FROM windows",
        "SELECT count(*) FROM booking_statistics",
        "SELECT count(status) FROM bookings",
    ] {
        analyst
            .query_one(readable, &[])
            .await
            .unwrap_or_else(|e| panic!("{readable}: {}", describe_db_error(&e)));
    }
    for refused in [
        "SELECT count(*) FROM idempotency_keys",
        "SELECT count(manage_token_digest) FROM bookings",
    ] {
        let error = analyst.query_one(refused, &[]).await.expect_err(refused);
        assert_eq!(
            error.code(),
            Some(&SqlState::INSUFFICIENT_PRIVILEGE),
            "{refused}: {}",
            describe_db_error(&error)
        );
    }
}

#[actix_web::test]
async fn an_owner_that_may_not_create_roles_grants_to_an_analyst_role_that_exists() {
    // A superuser's migration makes sure the shared cluster has the role.
    if fresh_origin(Backend::Postgres).await.is_none() {
        return;
    }
    let admin_url = std::env::var("TEST_DATABASE_URL").unwrap();
    let owned = OwnedDatabase::create(&admin_url).await;
    let store = PostgresStore::connect(&PostgresSettings::new(owned.url.clone()))
        .await
        .unwrap();

    let applied = store.migrate(None).await.unwrap();

    assert_eq!(applied, (1..=latest_version()).collect::<Vec<_>>());
    let owner = connect(&owned.url).await;
    assert!(analyst_reads(&owner, "windows").await);
    assert!(analyst_reads(&owner, "booking_statistics").await);
    assert!(!analyst_reads(&owner, "idempotency_keys").await);
    drop((owner, store));
    owned.drop_with(&admin_url).await;
}

#[actix_web::test]
async fn a_failed_migration_names_itself_and_says_what_the_server_said() {
    let Some(url) = empty_database().await else {
        return;
    };
    connect(&url)
        .await
        .batch_execute("CREATE TABLE checkpoints (id text)")
        .await
        .unwrap();
    let store = PostgresStore::connect(&PostgresSettings::new(url.clone()))
        .await
        .unwrap();

    let error = store
        .migrate(None)
        .await
        .expect_err("V1 creates checkpoints");

    let text = format!("{error:#}");
    assert!(
        text.contains("Failed to apply migration V1__schedule"),
        "{text}"
    );
    assert!(
        text.contains(r#"ERROR 42P07: relation "checkpoints" already exists"#),
        "{text}"
    );
}

#[actix_web::test]
async fn a_database_error_is_described_with_its_sqlstate_detail_hint_and_context() {
    let Some(url) = empty_database().await else {
        return;
    };
    let client = connect(&url).await;

    let error = client
        .batch_execute(
            "DO $$ BEGIN RAISE EXCEPTION 'window is full' USING ERRCODE = '23514',
                 DETAIL = '2 of 2 places taken', HINT = 'try the next window'; END $$",
        )
        .await
        .expect_err("RAISE EXCEPTION fails");

    assert_eq!(
        error.to_string(),
        "db error",
        "what tokio-postgres shows alone"
    );
    let text = describe_db_error(&error);
    assert!(text.starts_with("ERROR 23514: window is full\n"), "{text}");
    assert!(text.contains("\nDETAIL: 2 of 2 places taken"), "{text}");
    assert!(text.contains("\nHINT: try the next window"), "{text}");
    assert!(text.contains("\nCONTEXT: PL/pgSQL function"), "{text}");
}

/// Whether the `analyst` role may read `table`.
async fn analyst_reads(client: &tokio_postgres::Client, table: &str) -> bool {
    client
        .query_one(
            "SELECT has_table_privilege('analyst', $1, 'SELECT')",
            &[&table],
        )
        .await
        .unwrap()
        .get(0)
}

#[actix_web::test]
async fn events_stored_one_per_row_are_carried_into_the_outbox_of_transactions() {
    let Some(url) = empty_database().await else {
        return;
    };
    let store = PostgresStore::connect(&PostgresSettings::new(url.clone()))
        .await
        .unwrap();
    store.migrate(Some(11)).await.unwrap();
    let client = connect(&url).await;
    let event = |id: &str, event_type: &str| {
        serde_json::json!({
            "id": id, "type": event_type, "version": 1,
            "occurred_at": "2026-12-01T08:00:00Z", "checkpoint": "narva", "day": "2026-12-02",
            "payload": { "booking": { "code": "ABCD2345" } },
        })
    };
    let rows = [
        ("5a0e7c8e-8f43-4f4c-9e49-000000000001", "booking.held", true),
        (
            "5a0e7c8e-8f43-4f4c-9e49-000000000002",
            "booking.confirmed",
            false,
        ),
        (
            "5a0e7c8e-8f43-4f4c-9e49-000000000003",
            "booking.cancelled",
            false,
        ),
    ];
    for (id, event_type, published) in rows {
        client
            .execute(
                "INSERT INTO outbox (event_id, event_type, checkpoint_id, day, occurred_at, body, \
                 published_at) VALUES ($1::text::uuid, $2, 'narva', '2026-12-02', \
                 '2026-12-01T08:00:00Z', $3, CASE WHEN $4 THEN now() END)",
                &[&id, &event_type, &event(id, event_type), &published],
            )
            .await
            .unwrap();
    }

    store.migrate(None).await.unwrap();

    let pending = store.outbox_pending(10).await.unwrap();
    let types: Vec<_> = pending
        .iter()
        .map(|e| e.event.event_type.as_str())
        .collect();
    assert_eq!(types, ["booking.confirmed", "booking.cancelled"]);
    assert_eq!(store.outbox_backlog().await.unwrap().0, 2);
    let listed: Vec<(String, bool)> = client
        .query(
            "SELECT event_type, published_at IS NOT NULL FROM outbox_events ORDER BY seq, position",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    assert_eq!(
        listed,
        [
            ("booking.held".to_owned(), true),
            ("booking.confirmed".to_owned(), false),
            ("booking.cancelled".to_owned(), false),
        ]
    );
}

#[actix_web::test]
async fn answers_stored_under_their_scope_and_key_are_found_by_its_digest() {
    let Some(url) = empty_database().await else {
        return;
    };
    let store = PostgresStore::connect(&PostgresSettings::new(url.clone()))
        .await
        .unwrap();
    store.migrate(Some(12)).await.unwrap();
    let client = connect(&url).await;
    client
        .execute(
            "INSERT INTO idempotency_keys \
             (scope, key, request_digest, created_at, status, content_type, body) \
             VALUES ('ip:127.0.0.1', 'k-1', repeat('07', 32), '2026-12-01T08:00:00Z', 201, \
                     'application/json', '\\x0102')",
            &[],
        )
        .await
        .unwrap();

    store.migrate(None).await.unwrap();

    let found = store
        .stored_answer("ip:127.0.0.1", "k-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.claim.request_digest, [7; 32]);
    assert_eq!(found.response.status, 201);
    assert_eq!(found.response.body, [1, 2]);
    assert!(
        store
            .stored_answer("ip:127.0.0.1", "k-2")
            .await
            .unwrap()
            .is_none()
    );
    // The same digest as the server's own (`answer_key_id`), so new answers meet old ones.
    let key_id: uuid::Uuid = client
        .query_one("SELECT key_id FROM idempotency_keys", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        key_id,
        borderslot::store::answer_key_id("ip:127.0.0.1", "k-1")
    );
}

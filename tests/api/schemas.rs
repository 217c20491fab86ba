//! The two stores keep the same data: every table of the PostgreSQL schema exists in the
//! embedded store's and the other way round, column by column, with the same columns required.
//! Bookkeeping of each engine's own (migration history, SQLite's internal tables) is left out.

use std::collections::BTreeMap;

use borderslot::store::embedded::EmbeddedStore;

use crate::helpers::{Backend, Origin, fresh_origin};

/// Table → column → whether the column may be null.
type Schema = BTreeMap<String, BTreeMap<String, bool>>;

/// Tables of an engine's own bookkeeping rather than of the data: SQLite's catalogue, the
/// migration history, and PostgreSQL's log of committed batches, with which a batch whose COMMIT
/// answer was lost with its connection is found out (an embedded commit cannot lose its answer).
fn is_bookkeeping(table: &str) -> bool {
    table.starts_with("sqlite_") || table == "schema_migrations" || table == "commit_log"
}

async fn postgres_schema(url: &str) -> Schema {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    actix_web::rt::spawn(async move {
        let _ = connection.await;
    });
    let rows = client
        .query(
            "SELECT c.table_name, c.column_name, c.is_nullable = 'YES'
               FROM information_schema.columns c
               JOIN information_schema.tables t
                 ON t.table_schema = c.table_schema AND t.table_name = c.table_name
              WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'",
            &[],
        )
        .await
        .unwrap();
    let mut schema = Schema::new();
    for row in rows {
        let table: String = row.get(0);
        if !is_bookkeeping(&table) {
            schema
                .entry(table)
                .or_default()
                .insert(row.get(1), row.get(2));
        }
    }
    schema
}

fn embedded_schema(path: &std::path::Path) -> Schema {
    let connection = rusqlite::Connection::open(path).unwrap();
    let tables: Vec<String> = connection
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table'")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut schema = Schema::new();
    for table in tables.into_iter().filter(|t| !is_bookkeeping(t)) {
        let mut columns = BTreeMap::new();
        let mut info = connection
            .prepare("SELECT name, \"notnull\", pk FROM pragma_table_info(?1)")
            .unwrap();
        let rows = info
            .query_map([&table], |row| {
                let (name, not_null, key): (String, bool, i64) =
                    (row.get(0)?, row.get(1)?, row.get(2)?);
                // A primary key column is never null in either engine, whatever SQLite records.
                Ok((name, !not_null && key == 0))
            })
            .unwrap();
        for row in rows {
            let (name, nullable) = row.unwrap();
            columns.insert(name, nullable);
        }
        schema.insert(table, columns);
    }
    schema
}

#[actix_web::test]
async fn both_stores_have_the_same_tables_columns_and_required_columns() {
    let Some(Origin::Postgres(url)) = fresh_origin(Backend::Postgres).await else {
        return;
    };
    let postgres = postgres_schema(&url).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("borderslot.sqlite3");
    drop(EmbeddedStore::open(&file).unwrap());
    let embedded = embedded_schema(&file);

    let only_in = |one: &Schema, other: &Schema| -> Vec<String> {
        one.keys()
            .filter(|t| !other.contains_key(*t))
            .cloned()
            .collect()
    };
    assert!(
        only_in(&postgres, &embedded).is_empty() && only_in(&embedded, &postgres).is_empty(),
        "tables only in PostgreSQL: {:?}; only in the embedded store: {:?}",
        only_in(&postgres, &embedded),
        only_in(&embedded, &postgres)
    );
    let mut differences = Vec::new();
    for (table, columns) in &postgres {
        let theirs = &embedded[table];
        for (column, nullable) in columns {
            match theirs.get(column) {
                None => differences.push(format!("{table}.{column} only in PostgreSQL")),
                Some(other) if other != nullable => differences.push(format!(
                    "{table}.{column}: nullable {nullable} in PostgreSQL, {other} embedded"
                )),
                Some(_) => {}
            }
        }
        for column in theirs.keys().filter(|c| !columns.contains_key(*c)) {
            differences.push(format!("{table}.{column} only in the embedded store"));
        }
    }
    assert!(differences.is_empty(), "{differences:#?}");
}

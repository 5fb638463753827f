//! The schema is created once (by one of several stores connecting at once), kept across
//! connections with its data, and a schema from a newer version of the crate, another
//! application's tables, a bad URL or an unreachable server are storage errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use invitekit::lifecycle::ClientRecord;
use invitekit::model::{Client, ClientId, Email, OrgId, Organization, Role};
use invitekit::store::{Change, ClientQuery, Store};
use invitekit::{ErrorCode, ErrorKind};
use invitekit_postgres::{PgOptions, PgStore, SCHEMA_VERSION, is_postgres_url};

use common::{Schema, t0};

fn tables(schema: &Schema) -> Vec<String> {
    let mut raw = schema.raw();
    raw.query(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relkind IN ('r', 'i') ORDER BY 1",
        &[&schema.name],
    )
    .unwrap()
    .iter()
    .map(|row| row.get(0))
    .collect()
}

fn version(schema: &Schema) -> i32 {
    schema
        .raw()
        .query_one("SELECT version FROM invitekit_schema", &[])
        .unwrap()
        .get(0)
}

#[test]
fn reconnecting_keeps_the_schema_and_the_data() {
    let Some(url) = common::url() else {
        return;
    };
    let schema = Schema::new(&url, "keep");
    let org = Organization::new(OrgId::new("acme"), "Acme", t0());
    let record = ClientRecord {
        client: Client::new(
            ClientId::new("c1"),
            org.id.clone(),
            Some(Email {
                address: "Jane@example.com".to_owned(),
                key: "jane@example.com".to_owned(),
            }),
            Role::Client,
            t0(),
        ),
        invitations: Vec::new(),
    };
    {
        let store = schema.store(2);
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        store
            .apply(&[
                Change::InsertOrganization(org.clone()),
                Change::InsertClient(record.clone()),
            ])
            .unwrap();
    }
    let before = tables(&schema);
    assert!(before.iter().any(|t| t == "clients"), "{before:?}");
    assert!(before.iter().any(|t| t == "invitekit_schema"), "{before:?}");
    assert_eq!(version(&schema), SCHEMA_VERSION as i32);
    let store = schema.store(2);
    assert_eq!(
        tables(&schema),
        before,
        "a second connect changed the schema"
    );
    assert_eq!(store.organization(&org.id).unwrap(), Some(org.clone()));
    assert_eq!(
        store.client(&org.id, &record.client.id).unwrap(),
        Some(record)
    );
    assert_eq!(
        store
            .list_clients(&org.id, &ClientQuery::all(t0()))
            .unwrap()
            .total,
        1
    );
    // Debug never shows a password.
    let with_password = url.replacen("postgres://", "postgres://nobody:s3cr3t@", 1);
    if let Ok(store) = PgStore::connect(&with_password) {
        assert!(!format!("{store:?}").contains("s3cr3t"));
    }
    assert!(!format!("{store:?}").contains("password"));
}

#[test]
fn a_schema_from_a_newer_version_is_refused() {
    let Some(url) = common::url() else {
        return;
    };
    let schema = Schema::new(&url, "future");
    drop(schema.store(1));
    let future = SCHEMA_VERSION as i32 + 1;
    schema
        .raw()
        .execute("UPDATE invitekit_schema SET version = $1", &[&future])
        .unwrap();
    let error = PgStore::connect_with(&url, &PgOptions::in_schema(&schema.name))
        .expect_err("a schema from the future was used");
    assert_eq!(error.code(), ErrorCode::StorageFailed);
    let ErrorKind::StorageFailed { message } = error.kind() else {
        panic!("{error:?}");
    };
    assert!(
        message.contains(&format!("schema version {future}"))
            && message.contains(&format!("up to {SCHEMA_VERSION}")),
        "the message names both versions: {message}"
    );
    assert_eq!(version(&schema), future, "refusing wrote nothing");
}

#[test]
fn another_applications_tables_are_left_alone() {
    let Some(url) = common::url() else {
        return;
    };
    let schema = Schema::new(&url, "other");
    let mut raw = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    raw.batch_execute(&format!(
        "CREATE SCHEMA \"{0}\"; CREATE TABLE \"{0}\".clients (body text);",
        schema.name
    ))
    .unwrap();
    let error = PgStore::connect_with(&url, &PgOptions::in_schema(&schema.name))
        .expect_err("another application's schema was taken over");
    assert_eq!(error.code(), ErrorCode::StorageFailed, "{error}");
    assert!(
        error.to_string().contains("schema migration 1 failed"),
        "{error}"
    );
    assert_eq!(
        tables(&schema),
        ["clients"],
        "half of a failed migration was kept"
    );
}

#[test]
fn eight_stores_connecting_to_a_new_schema_at_once_all_succeed() {
    let Some(url) = common::url() else {
        return;
    };
    let schema = Schema::new(&url, "together");
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    PgStore::connect_with(
                        &url,
                        &PgOptions {
                            max_connections: 1,
                            ..PgOptions::in_schema(&schema.name)
                        },
                    )
                    .map(drop)
                })
            })
            .collect();
        for handle in handles {
            handle
                .join()
                .unwrap()
                .unwrap_or_else(|e| panic!("concurrent connect: {e}"));
        }
    });
    assert_eq!(version(&schema), SCHEMA_VERSION as i32);
}

#[test]
fn bad_urls_and_unreachable_servers_are_storage_errors() {
    for url in ["not a url at all ===", "postgres://[::1"] {
        let error = PgStore::connect(url).expect_err(url);
        assert_eq!(error.code(), ErrorCode::StorageFailed, "{url}: {error}");
    }
    // Nothing listens on port 1.
    let error = PgStore::connect("postgres://nobody@127.0.0.1:1/nothing?connect_timeout=2")
        .expect_err("connected to nothing");
    assert_eq!(error.code(), ErrorCode::StorageFailed, "{error}");
    assert!(is_postgres_url("postgres://x@y/z"));
    assert!(is_postgres_url("PostgreSQL://x@y/z"));
    assert!(!is_postgres_url("invitekit.db"));
    assert!(!is_postgres_url("/tmp/postgres://x"));
}

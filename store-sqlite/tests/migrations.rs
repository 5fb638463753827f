//! The schema is created once, kept across opens with its data, and a database from a newer
//! version of the crate is refused.

use chrono::{TimeZone as _, Utc};
use invitekit::lifecycle::ClientRecord;
use invitekit::model::{Client, ClientId, Email, OrgId, Organization, Role};
use invitekit::store::{Change, ClientQuery, Store};
use invitekit::{ErrorCode, ErrorKind};
use invitekit_sqlite::{SCHEMA_VERSION, SqliteStore};

fn pragma(path: &std::path::Path, name: &str) -> String {
    let conn = rusqlite::Connection::open(path).unwrap_or_else(|e| panic!("raw open: {e}"));
    conn.query_row(&format!("PRAGMA {name}"), [], |row| {
        row.get::<_, rusqlite::types::Value>(0)
    })
    .map(|value| match value {
        rusqlite::types::Value::Integer(n) => n.to_string(),
        rusqlite::types::Value::Text(text) => text,
        other => format!("{other:?}"),
    })
    .unwrap_or_else(|e| panic!("PRAGMA {name}: {e}"))
}

fn tables(path: &std::path::Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).unwrap_or_else(|e| panic!("raw open: {e}"));
    let mut statement = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type IN ('table', 'index') ORDER BY name")
        .unwrap_or_else(|e| panic!("prepare: {e}"));
    statement
        .query_map([], |row| row.get(0))
        .and_then(|rows| rows.collect())
        .unwrap_or_else(|e| panic!("schema: {e}"))
}

#[test]
fn reopening_keeps_the_schema_and_the_data() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let path = dir.path().join("kept.db");
    let at = Utc
        .with_ymd_and_hms(2026, 11, 21, 9, 0, 0)
        .single()
        .unwrap_or_else(|| panic!("instant"));
    let org = Organization::new(OrgId::new("acme"), "Acme", at);
    let record = ClientRecord {
        client: Client::new(
            ClientId::new("c1"),
            org.id.clone(),
            Some(Email {
                address: "Jane@example.com".to_owned(),
                key: "jane@example.com".to_owned(),
            }),
            Role::Client,
            at,
        ),
        invitations: Vec::new(),
    };
    {
        let store = SqliteStore::open(&path).unwrap_or_else(|e| panic!("first open: {e}"));
        assert_eq!(store.path(), Some(path.as_path()));
        store
            .apply(&[
                Change::InsertOrganization(org.clone()),
                Change::InsertClient(record.clone()),
            ])
            .unwrap_or_else(|e| panic!("insert: {e}"));
    }
    let schema = tables(&path);
    assert!(schema.iter().any(|name| name == "clients"), "{schema:?}");
    assert_eq!(pragma(&path, "user_version"), SCHEMA_VERSION.to_string());
    assert_eq!(pragma(&path, "journal_mode"), "wal");

    let store = SqliteStore::open(&path).unwrap_or_else(|e| panic!("second open: {e}"));
    assert_eq!(tables(&path), schema, "a second open changed the schema");
    assert_eq!(
        store.organization(&org.id).ok().flatten(),
        Some(org.clone())
    );
    assert_eq!(
        store.client(&org.id, &record.client.id).ok().flatten(),
        Some(record)
    );
    let page = store
        .list_clients(&org.id, &ClientQuery::all(at))
        .unwrap_or_else(|e| panic!("list: {e}"));
    assert_eq!(page.total, 1);
}

#[test]
fn a_database_from_a_newer_version_is_refused() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let path = dir.path().join("future.db");
    drop(SqliteStore::open(&path).unwrap_or_else(|e| panic!("open: {e}")));
    let future = SCHEMA_VERSION + 1;
    rusqlite::Connection::open(&path)
        .and_then(|conn| conn.pragma_update(None, "user_version", future))
        .unwrap_or_else(|e| panic!("raw update: {e}"));
    let error = SqliteStore::open(&path).expect_err("a database from the future was opened");
    assert_eq!(error.code(), ErrorCode::StorageFailed);
    let ErrorKind::StorageFailed { message } = error.kind() else {
        panic!("{error:?}");
    };
    assert!(
        message.contains(&format!("schema version {future}"))
            && message.contains(&format!("up to {SCHEMA_VERSION}")),
        "the message names both versions: {message}"
    );
    // Refusing wrote nothing.
    assert_eq!(pragma(&path, "user_version"), future.to_string());
}

#[test]
fn another_applications_database_is_refused() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let path = dir.path().join("other.db");
    rusqlite::Connection::open(&path)
        .and_then(|conn| {
            conn.execute_batch("PRAGMA application_id = 42; CREATE TABLE notes (body TEXT);")
        })
        .unwrap_or_else(|e| panic!("raw create: {e}"));
    let error = SqliteStore::open(&path).expect_err("another application's database was opened");
    assert_eq!(error.code(), ErrorCode::StorageFailed, "{error}");
    assert_eq!(tables(&path), ["notes"], "it was changed");
}

#[test]
fn a_file_that_is_not_a_database_is_a_storage_error() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let path = dir.path().join("text.db");
    std::fs::write(
        &path,
        "not a database, just some text that is long enough ".repeat(40),
    )
    .unwrap_or_else(|e| panic!("write: {e}"));
    let error = SqliteStore::open(&path).expect_err("a text file was opened");
    assert_eq!(error.code(), ErrorCode::StorageFailed, "{error}");
}

#[test]
fn a_missing_folder_is_a_storage_error() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let error = SqliteStore::open(dir.path().join("no/such/folder/x.db"))
        .expect_err("opened in a missing folder");
    assert_eq!(error.code(), ErrorCode::StorageFailed, "{error}");
}

#[test]
fn eight_stores_opening_one_new_file_at_once_all_succeed() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let path = dir.path().join("together.db");
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| SqliteStore::open(&path).map(drop)))
            .collect();
        for handle in handles {
            match handle.join() {
                Ok(result) => result.unwrap_or_else(|e| panic!("concurrent open: {e}")),
                Err(_) => panic!("an opening thread panicked"),
            }
        }
    });
    assert_eq!(pragma(&path, "user_version"), SCHEMA_VERSION.to_string());
}

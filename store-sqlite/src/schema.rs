//! The schema: migrations applied in order, tracked with `PRAGMA user_version`, and the
//! connection settings every connection gets.

use std::time::{Duration, Instant};

use invitekit::Error;
use rusqlite::{Connection, TransactionBehavior};

use crate::codec::{Db as _, storage};

/// How long a connection waits for another connection's write lock before it fails.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// `PRAGMA application_id` of an invitekit database: "IKT1".
const APPLICATION_ID: i64 = 0x494B_5431;

/// The migrations, in order: migration `i` takes a database from version `i` to `i + 1`. Never
/// edit one that has shipped; add the next.
///
/// Conventions: instants are INTEGER nanoseconds since the Unix epoch (UTC), an absent
/// instant or value is NULL, lists and nested records are JSON text, a token hash is a 32-byte
/// BLOB. `clients.first_sent_at`, `clients.open_until` and `clients.search_text` are derived
/// (`Summary::of` and `search_text` of the record) and rewritten with every change to the
/// client.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r#"
PRAGMA application_id = 1229673521;

CREATE TABLE organizations (
    id            TEXT NOT NULL PRIMARY KEY,
    name          TEXT NOT NULL,
    expiry_days   INTEGER NOT NULL,
    time_zone     TEXT NOT NULL,
    email_binding TEXT NOT NULL,
    accept_url    TEXT NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE clients (
    org            TEXT NOT NULL REFERENCES organizations (id),
    id             TEXT NOT NULL,
    email_address  TEXT,
    email_key      TEXT,
    name           TEXT,
    role           TEXT NOT NULL,
    assigned_staff TEXT,
    company        TEXT,
    guest_of       TEXT,
    -- NULL: the organization owns the record; else the owning member's client id.
    owner          TEXT,
    created_by     TEXT,
    created_at     INTEGER NOT NULL,
    activated_at   INTEGER,
    -- JSON of the Identity that accepted.
    activated_by   TEXT,
    last_seen_at   INTEGER,
    archived_at    INTEGER,
    version        INTEGER NOT NULL,
    -- Derived from the invitations (Summary::of) and the client (search_text).
    first_sent_at  INTEGER,
    open_until     INTEGER,
    search_text    TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX clients_by_id ON clients (org, id);
CREATE UNIQUE INDEX clients_by_email_key ON clients (org, email_key)
    WHERE email_key IS NOT NULL;
-- The client list reads these indexes, not the table (but for a page's rows and a group's or
-- program's members): each holds its clients in list order (created_at, id) with the columns
-- the filters and the counts read, so a page is the first entries of a range and the counts
-- one pass over it.
CREATE INDEX clients_by_created ON clients (
    org, created_at, id, role, archived_at, activated_at, open_until);
-- The same with every column a filter reads but group, program and staff, for a search (whose
-- text no order helps with): one pass over this range answers it.
CREATE INDEX clients_by_text ON clients (
    org, created_at, id, search_text, role, archived_at, activated_at, open_until,
    first_sent_at, email_key);
CREATE INDEX clients_by_role ON clients (
    org, role, created_at, id, archived_at, activated_at, open_until);
CREATE INDEX clients_by_staff ON clients (
    org, assigned_staff, created_at, id, role, archived_at, activated_at, open_until);
-- Summary::never_invited: the never-invited report.
CREATE INDEX clients_never_invited ON clients (
    org, created_at, id, role, archived_at, activated_at, open_until)
    WHERE email_key IS NOT NULL AND first_sent_at IS NULL AND activated_at IS NULL
        AND archived_at IS NULL;
-- Invited with an open invitation, neither activated nor archived: pending or expired.
CREATE INDEX clients_invited_open ON clients (
    org, created_at, id, role, archived_at, activated_at, open_until)
    WHERE open_until IS NOT NULL AND activated_at IS NULL AND archived_at IS NULL;

CREATE TABLE client_groups (
    org       TEXT NOT NULL,
    client_id TEXT NOT NULL,
    position  INTEGER NOT NULL,
    group_id  TEXT NOT NULL,
    PRIMARY KEY (org, client_id, position),
    FOREIGN KEY (org, client_id) REFERENCES clients (org, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX client_groups_by_group ON client_groups (org, group_id, client_id);

CREATE TABLE client_programs (
    org        TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    position   INTEGER NOT NULL,
    program_id TEXT NOT NULL,
    PRIMARY KEY (org, client_id, position),
    FOREIGN KEY (org, client_id) REFERENCES clients (org, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX client_programs_by_program ON client_programs (org, program_id, client_id);

CREATE TABLE invitations (
    -- Insertion order, which orders invitations sent at the same instant.
    seq         INTEGER PRIMARY KEY,
    org         TEXT NOT NULL,
    client_id   TEXT NOT NULL,
    id          TEXT NOT NULL,
    token_hash  BLOB NOT NULL UNIQUE,
    sent_by     TEXT,
    sent_at     INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER,
    accepted_at INTEGER,
    retired_at  INTEGER,
    UNIQUE (org, client_id, id),
    FOREIGN KEY (org, client_id) REFERENCES clients (org, id)
) STRICT;

CREATE TABLE "groups" (
    org        TEXT NOT NULL REFERENCES organizations (id),
    id         TEXT NOT NULL,
    name       TEXT NOT NULL,
    -- The name lowercased: unique in the organization.
    name_key   TEXT NOT NULL,
    -- JSON array of client ids.
    co_owners  TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (org, id)
) STRICT;
CREATE UNIQUE INDEX groups_by_name ON "groups" (org, name_key);

CREATE TABLE programs (
    org  TEXT NOT NULL REFERENCES organizations (id),
    id   TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (org, id)
) STRICT;

CREATE TABLE signup_links (
    org             TEXT NOT NULL REFERENCES organizations (id),
    id              TEXT NOT NULL,
    token_hash      BLOB NOT NULL UNIQUE,
    role            TEXT NOT NULL,
    max_uses        INTEGER,
    uses            INTEGER NOT NULL,
    -- JSON array of domains.
    allowed_domains TEXT NOT NULL,
    created_by      TEXT,
    created_at      INTEGER NOT NULL,
    rotated_at      INTEGER,
    disabled_at     INTEGER,
    version         INTEGER NOT NULL,
    PRIMARY KEY (org, id)
) STRICT;

CREATE TABLE events (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    org  TEXT NOT NULL REFERENCES organizations (id),
    at   INTEGER NOT NULL,
    -- JSON of the Event.
    body TEXT NOT NULL
) STRICT;
CREATE INDEX events_by_org ON events (org, seq);

CREATE TABLE outbox (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL UNIQUE,
    org           TEXT NOT NULL,
    client_id     TEXT NOT NULL,
    invitation_id TEXT,
    to_address    TEXT NOT NULL,
    to_name       TEXT,
    subject       TEXT NOT NULL,
    text          TEXT NOT NULL,
    html          TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
    attempts      INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    sent_at       INTEGER,
    last_error    TEXT,
    claimed_until INTEGER
) STRICT;
-- Claims walk the messages not yet sent, oldest first, never the (many) sent ones.
CREATE INDEX outbox_unsent ON outbox (seq) WHERE state <> 'sent';
CREATE INDEX outbox_by_org ON outbox (org, seq);
"#,
];

/// The schema version this crate writes: the number of migrations.
pub(crate) const VERSION: i64 = MIGRATIONS.len() as i64;

/// Sets the connection's pragmas: a busy timeout (so writers wait for each other), WAL, normal
/// synchronous mode (durable at checkpoints, consistent always), foreign keys, a larger page
/// cache and memory-mapped reads.
pub(crate) fn configure(conn: &Connection, file: bool) -> Result<(), Error> {
    conn.busy_timeout(BUSY_TIMEOUT).db()?;
    conn.set_prepared_statement_cache_capacity(128);
    if file {
        // Switching a new database to WAL takes an exclusive lock and does not wait for it
        // (the busy timeout does not apply): stores opening one file at once retry.
        let deadline = Instant::now() + BUSY_TIMEOUT;
        let mode: String = loop {
            match conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0)) {
                Ok(mode) => break mode,
                Err(e) if is_busy(&e) && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(2));
                }
                Err(e) => {
                    return Err(storage(format!(
                        "cannot switch the database to write-ahead logging: {e}"
                    )));
                }
            }
        };
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(storage(format!(
                "the database refused write-ahead logging (journal mode {mode})"
            )));
        }
        conn.pragma_update(
            None,
            "wal_autocheckpoint",
            crate::checkpoint::BACKSTOP_PAGES,
        )
        .db()?;
    }
    conn.pragma_update(None, "synchronous", "NORMAL").db()?;
    conn.pragma_update(None, "foreign_keys", "ON").db()?;
    conn.pragma_update(None, "temp_store", "MEMORY").db()?;
    // A 64 MiB page cache and 1 GiB of memory-mapped reads: lists and reports over a large
    // organization read pages from memory instead of a pread each (about 30% of a report's
    // time at 1M clients with SQLite's 2 MiB default).
    conn.pragma_update(None, "cache_size", -65_536).db()?;
    if file {
        conn.pragma_update(None, "mmap_size", 1_i64 << 30).db()?;
    }
    Ok(())
}

/// Whether `error` says another connection holds a lock.
fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// Brings the schema to [`VERSION`], applying the missing migrations in one transaction.
///
/// # Errors
///
/// `StorageFailed` when the database was written by a newer version of this crate, belongs to
/// another application, or a migration fails (nothing of it is kept then).
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), Error> {
    migrate_with(conn, MIGRATIONS)
}

/// [`migrate`] with these migrations.
fn migrate_with(conn: &mut Connection, migrations: &[&str]) -> Result<(), Error> {
    let latest = i64::try_from(migrations.len()).unwrap_or(i64::MAX);
    // The common case, a database already up to date, takes no write lock.
    if check(conn, latest)? == latest {
        return Ok(());
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .db()?;
    // Another connection may have migrated it meanwhile.
    let version = check(&tx, latest)?;
    let from = usize::try_from(version).unwrap_or(usize::MAX);
    for (index, sql) in migrations.iter().enumerate().skip(from) {
        tx.execute_batch(sql)
            .map_err(|e| storage(format!("schema migration {} failed: {e}", index + 1)))?;
    }
    tx.pragma_update(None, "user_version", latest).db()?;
    tx.commit().db()
}

/// The database's schema version, checked to be one this crate can migrate from (at most
/// `latest`).
fn check(conn: &Connection, latest: i64) -> Result<i64, Error> {
    let application: i64 = conn
        .pragma_query_value(None, "application_id", |row| row.get(0))
        .db()?;
    if application != 0 && application != APPLICATION_ID {
        return Err(storage(format!(
            "the database belongs to another application (application_id {application:#x})"
        )));
    }
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .db()?;
    if !(0..=latest).contains(&version) {
        return Err(storage(format!(
            "the database has schema version {version}, and invitekit-sqlite {} knows versions \
             up to {latest}: open it with a newer invitekit-sqlite",
            env!("CARGO_PKG_VERSION")
        )));
    }
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_application_id_is_the_one_the_first_migration_sets() {
        assert!(MIGRATIONS[0].contains(&format!("application_id = {APPLICATION_ID};")));
    }

    fn version(conn: &Connection) -> i64 {
        conn.pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap_or(-1)
    }

    /// Migrations run in order, each once, the missing ones only; a failing one leaves the
    /// database as it was; a database ahead of the migrations known is refused.
    #[test]
    fn migrations_apply_in_order_once_and_all_or_nothing() {
        let one = "CREATE TABLE notes (body TEXT NOT NULL); INSERT INTO notes VALUES ('kept');";
        let two = "ALTER TABLE notes ADD COLUMN at INTEGER; UPDATE notes SET at = 1;";
        let broken = "CREATE TABLE other (x); INSERT INTO nowhere VALUES (1);";
        let mut conn = Connection::open_in_memory().unwrap_or_else(|e| panic!("open: {e}"));
        migrate_with(&mut conn, &[one]).unwrap_or_else(|e| panic!("first: {e}"));
        assert_eq!(version(&conn), 1);
        migrate_with(&mut conn, &[one]).unwrap_or_else(|e| panic!("again: {e}"));
        migrate_with(&mut conn, &[one, two]).unwrap_or_else(|e| panic!("second: {e}"));
        assert_eq!(version(&conn), 2);
        let row: (String, i64) = conn
            .query_row("SELECT body, at FROM notes", [], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .unwrap_or_else(|e| panic!("read: {e}"));
        assert_eq!(row, ("kept".to_owned(), 1));

        let error =
            migrate_with(&mut conn, &[one, two, broken]).expect_err("a broken migration succeeded");
        assert!(
            error.to_string().contains("schema migration 3 failed"),
            "{error}"
        );
        assert_eq!(version(&conn), 2);
        let other: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE name = 'other'",
                [],
                |row| row.get(0),
            )
            .unwrap_or(-1);
        assert_eq!(other, 0, "half of a failed migration was kept");

        let error = migrate_with(&mut conn, &[one]).expect_err("a newer database was opened");
        assert!(
            error.to_string().contains("schema version 2") && error.to_string().contains("up to 1"),
            "{error}"
        );
    }
}

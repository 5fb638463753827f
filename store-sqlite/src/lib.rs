//! invitekit's [`Store`] on SQLite: one database file, the embedded default.
//!
//! [`SqliteStore`] keeps every record in typed tables (a client is one row, its invitations,
//! groups and programs rows of their own), applies each batch of changes in one `BEGIN
//! IMMEDIATE` transaction, and filters the client list in SQL on instants it keeps beside each
//! client ([`invitekit::store::Summary`]), so a page of an organization of a million clients
//! comes back without reading them all into memory.
//!
//! A file database runs in write-ahead-log mode with `synchronous = NORMAL`: a crash or a
//! killed process loses no committed batch and never leaves half of one (a power cut may lose
//! the last batches committed before it, never their consistency). Several processes, or
//! several stores in one process, may open the same file: a writer waits up to five seconds
//! for another's transaction instead of failing, and readers never wait. Each file store runs
//! one background thread that copies the log into the database file, so that no caller's
//! commit waits for that copy and its disk syncs.
//!
//! The schema is created on first use and migrated forward on open (tracked by `PRAGMA
//! user_version`, see [`SCHEMA_VERSION`]); a database written by a newer version of this crate
//! is refused rather than misread.
//!
//! ```
//! use chrono::Utc;
//! use invitekit::model::{OrgId, Organization};
//! use invitekit::store::{Change, Store};
//! use invitekit_sqlite::SqliteStore;
//!
//! let store = SqliteStore::open_in_memory()?;
//! let org = Organization::new(OrgId::new("acme"), "Acme", Utc::now());
//! store.apply(&[Change::InsertOrganization(org.clone())])?;
//! assert_eq!(store.organization(&org.id)?, Some(org));
//! # Ok::<(), invitekit::Error>(())
//! ```
//!
//! A file database is opened, and created on first use, with [`SqliteStore::open`]:
//!
//! ```no_run
//! use invitekit_sqlite::SqliteStore;
//!
//! let store = SqliteStore::open("invitekit.db")?;
//! # Ok::<(), invitekit::Error>(())
//! ```
//!
//! # What is stored how
//!
//! Instants are INTEGER nanoseconds since the Unix epoch, so they read back exactly; an
//! instant outside the years 1677 to 2262 cannot be stored (`storage_failed`). An invitation
//! is stored under the client record it comes with: its `org` and `client` read back as that
//! record's. Lists (co-owners, allowed domains) and the accepting identity are JSON text;
//! events are JSON rows of their own.
//!
//! Beside each client the store keeps what [`invitekit::store::Summary::of`] and
//! [`invitekit::store::search_text`] derive from it (when it was first invited, the latest
//! deadline of an open invitation, its search text), rewritten with every change to the client.
//! The client list filters on those columns through indexes that hold each organization's
//! clients in list order, so a filtered page and its counts read one index range.

mod checkpoint;
mod codec;
mod outbox;
mod read;
mod schema;
mod write;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use invitekit::Error;
use invitekit::lifecycle::ClientRecord;
use invitekit::mailer::{DeliveryState, OutboxMessage};
use invitekit::model::{
    ClientId, Event, Group, MessageId, OrgId, Organization, Program, SignupLink,
};
use invitekit::store::{Change, Claim, ClientPage, ClientQuery, Store};
use invitekit::token::TokenHash;
use rusqlite::{Connection, OpenFlags};

use crate::codec::Db as _;

/// The schema version this crate creates and migrates databases to (`PRAGMA user_version`).
/// Opening a database whose version is higher fails.
pub const SCHEMA_VERSION: u32 = schema::VERSION as u32;

/// A [`Store`] in one SQLite database: a file shared by processes and threads, or memory.
///
/// A store holds one connection behind a mutex: calls from several threads on one store take
/// turns, and threads (or processes) that need to read while another writes open a store
/// each on the same file. Every call is one transaction.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
    /// For a file: the thread that copies the log into the database.
    checkpointer: Option<checkpoint::Checkpointer>,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens the database file at `path`, creating it and its schema if need be, and migrating
    /// an older schema forward.
    ///
    /// # Errors
    ///
    /// [`invitekit::ErrorCode::StorageFailed`] when the file cannot be opened or created, is
    /// not a database of this crate, has a schema newer than [`SCHEMA_VERSION`], or refuses
    /// write-ahead logging.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore, Error> {
        let path = path.as_ref();
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags)
            .map_err(|e| codec::storage(format!("cannot open {}: {e}", path.display())))?;
        schema::configure(&conn, true)?;
        schema::migrate(&mut conn)?;
        // The same file even if the working folder changes.
        let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
        let checkpointer = checkpoint::Checkpointer::start(&absolute)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            path: Some(path.to_owned()),
            checkpointer: Some(checkpointer),
        })
    }

    /// A store in memory, empty, gone when dropped: for tests and examples.
    ///
    /// # Errors
    ///
    /// [`invitekit::ErrorCode::StorageFailed`] if SQLite cannot allocate it.
    pub fn open_in_memory() -> Result<SqliteStore, Error> {
        let mut conn = Connection::open_in_memory().db()?;
        schema::configure(&conn, false)?;
        schema::migrate(&mut conn)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            path: None,
            checkpointer: None,
        })
    }

    /// The database file's path; `None` in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The connection, for one call. A panic in an earlier call cannot have left a transaction
    /// open (rusqlite rolls back a transaction it drops), but a poisoned lock is taken over
    /// anyway and any open transaction rolled back.
    fn lock(&self) -> MutexGuard<'_, Connection> {
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        if !conn.is_autocommit() {
            // Best effort: if it fails, the next BEGIN reports the problem.
            conn.execute_batch("ROLLBACK").ok();
        }
        conn
    }

    /// Runs `write` (which commits what it writes), then lets the checkpointer know.
    fn write<T>(
        &self,
        write: impl FnOnce(&mut Connection) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut conn = self.lock();
        let value = write(&mut conn)?;
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.after_write(&conn);
        }
        Ok(value)
    }

    /// Runs `read` in one read transaction, so that it sees one state of the database even
    /// while other connections write.
    fn read<T>(&self, read: impl FnOnce(&Connection) -> Result<T, Error>) -> Result<T, Error> {
        let mut conn = self.lock();
        let tx = conn.transaction().db()?;
        let value = read(&tx)?;
        tx.finish().db()?;
        Ok(value)
    }
}

impl Store for SqliteStore {
    fn organization(&self, id: &OrgId) -> Result<Option<Organization>, Error> {
        read::organization(&self.lock(), id)
    }

    fn client(&self, org: &OrgId, id: &ClientId) -> Result<Option<ClientRecord>, Error> {
        self.read(|conn| read::client(conn, org, id))
    }

    fn clients(&self, org: &OrgId, ids: &[ClientId]) -> Result<Vec<ClientRecord>, Error> {
        self.read(|conn| read::clients(conn, org, ids))
    }

    fn clients_by_key(&self, org: &OrgId, keys: &[String]) -> Result<Vec<ClientRecord>, Error> {
        self.read(|conn| read::clients_by_key(conn, org, keys))
    }

    fn client_by_invitation(&self, token: &TokenHash) -> Result<Option<ClientRecord>, Error> {
        self.read(|conn| read::client_by_invitation(conn, token))
    }

    fn list_clients(&self, org: &OrgId, query: &ClientQuery) -> Result<ClientPage, Error> {
        self.read(|conn| read::list_clients(conn, org, query))
    }

    fn groups(&self, org: &OrgId) -> Result<Vec<Group>, Error> {
        read::groups(&self.lock(), org)
    }

    fn programs(&self, org: &OrgId) -> Result<Vec<Program>, Error> {
        read::programs(&self.lock(), org)
    }

    fn signup_links(&self, org: &OrgId) -> Result<Vec<SignupLink>, Error> {
        read::signup_links(&self.lock(), org)
    }

    fn signup_link_by_token(&self, token: &TokenHash) -> Result<Option<SignupLink>, Error> {
        read::signup_link_by_token(&self.lock(), token)
    }

    fn events(&self, org: &OrgId, skip: u64, limit: usize) -> Result<Vec<Event>, Error> {
        read::events(&self.lock(), org, skip, limit)
    }

    fn apply(&self, changes: &[Change]) -> Result<(), Error> {
        self.write(|conn| write::apply(conn, changes))
    }

    fn claim_messages(&self, claim: &Claim) -> Result<Vec<OutboxMessage>, Error> {
        self.write(|conn| outbox::claim(conn, claim))
    }

    fn mark_sent(&self, ids: &[MessageId], at: DateTime<Utc>) -> Result<(), Error> {
        self.write(|conn| {
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .db()?;
            for id in ids {
                outbox::mark_sent(&tx, id, at)?;
            }
            tx.commit().db()
        })
    }

    fn mark_failed(&self, id: &MessageId, reason: &str) -> Result<(), Error> {
        self.write(|conn| outbox::mark_failed(conn, id, reason))
    }

    fn messages(
        &self,
        org: &OrgId,
        state: Option<DeliveryState>,
        limit: usize,
    ) -> Result<Vec<OutboxMessage>, Error> {
        read::messages(&self.lock(), org, state, limit)
    }
}

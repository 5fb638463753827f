//! invitekit's [`Store`] on PostgreSQL: many processes and servers on one database.
//!
//! [`PgStore`] implements the same synchronous [`Store`] trait as the SQLite store, with the
//! same semantics (the conformance suite and the service flows run on both), on the `postgres`
//! crate's synchronous client and a small pool of connections of its own. It is `Send + Sync`:
//! share one store (in an `Arc`) between the threads of a process; each call takes a
//! connection from the pool for its duration.
//!
//! ```no_run
//! use chrono::Utc;
//! use invitekit::model::{OrgId, Organization};
//! use invitekit::store::{Change, Store};
//! use invitekit_postgres::PgStore;
//!
//! let store = PgStore::connect("postgres://invitekit@127.0.0.1:5432/invitekit")?;
//! let org = Organization::new(OrgId::new("acme"), "Acme", Utc::now());
//! store.apply(&[Change::InsertOrganization(org.clone())])?;
//! assert_eq!(store.organization(&org.id)?, Some(org));
//! # Ok::<(), invitekit::Error>(())
//! ```
//!
//! # Transactions and races
//!
//! Every [`Store::apply`] is one transaction, at PostgreSQL's default isolation (read
//! committed). Races are decided by row locks and constraints:
//!
//! - a client's update locks its row and compares its `version`: of two writers from one
//!   version, the second gets [`invitekit::ErrorCode::Conflict`] (so two servers accepting one
//!   link make one activation);
//! - `UNIQUE (org, email_key)` makes a second client with an address fail with
//!   [`invitekit::ErrorCode::ClientExists`], whichever process inserts it, as in the SQLite
//!   store (the service then classifies the address as existing);
//! - a transaction PostgreSQL rolls back as the victim of a deadlock or a serialization failure
//!   is run again, up to [`RETRIES`] times with a short random pause, then reported as
//!   [`invitekit::ErrorCode::Conflict`] (which the service answers by starting the call again
//!   from fresh reads);
//! - the outbox claim locks its candidates with `FOR UPDATE SKIP LOCKED`, so two workers never
//!   claim one message, and neither waits for the other.
//!
//! Reads that take several statements (a client with its invitations, a page of the list and
//! its counts) run in one `REPEATABLE READ READ ONLY` transaction, so they see one state of the
//! database.
//!
//! # What is stored how
//!
//! The schema lives in the connection's schema (the first of its `search_path`; see
//! [`PgOptions::schema`]). It is created on first use and migrated forward on connect, under an
//! advisory lock so that processes connecting at once migrate it once; its version is kept in
//! the table `invitekit_schema` (see [`SCHEMA_VERSION`]), and a schema written by a newer
//! version of this crate is refused rather than misread.
//!
//! Instants are `bigint` nanoseconds since the Unix epoch, as in the SQLite store, so they read
//! back exactly (an instant outside the years 1677 to 2262 is refused with `storage_failed`).
//! A client's groups and programs are `text[]` columns of its row (with GIN indexes for the
//! list's group and program filters); lists of ids are `text[]`; the accepting identity and
//! events are `jsonb`. Identifiers and names the lists are ordered by use the `"C"` collation,
//! so the order is that of Rust strings whatever the database's collation. Beside each client
//! the store keeps what [`invitekit::store::Summary::of`] and [`invitekit::store::search_text`]
//! derive from it, and the client list filters on those columns through indexes that hold each
//! organization's clients in list order.
//!
//! PostgreSQL's `text` cannot hold the character U+0000: a record containing it is refused with
//! `storage_failed`.
//!
//! # Connections
//!
//! [`PgStore::connect`] takes a `postgres://` (or `postgresql://`) URL or a key-value string,
//! as libpq does (`host`, `port`, `user`, `password`, `dbname`, `options`, `application_name`,
//! `connect_timeout`, `sslmode`, ...). Connections are made without TLS: use a loopback
//! address, a Unix socket (`host=/var/run/postgresql`) or a trusted network, and leave
//! `sslmode` at `prefer` or `disable` (`sslmode=require` fails to connect).

mod codec;
mod outbox;
mod pool;
mod read;
mod schema;
mod write;

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use invitekit::Error;
use invitekit::lifecycle::ClientRecord;
use invitekit::mailer::{DeliveryState, OutboxMessage};
use invitekit::model::{
    ClientId, Event, Group, MessageId, OrgId, Organization, Program, SignupLink,
};
use invitekit::store::{Change, Claim, ClientPage, ClientQuery, Store};
use invitekit::token::TokenHash;
use postgres::{Client, Transaction};

use crate::codec::{Fail, storage};
use crate::pool::{Begin, Db, Pool, Step};

/// The schema version this crate creates and migrates databases to (the table
/// `invitekit_schema`). Connecting to a schema whose version is higher fails.
pub const SCHEMA_VERSION: u32 = schema::VERSION as u32;

/// How many times a transaction PostgreSQL rolled back (a deadlock's victim, a serialization
/// failure) is run again before [`Store::apply`] reports [`invitekit::ErrorCode::Conflict`].
pub const RETRIES: usize = 10;

/// Whether `url` names a PostgreSQL database (`postgres://` or `postgresql://`): what a front
/// end that takes a database argument checks to choose this store over a SQLite file.
pub fn is_postgres_url(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

/// Settings of a [`PgStore`] beyond its URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgOptions {
    /// The most connections the store opens at once (at least 1; default 10). Calls beyond
    /// that wait for one to be free.
    pub max_connections: usize,
    /// How long a call waits for a free connection before it fails with `storage_failed`
    /// (default 30 seconds).
    pub acquire_timeout: Duration,
    /// The PostgreSQL schema to keep the tables in, created if missing (default: none, the
    /// first schema of the connection's `search_path`, usually `public`). Each connection runs
    /// `SET search_path TO` it. Several stores (several organizations' deployments, parallel
    /// tests) can share one database with one schema each.
    pub schema: Option<String>,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(30),
            schema: None,
        }
    }
}

impl PgOptions {
    /// The defaults, with the tables in `schema`.
    pub fn in_schema(schema: impl Into<String>) -> Self {
        PgOptions {
            schema: Some(schema.into()),
            ..PgOptions::default()
        }
    }
}

/// A [`Store`] in a PostgreSQL database, shared by any number of processes.
///
/// Holds a pool of connections (opened on demand, see [`PgOptions::max_connections`]); every
/// call is one transaction on one of them.
pub struct PgStore {
    pool: Pool,
    schema: Option<String>,
}

impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the password.
        f.debug_struct("PgStore")
            .field("connection", &self.pool.describe())
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to the database at `url` (see the [crate documentation](crate#connections)),
    /// creating the schema if need be and migrating an older one forward.
    ///
    /// # Errors
    ///
    /// [`invitekit::ErrorCode::StorageFailed`] when the URL is not one, the server cannot be
    /// reached or refuses the login, the schema is newer than [`SCHEMA_VERSION`], or a
    /// migration fails (then nothing of it is kept).
    pub fn connect(url: &str) -> Result<PgStore, Error> {
        PgStore::connect_with(url, &PgOptions::default())
    }

    /// [`PgStore::connect`] with settings.
    ///
    /// # Errors
    ///
    /// As [`PgStore::connect`].
    pub fn connect_with(url: &str, options: &PgOptions) -> Result<PgStore, Error> {
        let mut config: postgres::Config = url.trim().parse().map_err(|e| {
            storage(format!(
                "not a PostgreSQL connection URL or string: {}",
                codec::describe(&e)
            ))
        })?;
        if config.get_application_name().is_none() {
            config.application_name("invitekit");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        let setup = options
            .schema
            .as_deref()
            .map(|schema| format!("SET search_path TO {}", schema::quote_ident(schema)));
        let pool = Pool::new(
            config,
            setup,
            options.max_connections,
            options.acquire_timeout,
        );
        let store = PgStore {
            pool,
            schema: options.schema.clone(),
        };
        {
            let mut conn = store.pool.get()?;
            schema::migrate(conn.client(), store.schema.as_deref())?;
        }
        Ok(store)
    }

    /// The schema version of the database (this crate's [`SCHEMA_VERSION`] once connected).
    ///
    /// # Errors
    ///
    /// [`invitekit::ErrorCode::StorageFailed`].
    pub fn schema_version(&self) -> Result<u32, Error> {
        let mut conn = self.pool.get()?;
        let version = schema::current(conn.client())?.unwrap_or(0);
        Ok(u32::try_from(version).unwrap_or(0))
    }

    /// Runs `work` in one read-only snapshot transaction.
    fn snapshot<T>(
        &self,
        work: impl Fn(&mut Db<'_, Transaction<'_>>) -> Result<T, Fail>,
    ) -> Result<T, Error> {
        self.run(Begin::Snapshot, |db, _| work(db))
    }

    /// Runs `work` (one statement) outside a transaction: the statement is its own. On a
    /// connection found gone (the server ended it while it was idle), runs it again on a fresh
    /// one.
    fn single<T>(&self, work: impl Fn(&mut Db<'_, Client>) -> Result<T, Fail>) -> Result<T, Error> {
        let mut reconnects = 0;
        loop {
            let mut conn = self.pool.get()?;
            match work(&mut conn.autocommit()) {
                Err(Fail::Gone(message)) => {
                    conn.discard();
                    reconnects += 1;
                    if reconnects > self.pool.max() {
                        return Err(storage(message));
                    }
                }
                result => return finish(result),
            }
        }
    }

    /// Runs `work` in a transaction begun as `begin`, with its attempt's number (from 0), and
    /// again after a deadlock or serialization failure, or on a fresh connection when the
    /// connection was found gone before committing (the server rolled the transaction back);
    /// [`Fail::Replay`] runs it again with attempt number [`REPLAY`].
    fn run<T>(
        &self,
        begin: Begin,
        mut work: impl FnMut(&mut Db<'_, Transaction<'_>>, usize) -> Result<T, Fail>,
    ) -> Result<T, Error> {
        let mut attempt = 0;
        let mut replay = false;
        let mut reconnects = 0;
        loop {
            let mut conn = self.pool.get()?;
            let number = if replay { REPLAY } else { attempt };
            let fail = match conn.transaction(begin, |db| work(db, number)) {
                Ok(value) => return Ok(value),
                Err(Step::Commit(Fail::Gone(message))) => {
                    conn.discard();
                    return Err(storage(format!(
                        "the connection was lost while committing, so the changes may or may not \
                         have been applied: {message}"
                    )));
                }
                Err(Step::Work(fail) | Step::Commit(fail)) => fail,
            };
            match fail {
                Fail::Error(error) => return Err(error),
                Fail::Gone(message) => {
                    // Nothing was kept: try again on a fresh connection, once per slot.
                    conn.discard();
                    reconnects += 1;
                    if reconnects > self.pool.max() {
                        return Err(storage(message));
                    }
                }
                Fail::Replay => {
                    if replay {
                        return Err(storage("a batch failed in bulk and one at a time alike"));
                    }
                    replay = true;
                }
                Fail::Retry(message) => {
                    attempt += 1;
                    if attempt > RETRIES {
                        // PostgreSQL's word (`message`) is dropped: the service answers a
                        // conflict by starting the call again from fresh reads.
                        drop(message);
                        return Err(Error::new(invitekit::ErrorKind::Conflict));
                    }
                    drop(conn);
                    pause(attempt);
                }
            }
        }
    }
}

/// The attempt number [`PgStore::run`] passes when a bulk batch is applied again one change at
/// a time.
const REPLAY: usize = usize::MAX;

/// A failure outside a transaction (one statement): a deadlock or serialization failure there
/// is reported as `conflict`.
fn finish<T>(result: Result<T, Fail>) -> Result<T, Error> {
    match result {
        Ok(value) => Ok(value),
        Err(Fail::Error(error)) => Err(error),
        Err(Fail::Retry(_)) => Err(Error::new(invitekit::ErrorKind::Conflict)),
        Err(Fail::Replay) => Err(storage("a statement asked to be replayed")),
        Err(Fail::Gone(message)) => Err(storage(message)),
    }
}

/// Sleeps before attempt `attempt` (from 1): a random pause growing with the attempts (at
/// most about 50 ms), so that the transactions that collided do not collide again.
fn pause(attempt: usize) {
    let ceiling_us = 500u64 << attempt.min(7);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()));
    let jitter = nanos
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(std::process::id().into())
        % ceiling_us.max(1);
    std::thread::sleep(Duration::from_micros(ceiling_us / 2 + jitter / 2));
}

impl Store for PgStore {
    fn organization(&self, id: &OrgId) -> Result<Option<Organization>, Error> {
        self.single(|db| read::organization(db, id))
    }

    fn client(&self, org: &OrgId, id: &ClientId) -> Result<Option<ClientRecord>, Error> {
        self.snapshot(|db| read::client(db, org, id))
    }

    fn clients(&self, org: &OrgId, ids: &[ClientId]) -> Result<Vec<ClientRecord>, Error> {
        self.snapshot(|db| read::clients(db, org, ids))
    }

    fn clients_by_key(&self, org: &OrgId, keys: &[String]) -> Result<Vec<ClientRecord>, Error> {
        self.snapshot(|db| read::clients_by_key(db, org, keys))
    }

    fn client_by_invitation(&self, token: &TokenHash) -> Result<Option<ClientRecord>, Error> {
        self.snapshot(|db| read::client_by_invitation(db, token))
    }

    fn list_clients(&self, org: &OrgId, query: &ClientQuery) -> Result<ClientPage, Error> {
        self.snapshot(|db| read::list_clients(db, org, query))
    }

    fn groups(&self, org: &OrgId) -> Result<Vec<Group>, Error> {
        self.single(|db| read::groups(db, org))
    }

    fn programs(&self, org: &OrgId) -> Result<Vec<Program>, Error> {
        self.single(|db| read::programs(db, org))
    }

    fn signup_links(&self, org: &OrgId) -> Result<Vec<SignupLink>, Error> {
        self.single(|db| read::signup_links(db, org))
    }

    fn signup_link_by_token(&self, token: &TokenHash) -> Result<Option<SignupLink>, Error> {
        self.single(|db| read::signup_link_by_token(db, token))
    }

    fn events(&self, org: &OrgId, skip: u64, limit: usize) -> Result<Vec<Event>, Error> {
        self.single(|db| read::events(db, org, skip, limit))
    }

    fn apply(&self, changes: &[Change]) -> Result<(), Error> {
        if changes.is_empty() {
            return Ok(());
        }
        self.run(Begin::ReadWrite, |db, attempt| {
            // In bulk first (when there is something to gain), one change at a time when a
            // bulk attempt failed.
            let bulk = attempt != REPLAY && changes.len() > 1;
            write::apply(db, changes, bulk)
        })
    }

    fn claim_messages(&self, claim: &Claim) -> Result<Vec<OutboxMessage>, Error> {
        self.single(|db| outbox::claim(db, claim))
    }

    fn mark_sent(&self, ids: &[MessageId], at: DateTime<Utc>) -> Result<(), Error> {
        self.single(|db| outbox::mark_sent(db, ids, at))
    }

    fn mark_failed(&self, id: &MessageId, reason: &str) -> Result<(), Error> {
        self.single(|db| outbox::mark_failed(db, id, reason))
    }

    fn messages(
        &self,
        org: &OrgId,
        state: Option<DeliveryState>,
        limit: usize,
    ) -> Result<Vec<OutboxMessage>, Error> {
        self.single(|db| read::messages(db, org, state, limit))
    }
}

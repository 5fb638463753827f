//! A small pool of connections, each with its own cache of prepared statements.
//!
//! A call takes a connection for its duration ([`Pool::get`]) and gives it back when done; a
//! connection the server closed is dropped rather than given back. Connections are opened on
//! demand, up to [`crate::PgOptions::max_connections`]; past that a call waits for one to be
//! given back, up to [`crate::PgOptions::acquire_timeout`].

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use invitekit::Error;
use postgres::types::{ToSql, Type};
use postgres::{Client, Config, GenericClient, NoTls, Row, Statement, Transaction};

use crate::codec::{describe, storage};

/// Prepared statements of one connection, by SQL text.
type Cache = HashMap<String, Statement>;

/// Past this many prepared statements, a connection's cache starts afresh (list queries are
/// built from their filters, so their texts are many but bounded; this is a backstop).
const CACHE_LIMIT: usize = 512;

/// One connection and its prepared statements.
pub(crate) struct Conn {
    client: Client,
    cache: Cache,
}

impl Conn {
    /// The connection, for a statement outside any transaction (one statement is one
    /// transaction then).
    pub(crate) fn autocommit(&mut self) -> Db<'_, Client> {
        Db {
            client: &mut self.client,
            cache: &mut self.cache,
        }
    }

    /// Runs `work` in a transaction opened with `begin` (`BEGIN` and its modes), committing
    /// when it succeeds; a failure rolls back (dropping a transaction does).
    pub(crate) fn transaction<T, F>(&mut self, begin: Begin, work: F) -> Result<T, Step>
    where
        F: FnOnce(&mut Db<'_, Transaction<'_>>) -> Result<T, crate::codec::Fail>,
    {
        let Conn { client, cache } = self;
        let builder = client.build_transaction();
        let builder = match begin {
            Begin::ReadWrite => builder,
            Begin::Snapshot => builder
                .isolation_level(postgres::IsolationLevel::RepeatableRead)
                .read_only(true),
        };
        let mut tx = builder
            .start()
            .map_err(|e| Step::Work(crate::codec::fail(&e)))?;
        let value = {
            let mut db = Db {
                client: &mut tx,
                cache,
            };
            work(&mut db).map_err(Step::Work)?
        };
        tx.commit()
            .map_err(|e| Step::Commit(crate::codec::fail(&e)))?;
        Ok(value)
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// The connection itself (for migrations).
    pub(crate) fn client(&mut self) -> &mut Client {
        &mut self.client
    }
}

/// How [`Conn::transaction`] begins.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Begin {
    /// `BEGIN` (read committed, the server's default): writes, with row locks and constraints
    /// deciding races.
    ReadWrite,
    /// `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`: reads that see one state of the
    /// database across their statements.
    Snapshot,
}

/// Where [`Conn::transaction`] failed.
pub(crate) enum Step {
    /// Beginning, or the work: nothing is kept.
    Work(crate::codec::Fail),
    /// The commit: when the connection is gone then, whether it was applied is unknown.
    Commit(crate::codec::Fail),
}

/// A connection (or a transaction on one) with its statement cache: what reads and writes run
/// their SQL on.
pub(crate) struct Db<'a, C: GenericClient> {
    client: &'a mut C,
    cache: &'a mut Cache,
}

impl<C: GenericClient> Db<'_, C> {
    /// The prepared statement of `sql`, prepared on first use.
    fn statement(&mut self, sql: &str) -> Result<Statement, postgres::Error> {
        if let Some(statement) = self.cache.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        if self.cache.len() >= CACHE_LIMIT {
            self.cache.clear();
        }
        self.cache.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    /// The rows of `sql` (a statement prepared once per connection).
    pub(crate) fn query(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, postgres::Error> {
        let statement = self.statement(sql)?;
        self.client.query(&statement, params)
    }

    /// The row of `sql`, if any.
    pub(crate) fn query_opt(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, postgres::Error> {
        let statement = self.statement(sql)?;
        self.client.query_opt(&statement, params)
    }

    /// How many rows `sql` changed.
    pub(crate) fn execute(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, postgres::Error> {
        let statement = self.statement(sql)?;
        self.client.execute(&statement, params)
    }

    /// The rows of `sql`, run without preparing it (one round trip, planned for these
    /// parameters): for statements built from a query's filters.
    pub(crate) fn query_typed(
        &mut self,
        sql: &str,
        params: &[(&(dyn ToSql + Sync), Type)],
    ) -> Result<Vec<Row>, postgres::Error> {
        self.client.query_typed(sql, params)
    }
}

/// The pool.
pub(crate) struct Pool {
    config: Config,
    /// `SET search_path` run on each new connection, if any.
    setup: Option<String>,
    max: usize,
    timeout: Duration,
    state: Mutex<State>,
    returned: Condvar,
}

struct State {
    idle: Vec<Conn>,
    /// Connections open, idle or lent.
    open: usize,
}

impl Pool {
    pub(crate) fn new(
        config: Config,
        setup: Option<String>,
        max: usize,
        timeout: Duration,
    ) -> Pool {
        Pool {
            config,
            setup,
            max: max.max(1),
            timeout,
            state: Mutex::new(State {
                idle: Vec::new(),
                open: 0,
            }),
            returned: Condvar::new(),
        }
    }

    /// The most connections open at once.
    pub(crate) fn max(&self) -> usize {
        self.max
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Opens a new connection.
    pub(crate) fn connect(&self) -> Result<Conn, Error> {
        let mut client = self
            .config
            .connect(NoTls)
            .map_err(|e| storage(format!("cannot connect to PostgreSQL: {}", describe(&e))))?;
        if let Some(setup) = &self.setup {
            client
                .batch_execute(setup)
                .map_err(|e| storage(format!("cannot set up a connection: {}", describe(&e))))?;
        }
        Ok(Conn {
            client,
            cache: Cache::new(),
        })
    }

    /// A connection for one call: an idle one, a new one while fewer than the maximum are
    /// open, else the first one given back.
    ///
    /// # Errors
    ///
    /// `StorageFailed` when a connection cannot be opened, or none is given back within the
    /// timeout.
    pub(crate) fn get(&self) -> Result<Lease<'_>, Error> {
        let deadline = Instant::now() + self.timeout;
        let mut state = self.lock();
        loop {
            while let Some(conn) = state.idle.pop() {
                if conn.is_closed() {
                    state.open -= 1;
                    continue;
                }
                return Ok(Lease {
                    pool: self,
                    conn: Some(conn),
                });
            }
            if state.open < self.max {
                state.open += 1;
                drop(state);
                return match self.connect() {
                    Ok(conn) => Ok(Lease {
                        pool: self,
                        conn: Some(conn),
                    }),
                    Err(error) => {
                        self.lock().open -= 1;
                        self.returned.notify_one();
                        Err(error)
                    }
                };
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(storage(format!(
                    "no PostgreSQL connection was free within {:?} (all {} in use)",
                    self.timeout, self.max
                )));
            }
            state = self
                .returned
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Takes back a connection; one the server closed is dropped.
    fn give_back(&self, conn: Conn) {
        let mut state = self.lock();
        if conn.is_closed() {
            state.open -= 1;
        } else {
            state.idle.push(conn);
        }
        drop(state);
        self.returned.notify_one();
    }

    /// The connection settings, with the password left out, for `Debug`.
    pub(crate) fn describe(&self) -> String {
        let hosts: Vec<String> = self
            .config
            .get_hosts()
            .iter()
            .map(|host| match host {
                postgres::config::Host::Tcp(name) => name.clone(),
                postgres::config::Host::Unix(path) => path.display().to_string(),
            })
            .collect();
        format!(
            "host={} port={:?} user={} dbname={} max_connections={}",
            hosts.join(","),
            self.config.get_ports(),
            self.config.get_user().unwrap_or(""),
            self.config.get_dbname().unwrap_or(""),
            self.max
        )
    }
}

/// A connection lent for one call, given back when dropped.
pub(crate) struct Lease<'a> {
    pool: &'a Pool,
    conn: Option<Conn>,
}

impl Lease<'_> {
    /// Drops the connection instead of giving it back (the server closed it, or it is in a
    /// state nobody should inherit), freeing its slot.
    pub(crate) fn discard(mut self) {
        if let Some(conn) = self.conn.take() {
            drop(conn);
            self.pool.lock().open -= 1;
            self.pool.returned.notify_one();
        }
    }
}

impl std::ops::Deref for Lease<'_> {
    type Target = Conn;

    fn deref(&self) -> &Conn {
        // Present from creation until `drop` or `discard`, which take the lease.
        match &self.conn {
            Some(conn) => conn,
            None => unreachable!("a lease without its connection"),
        }
    }
}

impl std::ops::DerefMut for Lease<'_> {
    fn deref_mut(&mut self) -> &mut Conn {
        match &mut self.conn {
            Some(conn) => conn,
            None => unreachable!("a lease without its connection"),
        }
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.give_back(conn);
        }
    }
}

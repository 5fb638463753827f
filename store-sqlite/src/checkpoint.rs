//! Checkpoints off the callers' threads.
//!
//! In WAL mode a commit appends to the log and returns; a checkpoint later copies the log into
//! the database file and syncs both, which takes tens of milliseconds on an ordinary disk.
//! SQLite runs it inside whichever commit crosses `wal_autocheckpoint` pages, so every few
//! batches one caller would wait for it. Instead a store's writes tell a thread of its own,
//! holding its own connection, to run a passive checkpoint (which never blocks readers or
//! writers) once the log holds [`LOG_PAGES`] pages not yet copied. The connections' own automatic
//! checkpoint stays on as a backstop at [`BACKSTOP_PAGES`].

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;

use invitekit::Error;
use rusqlite::{Connection, OpenFlags};

use crate::codec::{Db as _, storage};

/// Pages in the log (not yet copied) from which a write wakes the checkpointer: about 4 MiB.
const LOG_PAGES: i64 = 1000;

/// The connections' own automatic checkpoint, should the checkpointer fall behind.
pub(crate) const BACKSTOP_PAGES: i64 = 20 * LOG_PAGES;

/// The thread that checkpoints a database file, stopped and joined on drop.
pub(crate) struct Checkpointer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Default)]
struct State {
    pending: bool,
    stop: bool,
}

impl Checkpointer {
    /// Starts the checkpointer of the database file at `path` (already in WAL mode).
    pub(crate) fn start(path: &Path) -> Result<Checkpointer, Error> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .db()?;
        conn.busy_timeout(crate::schema::BUSY_TIMEOUT).db()?;
        conn.pragma_update(None, "synchronous", "NORMAL").db()?;
        let shared = Arc::new(Shared::default());
        let thread = std::thread::Builder::new()
            .name("invitekit-sqlite-checkpoint".to_owned())
            .spawn({
                let shared = Arc::clone(&shared);
                move || run(&conn, &shared)
            })
            .map_err(|e| storage(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(Checkpointer {
            shared,
            thread: Some(thread),
        })
    }

    /// Called after a write committed on `conn`: wakes the thread when the log has grown.
    pub(crate) fn after_write(&self, conn: &Connection) {
        // Reads the log's size, copies nothing.
        let log = conn
            .prepare_cached("PRAGMA wal_checkpoint(NOOP)")
            .and_then(|mut statement| {
                statement.query_row([], |row| Ok(row.get::<_, i64>(1)? - row.get::<_, i64>(2)?))
            });
        if log.is_ok_and(|pages| pages >= LOG_PAGES) {
            let mut state = self.shared.lock();
            state.pending = true;
            self.shared.wake.notify_one();
        }
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn run(conn: &Connection, shared: &Shared) {
    loop {
        {
            let mut state = shared.lock();
            while !state.pending && !state.stop {
                state = shared
                    .wake
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            if state.stop {
                return;
            }
            state.pending = false;
        }
        // Best effort: what a passive checkpoint cannot copy now (a reader still needs it), the
        // next one will.
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
            .ok();
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        {
            let mut state = self.shared.lock();
            state.stop = true;
            self.shared.wake.notify_one();
        }
        if let Some(thread) = self.thread.take() {
            // A panic there has nothing left to clean up.
            thread.join().ok();
        }
    }
}

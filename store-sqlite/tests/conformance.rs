//! The store conformance suite on [`invitekit_sqlite::SqliteStore`]: each check on a fresh
//! database file (so write-ahead logging is in force), and again in memory.

mod common;

invitekit::store_conformance_tests!(common::TempStore::new());

mod in_memory {
    invitekit::store_conformance_tests!(
        invitekit_sqlite::SqliteStore::open_in_memory().unwrap_or_else(|e| panic!("open: {e}"))
    );
}

//! The store conformance suite on [`invitekit_postgres::PgStore`]: each check on a fresh store
//! in a schema of its own, against the server `INVITEKIT_PG_URL` names.

mod common;

invitekit::store_conformance_tests!({
    let Some(store) = common::TestStore::new() else {
        return;
    };
    store
});

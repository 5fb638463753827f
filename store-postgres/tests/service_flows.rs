//! Every use case of the service on PostgreSQL: the flows of `invitekit::service::flows`, each
//! on a fresh store in a schema of its own.

mod common;

invitekit::service_flow_tests!({
    let Some(store) = common::TestStore::new() else {
        return;
    };
    std::sync::Arc::new(store)
});

//! Every use case of the service on SQLite: the flows of `invitekit::service::flows`, each on a
//! fresh database file.

mod common;

invitekit::service_flow_tests!(std::sync::Arc::new(common::TempStore::new()));

//! Every use case of the service on [`invitekit::store::MemoryStore`].

invitekit::service_flow_tests!(std::sync::Arc::new(invitekit::store::MemoryStore::new()));

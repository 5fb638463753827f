//! The store conformance suite on [`MemoryStore`].

invitekit::store_conformance_tests!(invitekit::store::MemoryStore::new());

//! Shared by the integration tests: a store on a fresh database file in a temporary folder,
//! deleted with the store.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use invitekit::Error;
use invitekit::lifecycle::ClientRecord;
use invitekit::mailer::{DeliveryState, OutboxMessage};
use invitekit::model::{
    ClientId, Event, Group, MessageId, OrgId, Organization, Program, SignupLink,
};
use invitekit::store::{Change, Claim, ClientPage, ClientQuery, Store};
use invitekit::token::TokenHash;
use invitekit_sqlite::SqliteStore;
use tempfile::TempDir;

/// A [`SqliteStore`] on `invitekit.db` in a temporary folder it owns.
pub struct TempStore {
    pub store: SqliteStore,
    pub dir: TempDir,
}

impl TempStore {
    /// A store on a new database file.
    pub fn new() -> TempStore {
        let dir = tempfile::tempdir().expect("temporary folder");
        let store = SqliteStore::open(dir.path().join("invitekit.db")).expect("open");
        TempStore { store, dir }
    }

    /// The database file.
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("invitekit.db")
    }
}

impl Store for TempStore {
    fn organization(&self, id: &OrgId) -> Result<Option<Organization>, Error> {
        self.store.organization(id)
    }
    fn client(&self, org: &OrgId, id: &ClientId) -> Result<Option<ClientRecord>, Error> {
        self.store.client(org, id)
    }
    fn clients(&self, org: &OrgId, ids: &[ClientId]) -> Result<Vec<ClientRecord>, Error> {
        self.store.clients(org, ids)
    }
    fn clients_by_key(&self, org: &OrgId, keys: &[String]) -> Result<Vec<ClientRecord>, Error> {
        self.store.clients_by_key(org, keys)
    }
    fn client_by_invitation(&self, token: &TokenHash) -> Result<Option<ClientRecord>, Error> {
        self.store.client_by_invitation(token)
    }
    fn list_clients(&self, org: &OrgId, query: &ClientQuery) -> Result<ClientPage, Error> {
        self.store.list_clients(org, query)
    }
    fn groups(&self, org: &OrgId) -> Result<Vec<Group>, Error> {
        self.store.groups(org)
    }
    fn programs(&self, org: &OrgId) -> Result<Vec<Program>, Error> {
        self.store.programs(org)
    }
    fn signup_links(&self, org: &OrgId) -> Result<Vec<SignupLink>, Error> {
        self.store.signup_links(org)
    }
    fn signup_link_by_token(&self, token: &TokenHash) -> Result<Option<SignupLink>, Error> {
        self.store.signup_link_by_token(token)
    }
    fn events(&self, org: &OrgId, skip: u64, limit: usize) -> Result<Vec<Event>, Error> {
        self.store.events(org, skip, limit)
    }
    fn apply(&self, changes: &[Change]) -> Result<(), Error> {
        self.store.apply(changes)
    }
    fn claim_messages(&self, claim: &Claim) -> Result<Vec<OutboxMessage>, Error> {
        self.store.claim_messages(claim)
    }
    fn mark_sent(&self, ids: &[MessageId], at: DateTime<Utc>) -> Result<(), Error> {
        self.store.mark_sent(ids, at)
    }
    fn mark_failed(&self, id: &MessageId, reason: &str) -> Result<(), Error> {
        self.store.mark_failed(id, reason)
    }
    fn messages(
        &self,
        org: &OrgId,
        state: Option<DeliveryState>,
        limit: usize,
    ) -> Result<Vec<OutboxMessage>, Error> {
        self.store.messages(org, state, limit)
    }
}

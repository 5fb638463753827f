//! [`MemoryStore`]: every record in memory, behind one lock.

use std::collections::{BTreeSet, HashMap};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use chrono::{DateTime, Utc};

use super::{Change, Claim, ClientPage, ClientQuery, Store};
use crate::lifecycle::{ClientRecord, StatusKind};
use crate::mailer::{DeliveryState, OutboxMessage};
use crate::model::{
    ClientId, Event, Group, GroupId, MessageId, OrgId, Organization, Program, ProgramId,
    SignupLink, SignupLinkId,
};
use crate::token::TokenHash;
use crate::{Error, ErrorCode, ErrorKind};

/// A [`Store`] in memory: for tests, examples and short-lived tools. Nothing survives the
/// process. A batch is atomic: [`Store::apply`] takes the write lock and undoes what it did
/// when a change fails.
///
/// ```
/// use invitekit::store::{MemoryStore, Store};
/// use invitekit::model::OrgId;
///
/// let store = MemoryStore::new();
/// assert_eq!(store.organization(&OrgId::new("acme"))?, None);
/// # Ok::<(), invitekit::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: RwLock<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    orgs: HashMap<OrgId, OrgData>,
    invitation_tokens: HashMap<TokenHash, (OrgId, ClientId)>,
    signup_tokens: HashMap<TokenHash, (OrgId, SignupLinkId)>,
    outbox: Vec<OutboxMessage>,
    outbox_index: HashMap<MessageId, usize>,
    /// Positions in `outbox` of the messages not sent yet, the only ones a claim looks at.
    unsent: BTreeSet<usize>,
}

#[derive(Debug)]
struct OrgData {
    org: Organization,
    clients: HashMap<ClientId, ClientRecord>,
    order: BTreeSet<(DateTime<Utc>, ClientId)>,
    keys: HashMap<String, ClientId>,
    groups: HashMap<GroupId, Group>,
    programs: HashMap<ProgramId, Program>,
    links: HashMap<SignupLinkId, SignupLink>,
    events: Vec<Event>,
}

/// What undoes one step of a batch.
enum Undo {
    Org(OrgId, Option<Organization>),
    Client(OrgId, ClientId, Option<Box<ClientRecord>>),
    Group(OrgId, GroupId, Option<Group>),
    Program(OrgId, ProgramId, Option<Program>),
    Link(OrgId, SignupLinkId, Option<SignupLink>),
    Events(OrgId, usize),
    Outbox(usize),
}

fn not_found(code: ErrorCode) -> Error {
    Error::new(ErrorKind::NotFound { code })
}

fn exists(code: ErrorCode) -> Error {
    Error::new(ErrorKind::Exists { code })
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStore::default()
    }

    fn read(&self) -> RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl Inner {
    fn org_mut(&mut self, id: &OrgId) -> Result<&mut OrgData, Error> {
        self.orgs
            .get_mut(id)
            .ok_or_else(|| not_found(ErrorCode::OrganizationNotFound))
    }

    /// Puts `record` (or removes the client when `None`), keeping every index right.
    fn set_client(&mut self, org: &OrgId, id: &ClientId, record: Option<ClientRecord>) {
        let Some(data) = self.orgs.get_mut(org) else {
            return;
        };
        if let Some(old) = data.clients.remove(id) {
            data.order.remove(&(old.client.created_at, id.clone()));
            if let Some(email) = &old.client.email {
                data.keys.remove(&email.key);
            }
            for invitation in &old.invitations {
                self.invitation_tokens.remove(&invitation.token_hash);
            }
        }
        if let Some(record) = record {
            data.order
                .insert((record.client.created_at, record.client.id.clone()));
            if let Some(email) = &record.client.email {
                data.keys.insert(email.key.clone(), id.clone());
            }
            for invitation in &record.invitations {
                self.invitation_tokens
                    .insert(invitation.token_hash, (org.clone(), id.clone()));
            }
            data.clients.insert(id.clone(), record);
        }
    }

    /// Checks that `record`'s key and tokens belong to no other client.
    fn check_unique(&self, data: &OrgData, record: &ClientRecord) -> Result<(), Error> {
        let id = &record.client.id;
        if let Some(email) = &record.client.email
            && data.keys.get(&email.key).is_some_and(|other| other != id)
        {
            return Err(exists(ErrorCode::ClientExists));
        }
        for invitation in &record.invitations {
            if let Some((_, other)) = self.invitation_tokens.get(&invitation.token_hash)
                && other != id
            {
                return Err(Error::new(ErrorKind::InvitationExists));
            }
        }
        Ok(())
    }

    fn set_link(&mut self, org: &OrgId, id: &SignupLinkId, link: Option<SignupLink>) {
        let Some(data) = self.orgs.get_mut(org) else {
            return;
        };
        if let Some(old) = data.links.remove(id) {
            self.signup_tokens.remove(&old.token_hash);
        }
        if let Some(link) = link {
            self.signup_tokens
                .insert(link.token_hash, (org.clone(), id.clone()));
            data.links.insert(id.clone(), link);
        }
    }

    fn apply_one(&mut self, change: &Change, undo: &mut Vec<Undo>) -> Result<(), Error> {
        match change {
            Change::InsertOrganization(org) => {
                if self.orgs.contains_key(&org.id) {
                    return Err(exists(ErrorCode::OrganizationExists));
                }
                self.orgs.insert(
                    org.id.clone(),
                    OrgData {
                        org: org.clone(),
                        clients: HashMap::new(),
                        order: BTreeSet::new(),
                        keys: HashMap::new(),
                        groups: HashMap::new(),
                        programs: HashMap::new(),
                        links: HashMap::new(),
                        events: Vec::new(),
                    },
                );
                undo.push(Undo::Org(org.id.clone(), None));
            }
            Change::UpdateOrganization(org) => {
                let data = self.org_mut(&org.id)?;
                let before = std::mem::replace(&mut data.org, org.clone());
                undo.push(Undo::Org(org.id.clone(), Some(before)));
            }
            Change::InsertClient(record) => {
                let org = &record.client.org;
                let id = &record.client.id;
                let data = self
                    .orgs
                    .get(org)
                    .ok_or_else(|| not_found(ErrorCode::OrganizationNotFound))?;
                if data.clients.contains_key(id) {
                    return Err(exists(ErrorCode::ClientExists));
                }
                self.check_unique(data, record)?;
                self.set_client(org, id, Some(record.clone()));
                undo.push(Undo::Client(org.clone(), id.clone(), None));
            }
            Change::UpdateClient {
                record,
                expected_version,
            } => {
                let org = &record.client.org;
                let id = &record.client.id;
                let data = self
                    .orgs
                    .get(org)
                    .ok_or_else(|| not_found(ErrorCode::ClientNotFound))?;
                let before = data
                    .clients
                    .get(id)
                    .ok_or_else(|| not_found(ErrorCode::ClientNotFound))?;
                if before.client.version != *expected_version {
                    return Err(Error::new(ErrorKind::Conflict));
                }
                self.check_unique(data, record)?;
                let mut merged = record.clone();
                // Invitations are never removed: keep any the new record lacks.
                for old in &before.invitations {
                    if !merged.invitations.iter().any(|i| i.id == old.id) {
                        merged.invitations.push(old.clone());
                    }
                }
                merged.invitations.sort_by_key(|i| i.sent_at);
                let before = before.clone();
                self.set_client(org, id, Some(merged));
                undo.push(Undo::Client(
                    org.clone(),
                    id.clone(),
                    Some(Box::new(before)),
                ));
            }
            Change::PutGroup(group) => {
                let data = self.org_mut(&group.org)?;
                let name = crate::policy::name_key(&group.name);
                if data
                    .groups
                    .values()
                    .any(|g| g.id != group.id && crate::policy::name_key(&g.name) == name)
                {
                    return Err(exists(ErrorCode::GroupExists));
                }
                let before = data.groups.insert(group.id.clone(), group.clone());
                undo.push(Undo::Group(group.org.clone(), group.id.clone(), before));
            }
            Change::DeleteGroup { org, id } => {
                let data = self.org_mut(org)?;
                let before = data
                    .groups
                    .remove(id)
                    .ok_or_else(|| not_found(ErrorCode::GroupNotFound))?;
                undo.push(Undo::Group(org.clone(), id.clone(), Some(before)));
                let members: Vec<ClientRecord> = data
                    .clients
                    .values()
                    .filter(|r| r.client.groups.contains(id))
                    .cloned()
                    .collect();
                for before in members {
                    let mut after = before.clone();
                    after.client.groups.retain(|g| g != id);
                    after.client.version += 1;
                    let client = before.client.id.clone();
                    self.set_client(org, &client, Some(after));
                    undo.push(Undo::Client(org.clone(), client, Some(Box::new(before))));
                }
            }
            Change::PutProgram(program) => {
                let data = self.org_mut(&program.org)?;
                let before = data.programs.insert(program.id.clone(), program.clone());
                undo.push(Undo::Program(
                    program.org.clone(),
                    program.id.clone(),
                    before,
                ));
            }
            Change::InsertSignupLink(link) => {
                let data = self.org_mut(&link.org)?;
                if data.links.contains_key(&link.id) {
                    return Err(Error::new(ErrorKind::Conflict));
                }
                self.set_link(&link.org, &link.id, Some(link.clone()));
                undo.push(Undo::Link(link.org.clone(), link.id.clone(), None));
            }
            Change::UpdateSignupLink {
                link,
                expected_version,
            } => {
                let data = self
                    .orgs
                    .get(&link.org)
                    .ok_or_else(|| not_found(ErrorCode::SignupLinkNotFound))?;
                let before = data
                    .links
                    .get(&link.id)
                    .ok_or_else(|| not_found(ErrorCode::SignupLinkNotFound))?
                    .clone();
                if before.version != *expected_version {
                    return Err(Error::new(ErrorKind::Conflict));
                }
                self.set_link(&link.org, &link.id, Some(link.clone()));
                undo.push(Undo::Link(link.org.clone(), link.id.clone(), Some(before)));
            }
            Change::RecordEvent(event) => {
                let data = self.org_mut(&event.org)?;
                undo.push(Undo::Events(event.org.clone(), data.events.len()));
                data.events.push(event.clone());
            }
            Change::Enqueue(message) => {
                if self.outbox_index.contains_key(&message.id) {
                    return Err(Error::new(ErrorKind::Conflict));
                }
                undo.push(Undo::Outbox(self.outbox.len()));
                self.outbox_index
                    .insert(message.id.clone(), self.outbox.len());
                if message.state != DeliveryState::Sent {
                    self.unsent.insert(self.outbox.len());
                }
                self.outbox.push(message.clone());
            }
        }
        Ok(())
    }

    fn undo(&mut self, step: Undo) {
        match step {
            Undo::Org(id, None) => {
                if let Some(data) = self.orgs.remove(&id) {
                    self.invitation_tokens.retain(|_, (org, _)| org != &id);
                    self.signup_tokens.retain(|_, (org, _)| org != &id);
                    drop(data);
                }
            }
            Undo::Org(id, Some(before)) => {
                if let Some(data) = self.orgs.get_mut(&id) {
                    data.org = before;
                }
            }
            Undo::Client(org, id, before) => self.set_client(&org, &id, before.map(|b| *b)),
            Undo::Group(org, id, before) => {
                if let Some(data) = self.orgs.get_mut(&org) {
                    match before {
                        Some(group) => data.groups.insert(id, group),
                        None => data.groups.remove(&id),
                    };
                }
            }
            Undo::Program(org, id, before) => {
                if let Some(data) = self.orgs.get_mut(&org) {
                    match before {
                        Some(program) => data.programs.insert(id, program),
                        None => data.programs.remove(&id),
                    };
                }
            }
            Undo::Link(org, id, before) => self.set_link(&org, &id, before),
            Undo::Events(org, len) => {
                if let Some(data) = self.orgs.get_mut(&org) {
                    data.events.truncate(len);
                }
            }
            Undo::Outbox(len) => {
                for message in self.outbox.drain(len..) {
                    self.outbox_index.remove(&message.id);
                }
                self.unsent.split_off(&len);
            }
        }
    }

    fn message_mut(&mut self, id: &MessageId) -> Result<&mut OutboxMessage, Error> {
        let index = *self
            .outbox_index
            .get(id)
            .ok_or_else(|| not_found(ErrorCode::MessageNotFound))?;
        Ok(&mut self.outbox[index])
    }
}

impl Store for MemoryStore {
    fn organization(&self, id: &OrgId) -> Result<Option<Organization>, Error> {
        Ok(self.read().orgs.get(id).map(|data| data.org.clone()))
    }

    fn client(&self, org: &OrgId, id: &ClientId) -> Result<Option<ClientRecord>, Error> {
        Ok(self
            .read()
            .orgs
            .get(org)
            .and_then(|data| data.clients.get(id).cloned()))
    }

    fn clients(&self, org: &OrgId, ids: &[ClientId]) -> Result<Vec<ClientRecord>, Error> {
        let inner = self.read();
        let Some(data) = inner.orgs.get(org) else {
            return Ok(Vec::new());
        };
        Ok(ids
            .iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter_map(|id| data.clients.get(id).cloned())
            .collect())
    }

    fn clients_by_key(&self, org: &OrgId, keys: &[String]) -> Result<Vec<ClientRecord>, Error> {
        let inner = self.read();
        let Some(data) = inner.orgs.get(org) else {
            return Ok(Vec::new());
        };
        Ok(keys
            .iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter_map(|key| data.keys.get(key))
            .filter_map(|id| data.clients.get(id).cloned())
            .collect())
    }

    fn client_by_invitation(&self, token: &TokenHash) -> Result<Option<ClientRecord>, Error> {
        let inner = self.read();
        Ok(inner
            .invitation_tokens
            .get(token)
            .and_then(|(org, id)| inner.orgs.get(org)?.clients.get(id).cloned()))
    }

    fn list_clients(&self, org: &OrgId, query: &ClientQuery) -> Result<ClientPage, Error> {
        let inner = self.read();
        let mut page = ClientPage {
            records: Vec::new(),
            total: 0,
            new: 0,
            activated: 0,
        };
        let Some(data) = inner.orgs.get(org) else {
            return Ok(page);
        };
        let limit = query.limit.unwrap_or(usize::MAX);
        for (_, id) in &data.order {
            let Some(record) = data.clients.get(id) else {
                continue;
            };
            if !query.matches(record) {
                continue;
            }
            if page.total >= query.offset && page.records.len() < limit {
                page.records.push(record.clone());
            }
            page.total += 1;
            if query
                .new_since
                .is_some_and(|since| record.client.created_at >= since)
            {
                page.new += 1;
            }
            if super::Summary::of(record).status_kind(&record.client, query.now)
                == StatusKind::Activated
            {
                page.activated += 1;
            }
        }
        Ok(page)
    }

    fn groups(&self, org: &OrgId) -> Result<Vec<Group>, Error> {
        let inner = self.read();
        let mut groups: Vec<Group> = inner
            .orgs
            .get(org)
            .map(|data| data.groups.values().cloned().collect())
            .unwrap_or_default();
        groups.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        Ok(groups)
    }

    fn programs(&self, org: &OrgId) -> Result<Vec<Program>, Error> {
        let inner = self.read();
        let mut programs: Vec<Program> = inner
            .orgs
            .get(org)
            .map(|data| data.programs.values().cloned().collect())
            .unwrap_or_default();
        programs.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        Ok(programs)
    }

    fn signup_links(&self, org: &OrgId) -> Result<Vec<SignupLink>, Error> {
        let inner = self.read();
        let mut links: Vec<SignupLink> = inner
            .orgs
            .get(org)
            .map(|data| data.links.values().cloned().collect())
            .unwrap_or_default();
        links.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(links)
    }

    fn signup_link_by_token(&self, token: &TokenHash) -> Result<Option<SignupLink>, Error> {
        let inner = self.read();
        Ok(inner
            .signup_tokens
            .get(token)
            .and_then(|(org, id)| inner.orgs.get(org)?.links.get(id).cloned()))
    }

    fn events(&self, org: &OrgId, skip: u64, limit: usize) -> Result<Vec<Event>, Error> {
        let inner = self.read();
        let skip = usize::try_from(skip).unwrap_or(usize::MAX);
        Ok(inner
            .orgs
            .get(org)
            .map(|data| data.events.iter().skip(skip).take(limit).cloned().collect())
            .unwrap_or_default())
    }

    fn apply(&self, changes: &[Change]) -> Result<(), Error> {
        let mut inner = self.write();
        let mut undo = Vec::new();
        for change in changes {
            if let Err(error) = inner.apply_one(change, &mut undo) {
                while let Some(step) = undo.pop() {
                    inner.undo(step);
                }
                return Err(error);
            }
        }
        Ok(())
    }

    fn claim_messages(&self, claim: &Claim) -> Result<Vec<OutboxMessage>, Error> {
        let mut inner = self.write();
        let inner = &mut *inner;
        let positions: Vec<usize> = match &claim.ids {
            Some(ids) => {
                let mut positions: Vec<usize> = ids
                    .iter()
                    .filter_map(|id| inner.outbox_index.get(id).copied())
                    .filter(|at| inner.unsent.contains(at))
                    .collect();
                positions.sort_unstable();
                positions.dedup();
                positions
            }
            None => inner.unsent.iter().copied().collect(),
        };
        let mut claimed = Vec::new();
        for at in positions {
            if claimed.len() >= claim.limit {
                break;
            }
            let message = &mut inner.outbox[at];
            if message.claimed_until.is_some_and(|until| until > claim.now) {
                continue;
            }
            message.attempts += 1;
            message.claimed_until = Some(claim.until);
            claimed.push(message.clone());
        }
        Ok(claimed)
    }

    fn mark_sent(&self, ids: &[MessageId], at: DateTime<Utc>) -> Result<(), Error> {
        let mut inner = self.write();
        let inner = &mut *inner;
        let positions = ids
            .iter()
            .map(|id| {
                inner
                    .outbox_index
                    .get(id)
                    .copied()
                    .ok_or_else(|| not_found(ErrorCode::MessageNotFound))
            })
            .collect::<Result<Vec<usize>, Error>>()?;
        for position in positions {
            inner.unsent.remove(&position);
            let message = &mut inner.outbox[position];
            message.state = DeliveryState::Sent;
            message.sent_at = Some(at);
            message.claimed_until = None;
            message.last_error = None;
            message.message.text.clear();
            message.message.html.clear();
        }
        Ok(())
    }

    fn mark_failed(&self, id: &MessageId, reason: &str) -> Result<(), Error> {
        let mut inner = self.write();
        let message = inner.message_mut(id)?;
        if message.state != DeliveryState::Sent {
            message.state = DeliveryState::Failed;
            message.last_error = Some(reason.to_owned());
            message.claimed_until = None;
        }
        Ok(())
    }

    fn messages(
        &self,
        org: &OrgId,
        state: Option<DeliveryState>,
        limit: usize,
    ) -> Result<Vec<OutboxMessage>, Error> {
        let inner = self.read();
        Ok(inner
            .outbox
            .iter()
            .filter(|m| &m.org == org && state.is_none_or(|s| m.state == s))
            .take(limit)
            .cloned()
            .collect())
    }
}

//! [`DocumentStore`]: a [`Store`] on a tiny host interface, [`Documents`].
//!
//! A host that keeps its data in its own language (a Django model, a Node ORM, a Kotlin DAO)
//! implements three methods on one table of JSON documents, and [`DocumentStore`] keeps every
//! rule and every query in Rust: uniqueness, compare-and-set, atomic batches, list filters,
//! status at an instant, the activity log's order, outbox claims and leases. The host never
//! interprets a body.
//!
//! The whole table, in SQL:
//!
//! ```sql
//! CREATE TABLE invitekit_documents (
//!     kind    TEXT    NOT NULL,
//!     key     TEXT    NOT NULL,
//!     version INTEGER NOT NULL,
//!     body    TEXT    NOT NULL,
//!     PRIMARY KEY (kind, key)
//! );
//! ```
//!
//! and [`Documents`] states exactly what `get`, `scan` and `commit` must do on it.
//! [`MemoryDocuments`] is the reference implementation (a map behind a lock); `conformance`
//! (cargo feature `testkit`) checks a host's implementation against the contract.
//!
//! # When to use it
//!
//! This store is meant for hosts with modest organizations (thousands of clients, not
//! millions): [`Store::list_clients`] reads every client document of the organization and
//! filters them with [`ClientQuery::matches`], and [`Store::messages`] reads the unsent outbox.
//! `invitekit-sqlite` (and SQL stores to come) are the fast path for large ones.
//!
//! # Concurrency
//!
//! Every [`Store::apply`] is one [`Documents::commit`]: the adapter reads what the batch needs,
//! checks every rule, then commits all its writes, each with the version it read
//! ([`Expect::Version`]) or [`Expect::Absent`] for a document it creates. If another process
//! changed one of them in between, the commit fails with a conflict, applies nothing, and the
//! adapter runs the batch again from fresh reads (up to 32 times): a batch whose rules still
//! hold then commits, one whose rules no longer hold fails with the rule's error. So a lost
//! compare-and-set on a client is [`crate::ErrorCode::Conflict`], a second client with the same
//! (organization, dedup key) is [`crate::ErrorCode::ClientExists`] whatever the race (its index
//! document is created with [`Expect::Absent`]), and two batches appending to one activity log
//! both succeed (the log's counter is a document updated with [`Expect::Version`]).
//!
//! Several [`DocumentStore`]s, in one process or many, may share one backend.
//!
//! # Key layout
//!
//! Bodies are JSON: the records as [`crate::model`] serializes them, and small objects for
//! indexes. In keys, `{org}`, `{id}` and the other parts have `%` written `%25` and `/` written
//! `%2F`, so `/` only separates parts; `{seq}` is a number written with 20 digits, so that key
//! order is number order; `{hash}` is a token's SHA-256 hash in 64 lowercase hex digits (never
//! the token).
//!
//! | kind | key | body |
//! |---|---|---|
//! | `org` | `{org}` | [`crate::model::Organization`] |
//! | `client` | `{org}/{client id}` | [`ClientRecord`]: the client and all its invitations |
//! | `client_key` | `{org}/{email dedup key}` | `{"org": …, "client": …}`: the unique key |
//! | `invitation` | `{hash}` | `{"org": …, "client": …}`: whose invitation it is |
//! | `group` | `{org}/{group id}` | [`Group`] |
//! | `group_name` | `{org}/{name key}` | `{"group": …}`: the unique name, [`crate::policy::name_key`] |
//! | `program` | `{org}/{program id}` | [`Program`] |
//! | `signup_link` | `{org}/{link id}` | [`SignupLink`] |
//! | `signup_token` | `{hash}` | `{"org": …, "link": …}`: the link's current token |
//! | `event` | `{org}/{seq}` | [`Event`], `seq` from 0 in the order recorded |
//! | `counter` | `events/{org}` | `{"next": n}`: how many events `org` has |
//! | `counter` | `outbox` | `{"next": n}`: how many messages were ever enqueued |
//! | `message` | `{message id}` | `{"org": …, "seq": n}`: where the message is |
//! | `outbox` | `{seq}` | [`OutboxMessage`] pending or failed, oldest first |
//! | `sent` | `{org}/{seq}` | [`OutboxMessage`] sent (its bodies emptied) |
//!
//! ```
//! use std::sync::Arc;
//!
//! use chrono::Utc;
//! use invitekit::model::{OrgId, Organization};
//! use invitekit::store::{Change, DocumentStore, MemoryDocuments, Store};
//!
//! let store = DocumentStore::new(Arc::new(MemoryDocuments::new()));
//! let org = Organization::new(OrgId::new("acme"), "Acme", Utc::now());
//! store.apply(&[Change::InsertOrganization(org.clone())])?;
//! assert_eq!(store.organization(&org.id)?, Some(org));
//! # Ok::<(), invitekit::Error>(())
//! ```

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{Change, Claim, ClientPage, ClientQuery, Store, Summary};
use crate::lifecycle::{ClientRecord, StatusKind};
use crate::mailer::{DeliveryState, OutboxMessage};
use crate::model::{
    ClientId, Event, Group, GroupId, MessageId, OrgId, Organization, Program, SignupLink,
    SignupLinkId,
};
use crate::token::TokenHash;
use crate::{Error, ErrorCode, ErrorKind};

/// One stored document: what [`Documents::get`] and [`Documents::scan`] return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Its key, unique within its kind.
    pub key: String,
    /// Its version: 1 when it was created, one more at each write since.
    pub version: u64,
    /// Its body, JSON text. The backend stores it as given and never interprets it.
    pub body: String,
}

/// What a [`Write`] requires of the document it names, checked by [`Documents::commit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// No document with this kind and key exists (uniqueness: insert only if new).
    Absent,
    /// The document exists and its version is exactly this (compare-and-set).
    Version(u64),
    /// Nothing: the write applies whatever is stored.
    Any,
}

/// One write of a [`Documents::commit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    /// The document's kind.
    pub kind: String,
    /// The document's key.
    pub key: String,
    /// What must hold before the write, or the whole commit fails.
    pub expected: Expect,
    /// The new body (JSON text); `None` deletes the document.
    pub body: Option<String>,
}

/// The storage a host implements for [`DocumentStore`]: JSON documents named by a kind and a
/// key, each with a version. Three methods, synchronous, callable from any thread.
///
/// It fits one SQL table `(kind TEXT, key TEXT, version INTEGER, body TEXT, PRIMARY KEY (kind,
/// key))`, a dictionary keyed by `(kind, key)` behind a lock, or a key-value store with
/// transactions. [`MemoryDocuments`] is the reference; `document::conformance` (cargo feature
/// `testkit`) checks an implementation.
///
/// # Contract
///
/// - **Kinds and keys** are UTF-8 strings. Kinds are a small fixed set of names in lowercase
///   ASCII letters and `_` (listed in the [module documentation](crate::store::document));
///   keys may hold any character, `/` and `%` included, and may be empty. `(kind, key)` names
///   at most one document.
/// - **Versions** are per document: 1 when it is created, previous + 1 at each write. A deleted
///   document is gone; created again, it starts at 1.
/// - **Bodies** are JSON text, stored and returned exactly as given (byte for byte). The
///   backend never parses them.
/// - **`get`** returns the document `(kind, key)`, or `None`.
/// - **`scan`** returns every document of `kind` whose key starts with `prefix` (all of them
///   for `""`), in ascending byte order of their keys (SQL: `ORDER BY key` with a binary
///   collation; `WHERE key >= prefix AND key < prefix-successor`, or `substr(key, 1,
///   length(prefix)) = prefix`, never `LIKE`, whose `%` and `_` are wildcards and which may
///   ignore case).
/// - **`commit`** applies `writes` all or nothing, atomically with respect to every other
///   `commit` (one database transaction, or one lock). First it checks every write's
///   [`Expect`] against the stored documents: [`Expect::Absent`] holds when no document
///   `(kind, key)` exists, [`Expect::Version`]`(v)` when it exists with version `v`,
///   [`Expect::Any`] always. If any does not hold, it applies **nothing** and returns an
///   [`Error`] of kind [`ErrorKind::Conflict`] (`Error::new(ErrorKind::Conflict)`; hosts
///   return the `conflict` code). Otherwise it applies each write: a body creates the document
///   with version 1 or replaces its body with version + 1; `None` deletes it (deleting a
///   missing document with [`Expect::Absent`] or [`Expect::Any`] does nothing). One commit
///   never names one document twice. An empty commit succeeds.
/// - **Reads** see every commit that returned before they began, and never half of one
///   (read committed). A scan need not be a snapshot: documents committed while it runs may be
///   in it or not.
/// - **Errors**: any other failure (a database error, a host exception) is an [`Error`] of
///   kind [`ErrorKind::StorageFailed`] with a message in words; a `commit` that fails that way
///   must also have applied nothing. A backend may also answer [`ErrorKind::Conflict`] for a
///   commit its database aborted (a serialization failure, a deadlock) if it applied nothing:
///   [`DocumentStore`] then runs the batch again from fresh reads.
///
/// In SQL, a commit is `BEGIN` (SQLite: `BEGIN IMMEDIATE`), then per write: with a body and
/// [`Expect::Absent`], `INSERT` (a primary-key violation is the conflict; PostgreSQL: `INSERT …
/// ON CONFLICT DO NOTHING` and no row inserted); with
/// [`Expect::Version`], `UPDATE … SET body = ?, version = version + 1 WHERE kind = ? AND key =
/// ? AND version = ?` (no row changed is the conflict); with [`Expect::Any`], an upsert that
/// sets `version = version + 1`; without a body, the same `DELETE … WHERE` (for
/// [`Expect::Absent`], a `SELECT` that must find no row). On a conflict, `ROLLBACK` and
/// return `conflict`; else `COMMIT`. Writes come sorted by kind then key, so concurrent
/// commits lock rows in one order.
pub trait Documents: Send + Sync {
    /// The document `(kind, key)`, if it exists.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::StorageFailed`] when the backend fails.
    fn get(&self, kind: &str, key: &str) -> Result<Option<Document>, Error>;

    /// Every document of `kind` whose key starts with `prefix`, ordered by key (byte order).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::StorageFailed`] when the backend fails.
    fn scan(&self, kind: &str, prefix: &str) -> Result<Vec<Document>, Error>;

    /// Applies all of `writes` or none: if one's [`Expect`] does not hold, nothing is applied
    /// and the error is [`ErrorKind::Conflict`]. See the trait's contract.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Conflict`] when an expectation fails, [`ErrorKind::StorageFailed`] when the
    /// backend fails; either way nothing was applied.
    fn commit(&self, writes: &[Write]) -> Result<(), Error>;
}

/// [`Documents`] in memory, behind one lock: the reference implementation of the contract,
/// for tests, examples and as the model for hosts. Nothing survives the process.
///
/// ```
/// use invitekit::store::document::{Documents, Expect, MemoryDocuments, Write};
///
/// let docs = MemoryDocuments::new();
/// let write = Write {
///     kind: "note".to_owned(),
///     key: "a".to_owned(),
///     expected: Expect::Absent,
///     body: Some("{}".to_owned()),
/// };
/// docs.commit(&[write.clone()])?;
/// assert_eq!(docs.get("note", "a")?.map(|d| d.version), Some(1));
/// // A second insert of the same key is a conflict.
/// assert_eq!(docs.commit(&[write]).unwrap_err().code(), invitekit::ErrorCode::Conflict);
/// # Ok::<(), invitekit::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct MemoryDocuments {
    docs: Mutex<Tables>,
}

/// Kind, then key, then (version, body).
type Tables = BTreeMap<String, BTreeMap<String, (u64, String)>>;

impl MemoryDocuments {
    /// An empty backend.
    pub fn new() -> Self {
        MemoryDocuments::default()
    }

    fn lock(&self) -> MutexGuard<'_, Tables> {
        self.docs.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Documents for MemoryDocuments {
    fn get(&self, kind: &str, key: &str) -> Result<Option<Document>, Error> {
        Ok(self
            .lock()
            .get(kind)
            .and_then(|docs| docs.get(key))
            .map(|(version, body)| Document {
                key: key.to_owned(),
                version: *version,
                body: body.clone(),
            }))
    }

    fn scan(&self, kind: &str, prefix: &str) -> Result<Vec<Document>, Error> {
        let all = self.lock();
        let Some(docs) = all.get(kind) else {
            return Ok(Vec::new());
        };
        Ok(docs
            .range::<str, _>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .take_while(|(key, _)| key.starts_with(prefix))
            .map(|(key, (version, body))| Document {
                key: key.clone(),
                version: *version,
                body: body.clone(),
            })
            .collect())
    }

    fn commit(&self, writes: &[Write]) -> Result<(), Error> {
        let mut all = self.lock();
        // Check every expectation first, in order, against the versions the earlier writes
        // of this commit leave (`None`: no document).
        let mut after: BTreeMap<(&str, &str), Option<u64>> = BTreeMap::new();
        for write in writes {
            let name = (write.kind.as_str(), write.key.as_str());
            let current = match after.get(&name) {
                Some(version) => *version,
                None => all
                    .get(name.0)
                    .and_then(|docs| docs.get(name.1))
                    .map(|(version, _)| *version),
            };
            let holds = match write.expected {
                Expect::Absent => current.is_none(),
                Expect::Version(version) => current == Some(version),
                Expect::Any => true,
            };
            if !holds {
                return Err(Error::new(ErrorKind::Conflict));
            }
            let next = write
                .body
                .as_ref()
                .map(|_| current.map_or(1, |version| version + 1));
            after.insert(name, next);
        }
        for write in writes {
            match &write.body {
                Some(body) => {
                    let docs = all.entry(write.kind.clone()).or_default();
                    let version = docs.get(&write.key).map_or(1, |(version, _)| version + 1);
                    docs.insert(write.key.clone(), (version, body.clone()));
                }
                None => {
                    if let Some(docs) = all.get_mut(&write.kind) {
                        docs.remove(&write.key);
                    }
                }
            }
        }
        Ok(())
    }
}

/// A [`Store`] on a host's [`Documents`], with the semantics of [`super::MemoryStore`] and
/// every rule in Rust (see the [module documentation](crate::store::document) for the key
/// layout and how races are resolved).
///
/// Meant for hosts with modest organizations: lists read all of an organization's clients.
/// SQLite (`invitekit-sqlite`) and other SQL stores are the fast path.
///
/// ```
/// use std::sync::Arc;
///
/// use invitekit::store::{DocumentStore, Documents, MemoryDocuments};
///
/// // What a binding does with a host's object: any `Arc<dyn Documents>`.
/// let host: Arc<dyn Documents> = Arc::new(MemoryDocuments::new());
/// let store = DocumentStore::new(host);
/// # let _ = store;
/// ```
#[derive(Clone)]
pub struct DocumentStore {
    docs: Arc<dyn Documents>,
}

impl fmt::Debug for DocumentStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DocumentStore").finish_non_exhaustive()
    }
}

/// How many times [`DocumentStore`] runs a batch again after its commit lost a race.
const ATTEMPTS: usize = 32;

/// At most this many events are read one by one; more are read with one scan.
const EVENT_GETS: u64 = 32;

const ORG: &str = "org";
const CLIENT: &str = "client";
const CLIENT_KEY: &str = "client_key";
const INVITATION: &str = "invitation";
const GROUP: &str = "group";
const GROUP_NAME: &str = "group_name";
const PROGRAM: &str = "program";
const SIGNUP_LINK: &str = "signup_link";
const SIGNUP_TOKEN: &str = "signup_token";
const EVENT: &str = "event";
const COUNTER: &str = "counter";
const MESSAGE: &str = "message";
const OUTBOX: &str = "outbox";
const SENT: &str = "sent";

/// Which client an index document points to.
#[derive(Debug, Serialize, Deserialize)]
struct ClientRef {
    org: OrgId,
    client: ClientId,
}

/// Which group has a name.
#[derive(Debug, Serialize, Deserialize)]
struct GroupRef {
    group: GroupId,
}

/// Which sign-up link has a token.
#[derive(Debug, Serialize, Deserialize)]
struct LinkRef {
    org: OrgId,
    link: SignupLinkId,
}

/// Where an outbox message is.
#[derive(Debug, Serialize, Deserialize)]
struct MessageRef {
    org: OrgId,
    seq: u64,
}

/// A sequence counter.
#[derive(Debug, Serialize, Deserialize)]
struct Counter {
    next: u64,
}

fn storage_failed(message: String) -> Error {
    Error::new(ErrorKind::StorageFailed { message })
}

fn not_found(code: ErrorCode) -> Error {
    Error::new(ErrorKind::NotFound { code })
}

fn exists(code: ErrorCode) -> Error {
    Error::new(ErrorKind::Exists { code })
}

fn conflict() -> Error {
    Error::new(ErrorKind::Conflict)
}

fn is_conflict(error: &Error) -> bool {
    error.code() == ErrorCode::Conflict
}

fn encode<T: Serialize>(value: &T) -> Result<String, Error> {
    serde_json::to_string(value)
        .map_err(|e| storage_failed(format!("a record could not be written as JSON: {e}")))
}

/// Reads a body. The error names the document but quotes nothing of it: bodies of outbox
/// messages hold tokens.
fn decode<T: DeserializeOwned>(kind: &str, key: &str, body: &str) -> Result<T, Error> {
    serde_json::from_str(body).map_err(|e| {
        storage_failed(format!(
            "the {kind} document {key:?} is not a valid record ({:?} error at line {}, column {})",
            e.classify(),
            e.line(),
            e.column()
        ))
    })
}

/// One part of a key: `%` and `/` escaped, so that `/` only separates parts.
fn part(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '/' => out.push_str("%2F"),
            c => out.push(c),
        }
    }
    out
}

/// The key `{org}/{id}`.
fn org_key(org: &OrgId, id: &str) -> String {
    format!("{}/{}", part(org.as_str()), part(id))
}

/// The prefix of `org`'s keys.
fn org_prefix(org: &OrgId) -> String {
    format!("{}/", part(org.as_str()))
}

/// A sequence number as a key part: 20 digits, so that key order is number order.
fn seq_part(seq: u64) -> String {
    format!("{seq:020}")
}

/// The sequence number at the end of a key.
fn seq_of(kind: &str, key: &str) -> Result<u64, Error> {
    key.rsplit('/')
        .next()
        .and_then(|tail| tail.parse().ok())
        .ok_or_else(|| storage_failed(format!("the {kind} key {key:?} has no sequence number")))
}

fn events_counter(org: &OrgId) -> String {
    format!("events/{}", part(org.as_str()))
}

const OUTBOX_COUNTER: &str = "outbox";

/// A document as a batch sees it: as read, then as the batch left it.
struct Staged {
    /// Its version when read (`None`: it did not exist).
    version: Option<u64>,
    /// Its body now (`None`: absent or deleted).
    body: Option<String>,
    /// Whether the batch wrote it.
    dirty: bool,
}

/// The documents one attempt at a batch read and wrote. Reads go through it, so a change sees
/// the earlier changes of its batch; [`Batch::writes`] then gives one write per document
/// changed, expecting the version read.
struct Batch<'a> {
    docs: &'a dyn Documents,
    staged: BTreeMap<(&'static str, String), Staged>,
}

impl<'a> Batch<'a> {
    fn new(docs: &'a dyn Documents) -> Self {
        Batch {
            docs,
            staged: BTreeMap::new(),
        }
    }

    fn load(&mut self, kind: &'static str, key: &str) -> Result<&mut Staged, Error> {
        match self.staged.entry((kind, key.to_owned())) {
            Entry::Occupied(entry) => Ok(entry.into_mut()),
            Entry::Vacant(entry) => {
                let doc = self.docs.get(kind, key)?;
                Ok(entry.insert(match doc {
                    Some(doc) => Staged {
                        version: Some(doc.version),
                        body: Some(doc.body),
                        dirty: false,
                    },
                    None => Staged {
                        version: None,
                        body: None,
                        dirty: false,
                    },
                }))
            }
        }
    }

    fn exists(&mut self, kind: &'static str, key: &str) -> Result<bool, Error> {
        Ok(self.load(kind, key)?.body.is_some())
    }

    fn read<T: DeserializeOwned>(
        &mut self,
        kind: &'static str,
        key: &str,
    ) -> Result<Option<T>, Error> {
        let staged = self.load(kind, key)?;
        staged
            .body
            .as_deref()
            .map(|body| decode(kind, key, body))
            .transpose()
    }

    fn put<T: Serialize>(&mut self, kind: &'static str, key: &str, value: &T) -> Result<(), Error> {
        let body = encode(value)?;
        let staged = self.load(kind, key)?;
        staged.body = Some(body);
        staged.dirty = true;
        Ok(())
    }

    fn delete(&mut self, kind: &'static str, key: &str) -> Result<(), Error> {
        let staged = self.load(kind, key)?;
        staged.body = None;
        staged.dirty = true;
        Ok(())
    }

    /// The documents of `kind` under `prefix` as the batch sees them, by key.
    fn scan<T: DeserializeOwned>(
        &mut self,
        kind: &'static str,
        prefix: &str,
    ) -> Result<Vec<(String, T)>, Error> {
        for doc in self.docs.scan(kind, prefix)? {
            if doc.key.starts_with(prefix) {
                self.staged.entry((kind, doc.key)).or_insert(Staged {
                    version: Some(doc.version),
                    body: Some(doc.body),
                    dirty: false,
                });
            }
        }
        let mut found = Vec::new();
        for ((k, key), staged) in self.staged.range((kind, prefix.to_owned())..) {
            if *k != kind || !key.starts_with(prefix) {
                break;
            }
            if let Some(body) = &staged.body {
                found.push((key.clone(), decode(kind, key, body)?));
            }
        }
        Ok(found)
    }

    /// One write per document the batch changed, sorted by kind and key.
    fn writes(self) -> Vec<Write> {
        self.staged
            .into_iter()
            .filter(|(_, staged)| {
                staged.dirty && (staged.version.is_some() || staged.body.is_some())
            })
            .map(|((kind, key), staged)| Write {
                kind: kind.to_owned(),
                key,
                expected: staged.version.map_or(Expect::Absent, Expect::Version),
                body: staged.body,
            })
            .collect()
    }

    /// Takes the next number of counter `key`.
    fn next(&mut self, key: &str) -> Result<u64, Error> {
        let seq = self.read::<Counter>(COUNTER, key)?.map_or(0, |c| c.next);
        self.put(COUNTER, key, &Counter { next: seq + 1 })?;
        Ok(seq)
    }

    fn require_org(&mut self, org: &OrgId) -> Result<(), Error> {
        if self.exists(ORG, &part(org.as_str()))? {
            Ok(())
        } else {
            Err(not_found(ErrorCode::OrganizationNotFound))
        }
    }

    fn change(&mut self, change: &Change) -> Result<(), Error> {
        match change {
            Change::InsertOrganization(org) => {
                let key = part(org.id.as_str());
                if self.exists(ORG, &key)? {
                    return Err(exists(ErrorCode::OrganizationExists));
                }
                self.put(ORG, &key, org)
            }
            Change::UpdateOrganization(org) => {
                let key = part(org.id.as_str());
                if !self.exists(ORG, &key)? {
                    return Err(not_found(ErrorCode::OrganizationNotFound));
                }
                self.put(ORG, &key, org)
            }
            Change::InsertClient(record) => self.insert_client(record),
            Change::UpdateClient {
                record,
                expected_version,
            } => self.update_client(record, *expected_version),
            Change::PutGroup(group) => self.put_group(group),
            Change::DeleteGroup { org, id } => self.delete_group(org, id),
            Change::PutProgram(program) => {
                self.require_org(&program.org)?;
                self.put(
                    PROGRAM,
                    &org_key(&program.org, program.id.as_str()),
                    program,
                )
            }
            Change::InsertSignupLink(link) => self.insert_signup_link(link),
            Change::UpdateSignupLink {
                link,
                expected_version,
            } => self.update_signup_link(link, *expected_version),
            Change::RecordEvent(event) => {
                self.require_org(&event.org)?;
                let seq = self.next(&events_counter(&event.org))?;
                self.put(EVENT, &org_key(&event.org, &seq_part(seq)), event)
            }
            Change::Enqueue(message) => self.enqueue(message),
        }
    }

    /// Fails unless `record`'s email key and invitation tokens belong to no other client.
    fn check_unique(&mut self, record: &ClientRecord) -> Result<(), Error> {
        let client = &record.client;
        if let Some(email) = &client.email
            && let Some(owner) =
                self.read::<ClientRef>(CLIENT_KEY, &org_key(&client.org, &email.key))?
            && owner.client != client.id
        {
            return Err(exists(ErrorCode::ClientExists));
        }
        for invitation in &record.invitations {
            if let Some(owner) =
                self.read::<ClientRef>(INVITATION, &invitation.token_hash.to_hex())?
                && (owner.org != client.org || owner.client != client.id)
            {
                return Err(Error::new(ErrorKind::InvitationExists));
            }
        }
        Ok(())
    }

    /// Moves the index documents of a client from `before` (`None`: a new client) to `after`.
    fn index_client(
        &mut self,
        before: Option<&ClientRecord>,
        after: &ClientRecord,
    ) -> Result<(), Error> {
        let org = &after.client.org;
        let id = &after.client.id;
        let this = ClientRef {
            org: org.clone(),
            client: id.clone(),
        };
        let old_key = before.and_then(|b| b.client.email.as_ref()).map(|e| &e.key);
        let new_key = after.client.email.as_ref().map(|e| &e.key);
        if old_key != new_key {
            if let Some(old) = old_key {
                let key = org_key(org, old);
                if self
                    .read::<ClientRef>(CLIENT_KEY, &key)?
                    .is_some_and(|owner| &owner.client == id)
                {
                    self.delete(CLIENT_KEY, &key)?;
                }
            }
            if let Some(new) = new_key {
                self.put(CLIENT_KEY, &org_key(org, new), &this)?;
            }
        }
        let hashes = |record: &ClientRecord| -> BTreeSet<TokenHash> {
            record.invitations.iter().map(|i| i.token_hash).collect()
        };
        let old_hashes = before.map(hashes).unwrap_or_default();
        let new_hashes = hashes(after);
        for gone in old_hashes.difference(&new_hashes) {
            let key = gone.to_hex();
            if self
                .read::<ClientRef>(INVITATION, &key)?
                .is_some_and(|owner| &owner.org == org && &owner.client == id)
            {
                self.delete(INVITATION, &key)?;
            }
        }
        for added in new_hashes.difference(&old_hashes) {
            self.put(INVITATION, &added.to_hex(), &this)?;
        }
        Ok(())
    }

    fn insert_client(&mut self, record: &ClientRecord) -> Result<(), Error> {
        let client = &record.client;
        self.require_org(&client.org)?;
        let key = org_key(&client.org, client.id.as_str());
        if self.exists(CLIENT, &key)? {
            return Err(exists(ErrorCode::ClientExists));
        }
        self.check_unique(record)?;
        self.index_client(None, record)?;
        self.put(CLIENT, &key, record)
    }

    fn update_client(&mut self, record: &ClientRecord, expected_version: u64) -> Result<(), Error> {
        let client = &record.client;
        let key = org_key(&client.org, client.id.as_str());
        let Some(before) = self.read::<ClientRecord>(CLIENT, &key)? else {
            return Err(not_found(ErrorCode::ClientNotFound));
        };
        if before.client.version != expected_version {
            return Err(conflict());
        }
        self.check_unique(record)?;
        let mut merged = record.clone();
        // Invitations are never removed: keep any the new record lacks.
        for old in &before.invitations {
            if !merged.invitations.iter().any(|i| i.id == old.id) {
                merged.invitations.push(old.clone());
            }
        }
        merged.invitations.sort_by_key(|i| i.sent_at);
        self.index_client(Some(&before), &merged)?;
        self.put(CLIENT, &key, &merged)
    }

    fn put_group(&mut self, group: &Group) -> Result<(), Error> {
        self.require_org(&group.org)?;
        let name = org_key(&group.org, &crate::policy::name_key(&group.name));
        let holder = self.read::<GroupRef>(GROUP_NAME, &name)?;
        if holder.as_ref().is_some_and(|h| h.group != group.id) {
            return Err(exists(ErrorCode::GroupExists));
        }
        let key = org_key(&group.org, group.id.as_str());
        if let Some(before) = self.read::<Group>(GROUP, &key)? {
            let old_name = org_key(&group.org, &crate::policy::name_key(&before.name));
            if old_name != name {
                self.delete(GROUP_NAME, &old_name)?;
            }
        }
        if holder.is_none() {
            self.put(
                GROUP_NAME,
                &name,
                &GroupRef {
                    group: group.id.clone(),
                },
            )?;
        }
        self.put(GROUP, &key, group)
    }

    fn delete_group(&mut self, org: &OrgId, id: &GroupId) -> Result<(), Error> {
        self.require_org(org)?;
        let key = org_key(org, id.as_str());
        let Some(before) = self.read::<Group>(GROUP, &key)? else {
            return Err(not_found(ErrorCode::GroupNotFound));
        };
        self.delete(GROUP, &key)?;
        let name = org_key(org, &crate::policy::name_key(&before.name));
        if self
            .read::<GroupRef>(GROUP_NAME, &name)?
            .is_some_and(|holder| &holder.group == id)
        {
            self.delete(GROUP_NAME, &name)?;
        }
        for (key, mut record) in self.scan::<ClientRecord>(CLIENT, &org_prefix(org))? {
            if record.client.groups.contains(id) {
                record.client.groups.retain(|g| g != id);
                record.client.version += 1;
                self.put(CLIENT, &key, &record)?;
            }
        }
        Ok(())
    }

    fn insert_signup_link(&mut self, link: &SignupLink) -> Result<(), Error> {
        self.require_org(&link.org)?;
        let key = org_key(&link.org, link.id.as_str());
        let token = link.token_hash.to_hex();
        if self.exists(SIGNUP_LINK, &key)? || self.exists(SIGNUP_TOKEN, &token)? {
            return Err(conflict());
        }
        self.put(
            SIGNUP_TOKEN,
            &token,
            &LinkRef {
                org: link.org.clone(),
                link: link.id.clone(),
            },
        )?;
        self.put(SIGNUP_LINK, &key, link)
    }

    fn update_signup_link(
        &mut self,
        link: &SignupLink,
        expected_version: u64,
    ) -> Result<(), Error> {
        let key = org_key(&link.org, link.id.as_str());
        let Some(before) = self.read::<SignupLink>(SIGNUP_LINK, &key)? else {
            return Err(not_found(ErrorCode::SignupLinkNotFound));
        };
        if before.version != expected_version {
            return Err(conflict());
        }
        if before.token_hash != link.token_hash {
            let token = link.token_hash.to_hex();
            if self.exists(SIGNUP_TOKEN, &token)? {
                return Err(conflict());
            }
            let old = before.token_hash.to_hex();
            if self
                .read::<LinkRef>(SIGNUP_TOKEN, &old)?
                .is_some_and(|holder| holder.org == link.org && holder.link == link.id)
            {
                self.delete(SIGNUP_TOKEN, &old)?;
            }
            self.put(
                SIGNUP_TOKEN,
                &token,
                &LinkRef {
                    org: link.org.clone(),
                    link: link.id.clone(),
                },
            )?;
        }
        self.put(SIGNUP_LINK, &key, link)
    }

    fn enqueue(&mut self, message: &OutboxMessage) -> Result<(), Error> {
        let key = part(message.id.as_str());
        if self.exists(MESSAGE, &key)? {
            return Err(conflict());
        }
        let seq = self.next(OUTBOX_COUNTER)?;
        self.put(
            MESSAGE,
            &key,
            &MessageRef {
                org: message.org.clone(),
                seq,
            },
        )?;
        if message.state == DeliveryState::Sent {
            self.put(SENT, &org_key(&message.org, &seq_part(seq)), message)
        } else {
            self.put(OUTBOX, &seq_part(seq), message)
        }
    }

    /// The message `id`: where it is (`OUTBOX` or `SENT`), its key and itself.
    fn message(&mut self, id: &MessageId) -> Result<(&'static str, String, OutboxMessage), Error> {
        let Some(at) = self.read::<MessageRef>(MESSAGE, &part(id.as_str()))? else {
            return Err(not_found(ErrorCode::MessageNotFound));
        };
        let key = seq_part(at.seq);
        if let Some(message) = self.read(OUTBOX, &key)? {
            return Ok((OUTBOX, key, message));
        }
        let key = org_key(&at.org, &seq_part(at.seq));
        match self.read(SENT, &key)? {
            Some(message) => Ok((SENT, key, message)),
            None => Err(not_found(ErrorCode::MessageNotFound)),
        }
    }
}

impl DocumentStore {
    /// A store on `documents`, which may be shared with other stores and processes.
    pub fn new(documents: Arc<dyn Documents>) -> Self {
        DocumentStore { docs: documents }
    }

    /// The backend.
    pub fn documents(&self) -> &Arc<dyn Documents> {
        &self.docs
    }

    fn get<T: DeserializeOwned>(&self, kind: &str, key: &str) -> Result<Option<T>, Error> {
        self.docs
            .get(kind, key)?
            .map(|doc| decode(kind, key, &doc.body))
            .transpose()
    }

    fn scan<T: DeserializeOwned>(&self, kind: &str, prefix: &str) -> Result<Vec<T>, Error> {
        self.docs
            .scan(kind, prefix)?
            .into_iter()
            .filter(|doc| doc.key.starts_with(prefix))
            .map(|doc| decode(kind, &doc.key, &doc.body))
            .collect()
    }

    /// Runs `build` on a fresh batch and commits its writes; runs it again from fresh reads
    /// when the commit lost a race, at most [`ATTEMPTS`] times.
    fn transact(
        &self,
        mut build: impl FnMut(&mut Batch<'_>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut attempt = 1;
        loop {
            let mut batch = Batch::new(&*self.docs);
            build(&mut batch)?;
            let writes = batch.writes();
            if writes.is_empty() {
                return Ok(());
            }
            match self.docs.commit(&writes) {
                Err(error) if is_conflict(&error) && attempt < ATTEMPTS => {
                    attempt += 1;
                    std::thread::yield_now();
                }
                result => return result,
            }
        }
    }

    /// The client whose index document `(kind, key)` points to.
    fn client_at(&self, kind: &str, key: &str) -> Result<Option<ClientRecord>, Error> {
        let Some(owner) = self.get::<ClientRef>(kind, key)? else {
            return Ok(None);
        };
        self.get(CLIENT, &org_key(&owner.org, owner.client.as_str()))
    }
}

impl Store for DocumentStore {
    fn organization(&self, id: &OrgId) -> Result<Option<Organization>, Error> {
        self.get(ORG, &part(id.as_str()))
    }

    fn client(&self, org: &OrgId, id: &ClientId) -> Result<Option<ClientRecord>, Error> {
        self.get(CLIENT, &org_key(org, id.as_str()))
    }

    fn clients(&self, org: &OrgId, ids: &[ClientId]) -> Result<Vec<ClientRecord>, Error> {
        let mut records = Vec::new();
        for id in ids.iter().collect::<BTreeSet<_>>() {
            if let Some(record) = self.client(org, id)? {
                records.push(record);
            }
        }
        Ok(records)
    }

    fn clients_by_key(&self, org: &OrgId, keys: &[String]) -> Result<Vec<ClientRecord>, Error> {
        let mut records = Vec::new();
        for key in keys.iter().collect::<BTreeSet<_>>() {
            // The index and the client are read apart: check they still agree.
            if let Some(record) = self.client_at(CLIENT_KEY, &org_key(org, key))?
                && &record.client.org == org
                && record.client.email.as_ref().is_some_and(|e| &e.key == key)
            {
                records.push(record);
            }
        }
        Ok(records)
    }

    fn client_by_invitation(&self, token: &TokenHash) -> Result<Option<ClientRecord>, Error> {
        Ok(self
            .client_at(INVITATION, &token.to_hex())?
            .filter(|record| record.invitations.iter().any(|i| &i.token_hash == token)))
    }

    fn list_clients(&self, org: &OrgId, query: &ClientQuery) -> Result<ClientPage, Error> {
        let mut records: Vec<ClientRecord> = self.scan(CLIENT, &org_prefix(org))?;
        records.sort_by(|a, b| {
            (a.client.created_at, &a.client.id).cmp(&(b.client.created_at, &b.client.id))
        });
        let mut page = ClientPage {
            records: Vec::new(),
            total: 0,
            new: 0,
            activated: 0,
        };
        let limit = query.limit.unwrap_or(usize::MAX);
        for record in records {
            if !query.matches(&record) {
                continue;
            }
            if query
                .new_since
                .is_some_and(|since| record.client.created_at >= since)
            {
                page.new += 1;
            }
            if Summary::of(&record).status_kind(&record.client, query.now) == StatusKind::Activated
            {
                page.activated += 1;
            }
            if page.total >= query.offset && page.records.len() < limit {
                page.records.push(record);
            }
            page.total += 1;
        }
        Ok(page)
    }

    fn groups(&self, org: &OrgId) -> Result<Vec<Group>, Error> {
        let mut groups: Vec<Group> = self.scan(GROUP, &org_prefix(org))?;
        groups.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        Ok(groups)
    }

    fn programs(&self, org: &OrgId) -> Result<Vec<Program>, Error> {
        let mut programs: Vec<Program> = self.scan(PROGRAM, &org_prefix(org))?;
        programs.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        Ok(programs)
    }

    fn signup_links(&self, org: &OrgId) -> Result<Vec<SignupLink>, Error> {
        let mut links: Vec<SignupLink> = self.scan(SIGNUP_LINK, &org_prefix(org))?;
        links.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(links)
    }

    fn signup_link_by_token(&self, token: &TokenHash) -> Result<Option<SignupLink>, Error> {
        let Some(holder) = self.get::<LinkRef>(SIGNUP_TOKEN, &token.to_hex())? else {
            return Ok(None);
        };
        Ok(self
            .get::<SignupLink>(SIGNUP_LINK, &org_key(&holder.org, holder.link.as_str()))?
            .filter(|link| &link.token_hash == token))
    }

    fn events(&self, org: &OrgId, skip: u64, limit: usize) -> Result<Vec<Event>, Error> {
        let count = self
            .get::<Counter>(COUNTER, &events_counter(org))?
            .map_or(0, |c| c.next);
        let limit = u64::try_from(limit).unwrap_or(u64::MAX);
        let end = count.min(skip.saturating_add(limit));
        if skip >= end {
            return Ok(Vec::new());
        }
        if end - skip <= EVENT_GETS {
            let mut events = Vec::new();
            for seq in skip..end {
                if let Some(event) = self.get(EVENT, &org_key(org, &seq_part(seq)))? {
                    events.push(event);
                }
            }
            return Ok(events);
        }
        let mut events = Vec::new();
        for doc in self.docs.scan(EVENT, &org_prefix(org))? {
            let seq = seq_of(EVENT, &doc.key)?;
            if (skip..end).contains(&seq) {
                events.push(decode(EVENT, &doc.key, &doc.body)?);
            }
        }
        Ok(events)
    }

    fn apply(&self, changes: &[Change]) -> Result<(), Error> {
        self.transact(|batch| changes.iter().try_for_each(|change| batch.change(change)))
    }

    fn claim_messages(&self, claim: &Claim) -> Result<Vec<OutboxMessage>, Error> {
        if claim.limit == 0 {
            return Ok(Vec::new());
        }
        let candidates: Vec<Document> = match &claim.ids {
            None => self.docs.scan(OUTBOX, "")?,
            Some(ids) => {
                let mut keys = BTreeSet::new();
                for id in ids {
                    if let Some(at) = self.get::<MessageRef>(MESSAGE, &part(id.as_str()))? {
                        keys.insert(seq_part(at.seq));
                    }
                }
                let mut docs = Vec::new();
                for key in keys {
                    if let Some(doc) = self.docs.get(OUTBOX, &key)? {
                        docs.push(doc);
                    }
                }
                docs
            }
        };
        let mut claimed = Vec::new();
        for doc in candidates {
            if claimed.len() >= claim.limit {
                break;
            }
            let mut message: OutboxMessage = decode(OUTBOX, &doc.key, &doc.body)?;
            if message.state == DeliveryState::Sent
                || message.claimed_until.is_some_and(|until| until > claim.now)
            {
                continue;
            }
            message.attempts += 1;
            message.claimed_until = Some(claim.until);
            // One compare-and-set per message: of two workers claiming it, one wins and the
            // other skips it.
            let write = Write {
                kind: OUTBOX.to_owned(),
                key: doc.key,
                expected: Expect::Version(doc.version),
                body: Some(encode(&message)?),
            };
            match self.docs.commit(&[write]) {
                Ok(()) => claimed.push(message),
                Err(error) if is_conflict(&error) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(claimed)
    }

    fn mark_sent(&self, ids: &[MessageId], at: DateTime<Utc>) -> Result<(), Error> {
        let ids: BTreeSet<&MessageId> = ids.iter().collect();
        self.transact(|batch| {
            for id in &ids {
                let (kind, key, mut message) = batch.message(id)?;
                if kind == OUTBOX {
                    batch.delete(OUTBOX, &key)?;
                }
                message.state = DeliveryState::Sent;
                message.sent_at = Some(at);
                message.claimed_until = None;
                message.last_error = None;
                message.message.text.clear();
                message.message.html.clear();
                let seq = seq_of(kind, &key)?;
                batch.put(SENT, &org_key(&message.org, &seq_part(seq)), &message)?;
            }
            Ok(())
        })
    }

    fn mark_failed(&self, id: &MessageId, reason: &str) -> Result<(), Error> {
        self.transact(|batch| {
            let (kind, key, mut message) = batch.message(id)?;
            if kind == OUTBOX && message.state != DeliveryState::Sent {
                message.state = DeliveryState::Failed;
                message.last_error = Some(reason.to_owned());
                message.claimed_until = None;
                batch.put(OUTBOX, &key, &message)?;
            }
            Ok(())
        })
    }

    fn messages(
        &self,
        org: &OrgId,
        state: Option<DeliveryState>,
        limit: usize,
    ) -> Result<Vec<OutboxMessage>, Error> {
        let mut found: Vec<(u64, OutboxMessage)> = Vec::new();
        if state != Some(DeliveryState::Sent) {
            for doc in self.docs.scan(OUTBOX, "")? {
                let message: OutboxMessage = decode(OUTBOX, &doc.key, &doc.body)?;
                if &message.org == org && state.is_none_or(|s| message.state == s) {
                    found.push((seq_of(OUTBOX, &doc.key)?, message));
                }
            }
        }
        if state.is_none_or(|s| s == DeliveryState::Sent) {
            for doc in self.docs.scan(SENT, &org_prefix(org))? {
                found.push((seq_of(SENT, &doc.key)?, decode(SENT, &doc.key, &doc.body)?));
            }
        }
        found.sort_by_key(|(seq, _)| *seq);
        Ok(found
            .into_iter()
            .take(limit)
            .map(|(_, message)| message)
            .collect())
    }
}

/// The contract of [`Documents`] as checks: each panics, naming the broken promise, when
/// `documents` breaks it. A host's test suite runs it on a fresh, empty backend of its own
/// (the bindings expose it); this crate runs it on [`MemoryDocuments`].
///
/// It uses the kinds `test_a` and `test_b` only.
#[cfg(any(test, feature = "testkit"))]
pub fn conformance(documents: &dyn Documents) {
    fn ok<T>(result: Result<T, Error>, what: &str) -> T {
        result.unwrap_or_else(|e| panic!("{what}: unexpected error {e}"))
    }
    fn conflicts(result: Result<(), Error>, what: &str) {
        match result {
            Ok(()) => panic!("{what}: expected a conflict, the commit succeeded"),
            Err(e) => assert_eq!(e.code(), ErrorCode::Conflict, "{what}: {e}"),
        }
    }
    fn write(kind: &str, key: &str, expected: Expect, body: Option<&str>) -> Write {
        Write {
            kind: kind.to_owned(),
            key: key.to_owned(),
            expected,
            body: body.map(str::to_owned),
        }
    }
    let version = |kind: &str, key: &str| ok(documents.get(kind, key), "get").map(|d| d.version);
    let body = |kind: &str, key: &str| ok(documents.get(kind, key), "get").map(|d| d.body);

    // Absent: insert only if new.
    assert_eq!(ok(documents.get("test_a", "k"), "get of nothing"), None);
    ok(
        documents.commit(&[write("test_a", "k", Expect::Absent, Some("{\"n\":1}"))]),
        "insert",
    );
    assert_eq!(
        ok(documents.get("test_a", "k"), "get"),
        Some(Document {
            key: "k".to_owned(),
            version: 1,
            body: "{\"n\":1}".to_owned()
        }),
        "a new document has version 1 and its body as given"
    );
    conflicts(
        documents.commit(&[write("test_a", "k", Expect::Absent, Some("{}"))]),
        "a second insert of one key",
    );
    assert_eq!(version("test_a", "k"), Some(1));
    assert_eq!(
        version("test_b", "k"),
        None,
        "kinds are separate namespaces"
    );

    // Version: compare-and-set, each write adds one.
    ok(
        documents.commit(&[write("test_a", "k", Expect::Version(1), Some("{\"n\":2}"))]),
        "update at the version read",
    );
    assert_eq!(version("test_a", "k"), Some(2));
    conflicts(
        documents.commit(&[write("test_a", "k", Expect::Version(1), Some("{\"n\":3}"))]),
        "a stale update",
    );
    assert_eq!(body("test_a", "k").as_deref(), Some("{\"n\":2}"));
    conflicts(
        documents.commit(&[write("test_a", "nope", Expect::Version(1), Some("{}"))]),
        "an update of a missing document",
    );
    assert_eq!(version("test_a", "nope"), None);

    // Any: applies whatever is stored.
    ok(
        documents.commit(&[write("test_a", "k", Expect::Any, Some("{\"n\":4}"))]),
        "overwrite",
    );
    assert_eq!(version("test_a", "k"), Some(3));
    ok(
        documents.commit(&[write("test_a", "any", Expect::Any, Some("{}"))]),
        "create with Any",
    );
    assert_eq!(version("test_a", "any"), Some(1));

    // Delete: at a version, then gone; created again from version 1.
    conflicts(
        documents.commit(&[write("test_a", "k", Expect::Version(2), None)]),
        "a stale delete",
    );
    ok(
        documents.commit(&[write("test_a", "k", Expect::Version(3), None)]),
        "delete",
    );
    assert_eq!(version("test_a", "k"), None, "a deleted document is gone");
    ok(
        documents.commit(&[write("test_a", "k", Expect::Absent, Some("{}"))]),
        "insert after delete",
    );
    assert_eq!(version("test_a", "k"), Some(1));
    ok(
        documents.commit(&[write("test_a", "any", Expect::Any, None)]),
        "delete with Any",
    );
    assert_eq!(version("test_a", "any"), None);
    ok(
        documents.commit(&[
            write("test_a", "ghost", Expect::Any, None),
            write("test_a", "ghost2", Expect::Absent, None),
        ]),
        "deleting missing documents with Any or Absent does nothing",
    );
    ok(documents.commit(&[]), "an empty commit");

    // All or nothing: a failed expectation anywhere applies no write.
    conflicts(
        documents.commit(&[
            write("test_a", "new1", Expect::Absent, Some("{}")),
            write(
                "test_a",
                "k",
                Expect::Version(1),
                Some("{\"changed\":true}"),
            ),
            write("test_b", "x", Expect::Any, Some("{}")),
            write("test_a", "k2", Expect::Absent, None),
            write("test_a", "m", Expect::Version(7), None),
        ]),
        "a commit whose last expectation fails",
    );
    assert_eq!(version("test_a", "new1"), None, "a failed commit inserted");
    assert_eq!(
        body("test_a", "k").as_deref(),
        Some("{}"),
        "a failed commit updated"
    );
    assert_eq!(
        version("test_a", "k"),
        Some(1),
        "a failed commit bumped a version"
    );
    assert_eq!(
        version("test_b", "x"),
        None,
        "a failed commit wrote another kind"
    );
    conflicts(
        documents.commit(&[
            write("test_a", "k", Expect::Version(1), None),
            write("test_a", "k1", Expect::Absent, Some("{}")),
            write("test_a", "new2", Expect::Any, Some("{}")),
            write("test_b", "x", Expect::Version(1), Some("{}")),
        ]),
        "a commit whose first write deletes and a later one fails",
    );
    assert_eq!(version("test_a", "k"), Some(1), "a failed commit deleted");
    assert_eq!(version("test_a", "k1"), None, "a failed commit inserted");
    assert_eq!(version("test_a", "new2"), None, "a failed commit inserted");
    // Several writes that hold are applied together.
    ok(
        documents.commit(&[
            write("test_a", "k", Expect::Version(1), Some("{\"n\":5}")),
            write("test_a", "m", Expect::Absent, Some("{}")),
            write("test_b", "x", Expect::Absent, Some("{}")),
        ]),
        "a commit of three writes",
    );
    assert_eq!(version("test_a", "k"), Some(2));
    assert_eq!(version("test_a", "m"), Some(1));
    assert_eq!(version("test_b", "x"), Some(1));

    // Bodies come back byte for byte.
    let text = "{\"name\":\"Zoë \\\"Z\\\" Ünal 名前 🎉\",\"n\":[1,2.5,null]}";
    ok(
        documents.commit(&[write("test_b", "unicode", Expect::Absent, Some(text))]),
        "unicode body",
    );
    assert_eq!(body("test_b", "unicode").as_deref(), Some(text));

    // Scan: the kind's documents under the prefix, in byte order of keys.
    let keys = [
        "p/b", "p/a", "p/a/1", "p%2Fx", "p", "q/a", "p/_", "P/a", "p/Z", "p/é", "p/~", "p/%", "o/z",
    ];
    let writes: Vec<Write> = keys
        .iter()
        .map(|key| write("test_b", key, Expect::Absent, Some("{}")))
        .collect();
    ok(documents.commit(&writes), "keys to scan");
    ok(
        documents.commit(&[write("test_a", "p/c", Expect::Absent, Some("{}"))]),
        "another kind",
    );
    let scanned = |prefix: &str| -> Vec<String> {
        ok(documents.scan("test_b", prefix), "scan")
            .into_iter()
            .map(|d| d.key)
            .collect()
    };
    assert_eq!(
        scanned("p/"),
        ["p/%", "p/Z", "p/_", "p/a", "p/a/1", "p/b", "p/~", "p/é"],
        "scan of a prefix: every key starting with it (`%` and `_` are not wildcards, case \
         counts), in byte order, none of another kind"
    );
    assert_eq!(scanned("p/a"), ["p/a", "p/a/1"]);
    assert_eq!(scanned("zz"), Vec::<String>::new());
    let mut all: Vec<String> = keys
        .iter()
        .map(|k| (*k).to_owned())
        .chain(["unicode".to_owned(), "x".to_owned()])
        .collect();
    all.sort();
    assert_eq!(scanned(""), all, "scan of the empty prefix: the whole kind");
    let versions: Vec<u64> = ok(documents.scan("test_b", "p/a"), "scan")
        .into_iter()
        .map(|d| d.version)
        .collect();
    assert_eq!(versions, [1, 1], "a scan gives each document's version");
    assert_eq!(
        ok(documents.scan("test_a", "k"), "scan")
            .into_iter()
            .map(|d| (d.key, d.body))
            .collect::<Vec<_>>(),
        [("k".to_owned(), "{\"n\":5}".to_owned())],
        "a scan gives each document's body"
    );

    // Racing compare-and-sets on one document: exactly one wins each round.
    ok(
        documents.commit(&[write("test_a", "race", Expect::Absent, Some("0"))]),
        "race",
    );
    let wins = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for i in 0..8 {
            let wins = &wins;
            scope.spawn(move || {
                let body = i.to_string();
                match documents.commit(&[
                    write("test_a", "race", Expect::Version(1), Some(&body)),
                    write("test_a", &format!("race-{i}"), Expect::Absent, Some("{}")),
                ]) {
                    Ok(()) => {
                        wins.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                    Err(e) => assert_eq!(e.code(), ErrorCode::Conflict, "{e}"),
                }
            });
        }
    });
    assert_eq!(
        wins.into_inner(),
        1,
        "racing compare-and-sets from one version"
    );
    assert_eq!(version("test_a", "race"), Some(2));
    assert_eq!(
        ok(documents.scan("test_a", "race-"), "scan").len(),
        1,
        "a losing commit applied its other write"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_documents_keep_the_contract() {
        conformance(&MemoryDocuments::new());
    }

    #[test]
    fn a_commit_naming_one_document_twice_applies_in_order() {
        let docs = MemoryDocuments::new();
        let w = |expected, body: Option<&str>| Write {
            kind: "k".to_owned(),
            key: "a".to_owned(),
            expected,
            body: body.map(str::to_owned),
        };
        docs.commit(&[
            w(Expect::Absent, Some("1")),
            w(Expect::Version(1), Some("2")),
        ])
        .expect("in order");
        assert_eq!(docs.get("k", "a").expect("get").map(|d| d.version), Some(2));
        assert!(
            docs.commit(&[
                w(Expect::Version(2), None),
                w(Expect::Version(2), Some("3"))
            ])
            .is_err()
        );
        assert_eq!(docs.get("k", "a").expect("get").map(|d| d.version), Some(2));
    }

    #[test]
    fn key_parts_are_escaped() {
        assert_eq!(part("a/b%c"), "a%2Fb%25c");
        assert_eq!(org_key(&OrgId::new("a/b"), "c"), "a%2Fb/c");
        assert_eq!(org_prefix(&OrgId::new("a")), "a/");
        assert_eq!(seq_part(42), "00000000000000000042");
        assert_eq!(seq_of(EVENT, "acme/00000000000000000042").expect("seq"), 42);
        assert!(seq_of(EVENT, "acme/x").is_err());
    }

    #[test]
    fn a_corrupt_body_is_a_storage_failure_quoting_nothing() {
        let error = decode::<Counter>("outbox", "1", "{\"next\": \"secret-token\"}")
            .expect_err("not a counter");
        assert_eq!(error.code(), ErrorCode::StorageFailed);
        assert!(!error.to_string().contains("secret"), "{error}");
    }
}

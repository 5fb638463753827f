//! [`apply`]: a batch of changes in one transaction.
//!
//! The transaction runs at PostgreSQL's default isolation, read committed; races are decided by
//! row locks and constraints, as the SQLite store decides them with its single writer:
//!
//! - an update of a client locks its row (`SELECT ... FOR UPDATE`) and compares its version:
//!   a writer that committed first makes the other's compare fail (`conflict`);
//! - a sign-up link's update compares its version in its `WHERE` clause, which PostgreSQL
//!   evaluates again on the newest row after waiting for another writer;
//! - uniqueness (one client per address, one invitation per token) is the unique indexes':
//!   a second insert waits for the first transaction and fails when it commits
//!   (`client_exists`);
//! - a deadlock or serialization failure rolls the whole transaction back; the store runs it
//!   again (see [`crate::PgStore`]).
//!
//! Batches are applied in one of two ways. Sequentially, one statement (or a few) per change in
//! order, which gives exactly the first failing change's error. In bulk, used first for batches
//! of several changes: clients are inserted with one statement per batch (sorted by address,
//! so that two batches with common addresses take their locks in one order and cannot
//! deadlock), events and outbox messages with one statement each at the end (they depend on
//! nothing the other changes write, and keep their order). A bulk batch that fails is rolled
//! back and applied again sequentially, so that the error is the same as the sequential one.

use std::collections::HashSet;

use invitekit::lifecycle::ClientRecord;
use invitekit::mailer::OutboxMessage;
use invitekit::model::{Client, Event, GroupId, Invitation, OrgId, Organization, SignupLink};
use invitekit::store::{Change, Summary, search_text};
use invitekit::{Error, ErrorCode};
use postgres::Transaction;
use postgres::types::ToSql;

use crate::codec::{
    Db as _, Fail, conflict, exists, instant, integer, invitation_exists, json, not_found,
    opt_instant, owner_column, unique_or,
};
use crate::pool::Db;
use crate::read;

/// At most this many rows are written by one bulk statement.
const CHUNK: usize = 5_000;

/// Applies `changes` in the transaction `db` (committed by the caller): in bulk when `bulk`,
/// else one change at a time. In bulk, a failure is [`Fail::Replay`] unless its error is surely
/// the sequential one.
pub(crate) fn apply(
    db: &mut Db<'_, Transaction<'_>>,
    changes: &[Change],
    bulk: bool,
) -> Result<(), Fail> {
    let mut batch = Batch {
        db,
        orgs: HashSet::new(),
        bulk,
        clients: Vec::new(),
        events: Vec::new(),
        messages: Vec::new(),
    };
    for (index, change) in changes.iter().enumerate() {
        if let Err(fail) = batch.apply(index, change) {
            // An error of a change applied in order is the sequential one unless a change
            // before it is still waiting to be written (and might have failed first).
            return Err(match fail {
                Fail::Error(_) if batch.deferred() => Fail::Replay,
                other => other,
            });
        }
    }
    batch.finish()
}

/// One batch in its transaction.
struct Batch<'b, 'a, 't> {
    db: &'b mut Db<'a, Transaction<'t>>,
    /// Organizations known to exist in this transaction (they are never deleted).
    orgs: HashSet<OrgId>,
    bulk: bool,
    /// In bulk: what is written later, with the index of its change, in order.
    clients: Vec<(usize, &'b ClientRecord)>,
    events: Vec<(usize, &'b Event)>,
    messages: Vec<(usize, &'b OutboxMessage)>,
}

impl<'b> Batch<'b, '_, '_> {
    /// Whether writes of earlier changes are waiting.
    fn deferred(&self) -> bool {
        !(self.clients.is_empty() && self.events.is_empty() && self.messages.is_empty())
    }

    fn apply(&mut self, index: usize, change: &'b Change) -> Result<(), Fail> {
        if self.bulk {
            match change {
                Change::InsertClient(record) => {
                    self.require_org(&record.client.org)?;
                    self.clients.push((index, record));
                    return Ok(());
                }
                Change::RecordEvent(event) => {
                    self.require_org(&event.org)?;
                    self.events.push((index, event));
                    return Ok(());
                }
                Change::Enqueue(message) => {
                    self.messages.push((index, message));
                    return Ok(());
                }
                // Other changes may read what earlier insertions write.
                _ => self.flush_clients()?,
            }
        }
        match change {
            Change::InsertOrganization(org) => self.insert_organization(org),
            Change::UpdateOrganization(org) => self.update_organization(org),
            Change::InsertClient(record) => self.insert_client(record),
            Change::UpdateClient {
                record,
                expected_version,
            } => self.update_client(record, *expected_version),
            Change::PutGroup(group) => {
                self.require_org(&group.org)?;
                let changed = self.db.execute(
                    "INSERT INTO groups (org, id, name, name_key, co_owners, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (org, id) DO UPDATE SET name = excluded.name,
                         name_key = excluded.name_key, co_owners = excluded.co_owners,
                         created_at = excluded.created_at",
                    &[
                        &group.org.as_str(),
                        &group.id.as_str(),
                        &group.name,
                        &invitekit::policy::name_key(&group.name),
                        &group
                            .co_owners
                            .iter()
                            .map(|id| id.as_str())
                            .collect::<Vec<_>>(),
                        &instant(group.created_at)?,
                    ],
                );
                unique_or(changed, || exists(ErrorCode::GroupExists)).map(drop)
            }
            Change::DeleteGroup { org, id } => self.delete_group(org, id),
            Change::PutProgram(program) => {
                self.require_org(&program.org)?;
                self.db
                    .execute(
                        "INSERT INTO programs (org, id, name) VALUES ($1, $2, $3)
                         ON CONFLICT (org, id) DO UPDATE SET name = excluded.name",
                        &[&program.org.as_str(), &program.id.as_str(), &program.name],
                    )
                    .db()
                    .map(drop)
            }
            Change::InsertSignupLink(link) => {
                self.require_org(&link.org)?;
                let row = LinkRow::new(link)?;
                let changed = self.db.execute(
                    "INSERT INTO signup_links (org, id, token_hash, role, max_uses, uses,
                         allowed_domains, created_by, created_at, rotated_at, disabled_at,
                         version)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                    &row.params(),
                );
                unique_or(changed, conflict).map(drop)
            }
            Change::UpdateSignupLink {
                link,
                expected_version,
            } => self.update_signup_link(link, *expected_version),
            Change::RecordEvent(event) => {
                self.require_org(&event.org)?;
                self.db
                    .execute(
                        "INSERT INTO events (org, at, body) VALUES ($1, $2, $3::text::jsonb)",
                        &[&event.org.as_str(), &instant(event.at)?, &json(event)?],
                    )
                    .db()
                    .map(drop)
            }
            Change::Enqueue(message) => {
                let row = MessageRow::new(message)?;
                let changed = self.db.execute(
                    "INSERT INTO outbox (id, org, client_id, invitation_id, to_address, to_name,
                         subject, text, html, state, attempts, created_at, sent_at, last_error,
                         claimed_until)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                    &row.params(),
                );
                unique_or(changed, conflict).map(drop)
            }
        }
    }

    /// Fails with `OrganizationNotFound` unless `org` exists.
    fn require_org(&mut self, org: &OrgId) -> Result<(), Fail> {
        if self.orgs.contains(org) {
            return Ok(());
        }
        if read::organization_exists(self.db, org)? {
            self.orgs.insert(org.clone());
            Ok(())
        } else {
            Err(not_found(ErrorCode::OrganizationNotFound))
        }
    }

    fn insert_organization(&mut self, org: &Organization) -> Result<(), Fail> {
        let days = i32::try_from(org.expiry.days()).unwrap_or(i32::MAX);
        let changed = self.db.execute(
            "INSERT INTO organizations (id, name, expiry_days, time_zone, email_binding,
                 accept_url, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &org.id.as_str(),
                &org.name,
                &days,
                &org.time_zone.name(),
                &org.email_binding.as_str(),
                &org.accept_url,
                &instant(org.created_at)?,
            ],
        );
        unique_or(changed, || exists(ErrorCode::OrganizationExists))?;
        self.orgs.insert(org.id.clone());
        Ok(())
    }

    fn update_organization(&mut self, org: &Organization) -> Result<(), Fail> {
        let days = i32::try_from(org.expiry.days()).unwrap_or(i32::MAX);
        let changed = self
            .db
            .execute(
                "UPDATE organizations SET name = $2, expiry_days = $3, time_zone = $4,
                     email_binding = $5, accept_url = $6, created_at = $7
                 WHERE id = $1",
                &[
                    &org.id.as_str(),
                    &org.name,
                    &days,
                    &org.time_zone.name(),
                    &org.email_binding.as_str(),
                    &org.accept_url,
                    &instant(org.created_at)?,
                ],
            )
            .db()?;
        if changed == 0 {
            return Err(not_found(ErrorCode::OrganizationNotFound));
        }
        Ok(())
    }

    fn insert_client(&mut self, record: &ClientRecord) -> Result<(), Fail> {
        let client = &record.client;
        self.require_org(&client.org)?;
        let row = ClientRow::new(client, Summary::of(record))?;
        let changed = self.db.execute(
            "INSERT INTO clients (org, id, email_address, email_key, name, role, group_ids,
                 program_ids, assigned_staff, company, guest_of, owner, created_by, created_at,
                 activated_at, activated_by, last_seen_at, archived_at, version, first_sent_at,
                 open_until, search_text)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                 $16::text::jsonb, $17, $18, $19, $20, $21, $22)",
            &row.params(),
        );
        unique_or(changed, || exists(ErrorCode::ClientExists))?;
        // An invitation id twice in the record fails as InvitationExists.
        for invitation in &record.invitations {
            self.put_invitation(client, invitation, false)?;
        }
        Ok(())
    }

    fn update_client(&mut self, record: &ClientRecord, expected_version: u64) -> Result<(), Fail> {
        let client = &record.client;
        let org = client.org.as_str();
        let id = client.id.as_str();
        // Lock the row, then compare: a writer that committed first bumped the version.
        let rows = self
            .db
            .query(
                &format!(
                    "SELECT c.version, {} FROM clients c
                     LEFT JOIN invitations i ON i.org = c.org AND i.client_id = c.id
                     WHERE c.org = $1 AND c.id = $2
                     ORDER BY i.sent_at, i.seq
                     FOR UPDATE OF c",
                    crate::codec::INVITATION_COLUMNS
                ),
                &[&org, &id],
            )
            .db()?;
        let Some(first) = rows.first() else {
            return Err(not_found(ErrorCode::ClientNotFound));
        };
        if crate::codec::int(first, 0)? != integer(expected_version)? {
            return Err(conflict());
        }
        let mut stored: Vec<Invitation> = Vec::with_capacity(rows.len());
        for row in &rows {
            let invited: Option<&str> = row
                .try_get(1)
                .map_err(|e| crate::codec::storage(e.to_string()))?;
            if invited.is_some() {
                stored.push(crate::codec::invitation(row, 1, &client.org)?);
            }
        }
        // Invitations are never removed: the summary is that of the record's and the stored
        // ones it lacks.
        let kept: Vec<&Invitation> = stored
            .iter()
            .filter(|old| !record.invitations.iter().any(|new| new.id == old.id))
            .collect();
        let summary = if kept.is_empty() {
            Summary::of(record)
        } else {
            let mut merged = record.clone();
            merged.invitations.extend(kept.into_iter().cloned());
            Summary::of(&merged)
        };
        let row = ClientRow::new(client, summary)?;
        let changed = self.db.execute(
            "UPDATE clients SET email_address = $3, email_key = $4, name = $5, role = $6,
                 group_ids = $7, program_ids = $8, assigned_staff = $9, company = $10,
                 guest_of = $11, owner = $12, created_by = $13, created_at = $14,
                 activated_at = $15, activated_by = $16::text::jsonb, last_seen_at = $17,
                 archived_at = $18, version = $19, first_sent_at = $20, open_until = $21,
                 search_text = $22
             WHERE org = $1 AND id = $2",
            &row.params(),
        );
        unique_or(changed, || exists(ErrorCode::ClientExists))?;
        for (i, invitation) in record.invitations.iter().enumerate() {
            if record.invitations[..i]
                .iter()
                .any(|other| other.id == invitation.id)
            {
                return Err(invitation_exists());
            }
            // Skip the (usual) invitations that did not change.
            if !stored.iter().any(|old| old == invitation) {
                self.put_invitation(client, invitation, true)?;
            }
        }
        Ok(())
    }

    /// Adds one invitation of `client` or, when `replace`, replaces the one with its id. Its
    /// `org` and `client` are the client's.
    fn put_invitation(
        &mut self,
        client: &Client,
        invitation: &Invitation,
        replace: bool,
    ) -> Result<(), Fail> {
        const INSERT: &str = "INSERT INTO invitations (org, client_id, id, token_hash, sent_by,
                sent_at, expires_at, revoked_at, accepted_at, retired_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
        const UPSERT: &str = "INSERT INTO invitations (org, client_id, id, token_hash, sent_by,
                sent_at, expires_at, revoked_at, accepted_at, retired_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            ON CONFLICT (org, client_id, id) DO UPDATE SET
                token_hash = excluded.token_hash, sent_by = excluded.sent_by,
                sent_at = excluded.sent_at, expires_at = excluded.expires_at,
                revoked_at = excluded.revoked_at, accepted_at = excluded.accepted_at,
                retired_at = excluded.retired_at";
        let changed = self.db.execute(
            if replace { UPSERT } else { INSERT },
            &[
                &client.org.as_str(),
                &client.id.as_str(),
                &invitation.id.as_str(),
                &&invitation.token_hash.0[..],
                &invitation.sent_by.as_ref().map(|id| id.as_str()),
                &instant(invitation.sent_at)?,
                &instant(invitation.expires_at)?,
                &opt_instant(invitation.revoked_at)?,
                &opt_instant(invitation.accepted_at)?,
                &opt_instant(invitation.retired_at)?,
            ],
        );
        unique_or(changed, invitation_exists).map(drop)
    }

    fn delete_group(&mut self, org: &OrgId, id: &GroupId) -> Result<(), Fail> {
        self.require_org(org)?;
        let deleted = self
            .db
            .execute(
                "DELETE FROM groups WHERE org = $1 AND id = $2",
                &[&org.as_str(), &id.as_str()],
            )
            .db()?;
        if deleted == 0 {
            return Err(not_found(ErrorCode::GroupNotFound));
        }
        self.db
            .execute(
                "UPDATE clients SET group_ids = array_remove(group_ids, $2::text),
                     version = version + 1
                 WHERE org = $1 AND group_ids @> ARRAY[$2::text]",
                &[&org.as_str(), &id.as_str()],
            )
            .db()
            .map(drop)
    }

    fn update_signup_link(&mut self, link: &SignupLink, expected_version: u64) -> Result<(), Fail> {
        let row = LinkRow::new(link)?;
        let expected = integer(expected_version)?;
        let mut params = row.params();
        params.push(&expected);
        // PostgreSQL evaluates the version again on the newest row after waiting for another
        // writer of it.
        let changed = self.db.execute(
            "UPDATE signup_links SET token_hash = $3, role = $4, max_uses = $5, uses = $6,
                 allowed_domains = $7, created_by = $8, created_at = $9, rotated_at = $10,
                 disabled_at = $11, version = $12
             WHERE org = $1 AND id = $2 AND version = $13",
            &params,
        );
        if unique_or(changed, conflict)? == 0 {
            let found = self
                .db
                .query_opt(
                    "SELECT 1 FROM signup_links WHERE org = $1 AND id = $2",
                    &[&link.org.as_str(), &link.id.as_str()],
                )
                .db()?;
            return Err(match found {
                Some(_) => conflict(),
                None => not_found(ErrorCode::SignupLinkNotFound),
            });
        }
        Ok(())
    }

    // ----- bulk writes -----
    //
    // Deferred changes are written with `ON CONFLICT DO NOTHING ... RETURNING`, so that a
    // conflict does not abort the transaction: the rows not returned are the changes that
    // failed, and duplicates within the batch are found in memory, in the batch's order. The
    // batch's error is then the failure of the change that comes first in the batch, which is
    // the one a sequential application reports.

    /// Inserts the clients waiting; when some fail, also writes the events and messages
    /// waiting (whose failures might come first) and fails with the first failure.
    fn flush_clients(&mut self) -> Result<(), Fail> {
        let failures = self.insert_clients()?;
        if failures.is_empty() {
            return Ok(());
        }
        self.fail_first(failures)
    }

    /// Writes everything waiting, and fails with the first failure, if any.
    fn finish(&mut self) -> Result<(), Fail> {
        let failures = self.insert_clients()?;
        self.fail_first(failures)
    }

    /// Writes the events and messages waiting, adds their failures to `failures`, and fails
    /// with the one of the change first in the batch.
    fn fail_first(&mut self, mut failures: Vec<(usize, Fail)>) -> Result<(), Fail> {
        failures.extend(self.insert_events()?);
        failures.extend(self.insert_messages()?);
        match failures.into_iter().min_by_key(|(index, _)| *index) {
            Some((_, fail)) => Err(fail),
            None => Ok(()),
        }
    }

    /// Inserts the clients waiting, sorted by organization and address (so that two batches
    /// sharing addresses lock them in one order and cannot deadlock), then their invitations,
    /// each client's in its record's order. Returns the failures, by change index.
    fn insert_clients(&mut self) -> Result<Vec<(usize, Fail)>, Fail> {
        let pending = std::mem::take(&mut self.clients);
        let mut failures: Vec<(usize, Fail)> = Vec::new();
        if pending.is_empty() {
            return Ok(failures);
        }
        // Duplicates within the batch: the later change fails, as it would in order.
        let mut ids: HashSet<(&str, &str)> = HashSet::new();
        let mut keys: HashSet<(&str, &str)> = HashSet::new();
        let mut tokens: HashSet<&[u8]> = HashSet::new();
        let mut rows: Vec<(usize, &ClientRecord, ClientRow<'_>)> =
            Vec::with_capacity(pending.len());
        'records: for &(index, record) in &pending {
            let client = &record.client;
            let org = client.org.as_str();
            let id_is_new = ids.insert((org, client.id.as_str()));
            let key_is_new = client
                .email
                .as_ref()
                .is_none_or(|email| keys.insert((org, email.key.as_str())));
            if !(id_is_new && key_is_new) {
                failures.push((index, exists(ErrorCode::ClientExists)));
                continue;
            }
            for (i, invitation) in record.invitations.iter().enumerate() {
                let repeated = record.invitations[..i]
                    .iter()
                    .any(|other| other.id == invitation.id);
                if repeated || !tokens.insert(&invitation.token_hash.0[..]) {
                    failures.push((index, invitation_exists()));
                    continue 'records;
                }
                if let Err(error) = invitation_instants(invitation) {
                    failures.push((index, Fail::Error(error)));
                    continue 'records;
                }
            }
            match ClientRow::new(client, Summary::of(record)) {
                Ok(row) => rows.push((index, record, row)),
                Err(error) => failures.push((index, Fail::Error(error))),
            }
        }
        rows.sort_by(|a, b| sort_key(a.1).cmp(&sort_key(b.1)));
        let mut inserted: HashSet<(String, String)> = HashSet::with_capacity(rows.len());
        for chunk in rows.chunks(CHUNK) {
            let columns = ClientColumns::new(chunk.iter().map(|(_, _, row)| row))?;
            let returned = self
                .db
                .query(
                    "INSERT INTO clients (org, id, email_address, email_key, name, role,
                         group_ids, program_ids, assigned_staff, company, guest_of, owner,
                         created_by, created_at, activated_at, activated_by, last_seen_at,
                         archived_at, version, first_sent_at, open_until, search_text)
                     SELECT org, id, email_address, email_key, name, role,
                         group_ids::text[], program_ids::text[], assigned_staff, company, guest_of, owner, created_by, created_at,
                         activated_at, activated_by::jsonb, last_seen_at, archived_at, version,
                         first_sent_at, open_until, search_text
                     FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                         $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                         $11::text[], $12::text[], $13::text[], $14::int8[], $15::int8[],
                         $16::text[], $17::int8[], $18::int8[], $19::int8[], $20::int8[],
                         $21::int8[], $22::text[])
                         WITH ORDINALITY AS u(org, id, email_address, email_key, name, role,
                             group_ids, program_ids, assigned_staff, company, guest_of, owner,
                             created_by, created_at, activated_at, activated_by, last_seen_at,
                             archived_at, version, first_sent_at, open_until, search_text, n)
                     ORDER BY n
                     ON CONFLICT DO NOTHING
                     RETURNING org, id",
                    &columns.params(),
                )
                .db()?;
            for row in &returned {
                inserted.insert((
                    crate::codec::text(row, 0)?.to_owned(),
                    crate::codec::text(row, 1)?.to_owned(),
                ));
            }
        }
        // The clients another transaction's row (an address, an id) kept out.
        let mut written: Vec<(usize, &ClientRecord)> = Vec::with_capacity(rows.len());
        for (index, record, _) in &rows {
            let key = (
                record.client.org.as_str().to_owned(),
                record.client.id.as_str().to_owned(),
            );
            if inserted.contains(&key) {
                written.push((*index, record));
            } else {
                failures.push((*index, exists(ErrorCode::ClientExists)));
            }
        }
        // Their invitations; a token another client holds keeps one out.
        let mut invitations: Vec<(usize, &ClientRecord, &Invitation)> = Vec::new();
        for &(index, record) in &written {
            for invitation in &record.invitations {
                invitations.push((index, record, invitation));
            }
        }
        for chunk in invitations.chunks(CHUNK) {
            let columns = InvitationColumns::new(chunk)?;
            let returned = self
                .db
                .query(
                    "INSERT INTO invitations (org, client_id, id, token_hash, sent_by, sent_at,
                         expires_at, revoked_at, accepted_at, retired_at)
                     SELECT org, client_id, id, token_hash, sent_by, sent_at, expires_at,
                         revoked_at, accepted_at, retired_at
                     FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bytea[], $5::text[],
                         $6::int8[], $7::int8[], $8::int8[], $9::int8[], $10::int8[])
                         WITH ORDINALITY AS u(org, client_id, id, token_hash, sent_by, sent_at,
                             expires_at, revoked_at, accepted_at, retired_at, n)
                     ORDER BY n
                     ON CONFLICT DO NOTHING
                     RETURNING token_hash",
                    &columns.params(),
                )
                .db()?;
            if returned.len() < chunk.len() {
                let mut kept: HashSet<Vec<u8>> = HashSet::with_capacity(returned.len());
                for row in &returned {
                    let hash: Vec<u8> = row
                        .try_get(0)
                        .map_err(|e| crate::codec::storage(e.to_string()))?;
                    kept.insert(hash);
                }
                for (index, _, invitation) in chunk {
                    if !kept.contains(&invitation.token_hash.0[..]) {
                        failures.push((*index, invitation_exists()));
                    }
                }
            }
        }
        Ok(failures)
    }

    /// Appends the events waiting, in order. An event fails only on an instant the store
    /// cannot keep.
    fn insert_events(&mut self) -> Result<Vec<(usize, Fail)>, Fail> {
        let pending = std::mem::take(&mut self.events);
        let mut failures = Vec::new();
        let mut org = Vec::with_capacity(pending.len());
        let mut at = Vec::with_capacity(pending.len());
        let mut body = Vec::with_capacity(pending.len());
        for &(index, event) in &pending {
            match (instant(event.at), json(event)) {
                (Ok(instant), Ok(json)) => {
                    org.push(event.org.as_str());
                    at.push(instant);
                    body.push(json);
                }
                (Err(error), _) | (_, Err(error)) => failures.push((index, Fail::Error(error))),
            }
        }
        for start in (0..org.len()).step_by(CHUNK) {
            let end = (start + CHUNK).min(org.len());
            self.db
                .execute(
                    "INSERT INTO events (org, at, body)
                     SELECT org, at, body::jsonb
                     FROM UNNEST($1::text[], $2::int8[], $3::text[])
                         WITH ORDINALITY AS u(org, at, body, n)
                     ORDER BY n",
                    &[&&org[start..end], &&at[start..end], &&body[start..end]],
                )
                .db()?;
        }
        Ok(failures)
    }

    /// Adds the outbox messages waiting, in order. A message whose id is taken fails
    /// (`conflict`), as does the later of two with one id.
    fn insert_messages(&mut self) -> Result<Vec<(usize, Fail)>, Fail> {
        let pending = std::mem::take(&mut self.messages);
        let mut failures = Vec::new();
        let mut seen: HashSet<&str> = HashSet::with_capacity(pending.len());
        let mut rows: Vec<(usize, MessageRow<'_>)> = Vec::with_capacity(pending.len());
        for &(index, message) in &pending {
            if !seen.insert(message.id.as_str()) {
                failures.push((index, conflict()));
                continue;
            }
            match MessageRow::new(message) {
                Ok(row) => rows.push((index, row)),
                Err(error) => failures.push((index, Fail::Error(error))),
            }
        }
        for chunk in rows.chunks(CHUNK) {
            let columns = MessageColumns::new(chunk.iter().map(|(_, row)| row));
            let returned = self
                .db
                .query(
                    "INSERT INTO outbox (id, org, client_id, invitation_id, to_address, to_name,
                         subject, text, html, state, attempts, created_at, sent_at, last_error,
                         claimed_until)
                     SELECT id, org, client_id, invitation_id, to_address, to_name, subject,
                         text, html, state, attempts, created_at, sent_at, last_error,
                         claimed_until
                     FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                         $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                         $11::int8[], $12::int8[], $13::int8[], $14::text[], $15::int8[])
                         WITH ORDINALITY AS u(id, org, client_id, invitation_id, to_address,
                             to_name, subject, text, html, state, attempts, created_at, sent_at,
                             last_error, claimed_until, n)
                     ORDER BY n
                     ON CONFLICT DO NOTHING
                     RETURNING id",
                    &columns.params(),
                )
                .db()?;
            if returned.len() < chunk.len() {
                let mut kept: HashSet<String> = HashSet::with_capacity(returned.len());
                for row in &returned {
                    kept.insert(crate::codec::text(row, 0)?.to_owned());
                }
                for (index, row) in chunk {
                    if !kept.contains(row.id) {
                        failures.push((*index, conflict()));
                    }
                }
            }
        }
        Ok(failures)
    }
}

/// `items` as a PostgreSQL array literal (`{"a","b"}`), each element quoted, `"` and `\`
/// escaped.
fn array_literal(items: &[&str]) -> String {
    let mut literal = String::from("{");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            literal.push(',');
        }
        literal.push('"');
        for c in item.chars() {
            if c == '"' || c == '\\' {
                literal.push('\\');
            }
            literal.push(c);
        }
        literal.push('"');
    }
    literal.push('}');
    literal
}

/// Checks that the store can keep every instant of `invitation`.
fn invitation_instants(invitation: &Invitation) -> Result<(), Error> {
    instant(invitation.sent_at)?;
    instant(invitation.expires_at)?;
    opt_instant(invitation.revoked_at)?;
    opt_instant(invitation.accepted_at)?;
    opt_instant(invitation.retired_at)?;
    Ok(())
}

/// The order bulk insertions write clients in: by organization, then address.
fn sort_key(record: &ClientRecord) -> (&str, Option<&str>) {
    (
        record.client.org.as_str(),
        record.client.email.as_ref().map(|e| e.key.as_str()),
    )
}

/// A client's columns, in the order of the `clients` table (parameters `$1` to `$22`).
struct ClientRow<'a> {
    org: &'a str,
    id: &'a str,
    email_address: Option<&'a str>,
    email_key: Option<&'a str>,
    name: Option<&'a str>,
    role: &'static str,
    group_ids: Vec<&'a str>,
    program_ids: Vec<&'a str>,
    assigned_staff: Option<&'a str>,
    company: Option<&'a str>,
    guest_of: Option<&'a str>,
    owner: Option<&'a str>,
    created_by: Option<&'a str>,
    created_at: i64,
    activated_at: Option<i64>,
    activated_by: Option<String>,
    last_seen_at: Option<i64>,
    archived_at: Option<i64>,
    version: i64,
    first_sent_at: Option<i64>,
    open_until: Option<i64>,
    search_text: String,
}

impl<'a> ClientRow<'a> {
    fn new(client: &'a Client, summary: Summary) -> Result<Self, Error> {
        let email = client.email.as_ref();
        Ok(ClientRow {
            org: client.org.as_str(),
            id: client.id.as_str(),
            email_address: email.map(|e| e.address.as_str()),
            email_key: email.map(|e| e.key.as_str()),
            name: client.name.as_deref(),
            role: client.role.as_str(),
            group_ids: client.groups.iter().map(|id| id.as_str()).collect(),
            program_ids: client.programs.iter().map(|id| id.as_str()).collect(),
            assigned_staff: client.assigned_staff.as_ref().map(|id| id.as_str()),
            company: client.company.as_ref().map(|id| id.as_str()),
            guest_of: client.guest_of.as_ref().map(|id| id.as_str()),
            owner: owner_column(&client.owner),
            created_by: client.created_by.as_ref().map(|id| id.as_str()),
            created_at: instant(client.created_at)?,
            activated_at: opt_instant(client.activated_at)?,
            activated_by: client.activated_by.as_ref().map(json).transpose()?,
            last_seen_at: opt_instant(client.last_seen_at)?,
            archived_at: opt_instant(client.archived_at)?,
            version: integer(client.version)?,
            first_sent_at: opt_instant(summary.first_sent_at)?,
            open_until: opt_instant(summary.open_until)?,
            search_text: search_text(client),
        })
    }

    fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        vec![
            &self.org,
            &self.id,
            &self.email_address,
            &self.email_key,
            &self.name,
            &self.role,
            &self.group_ids,
            &self.program_ids,
            &self.assigned_staff,
            &self.company,
            &self.guest_of,
            &self.owner,
            &self.created_by,
            &self.created_at,
            &self.activated_at,
            &self.activated_by,
            &self.last_seen_at,
            &self.archived_at,
            &self.version,
            &self.first_sent_at,
            &self.open_until,
            &self.search_text,
        ]
    }
}

/// Clients' columns as arrays, for a bulk insertion (group and program lists as array
/// literals, cast back in SQL: PostgreSQL arrays of arrays must be rectangular).
#[derive(Default)]
struct ClientColumns<'r> {
    org: Vec<&'r str>,
    id: Vec<&'r str>,
    email_address: Vec<Option<&'r str>>,
    email_key: Vec<Option<&'r str>>,
    name: Vec<Option<&'r str>>,
    role: Vec<&'r str>,
    group_ids: Vec<String>,
    program_ids: Vec<String>,
    assigned_staff: Vec<Option<&'r str>>,
    company: Vec<Option<&'r str>>,
    guest_of: Vec<Option<&'r str>>,
    owner: Vec<Option<&'r str>>,
    created_by: Vec<Option<&'r str>>,
    created_at: Vec<i64>,
    activated_at: Vec<Option<i64>>,
    activated_by: Vec<Option<&'r str>>,
    last_seen_at: Vec<Option<i64>>,
    archived_at: Vec<Option<i64>>,
    version: Vec<i64>,
    first_sent_at: Vec<Option<i64>>,
    open_until: Vec<Option<i64>>,
    search_text: Vec<&'r str>,
}

impl<'r> ClientColumns<'r> {
    fn new<'x: 'r>(rows: impl Iterator<Item = &'r ClientRow<'x>>) -> Result<Self, Error> {
        let mut c = ClientColumns::default();
        for row in rows {
            c.org.push(row.org);
            c.id.push(row.id);
            c.email_address.push(row.email_address);
            c.email_key.push(row.email_key);
            c.name.push(row.name);
            c.role.push(row.role);
            c.group_ids.push(array_literal(&row.group_ids));
            c.program_ids.push(array_literal(&row.program_ids));
            c.assigned_staff.push(row.assigned_staff);
            c.company.push(row.company);
            c.guest_of.push(row.guest_of);
            c.owner.push(row.owner);
            c.created_by.push(row.created_by);
            c.created_at.push(row.created_at);
            c.activated_at.push(row.activated_at);
            c.activated_by.push(row.activated_by.as_deref());
            c.last_seen_at.push(row.last_seen_at);
            c.archived_at.push(row.archived_at);
            c.version.push(row.version);
            c.first_sent_at.push(row.first_sent_at);
            c.open_until.push(row.open_until);
            c.search_text.push(&row.search_text);
        }
        Ok(c)
    }

    fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        vec![
            &self.org,
            &self.id,
            &self.email_address,
            &self.email_key,
            &self.name,
            &self.role,
            &self.group_ids,
            &self.program_ids,
            &self.assigned_staff,
            &self.company,
            &self.guest_of,
            &self.owner,
            &self.created_by,
            &self.created_at,
            &self.activated_at,
            &self.activated_by,
            &self.last_seen_at,
            &self.archived_at,
            &self.version,
            &self.first_sent_at,
            &self.open_until,
            &self.search_text,
        ]
    }
}

/// The invitations of clients as arrays, each client's in its record's order.
#[derive(Default)]
struct InvitationColumns<'r> {
    org: Vec<&'r str>,
    client_id: Vec<&'r str>,
    id: Vec<&'r str>,
    token_hash: Vec<&'r [u8]>,
    sent_by: Vec<Option<&'r str>>,
    sent_at: Vec<i64>,
    expires_at: Vec<i64>,
    revoked_at: Vec<Option<i64>>,
    accepted_at: Vec<Option<i64>>,
    retired_at: Vec<Option<i64>>,
}

impl<'r> InvitationColumns<'r> {
    /// The columns of `invitations`, each of the client of its record (its instants were
    /// checked when the record's row was made).
    fn new(invitations: &[(usize, &'r ClientRecord, &'r Invitation)]) -> Result<Self, Error> {
        let mut c = InvitationColumns::default();
        for &(_, record, invitation) in invitations {
            c.org.push(record.client.org.as_str());
            c.client_id.push(record.client.id.as_str());
            c.id.push(invitation.id.as_str());
            c.token_hash.push(&invitation.token_hash.0[..]);
            c.sent_by
                .push(invitation.sent_by.as_ref().map(|id| id.as_str()));
            c.sent_at.push(instant(invitation.sent_at)?);
            c.expires_at.push(instant(invitation.expires_at)?);
            c.revoked_at.push(opt_instant(invitation.revoked_at)?);
            c.accepted_at.push(opt_instant(invitation.accepted_at)?);
            c.retired_at.push(opt_instant(invitation.retired_at)?);
        }
        Ok(c)
    }

    fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        vec![
            &self.org,
            &self.client_id,
            &self.id,
            &self.token_hash,
            &self.sent_by,
            &self.sent_at,
            &self.expires_at,
            &self.revoked_at,
            &self.accepted_at,
            &self.retired_at,
        ]
    }
}

/// A sign-up link's columns, in the order of the `signup_links` table (`$1` to `$12`).
struct LinkRow<'a> {
    org: &'a str,
    id: &'a str,
    token_hash: &'a [u8],
    role: &'static str,
    max_uses: Option<i64>,
    uses: i64,
    allowed_domains: &'a [String],
    created_by: Option<&'a str>,
    created_at: i64,
    rotated_at: Option<i64>,
    disabled_at: Option<i64>,
    version: i64,
}

impl<'a> LinkRow<'a> {
    fn new(link: &'a SignupLink) -> Result<Self, Error> {
        Ok(LinkRow {
            org: link.org.as_str(),
            id: link.id.as_str(),
            token_hash: &link.token_hash.0,
            role: link.role.as_str(),
            max_uses: link.max_uses.map(i64::from),
            uses: i64::from(link.uses),
            allowed_domains: &link.allowed_domains,
            created_by: link.created_by.as_ref().map(|id| id.as_str()),
            created_at: instant(link.created_at)?,
            rotated_at: opt_instant(link.rotated_at)?,
            disabled_at: opt_instant(link.disabled_at)?,
            version: integer(link.version)?,
        })
    }

    fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        vec![
            &self.org,
            &self.id,
            &self.token_hash,
            &self.role,
            &self.max_uses,
            &self.uses,
            &self.allowed_domains,
            &self.created_by,
            &self.created_at,
            &self.rotated_at,
            &self.disabled_at,
            &self.version,
        ]
    }
}

/// An outbox message's columns, in the order of the `outbox` table (`$1` to `$15`).
struct MessageRow<'a> {
    id: &'a str,
    org: &'a str,
    client_id: &'a str,
    invitation_id: Option<&'a str>,
    to_address: &'a str,
    to_name: Option<&'a str>,
    subject: &'a str,
    text: &'a str,
    html: &'a str,
    state: &'static str,
    attempts: i64,
    created_at: i64,
    sent_at: Option<i64>,
    last_error: Option<&'a str>,
    claimed_until: Option<i64>,
}

impl<'a> MessageRow<'a> {
    fn new(message: &'a OutboxMessage) -> Result<Self, Error> {
        Ok(MessageRow {
            id: message.id.as_str(),
            org: message.org.as_str(),
            client_id: message.client.as_str(),
            invitation_id: message.invitation.as_ref().map(|id| id.as_str()),
            to_address: &message.message.to,
            to_name: message.message.to_name.as_deref(),
            subject: &message.message.subject,
            text: &message.message.text,
            html: &message.message.html,
            state: message.state.as_str(),
            attempts: i64::from(message.attempts),
            created_at: instant(message.created_at)?,
            sent_at: opt_instant(message.sent_at)?,
            last_error: message.last_error.as_deref(),
            claimed_until: opt_instant(message.claimed_until)?,
        })
    }

    fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        vec![
            &self.id,
            &self.org,
            &self.client_id,
            &self.invitation_id,
            &self.to_address,
            &self.to_name,
            &self.subject,
            &self.text,
            &self.html,
            &self.state,
            &self.attempts,
            &self.created_at,
            &self.sent_at,
            &self.last_error,
            &self.claimed_until,
        ]
    }
}

/// Outbox messages' columns as arrays, for a bulk insertion.
#[derive(Default)]
struct MessageColumns<'r> {
    id: Vec<&'r str>,
    org: Vec<&'r str>,
    client_id: Vec<&'r str>,
    invitation_id: Vec<Option<&'r str>>,
    to_address: Vec<&'r str>,
    to_name: Vec<Option<&'r str>>,
    subject: Vec<&'r str>,
    text: Vec<&'r str>,
    html: Vec<&'r str>,
    state: Vec<&'r str>,
    attempts: Vec<i64>,
    created_at: Vec<i64>,
    sent_at: Vec<Option<i64>>,
    last_error: Vec<Option<&'r str>>,
    claimed_until: Vec<Option<i64>>,
}

impl<'r> MessageColumns<'r> {
    fn new<'x: 'r>(rows: impl Iterator<Item = &'r MessageRow<'x>>) -> Self {
        let mut c = MessageColumns::default();
        for row in rows {
            c.id.push(row.id);
            c.org.push(row.org);
            c.client_id.push(row.client_id);
            c.invitation_id.push(row.invitation_id);
            c.to_address.push(row.to_address);
            c.to_name.push(row.to_name);
            c.subject.push(row.subject);
            c.text.push(row.text);
            c.html.push(row.html);
            c.state.push(row.state);
            c.attempts.push(row.attempts);
            c.created_at.push(row.created_at);
            c.sent_at.push(row.sent_at);
            c.last_error.push(row.last_error);
            c.claimed_until.push(row.claimed_until);
        }
        c
    }

    fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        vec![
            &self.id,
            &self.org,
            &self.client_id,
            &self.invitation_id,
            &self.to_address,
            &self.to_name,
            &self.subject,
            &self.text,
            &self.html,
            &self.state,
            &self.attempts,
            &self.created_at,
            &self.sent_at,
            &self.last_error,
            &self.claimed_until,
        ]
    }
}

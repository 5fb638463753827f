//! [`apply`]: a batch of changes in one `BEGIN IMMEDIATE` transaction.

use std::collections::HashSet;

use invitekit::lifecycle::ClientRecord;
use invitekit::mailer::OutboxMessage;
use invitekit::model::{Client, GroupId, Invitation, OrgId, Organization, SignupLink};
use invitekit::store::{Change, Summary, search_text};
use invitekit::{Error, ErrorCode, ErrorKind};
use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior, params};

use crate::codec::{
    Db as _, conflict, exists, instant, integer, json, not_found, opt_instant, owner_column,
    unique_or,
};
use crate::read;

/// Applies `changes` in one immediate transaction: all of them, or none and the first error.
pub(crate) fn apply(conn: &mut Connection, changes: &[Change]) -> Result<(), Error> {
    if changes.is_empty() {
        return Ok(());
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .db()?;
    let mut batch = Batch {
        conn: &tx,
        orgs: HashSet::new(),
    };
    for change in changes {
        batch.apply(change)?;
    }
    tx.commit().db()
}

/// One batch in its transaction.
struct Batch<'a> {
    conn: &'a Connection,
    /// Organizations known to exist in this transaction (they are never deleted).
    orgs: HashSet<OrgId>,
}

impl Batch<'_> {
    fn apply(&mut self, change: &Change) -> Result<(), Error> {
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
                let changed = self
                    .conn
                    .prepare_cached(
                        "INSERT INTO \"groups\" (org, id, name, name_key, co_owners, created_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                         ON CONFLICT (org, id) DO UPDATE SET name = excluded.name,
                             name_key = excluded.name_key, co_owners = excluded.co_owners,
                             created_at = excluded.created_at",
                    )
                    .db()?
                    .execute(params![
                        group.org.as_str(),
                        group.id.as_str(),
                        group.name,
                        invitekit::policy::name_key(&group.name),
                        json(&group.co_owners)?,
                        instant(group.created_at)?,
                    ]);
                unique_or(changed, || exists(ErrorCode::GroupExists)).map(drop)
            }
            Change::DeleteGroup { org, id } => self.delete_group(org, id),
            Change::PutProgram(program) => {
                self.require_org(&program.org)?;
                self.conn
                    .prepare_cached(
                        "INSERT INTO programs (org, id, name) VALUES (?1, ?2, ?3)
                         ON CONFLICT (org, id) DO UPDATE SET name = excluded.name",
                    )
                    .db()?
                    .execute(params![
                        program.org.as_str(),
                        program.id.as_str(),
                        program.name
                    ])
                    .db()
                    .map(drop)
            }
            Change::InsertSignupLink(link) => {
                self.require_org(&link.org)?;
                let changed = self
                    .conn
                    .prepare_cached(
                        "INSERT INTO signup_links (org, id, token_hash, role, max_uses, uses,
                             allowed_domains, created_by, created_at, rotated_at, disabled_at,
                             version)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                    )
                    .db()?
                    .execute(&*LinkRow::new(link)?.as_params());
                unique_or(changed, conflict).map(drop)
            }
            Change::UpdateSignupLink {
                link,
                expected_version,
            } => self.update_signup_link(link, *expected_version),
            Change::RecordEvent(event) => {
                self.require_org(&event.org)?;
                self.conn
                    .prepare_cached("INSERT INTO events (org, at, body) VALUES (?1, ?2, ?3)")
                    .db()?
                    .execute(params![
                        event.org.as_str(),
                        instant(event.at)?,
                        json(event)?
                    ])
                    .db()
                    .map(drop)
            }
            Change::Enqueue(message) => self.enqueue(message),
        }
    }

    /// Fails with `OrganizationNotFound` unless `org` exists.
    fn require_org(&mut self, org: &OrgId) -> Result<(), Error> {
        if self.orgs.contains(org) {
            return Ok(());
        }
        if read::organization_exists(self.conn, org)? {
            self.orgs.insert(org.clone());
            Ok(())
        } else {
            Err(not_found(ErrorCode::OrganizationNotFound))
        }
    }

    fn insert_organization(&mut self, org: &Organization) -> Result<(), Error> {
        let changed = self
            .conn
            .prepare_cached(
                "INSERT INTO organizations (id, name, expiry_days, time_zone, email_binding,
                     accept_url, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .db()?
            .execute(params![
                org.id.as_str(),
                org.name,
                org.expiry.days(),
                org.time_zone.name(),
                org.email_binding.as_str(),
                org.accept_url,
                instant(org.created_at)?,
            ]);
        unique_or(changed, || exists(ErrorCode::OrganizationExists))?;
        self.orgs.insert(org.id.clone());
        Ok(())
    }

    fn update_organization(&mut self, org: &Organization) -> Result<(), Error> {
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE organizations SET name = ?2, expiry_days = ?3, time_zone = ?4,
                     email_binding = ?5, accept_url = ?6, created_at = ?7
                 WHERE id = ?1",
            )
            .db()?
            .execute(params![
                org.id.as_str(),
                org.name,
                org.expiry.days(),
                org.time_zone.name(),
                org.email_binding.as_str(),
                org.accept_url,
                instant(org.created_at)?,
            ])
            .db()?;
        if changed == 0 {
            return Err(not_found(ErrorCode::OrganizationNotFound));
        }
        Ok(())
    }

    fn insert_client(&mut self, record: &ClientRecord) -> Result<(), Error> {
        let client = &record.client;
        self.require_org(&client.org)?;
        let row = ClientRow::new(client, Summary::of(record))?;
        let changed = self
            .conn
            .prepare_cached(
                "INSERT INTO clients (org, id, email_address, email_key, name, role,
                     assigned_staff, company, guest_of, owner, created_by, created_at,
                     activated_at, activated_by, last_seen_at, archived_at, version,
                     first_sent_at, open_until, search_text)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                     ?17, ?18, ?19, ?20)",
            )
            .db()?
            .execute(&*row.as_params());
        unique_or(changed, || exists(ErrorCode::ClientExists))?;
        // An invitation id twice in the record fails as InvitationExists.
        for invitation in &record.invitations {
            self.put_invitation(client, invitation, false)?;
        }
        self.put_memberships(client, false)
    }

    fn update_client(&mut self, record: &ClientRecord, expected_version: u64) -> Result<(), Error> {
        let client = &record.client;
        let stored = read::client_invitations(self.conn, &client.org, &client.id)?;
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
        let expected = integer(expected_version)?;
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE clients SET email_address = ?3, email_key = ?4, name = ?5, role = ?6,
                     assigned_staff = ?7, company = ?8, guest_of = ?9, owner = ?10,
                     created_by = ?11, created_at = ?12, activated_at = ?13, activated_by = ?14,
                     last_seen_at = ?15, archived_at = ?16, version = ?17, first_sent_at = ?18,
                     open_until = ?19, search_text = ?20
                 WHERE org = ?1 AND id = ?2 AND version = ?21",
            )
            .db()?
            .execute(&*with_version(row.as_params(), &expected));
        let changed = unique_or(changed, || exists(ErrorCode::ClientExists))?;
        if changed == 0 {
            return Err(
                if read::client_exists(self.conn, &client.org, &client.id)? {
                    conflict()
                } else {
                    not_found(ErrorCode::ClientNotFound)
                },
            );
        }
        for (i, invitation) in record.invitations.iter().enumerate() {
            if record.invitations[..i]
                .iter()
                .any(|other| other.id == invitation.id)
            {
                return Err(Error::new(ErrorKind::InvitationExists));
            }
            // Skip the (usual) invitations that did not change.
            if !stored.iter().any(|old| old == invitation) {
                self.put_invitation(client, invitation, true)?;
            }
        }
        self.put_memberships(client, true)
    }

    /// Adds one invitation of `client` or, when `replace`, replaces the one with its id. Its
    /// `org` and `client` are the client's.
    fn put_invitation(
        &mut self,
        client: &Client,
        invitation: &Invitation,
        replace: bool,
    ) -> Result<(), Error> {
        const INSERT: &str = "INSERT INTO invitations (org, client_id, id, token_hash, sent_by,
                sent_at, expires_at, revoked_at, accepted_at, retired_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
        const UPSERT: &str = "INSERT INTO invitations (org, client_id, id, token_hash, sent_by,
                sent_at, expires_at, revoked_at, accepted_at, retired_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
            ON CONFLICT (org, client_id, id) DO UPDATE SET
                token_hash = excluded.token_hash, sent_by = excluded.sent_by,
                sent_at = excluded.sent_at, expires_at = excluded.expires_at,
                revoked_at = excluded.revoked_at, accepted_at = excluded.accepted_at,
                retired_at = excluded.retired_at";
        let changed = self
            .conn
            .prepare_cached(if replace { UPSERT } else { INSERT })
            .db()?
            .execute(params![
                client.org.as_str(),
                client.id.as_str(),
                invitation.id.as_str(),
                &invitation.token_hash.0[..],
                invitation.sent_by.as_ref().map(|id| id.as_str()),
                instant(invitation.sent_at)?,
                instant(invitation.expires_at)?,
                opt_instant(invitation.revoked_at)?,
                opt_instant(invitation.accepted_at)?,
                opt_instant(invitation.retired_at)?,
            ]);
        unique_or(changed, || Error::new(ErrorKind::InvitationExists)).map(drop)
    }

    /// Writes `client`'s groups and programs, replacing the stored ones when `replace`.
    fn put_memberships(&mut self, client: &Client, replace: bool) -> Result<(), Error> {
        let (org, id) = (client.org.as_str(), client.id.as_str());
        if replace {
            self.conn
                .prepare_cached("DELETE FROM client_groups WHERE org = ?1 AND client_id = ?2")
                .db()?
                .execute(params![org, id])
                .db()?;
            self.conn
                .prepare_cached("DELETE FROM client_programs WHERE org = ?1 AND client_id = ?2")
                .db()?
                .execute(params![org, id])
                .db()?;
        }
        if !client.groups.is_empty() {
            let mut insert = self
                .conn
                .prepare_cached(
                    "INSERT INTO client_groups (org, client_id, position, group_id)
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .db()?;
            for (position, group) in (0i64..).zip(&client.groups) {
                insert
                    .execute(params![org, id, position, group.as_str()])
                    .db()?;
            }
        }
        if !client.programs.is_empty() {
            let mut insert = self
                .conn
                .prepare_cached(
                    "INSERT INTO client_programs (org, client_id, position, program_id)
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .db()?;
            for (position, program) in (0i64..).zip(&client.programs) {
                insert
                    .execute(params![org, id, position, program.as_str()])
                    .db()?;
            }
        }
        Ok(())
    }

    fn delete_group(&mut self, org: &OrgId, id: &GroupId) -> Result<(), Error> {
        self.require_org(org)?;
        let deleted = self
            .conn
            .prepare_cached("DELETE FROM \"groups\" WHERE org = ?1 AND id = ?2")
            .db()?
            .execute(params![org.as_str(), id.as_str()])
            .db()?;
        if deleted == 0 {
            return Err(not_found(ErrorCode::GroupNotFound));
        }
        self.conn
            .prepare_cached(
                "UPDATE clients SET version = version + 1
                 WHERE org = ?1 AND id IN (
                     SELECT client_id FROM client_groups WHERE org = ?1 AND group_id = ?2)",
            )
            .db()?
            .execute(params![org.as_str(), id.as_str()])
            .db()?;
        self.conn
            .prepare_cached("DELETE FROM client_groups WHERE org = ?1 AND group_id = ?2")
            .db()?
            .execute(params![org.as_str(), id.as_str()])
            .db()
            .map(drop)
    }

    fn update_signup_link(
        &mut self,
        link: &SignupLink,
        expected_version: u64,
    ) -> Result<(), Error> {
        let row = LinkRow::new(link)?;
        let expected = integer(expected_version)?;
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE signup_links SET token_hash = ?3, role = ?4, max_uses = ?5, uses = ?6,
                     allowed_domains = ?7, created_by = ?8, created_at = ?9, rotated_at = ?10,
                     disabled_at = ?11, version = ?12
                 WHERE org = ?1 AND id = ?2 AND version = ?13",
            )
            .db()?
            .execute(&*with_version(row.as_params(), &expected));
        if unique_or(changed, conflict)? == 0 {
            let found = self
                .conn
                .prepare_cached("SELECT 1 FROM signup_links WHERE org = ?1 AND id = ?2")
                .db()?
                .query_row(params![link.org.as_str(), link.id.as_str()], |_| Ok(()))
                .optional()
                .db()?;
            return Err(match found {
                Some(()) => conflict(),
                None => not_found(ErrorCode::SignupLinkNotFound),
            });
        }
        Ok(())
    }

    fn enqueue(&mut self, message: &OutboxMessage) -> Result<(), Error> {
        let changed = self
            .conn
            .prepare_cached(
                "INSERT INTO outbox (id, org, client_id, invitation_id, to_address, to_name,
                     subject, text, html, state, attempts, created_at, sent_at, last_error,
                     claimed_until)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )
            .db()?
            .execute(params![
                message.id.as_str(),
                message.org.as_str(),
                message.client.as_str(),
                message.invitation.as_ref().map(|id| id.as_str()),
                message.message.to,
                message.message.to_name,
                message.message.subject,
                message.message.text,
                message.message.html,
                message.state.as_str(),
                message.attempts,
                instant(message.created_at)?,
                opt_instant(message.sent_at)?,
                message.last_error,
                opt_instant(message.claimed_until)?,
            ]);
        unique_or(changed, conflict).map(drop)
    }
}

/// A client's columns, in the order of the `clients` table (parameters `?1` to `?20`).
struct ClientRow<'a> {
    org: &'a str,
    id: &'a str,
    email_address: Option<&'a str>,
    email_key: Option<&'a str>,
    name: Option<&'a str>,
    role: &'static str,
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

    fn as_params(&self) -> Vec<&dyn rusqlite::ToSql> {
        vec![
            &self.org,
            &self.id,
            &self.email_address,
            &self.email_key,
            &self.name,
            &self.role,
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

/// A sign-up link's columns, in the order of the `signup_links` table (`?1` to `?12`).
struct LinkRow<'a> {
    org: &'a str,
    id: &'a str,
    token_hash: &'a [u8],
    role: &'static str,
    max_uses: Option<u32>,
    uses: u32,
    allowed_domains: String,
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
            max_uses: link.max_uses,
            uses: link.uses,
            allowed_domains: json(&link.allowed_domains)?,
            created_by: link.created_by.as_ref().map(|id| id.as_str()),
            created_at: instant(link.created_at)?,
            rotated_at: opt_instant(link.rotated_at)?,
            disabled_at: opt_instant(link.disabled_at)?,
            version: integer(link.version)?,
        })
    }

    fn as_params(&self) -> Vec<&dyn rusqlite::ToSql> {
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

/// `params` followed by the expected version (the compare-and-set's parameter).
fn with_version<'a>(
    mut params: Vec<&'a dyn rusqlite::ToSql>,
    expected: &'a i64,
) -> Vec<&'a dyn rusqlite::ToSql> {
    params.push(expected);
    params
}

//! Reads: whole client records (with their invitations, groups and programs read in bulk),
//! the client list, and the other records.

use std::collections::BinaryHeap;

use invitekit::Error;
use invitekit::lifecycle::{ClientRecord, StatusKind};
use invitekit::mailer::{DeliveryState, OutboxMessage};
use invitekit::model::{
    ClientId, Event, Group, GroupId, Invitation, OrgId, Organization, Program, ProgramId,
    SignupLink,
};
use invitekit::store::{ClientPage, ClientQuery, search_key};
use invitekit::token::TokenHash;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension as _, params, params_from_iter};

use crate::codec::{self, CLIENT_COLUMNS, Db as _, bound, id_list, storage};

pub(crate) fn organization_exists(conn: &Connection, org: &OrgId) -> Result<bool, Error> {
    conn.prepare_cached("SELECT 1 FROM organizations WHERE id = ?1")
        .db()?
        .query_row([org.as_str()], |_| Ok(()))
        .optional()
        .db()
        .map(|found| found.is_some())
}

pub(crate) fn client_exists(conn: &Connection, org: &OrgId, id: &ClientId) -> Result<bool, Error> {
    conn.prepare_cached("SELECT 1 FROM clients WHERE org = ?1 AND id = ?2")
        .db()?
        .query_row([org.as_str(), id.as_str()], |_| Ok(()))
        .optional()
        .db()
        .map(|found| found.is_some())
}

pub(crate) fn organization(conn: &Connection, id: &OrgId) -> Result<Option<Organization>, Error> {
    conn.prepare_cached(&format!(
        "SELECT {} FROM organizations WHERE id = ?1",
        codec::ORGANIZATION_COLUMNS
    ))
    .db()?
    .query_row([id.as_str()], codec::organization)
    .optional()
    .db()
}

/// Above this many clients, their invitations, groups and programs are read by one pass over
/// the organization's rows rather than one look-up per client (small in unit tests, so that
/// they take both paths).
const BULK: usize = if cfg!(test) { 16 } else { 20_000 };

/// The invitations of client `id` of `org`, in the order they were sent (ties in the order they
/// were stored).
pub(crate) fn client_invitations(
    conn: &Connection,
    org: &OrgId,
    id: &ClientId,
) -> Result<Vec<Invitation>, Error> {
    let mut statement = conn
        .prepare_cached(&format!(
            "SELECT {} FROM invitations WHERE org = ?1 AND client_id = ?2 ORDER BY sent_at, seq",
            codec::INVITATION_COLUMNS
        ))
        .db()?;
    let rows = statement
        .query_map([org.as_str(), id.as_str()], |row| {
            codec::invitation(row, org)
        })
        .db()?;
    rows.collect::<rusqlite::Result<_>>().db()
}

/// The columns [`query_records`] reads, in order, of the table aliased `c`: the client's, then
/// whether it has invitations.
fn client_columns() -> String {
    format!("{CLIENT_COLUMNS}, c.first_sent_at IS NOT NULL")
}

/// Runs `few` with the JSON list of `ids` when there are few of them, else `all` (every row of
/// the organization), passing each row to `each`.
fn each_row(
    conn: &Connection,
    org: &OrgId,
    (few, all): (&str, &str),
    ids: &[&str],
    mut each: impl FnMut(&rusqlite::Row<'_>) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut statement;
    let mut rows = if ids.len() <= BULK {
        statement = conn.prepare_cached(few).db()?;
        statement
            .query(params![org.as_str(), id_list(ids.iter().copied())?])
            .db()?
    } else {
        statement = conn.prepare_cached(all).db()?;
        statement.query(params![org.as_str()]).db()?
    };
    while let Some(row) = rows.next().db()? {
        each(row)?;
    }
    Ok(())
}

/// The client rows `sql` selects (its `SELECT` list is [`client_columns`]), made whole with
/// their invitations, groups and programs, read in bulk. Keeps their order. `expected` is how
/// many rows there will be, if known.
fn query_records(
    conn: &Connection,
    org: &OrgId,
    sql: &str,
    params: impl rusqlite::Params,
    expected: usize,
) -> Result<Vec<ClientRecord>, Error> {
    // Records are large: room for all of them at once spares copies.
    let mut records: Vec<ClientRecord> = Vec::with_capacity(expected);
    let mut invited: Vec<bool> = Vec::with_capacity(expected);
    {
        let mut statement = conn.prepare_cached(sql).db()?;
        let mut rows = statement.query(params).db()?;
        while let Some(row) = rows.next().db()? {
            records.push(ClientRecord {
                client: codec::client(row).db()?,
                invitations: Vec::new(),
            });
            invited.push(row.get(17).db()?);
        }
    }
    if records.is_empty() {
        return Ok(records);
    }
    // What belongs to which record (by position), read while the records are borrowed.
    let mut groups: Vec<(usize, GroupId)> = Vec::new();
    let mut programs: Vec<(usize, ProgramId)> = Vec::new();
    let mut invitations: Vec<(usize, i64, Invitation)> = Vec::new();
    {
        let position: hashbrown::HashMap<&str, usize> = records
            .iter()
            .enumerate()
            .map(|(i, r)| (r.client.id.as_str(), i))
            .collect();
        let at = |row: &rusqlite::Row<'_>| -> Result<Option<usize>, Error> {
            let id = row
                .get_ref(0)
                .db()?
                .as_str()
                .map_err(|e| storage(e.to_string()))?;
            Ok(position.get(id).copied())
        };
        let ids: Vec<&str> = records.iter().map(|r| r.client.id.as_str()).collect();
        // The tables' primary keys order memberships by client, then position.
        each_row(
            conn,
            org,
            (
                "SELECT client_id, group_id FROM client_groups
                 WHERE org = ?1 AND client_id IN (SELECT value FROM json_each(?2))
                 ORDER BY client_id, position",
                "SELECT client_id, group_id FROM client_groups WHERE org = ?1
                 ORDER BY client_id, position",
            ),
            &ids,
            |row| {
                if let Some(i) = at(row)? {
                    groups.push((i, GroupId(row.get(1).db()?)));
                }
                Ok(())
            },
        )?;
        each_row(
            conn,
            org,
            (
                "SELECT client_id, program_id FROM client_programs
                 WHERE org = ?1 AND client_id IN (SELECT value FROM json_each(?2))
                 ORDER BY client_id, position",
                "SELECT client_id, program_id FROM client_programs WHERE org = ?1
                 ORDER BY client_id, position",
            ),
            &ids,
            |row| {
                if let Some(i) = at(row)? {
                    programs.push((i, ProgramId(row.get(1).db()?)));
                }
                Ok(())
            },
        )?;
        // Only clients with an invitation have any to read.
        let invited: Vec<&str> = ids
            .iter()
            .zip(&invited)
            .filter(|(_, invited)| **invited)
            .map(|(id, _)| *id)
            .collect();
        if !invited.is_empty() {
            let few = format!(
                "SELECT {}, seq FROM invitations
                 WHERE org = ?1 AND client_id IN (SELECT value FROM json_each(?2))",
                codec::INVITATION_COLUMNS
            );
            let all = format!(
                "SELECT {}, seq FROM invitations WHERE org = ?1",
                codec::INVITATION_COLUMNS
            );
            each_row(conn, org, (&few, &all), &invited, |row| {
                if let Some(i) = at(row)? {
                    let invitation = codec::invitation(row, org).db()?;
                    invitations.push((i, row.get(9).db()?, invitation));
                }
                Ok(())
            })?;
        }
    }
    for (i, group) in groups {
        records[i].client.groups.push(group);
    }
    for (i, program) in programs {
        records[i].client.programs.push(program);
    }
    // Each client's in the order they were sent, ties in the order they were stored.
    invitations.sort_by_key(|(i, seq, invitation)| (*i, invitation.sent_at, *seq));
    for (i, _, invitation) in invitations {
        records[i].invitations.push(invitation);
    }
    Ok(records)
}

pub(crate) fn client(
    conn: &Connection,
    org: &OrgId,
    id: &ClientId,
) -> Result<Option<ClientRecord>, Error> {
    let sql = format!(
        "SELECT {} FROM clients c WHERE c.org = ?1 AND c.id = ?2",
        client_columns()
    );
    Ok(
        query_records(conn, org, &sql, [org.as_str(), id.as_str()], 1)?
            .into_iter()
            .next(),
    )
}

pub(crate) fn clients(
    conn: &Connection,
    org: &OrgId,
    ids: &[ClientId],
) -> Result<Vec<ClientRecord>, Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {} FROM clients c
         WHERE c.org = ?1 AND c.id IN (SELECT value FROM json_each(?2))",
        client_columns()
    );
    let list = id_list(ids.iter().map(ClientId::as_str))?;
    query_records(
        conn,
        org,
        &sql,
        params![org.as_str(), list],
        ids.len().min(BULK),
    )
}

pub(crate) fn clients_by_key(
    conn: &Connection,
    org: &OrgId,
    keys: &[String],
) -> Result<Vec<ClientRecord>, Error> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {} FROM clients c
         WHERE c.org = ?1 AND c.email_key IS NOT NULL
             AND c.email_key IN (SELECT value FROM json_each(?2))",
        client_columns()
    );
    let list = id_list(keys.iter().map(String::as_str))?;
    query_records(
        conn,
        org,
        &sql,
        params![org.as_str(), list],
        keys.len().min(BULK),
    )
}

pub(crate) fn client_by_invitation(
    conn: &Connection,
    token: &TokenHash,
) -> Result<Option<ClientRecord>, Error> {
    let owner = conn
        .prepare_cached("SELECT org, client_id FROM invitations WHERE token_hash = ?1")
        .db()?
        .query_row([&token.0[..]], |row| {
            Ok((OrgId(row.get(0)?), ClientId(row.get(1)?)))
        })
        .optional()
        .db()?;
    match owner {
        Some((org, id)) => client(conn, &org, &id),
        None => Ok(None),
    }
}

/// How a client list query reads the clients: which index it walks (or the table), and the
/// `WHERE` clause on `clients c` with its parameters. The plan is chosen here rather than by
/// SQLite's planner, whose statistics (when there are any) cannot tell that one organization
/// may hold every row of the table.
struct Plan {
    /// `clients c` with the index to use.
    from: &'static str,
    /// Whether the filters read the search text, which no order helps with: the counts and the
    /// page are then taken in one pass.
    scans: bool,
    sql: String,
    params: Vec<Value>,
}

impl Plan {
    fn new(org: &OrgId, query: &ClientQuery) -> Plan {
        let search = query
            .search
            .as_deref()
            .map(search_key)
            .filter(|key| !key.is_empty());
        let open = matches!(
            query.status,
            Some(StatusKind::InvitePending | StatusKind::InviteExpired)
        );
        // The most selective index a filter can use; the other filters sift what it yields.
        // Group and program members are looked up one by one (and a page sorted); every other
        // index holds its clients in list order.
        let (from, scans) = if query.group.is_some() || query.program.is_some() {
            ("clients c INDEXED BY clients_by_id", false)
        } else if query.staff.is_some() {
            ("clients c INDEXED BY clients_by_staff", false)
        } else if search.is_some() {
            ("clients c INDEXED BY clients_by_text", true)
        } else if query.never_invited {
            ("clients c INDEXED BY clients_never_invited", false)
        } else if open {
            ("clients c INDEXED BY clients_invited_open", false)
        } else if query.role.is_some() {
            ("clients c INDEXED BY clients_by_role", false)
        } else {
            ("clients c INDEXED BY clients_by_created", false)
        };
        let mut plan = Plan {
            from,
            scans,
            sql: "c.org = ?".to_owned(),
            params: vec![text(&org.0)],
        };
        if let Some(role) = query.role {
            plan.and("c.role = ?", [text(role.as_str())]);
        }
        if let Some(status) = query.status {
            // Summary::status_kind on the stored instants.
            const UNSETTLED: &str = "c.activated_at IS NULL AND c.archived_at IS NULL";
            let now = Value::Integer(bound(query.now));
            match status {
                StatusKind::Archived => plan.and("c.archived_at IS NOT NULL", []),
                StatusKind::Activated => {
                    plan.and("c.activated_at IS NOT NULL AND c.archived_at IS NULL", []);
                }
                StatusKind::Provisioned => {
                    plan.and(&format!("c.open_until IS NULL AND {UNSETTLED}"), []);
                }
                StatusKind::InvitePending => plan.and(
                    &format!("c.open_until IS NOT NULL AND {UNSETTLED} AND c.open_until > ?"),
                    [now],
                ),
                StatusKind::InviteExpired => plan.and(
                    &format!("c.open_until IS NOT NULL AND {UNSETTLED} AND c.open_until <= ?"),
                    [now],
                ),
            }
        }
        if let Some(group) = &query.group {
            plan.and(
                "c.id IN (SELECT client_id FROM client_groups WHERE org = ? AND group_id = ?)",
                [text(&org.0), text(&group.0)],
            );
        }
        if let Some(program) = &query.program {
            plan.and(
                "c.id IN (SELECT client_id FROM client_programs
                          WHERE org = ? AND program_id = ?)",
                [text(&org.0), text(&program.0)],
            );
        }
        if let Some(staff) = &query.staff {
            plan.and("c.assigned_staff = ?", [text(&staff.0)]);
        }
        if let Some(key) = search {
            plan.and("instr(c.search_text, ?) > 0", [Value::Text(key)]);
        }
        if query.never_invited {
            // Summary::never_invited.
            plan.and(
                "c.email_key IS NOT NULL AND c.first_sent_at IS NULL
                 AND c.activated_at IS NULL AND c.archived_at IS NULL",
                [],
            );
        }
        plan
    }

    fn and<const N: usize>(&mut self, sql: &str, params: [Value; N]) {
        self.sql.push_str(" AND ");
        self.sql.push_str(sql);
        self.params.extend(params);
    }
}

fn text(value: &str) -> Value {
    Value::Text(value.to_owned())
}

pub(crate) fn list_clients(
    conn: &Connection,
    org: &OrgId,
    query: &ClientQuery,
) -> Result<ClientPage, Error> {
    let plan = Plan::new(org, query);
    let since = query
        .new_since
        .map_or(Value::Null, |t| Value::Integer(bound(t)));
    let offset = usize::try_from(query.offset).unwrap_or(usize::MAX);
    if plan.scans {
        return list_in_one_pass(conn, org, &plan, &since, offset, query.limit);
    }
    let counts = format!(
        "SELECT count(*), count(*) FILTER (WHERE c.created_at >= ?),
             count(*) FILTER (WHERE c.activated_at IS NOT NULL AND c.archived_at IS NULL)
         FROM {} WHERE {}",
        plan.from, plan.sql
    );
    let (total, new, activated) = conn
        .prepare_cached(&counts)
        .db()?
        .query_row(
            params_from_iter(std::iter::once(&since).chain(&plan.params)),
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, i64>(2)?,
                ))
            },
        )
        .db()?;
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    let mut page = ClientPage {
        records: Vec::new(),
        total: count(total),
        new: count(new),
        activated: count(activated),
    };
    if query.limit == Some(0) || query.offset >= page.total {
        return Ok(page);
    }
    let limit = Value::Integer(
        query
            .limit
            .map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX)),
    );
    let offset = Value::Integer(i64::try_from(query.offset).unwrap_or(i64::MAX));
    // SQLite walks the index in list order and stops after the page (or, for group and
    // program members, keeps the best `offset + limit` matches in a sorter).
    let sql = format!(
        "SELECT {} FROM {} WHERE {} ORDER BY c.created_at, c.id LIMIT ? OFFSET ?",
        client_columns(),
        plan.from,
        plan.sql
    );
    let expected = page.total.saturating_sub(query.offset);
    let expected = usize::try_from(expected)
        .unwrap_or(usize::MAX)
        .min(query.limit.unwrap_or(usize::MAX));
    page.records = query_records(
        conn,
        org,
        &sql,
        params_from_iter(plan.params.iter().chain([&limit, &offset])),
        expected,
    )?;
    Ok(page)
}

/// A list whose filters read the search text: one pass over the organization's range of the
/// text index counts the matches and keeps the page's `(created_at, id)` keys, the smallest
/// `offset + limit`; then the page's rows are read by rowid.
fn list_in_one_pass(
    conn: &Connection,
    org: &OrgId,
    plan: &Plan,
    since: &Value,
    offset: usize,
    limit: Option<usize>,
) -> Result<ClientPage, Error> {
    let keep = limit.map_or(usize::MAX, |limit| offset.saturating_add(limit));
    let sql = format!(
        "SELECT c.rowid, c.created_at, c.id, c.created_at >= ?,
             c.activated_at IS NOT NULL AND c.archived_at IS NULL
         FROM {} WHERE {}",
        plan.from, plan.sql
    );
    let mut statement = conn.prepare_cached(&sql).db()?;
    let mut rows = statement
        .query(params_from_iter(std::iter::once(since).chain(&plan.params)))
        .db()?;
    let mut page = ClientPage {
        records: Vec::new(),
        total: 0,
        new: 0,
        activated: 0,
    };
    // The best `keep` keys so far, the worst on top.
    let mut best: BinaryHeap<(i64, String, i64)> = BinaryHeap::new();
    while let Some(row) = rows.next().db()? {
        page.total += 1;
        // NULL without `new_since`.
        page.new += u64::from(row.get::<_, Option<bool>>(3).db()?.unwrap_or(false));
        page.activated += u64::from(row.get::<_, bool>(4).db()?);
        if keep == 0 {
            continue;
        }
        let created_at: i64 = row.get(1).db()?;
        let id = row
            .get_ref(2)
            .db()?
            .as_str()
            .map_err(|e| storage(e.to_string()))?;
        if best.len() == keep {
            match best.peek() {
                Some((worst_at, worst_id, _))
                    if (created_at, id) < (*worst_at, worst_id.as_str()) =>
                {
                    best.pop();
                }
                _ => continue,
            }
        }
        best.push((created_at, id.to_owned(), row.get(0).db()?));
    }
    drop(rows);
    let rowids: Vec<i64> = best
        .into_sorted_vec()
        .into_iter()
        .skip(offset)
        .map(|(_, _, rowid)| rowid)
        .collect();
    if rowids.is_empty() {
        return Ok(page);
    }
    let sql = format!(
        "SELECT {} FROM clients c WHERE c.rowid IN (SELECT value FROM json_each(?1))
         ORDER BY c.created_at, c.id",
        client_columns()
    );
    let list = codec::json(&rowids)?;
    page.records = query_records(conn, org, &sql, [list], rowids.len())?;
    Ok(page)
}

pub(crate) fn groups(conn: &Connection, org: &OrgId) -> Result<Vec<Group>, Error> {
    let mut statement = conn
        .prepare_cached(&format!(
            "SELECT {} FROM \"groups\" WHERE org = ?1 ORDER BY name, id",
            codec::GROUP_COLUMNS
        ))
        .db()?;
    let rows = statement.query_map([org.as_str()], codec::group).db()?;
    rows.collect::<rusqlite::Result<_>>().db()
}

pub(crate) fn programs(conn: &Connection, org: &OrgId) -> Result<Vec<Program>, Error> {
    let mut statement = conn
        .prepare_cached(&format!(
            "SELECT {} FROM programs WHERE org = ?1 ORDER BY name, id",
            codec::PROGRAM_COLUMNS
        ))
        .db()?;
    let rows = statement.query_map([org.as_str()], codec::program).db()?;
    rows.collect::<rusqlite::Result<_>>().db()
}

pub(crate) fn signup_links(conn: &Connection, org: &OrgId) -> Result<Vec<SignupLink>, Error> {
    let mut statement = conn
        .prepare_cached(&format!(
            "SELECT {} FROM signup_links WHERE org = ?1 ORDER BY created_at, id",
            codec::SIGNUP_LINK_COLUMNS
        ))
        .db()?;
    let rows = statement
        .query_map([org.as_str()], codec::signup_link)
        .db()?;
    rows.collect::<rusqlite::Result<_>>().db()
}

pub(crate) fn signup_link_by_token(
    conn: &Connection,
    token: &TokenHash,
) -> Result<Option<SignupLink>, Error> {
    conn.prepare_cached(&format!(
        "SELECT {} FROM signup_links WHERE token_hash = ?1",
        codec::SIGNUP_LINK_COLUMNS
    ))
    .db()?
    .query_row([&token.0[..]], codec::signup_link)
    .optional()
    .db()
}

pub(crate) fn events(
    conn: &Connection,
    org: &OrgId,
    skip: u64,
    limit: usize,
) -> Result<Vec<Event>, Error> {
    let mut statement = conn
        .prepare_cached("SELECT body FROM events WHERE org = ?1 ORDER BY seq LIMIT ?2 OFFSET ?3")
        .db()?;
    let rows = statement
        .query_map(
            params![
                org.as_str(),
                i64::try_from(limit).unwrap_or(i64::MAX),
                i64::try_from(skip).unwrap_or(i64::MAX)
            ],
            codec::event,
        )
        .db()?;
    rows.collect::<rusqlite::Result<_>>().db()
}

pub(crate) fn messages(
    conn: &Connection,
    org: &OrgId,
    state: Option<DeliveryState>,
    limit: usize,
) -> Result<Vec<OutboxMessage>, Error> {
    let mut statement = conn
        .prepare_cached(&format!(
            "SELECT {} FROM outbox WHERE org = ?1 AND (?2 IS NULL OR state = ?2)
             ORDER BY seq LIMIT ?3",
            codec::MESSAGE_COLUMNS
        ))
        .db()?;
    let rows = statement
        .query_map(
            params![
                org.as_str(),
                state.map(DeliveryState::as_str),
                i64::try_from(limit).unwrap_or(i64::MAX)
            ],
            codec::message,
        )
        .db()?;
    rows.collect::<rusqlite::Result<_>>().db()
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone as _, Utc};
    use invitekit::lifecycle::ClientRecord;
    use invitekit::model::{
        Client, ClientId, Email, GroupId, Invitation, InvitationId, OrgId, Organization, ProgramId,
        Role,
    };
    use invitekit::store::{Change, ClientQuery, MemoryStore, Store};
    use invitekit::token::TokenHash;

    use crate::SqliteStore;

    /// Pages larger than [`super::BULK`] read invitations, groups and programs by one pass over
    /// the organization's rows: they must find what look-ups find, and nothing of another
    /// organization that uses the same client ids.
    #[test]
    fn bulk_reads_match_look_ups_and_the_reference() {
        let t0 = Utc
            .with_ymd_and_hms(2026, 11, 21, 9, 0, 0)
            .single()
            .unwrap_or_else(|| panic!("instant"));
        let sqlite = SqliteStore::open_in_memory().unwrap_or_else(|e| panic!("open: {e}"));
        let memory = MemoryStore::new();
        let mut changes = Vec::new();
        for (o, org) in ["acme", "globex"].into_iter().enumerate() {
            changes.push(Change::InsertOrganization(Organization::new(
                OrgId::new(org),
                org,
                t0,
            )));
            for n in 0..60u8 {
                let address = format!("c{n}@example.com");
                let mut client = Client::new(
                    ClientId::new(format!("c{n:02}")),
                    OrgId::new(org),
                    Some(Email {
                        key: address.clone(),
                        address,
                    }),
                    Role::Client,
                    t0 + Duration::minutes(i64::from(n / 2)),
                );
                for g in 0..(n + o as u8) % 3 {
                    client.groups.push(GroupId::new(format!("g{org}{g}")));
                }
                if n % 4 == o as u8 {
                    client.programs.push(ProgramId::new(format!("p{org}")));
                }
                let invitations = (0..(n + o as u8) % 3)
                    .map(|k| Invitation {
                        id: InvitationId::new(format!("i{k}")),
                        org: OrgId::new(org),
                        client: client.id.clone(),
                        token_hash: TokenHash([
                            o as u8, n, k, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                            0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                        ]),
                        sent_by: None,
                        sent_at: t0 + Duration::hours(i64::from(k)),
                        expires_at: t0 + Duration::days(14),
                        revoked_at: None,
                        accepted_at: None,
                        retired_at: None,
                    })
                    .collect();
                changes.push(Change::InsertClient(ClientRecord {
                    client,
                    invitations,
                }));
            }
        }
        sqlite
            .apply(&changes)
            .unwrap_or_else(|e| panic!("sqlite: {e}"));
        memory
            .apply(&changes)
            .unwrap_or_else(|e| panic!("memory: {e}"));
        for org in [OrgId::new("acme"), OrgId::new("globex")] {
            for (offset, limit) in [(0, None), (3, Some(5)), (10, Some(40))] {
                let query = ClientQuery {
                    offset,
                    limit,
                    ..ClientQuery::all(t0)
                };
                assert_eq!(
                    sqlite.list_clients(&org, &query).ok(),
                    memory.list_clients(&org, &query).ok(),
                    "{org} {offset} {limit:?}"
                );
            }
            let ids: Vec<ClientId> = (0..60).map(|n| ClientId::new(format!("c{n:02}"))).collect();
            let sorted = |mut records: Vec<ClientRecord>| {
                records.sort_by(|a, b| a.client.id.cmp(&b.client.id));
                records
            };
            assert_eq!(
                sqlite.clients(&org, &ids).map(sorted).ok(),
                memory.clients(&org, &ids).map(sorted).ok()
            );
        }
    }
}

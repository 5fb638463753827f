//! Reads: whole client records (with their invitations, read in one statement per page), the
//! client list, and the other records.

use std::collections::HashMap;

use invitekit::lifecycle::{ClientRecord, StatusKind};
use invitekit::mailer::{DeliveryState, OutboxMessage};
use invitekit::model::{
    ClientId, Event, Group, Invitation, OrgId, Organization, Program, SignupLink,
};
use invitekit::store::{ClientPage, ClientQuery, search_key};
use invitekit::token::TokenHash;
use postgres::types::{ToSql, Type};
use postgres::{GenericClient, Row};

use crate::codec::{self, CLIENT_COLUMNS, Db as _, Fail, bound};
use crate::pool::Db;

pub(crate) fn organization_exists<C: GenericClient>(
    db: &mut Db<'_, C>,
    org: &OrgId,
) -> Result<bool, Fail> {
    Ok(db
        .query_opt(
            "SELECT 1 FROM organizations WHERE id = $1",
            &[&org.as_str()],
        )
        .db()?
        .is_some())
}

pub(crate) fn organization<C: GenericClient>(
    db: &mut Db<'_, C>,
    id: &OrgId,
) -> Result<Option<Organization>, Fail> {
    let sql = format!(
        "SELECT {} FROM organizations WHERE id = $1",
        codec::ORGANIZATION_COLUMNS
    );
    match db.query_opt(&sql, &[&id.as_str()]).db()? {
        Some(row) => Ok(Some(codec::organization(&row)?)),
        None => Ok(None),
    }
}

/// The records of the client rows `rows` (selected with [`CLIENT_COLUMNS`]), in their order,
/// made whole with their invitations, read with one statement.
pub(crate) fn records<C: GenericClient>(
    db: &mut Db<'_, C>,
    org: &OrgId,
    rows: &[Row],
) -> Result<Vec<ClientRecord>, Fail> {
    let mut records = Vec::with_capacity(rows.len());
    let mut invited: Vec<&str> = Vec::new();
    for row in rows {
        let client = codec::client(row)?;
        if codec::invited(row)? {
            invited.push(codec::text(row, 1)?);
        }
        records.push(ClientRecord {
            client,
            invitations: Vec::new(),
        });
    }
    if invited.is_empty() {
        return Ok(records);
    }
    let position: HashMap<&str, usize> = records
        .iter()
        .enumerate()
        .map(|(i, r)| (r.client.id.as_str(), i))
        .collect();
    let sql = format!(
        "SELECT {} FROM invitations i WHERE i.org = $1 AND i.client_id = ANY($2)
         ORDER BY i.client_id, i.sent_at, i.seq",
        codec::INVITATION_COLUMNS
    );
    let invitations = db.query(&sql, &[&org.as_str(), &invited]).db()?;
    let mut found: Vec<(usize, Invitation)> = Vec::with_capacity(invitations.len());
    for row in &invitations {
        if let Some(&i) = position.get(codec::text(row, 0)?) {
            found.push((i, codec::invitation(row, 0, org)?));
        }
    }
    for (i, invitation) in found {
        records[i].invitations.push(invitation);
    }
    Ok(records)
}

pub(crate) fn client<C: GenericClient>(
    db: &mut Db<'_, C>,
    org: &OrgId,
    id: &ClientId,
) -> Result<Option<ClientRecord>, Fail> {
    let sql = format!("SELECT {CLIENT_COLUMNS} FROM clients c WHERE c.org = $1 AND c.id = $2");
    let rows = db.query(&sql, &[&org.as_str(), &id.as_str()]).db()?;
    Ok(records(db, org, &rows)?.into_iter().next())
}

pub(crate) fn clients<C: GenericClient>(
    db: &mut Db<'_, C>,
    org: &OrgId,
    ids: &[ClientId],
) -> Result<Vec<ClientRecord>, Fail> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!("SELECT {CLIENT_COLUMNS} FROM clients c WHERE c.org = $1 AND c.id = ANY($2)");
    let ids: Vec<&str> = ids.iter().map(ClientId::as_str).collect();
    let rows = db.query(&sql, &[&org.as_str(), &ids]).db()?;
    records(db, org, &rows)
}

pub(crate) fn clients_by_key<C: GenericClient>(
    db: &mut Db<'_, C>,
    org: &OrgId,
    keys: &[String],
) -> Result<Vec<ClientRecord>, Fail> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {CLIENT_COLUMNS} FROM clients c WHERE c.org = $1 AND c.email_key = ANY($2)"
    );
    let rows = db.query(&sql, &[&org.as_str(), &keys]).db()?;
    records(db, org, &rows)
}

pub(crate) fn client_by_invitation<C: GenericClient>(
    db: &mut Db<'_, C>,
    token: &TokenHash,
) -> Result<Option<ClientRecord>, Fail> {
    let sql = format!(
        "SELECT {CLIENT_COLUMNS} FROM invitations i
         JOIN clients c ON c.org = i.org AND c.id = i.client_id
         WHERE i.token_hash = $1"
    );
    let rows = db.query(&sql, &[&&token.0[..]]).db()?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let org = OrgId(codec::text(row, 0)?.to_owned());
    Ok(records(db, &org, &rows)?.into_iter().next())
}

/// A parameter of a statement built from a query's filters.
enum Param {
    Text(String),
    Int(i64),
    OptInt(Option<i64>),
}

impl Param {
    fn typed(&self) -> (&(dyn ToSql + Sync), Type) {
        match self {
            Param::Text(value) => (value, Type::TEXT),
            Param::Int(value) => (value, Type::INT8),
            Param::OptInt(value) => (value, Type::INT8),
        }
    }
}

/// The `WHERE` clause of a client list query on `clients c`, and its parameters. PostgreSQL's
/// planner picks the index (each filter has one it can use; see the schema); the statement is
/// planned for its parameters, since one organization may hold most of the table.
struct Plan {
    sql: String,
    params: Vec<Param>,
}

impl Plan {
    fn new(org: &OrgId, query: &ClientQuery) -> Plan {
        let mut plan = Plan {
            sql: String::new(),
            params: Vec::new(),
        };
        plan.sql = format!("c.org = {}", plan.param(Param::Text(org.0.clone())));
        if let Some(role) = query.role {
            let p = plan.param(Param::Text(role.as_str().to_owned()));
            plan.and(&format!("c.role = {p}"));
        }
        if let Some(status) = query.status {
            // Summary::status_kind on the stored instants.
            const UNSETTLED: &str = "c.activated_at IS NULL AND c.archived_at IS NULL";
            match status {
                StatusKind::Archived => plan.and("c.archived_at IS NOT NULL"),
                StatusKind::Activated => {
                    plan.and("c.activated_at IS NOT NULL AND c.archived_at IS NULL");
                }
                StatusKind::Provisioned => {
                    plan.and(&format!("c.open_until IS NULL AND {UNSETTLED}"));
                }
                StatusKind::InvitePending => {
                    let now = plan.param(Param::Int(bound(query.now)));
                    plan.and(&format!(
                        "c.open_until IS NOT NULL AND {UNSETTLED} AND c.open_until > {now}"
                    ));
                }
                StatusKind::InviteExpired => {
                    let now = plan.param(Param::Int(bound(query.now)));
                    plan.and(&format!(
                        "c.open_until IS NOT NULL AND {UNSETTLED} AND c.open_until <= {now}"
                    ));
                }
            }
        }
        if let Some(group) = &query.group {
            let p = plan.param(Param::Text(group.0.clone()));
            plan.and(&format!("c.group_ids @> ARRAY[{p}]"));
        }
        if let Some(program) = &query.program {
            let p = plan.param(Param::Text(program.0.clone()));
            plan.and(&format!("c.program_ids @> ARRAY[{p}]"));
        }
        if let Some(staff) = &query.staff {
            let p = plan.param(Param::Text(staff.0.clone()));
            plan.and(&format!("c.assigned_staff = {p}"));
        }
        if let Some(key) = query
            .search
            .as_deref()
            .map(search_key)
            .filter(|key| !key.is_empty())
        {
            let p = plan.param(Param::Text(key));
            plan.and(&format!("strpos(c.search_text, {p}) > 0"));
        }
        if query.never_invited {
            // Summary::never_invited.
            plan.and(
                "c.email_key IS NOT NULL AND c.first_sent_at IS NULL
                 AND c.activated_at IS NULL AND c.archived_at IS NULL",
            );
        }
        plan
    }

    /// Adds a parameter, returning its placeholder.
    fn param(&mut self, param: Param) -> String {
        self.params.push(param);
        format!("${}", self.params.len())
    }

    fn and(&mut self, sql: &str) {
        self.sql.push_str(" AND ");
        self.sql.push_str(sql);
    }

    fn typed(&self) -> Vec<(&(dyn ToSql + Sync), Type)> {
        self.params.iter().map(Param::typed).collect()
    }
}

pub(crate) fn list_clients<C: GenericClient>(
    db: &mut Db<'_, C>,
    org: &OrgId,
    query: &ClientQuery,
) -> Result<ClientPage, Fail> {
    let mut plan = Plan::new(org, query);
    let new = match query.new_since {
        Some(since) => {
            let p = plan.param(Param::Int(bound(since)));
            format!("count(*) FILTER (WHERE c.created_at >= {p})")
        }
        None => "0::bigint".to_owned(),
    };
    let counts = format!(
        "SELECT count(*), {new},
             count(*) FILTER (WHERE c.activated_at IS NOT NULL AND c.archived_at IS NULL)
         FROM clients c WHERE {}",
        plan.sql
    );
    let rows = db.query_typed(&counts, &plan.typed()).db()?;
    let row = rows
        .first()
        .ok_or_else(|| codec::storage("a count returned no row"))?;
    let count =
        |i: usize| -> Result<u64, Fail> { Ok(u64::try_from(codec::int(row, i)?).unwrap_or(0)) };
    let mut page = ClientPage {
        records: Vec::new(),
        total: count(0)?,
        new: count(1)?,
        activated: count(2)?,
    };
    if query.limit == Some(0) || query.offset >= page.total {
        return Ok(page);
    }
    let limit = plan.param(Param::OptInt(
        query.limit.map(|n| i64::try_from(n).unwrap_or(i64::MAX)),
    ));
    let offset = plan.param(Param::Int(i64::try_from(query.offset).unwrap_or(i64::MAX)));
    let sql = format!(
        "SELECT {CLIENT_COLUMNS} FROM clients c WHERE {}
         ORDER BY c.created_at, c.id LIMIT {limit} OFFSET {offset}",
        plan.sql
    );
    let rows = db.query_typed(&sql, &plan.typed()).db()?;
    page.records = records(db, org, &rows)?;
    Ok(page)
}

pub(crate) fn groups<C: GenericClient>(
    db: &mut Db<'_, C>,
    org: &OrgId,
) -> Result<Vec<Group>, Fail> {
    let sql = format!(
        "SELECT {} FROM groups WHERE org = $1 ORDER BY name, id",
        codec::GROUP_COLUMNS
    );
    let rows = db.query(&sql, &[&org.as_str()]).db()?;
    Ok(rows.iter().map(codec::group).collect::<Result<_, _>>()?)
}

pub(crate) fn programs<C: GenericClient>(
    db: &mut Db<'_, C>,
    org: &OrgId,
) -> Result<Vec<Program>, Fail> {
    let sql = format!(
        "SELECT {} FROM programs WHERE org = $1 ORDER BY name, id",
        codec::PROGRAM_COLUMNS
    );
    let rows = db.query(&sql, &[&org.as_str()]).db()?;
    Ok(rows.iter().map(codec::program).collect::<Result<_, _>>()?)
}

pub(crate) fn signup_links<C: GenericClient>(
    db: &mut Db<'_, C>,
    org: &OrgId,
) -> Result<Vec<SignupLink>, Fail> {
    let sql = format!(
        "SELECT {} FROM signup_links WHERE org = $1 ORDER BY created_at, id",
        codec::SIGNUP_LINK_COLUMNS
    );
    let rows = db.query(&sql, &[&org.as_str()]).db()?;
    Ok(rows
        .iter()
        .map(codec::signup_link)
        .collect::<Result<_, _>>()?)
}

pub(crate) fn signup_link_by_token<C: GenericClient>(
    db: &mut Db<'_, C>,
    token: &TokenHash,
) -> Result<Option<SignupLink>, Fail> {
    let sql = format!(
        "SELECT {} FROM signup_links WHERE token_hash = $1",
        codec::SIGNUP_LINK_COLUMNS
    );
    match db.query_opt(&sql, &[&&token.0[..]]).db()? {
        Some(row) => Ok(Some(codec::signup_link(&row)?)),
        None => Ok(None),
    }
}

pub(crate) fn events<C: GenericClient>(
    db: &mut Db<'_, C>,
    org: &OrgId,
    skip: u64,
    limit: usize,
) -> Result<Vec<Event>, Fail> {
    let rows = db
        .query(
            "SELECT body::text FROM events WHERE org = $1 ORDER BY seq LIMIT $2 OFFSET $3",
            &[
                &org.as_str(),
                &i64::try_from(limit).unwrap_or(i64::MAX),
                &i64::try_from(skip).unwrap_or(i64::MAX),
            ],
        )
        .db()?;
    Ok(rows.iter().map(codec::event).collect::<Result<_, _>>()?)
}

pub(crate) fn messages<C: GenericClient>(
    db: &mut Db<'_, C>,
    org: &OrgId,
    state: Option<DeliveryState>,
    limit: usize,
) -> Result<Vec<OutboxMessage>, Fail> {
    let sql = format!(
        "SELECT {} FROM outbox WHERE org = $1 AND ($2::text IS NULL OR state = $2)
         ORDER BY seq LIMIT $3",
        codec::MESSAGE_COLUMNS
    );
    let rows = db
        .query(
            &sql,
            &[
                &org.as_str(),
                &state.map(DeliveryState::as_str),
                &i64::try_from(limit).unwrap_or(i64::MAX),
            ],
        )
        .db()?;
    Ok(rows.iter().map(codec::message).collect::<Result<_, _>>()?)
}

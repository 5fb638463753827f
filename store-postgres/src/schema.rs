//! The schema: migrations applied in order, tracked in the table `invitekit_schema`.

use invitekit::Error;
use postgres::Client;

use crate::codec::{describe, storage};

/// The first key of the advisory lock that serializes migrations ("IKT1"); the second is a
/// hash of the schema migrated, so that stores in different schemas do not wait for each other.
const LOCK_KEY: i32 = 0x494B_5431;

/// The migrations, in order: migration `i` takes a schema from version `i` to `i + 1`. Never
/// edit one that has shipped; add the next.
///
/// Conventions (those of the SQLite store): instants are `bigint` nanoseconds since the Unix
/// epoch (UTC), so they read back to the nanosecond; an absent instant or value is NULL; a
/// token hash is a 32-byte `bytea`; lists are `text[]`; the accepting identity and events are
/// `jsonb`. Identifiers and names that lists are ordered by are `COLLATE "C"`, so they sort by
/// their bytes (as Rust strings do), whatever the database's collation.
/// `clients.first_sent_at`, `clients.open_until` and `clients.search_text` are derived
/// (`Summary::of` and `search_text` of the record) and rewritten with every change to the
/// client.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r#"
CREATE TABLE organizations (
    id            text COLLATE "C" NOT NULL PRIMARY KEY,
    name          text NOT NULL,
    expiry_days   integer NOT NULL,
    time_zone     text NOT NULL,
    email_binding text NOT NULL,
    accept_url    text NOT NULL,
    created_at    bigint NOT NULL
);

-- High-volume tables (clients, invitations, events) have no foreign keys: the store checks
-- that the organization exists in the transaction that writes them (organizations are never
-- deleted), and writes invitations only with their client; per-row foreign key checks would
-- double the cost of a bulk insertion.
CREATE TABLE clients (
    org            text COLLATE "C" NOT NULL,
    id             text COLLATE "C" NOT NULL,
    email_address  text,
    email_key      text COLLATE "C",
    name           text,
    role           text NOT NULL,
    -- Group and program ids, in the record's order.
    group_ids      text[] NOT NULL,
    program_ids    text[] NOT NULL,
    assigned_staff text COLLATE "C",
    company        text,
    guest_of       text,
    -- NULL: the organization owns the record; else the owning member's client id.
    owner          text,
    created_by     text,
    created_at     bigint NOT NULL,
    activated_at   bigint,
    -- The Identity that accepted.
    activated_by   jsonb,
    last_seen_at   bigint,
    archived_at    bigint,
    version        bigint NOT NULL,
    -- Derived from the invitations (Summary::of) and the client (search_text).
    first_sent_at  bigint,
    open_until     bigint,
    search_text    text NOT NULL,
    PRIMARY KEY (org, id),
    -- One client per address in an organization (clients without an address: any number).
    CONSTRAINT clients_email_key_unique UNIQUE (org, email_key)
);
-- The client list reads these indexes: each holds an organization's clients in list order
-- (created_at, id) with the columns the filters and the counts read, so that a page is the
-- first entries of a range and the counts an index-only scan of it.
CREATE INDEX clients_by_created ON clients (org, created_at, id)
    INCLUDE (role, archived_at, activated_at, open_until);
CREATE INDEX clients_by_role ON clients (org, role, created_at, id)
    INCLUDE (archived_at, activated_at, open_until);
CREATE INDEX clients_by_staff ON clients (org, assigned_staff, created_at, id)
    INCLUDE (role, archived_at, activated_at, open_until)
    WHERE assigned_staff IS NOT NULL;
-- Summary::never_invited: the never-invited report.
CREATE INDEX clients_never_invited ON clients (org, created_at, id)
    INCLUDE (role, archived_at, activated_at, open_until)
    WHERE email_key IS NOT NULL AND first_sent_at IS NULL AND activated_at IS NULL
        AND archived_at IS NULL;
-- Invited with an open invitation, neither activated nor archived: pending or expired.
CREATE INDEX clients_invited_open ON clients (org, created_at, id)
    INCLUDE (role, archived_at, activated_at, open_until)
    WHERE open_until IS NOT NULL AND activated_at IS NULL AND archived_at IS NULL;
-- Group and program members (`group_ids @> ARRAY[$g]`).
CREATE INDEX clients_by_group ON clients USING gin (group_ids);
CREATE INDEX clients_by_program ON clients USING gin (program_ids);

CREATE TABLE invitations (
    -- Insertion order, which orders invitations sent at the same instant.
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org         text COLLATE "C" NOT NULL,
    client_id   text COLLATE "C" NOT NULL,
    id          text COLLATE "C" NOT NULL,
    token_hash  bytea NOT NULL,
    sent_by     text,
    sent_at     bigint NOT NULL,
    expires_at  bigint NOT NULL,
    revoked_at  bigint,
    accepted_at bigint,
    retired_at  bigint,
    CONSTRAINT invitations_token_unique UNIQUE (token_hash),
    CONSTRAINT invitations_id_unique UNIQUE (org, client_id, id)
);

CREATE TABLE groups (
    org        text COLLATE "C" NOT NULL REFERENCES organizations (id),
    id         text COLLATE "C" NOT NULL,
    name       text COLLATE "C" NOT NULL,
    -- policy::name_key of the name: unique in the organization.
    name_key   text NOT NULL,
    co_owners  text[] NOT NULL,
    created_at bigint NOT NULL,
    PRIMARY KEY (org, id),
    CONSTRAINT groups_name_unique UNIQUE (org, name_key)
);

CREATE TABLE programs (
    org  text COLLATE "C" NOT NULL REFERENCES organizations (id),
    id   text COLLATE "C" NOT NULL,
    name text COLLATE "C" NOT NULL,
    PRIMARY KEY (org, id)
);

CREATE TABLE signup_links (
    org             text COLLATE "C" NOT NULL REFERENCES organizations (id),
    id              text COLLATE "C" NOT NULL,
    token_hash      bytea NOT NULL,
    role            text NOT NULL,
    max_uses        bigint,
    uses            bigint NOT NULL,
    allowed_domains text[] NOT NULL,
    created_by      text,
    created_at      bigint NOT NULL,
    rotated_at      bigint,
    disabled_at     bigint,
    version         bigint NOT NULL,
    PRIMARY KEY (org, id),
    CONSTRAINT signup_links_token_unique UNIQUE (token_hash)
);

CREATE TABLE events (
    seq  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org  text COLLATE "C" NOT NULL,
    at   bigint NOT NULL,
    -- The Event.
    body jsonb NOT NULL
);
CREATE INDEX events_by_org ON events (org, seq);

CREATE TABLE outbox (
    seq           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id            text COLLATE "C" NOT NULL,
    org           text COLLATE "C" NOT NULL,
    client_id     text NOT NULL,
    invitation_id text,
    to_address    text NOT NULL,
    to_name       text,
    subject       text NOT NULL,
    text          text NOT NULL,
    html          text NOT NULL,
    state         text NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
    attempts      bigint NOT NULL,
    created_at    bigint NOT NULL,
    sent_at       bigint,
    last_error    text,
    claimed_until bigint,
    CONSTRAINT outbox_id_unique UNIQUE (id)
);
-- Claims walk the messages not yet sent, oldest first, never the (many) sent ones.
CREATE INDEX outbox_unsent ON outbox (seq) WHERE state <> 'sent';
CREATE INDEX outbox_by_org ON outbox (org, seq);
"#,
];

/// The schema version this crate writes: the number of migrations.
pub(crate) const VERSION: i32 = MIGRATIONS.len() as i32;

/// Brings the schema (the first of the connection's `search_path`, created if `create` names
/// it) to [`VERSION`], applying the missing migrations in one transaction under an advisory
/// lock, so that stores connecting at once migrate it once.
///
/// # Errors
///
/// `StorageFailed` when the schema was written by a newer version of this crate, a migration
/// fails (nothing of it is kept then, as PostgreSQL's DDL is transactional), or the database
/// cannot be reached.
pub(crate) fn migrate(client: &mut Client, create: Option<&str>) -> Result<(), Error> {
    migrate_with(client, create, MIGRATIONS)
}

fn db(what: &str) -> impl Fn(postgres::Error) -> Error + '_ {
    move |e| storage(format!("{what}: {}", describe(&e)))
}

/// [`migrate`] with these migrations.
pub(crate) fn migrate_with(
    client: &mut Client,
    create: Option<&str>,
    migrations: &[&str],
) -> Result<(), Error> {
    let latest = i32::try_from(migrations.len()).unwrap_or(i32::MAX);
    // The common case, a schema already up to date, takes no lock.
    if let Some(version) = current(client)?
        && check(version, latest)? == latest
    {
        return Ok(());
    }
    let mut tx = client
        .transaction()
        .map_err(db("cannot begin the migration"))?;
    let schema_key = create.unwrap_or("");
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext($2))",
        &[&LOCK_KEY, &schema_key],
    )
    .map_err(db("cannot lock the schema for migration"))?;
    if let Some(schema) = create {
        tx.batch_execute(&format!(
            "CREATE SCHEMA IF NOT EXISTS {}",
            quote_ident(schema)
        ))
        .map_err(db("cannot create the schema"))?;
    }
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS invitekit_schema (
             singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
             version     integer NOT NULL,
             migrated_at timestamptz NOT NULL DEFAULT now()
         )",
    )
    .map_err(db("cannot create the table invitekit_schema"))?;
    // Another store may have migrated it meanwhile.
    let version: i32 = match tx
        .query_opt("SELECT version FROM invitekit_schema", &[])
        .map_err(db("cannot read the schema version"))?
    {
        Some(row) => row
            .try_get(0)
            .map_err(db("cannot read the schema version"))?,
        None => {
            tx.execute("INSERT INTO invitekit_schema (version) VALUES (0)", &[])
                .map_err(db("cannot record the schema version"))?;
            0
        }
    };
    let from = usize::try_from(check(version, latest)?).unwrap_or(usize::MAX);
    for (index, sql) in migrations.iter().enumerate().skip(from) {
        tx.batch_execute(sql).map_err(|e| {
            storage(format!(
                "schema migration {} failed: {}",
                index + 1,
                describe(&e)
            ))
        })?;
    }
    tx.execute(
        "UPDATE invitekit_schema SET version = $1, migrated_at = now()",
        &[&latest],
    )
    .map_err(db("cannot record the schema version"))?;
    tx.commit().map_err(db("cannot commit the migration"))
}

/// The schema's version, or `None` when it has no `invitekit_schema` table (or no row in it).
pub(crate) fn current(client: &mut Client) -> Result<Option<i32>, Error> {
    let row = client
        .query_one("SELECT to_regclass('invitekit_schema') IS NOT NULL", &[])
        .map_err(db("cannot read the schema version"))?;
    let exists: bool = row
        .try_get(0)
        .map_err(db("cannot read the schema version"))?;
    if !exists {
        return Ok(None);
    }
    client
        .query_opt("SELECT version FROM invitekit_schema", &[])
        .map_err(db("cannot read the schema version"))?
        .map(|row| row.try_get(0))
        .transpose()
        .map_err(db("cannot read the schema version"))
}

/// `version`, checked to be one this crate can migrate from (at most `latest`).
fn check(version: i32, latest: i32) -> Result<i32, Error> {
    if !(0..=latest).contains(&version) {
        return Err(storage(format!(
            "the database has schema version {version}, and invitekit-postgres {} knows \
             versions up to {latest}: open it with a newer invitekit-postgres",
            env!("CARGO_PKG_VERSION")
        )));
    }
    Ok(version)
}

/// `name` as a quoted SQL identifier.
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

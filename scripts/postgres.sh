#!/usr/bin/env bash
# A private PostgreSQL cluster for invitekit's tests and benchmarks (store-postgres/).
#
#   eval "$(scripts/postgres.sh start)"   # installs PostgreSQL if need be, starts the cluster,
#                                         # prints `export INVITEKIT_PG_URL=...`
#   scripts/postgres.sh url               # prints the URL
#   scripts/postgres.sh status            # says whether it runs (exit 0) or not (exit 3)
#   scripts/postgres.sh stop              # stops it (the data stays for the next start)
#   scripts/postgres.sh clean             # stops it and deletes its folder
#
# The cluster lives in /tmp/invitekit-pg (INVITEKIT_PG_DIR), listens on 127.0.0.1 only, port
# 54329 (INVITEKIT_PG_PORT), trusts loopback connections (a test cluster: no password), and runs
# without fsync: a crash of the machine may lose it, which tests do not mind. It is owned by the
# `postgres` OS user when run as root (PostgreSQL refuses to run as root), else by the current
# user. Every command is idempotent. Everything but the `export` line goes to stderr, so that
# `eval "$(...)"` sees only that line.
set -euo pipefail

DIR="${INVITEKIT_PG_DIR:-/tmp/invitekit-pg}"
PORT="${INVITEKIT_PG_PORT:-54329}"
HOST=127.0.0.1
ROLE=invitekit
DB=invitekit_test
DATA="$DIR/data"
LOG="$DIR/server.log"
URL="postgres://$ROLE@$HOST:$PORT/$DB"

say() { printf 'postgres.sh: %s\n' "$*" >&2; }
die() {
    say "$*"
    exit 1
}

# The newest installed server's bin folder (Debian keeps them under /usr/lib/postgresql/N/bin).
find_bin() {
    local dir best=""
    for dir in /usr/lib/postgresql/*/bin; do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            if [ -z "$best" ] || [ "$(printf '%s\n%s\n' "$best" "$dir" | sort -V | tail -n1)" = "$dir" ]; then
                best="$dir"
            fi
        fi
    done
    if [ -z "$best" ] && command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        best="$(dirname "$(command -v pg_ctl)")"
    fi
    printf '%s' "$best"
}

install_postgres() {
    say "PostgreSQL's initdb and pg_ctl are missing: installing Debian's postgresql package"
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || die "not root and no sudo: install the postgresql package first"
        sudo=(sudo -n)
    fi
    # Debian's package would start its own cluster on port 5432 through invoke-rc.d; that does
    # not matter here (ours has its own port), and in a container without an init system it
    # does not start at all.
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
}

BIN="$(find_bin)"
need_bin() {
    if [ -z "$BIN" ]; then
        install_postgres
        BIN="$(find_bin)"
        [ -n "$BIN" ] || die "PostgreSQL was installed but initdb and pg_ctl are not found"
    fi
}

# Runs a command as the cluster's owner.
OWNER="$(id -un)"
if [ "$(id -u)" -eq 0 ]; then
    OWNER=postgres
fi
as_owner() {
    if [ "$(id -un)" = "$OWNER" ]; then
        "$@"
    elif command -v runuser >/dev/null 2>&1; then
        runuser -u "$OWNER" -- "$@"
    else
        su -s /bin/sh "$OWNER" -c "$(printf '%q ' "$@")"
    fi
}

running() {
    [ -n "$BIN" ] && [ -f "$DATA/PG_VERSION" ] && as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

psql_admin() {
    # The superuser over TCP on loopback (trusted), as whoever runs this script.
    PGCONNECT_TIMEOUT=10 psql -X -q -v ON_ERROR_STOP=1 -h "$HOST" -p "$PORT" -U postgres -d postgres "$@"
}

init_cluster() {
    if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
        useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    fi
    mkdir -p "$DIR"
    chown "$OWNER" "$DIR"
    chmod 700 "$DIR"
    if [ -f "$DATA/PG_VERSION" ]; then
        return
    fi
    # A half-made folder from an interrupted initdb is made again.
    rm -rf "$DATA"
    say "creating a cluster in $DATA"
    as_owner "$BIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C \
        --no-sync >"$DIR/initdb.log" 2>&1 || {
        cat "$DIR/initdb.log" >&2
        die "initdb failed"
    }
    # Test settings: loopback only, no durability work, room for parallel tests (each with
    # its pool) and the cross-process races; the socket in our folder (the default
    # /var/run/postgresql may not exist or be writable).
    cat >>"$DATA/postgresql.conf" <<EOF

# --- invitekit test cluster (scripts/postgres.sh) ---
listen_addresses = '$HOST'
port = $PORT
unix_socket_directories = '$DIR'
max_connections = 300
shared_buffers = 256MB
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
max_wal_size = 2GB
checkpoint_timeout = 30min
logging_collector = off
log_min_messages = warning
EOF
}

start() {
    need_bin
    if running; then
        say "already running on $HOST:$PORT ($DATA)"
    else
        init_cluster
        if (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; then
            die "port $PORT on $HOST is taken by another server: set INVITEKIT_PG_PORT"
        fi
        say "starting PostgreSQL ($("$BIN/postgres" --version 2>/dev/null || echo "$BIN")) on $HOST:$PORT"
        # pg_ctl removes a stale postmaster.pid (a cluster whose server was killed) by itself.
        as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >&2 || {
            tail -n 30 "$LOG" >&2 || true
            die "the server did not start"
        }
    fi
    # The role and the database, once.
    if [ "$(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != 1 ]; then
        say "creating role $ROLE"
        # CREATEDB: tests may make databases of their own.
        psql_admin -c "CREATE ROLE $ROLE LOGIN CREATEDB" >&2
    fi
    if [ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]; then
        say "creating database $DB"
        psql_admin -c "CREATE DATABASE $DB OWNER $ROLE" >&2
    fi
    printf 'export INVITEKIT_PG_URL=%q\n' "$URL"
}

stop() {
    if running; then
        say "stopping the server in $DATA"
        as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >&2
    else
        say "not running"
    fi
}

case "${1:-}" in
start) start ;;
stop) stop ;;
url) printf '%s\n' "$URL" ;;
status)
    if running; then
        say "running on $HOST:$PORT ($DATA)"
    else
        say "not running"
        exit 3
    fi
    ;;
clean)
    stop
    rm -rf "$DIR"
    say "removed $DIR"
    ;;
*)
    die "usage: $0 start|stop|url|status|clean"
    ;;
esac

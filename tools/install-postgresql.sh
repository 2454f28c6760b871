#!/usr/bin/env bash
# Install Debian's postgresql package when the tests will need a throwaway server of their own,
# and Debian's postgresql-client (pg_dump, pg_restore) when missing: `ivr backup` and `ivr restore`
# of a PostgreSQL database use them, and so do their tests.
#
# The PostgreSQL tests use, in this order (tests/pgserver/choice.py): the server named by
# IVR_TEST_DATABASE_URL; a server on 127.0.0.1:5432 (IVR_TEST_PG_PROBE=host:port looks elsewhere);
# else a throwaway server the test session starts with initdb/pg_ctl, which this script provides.
# Idempotent, non-interactive (CI has no stdin), and it says what it does. The mirror is the
# host's own apt configuration.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
PROBE="${IVR_TEST_PG_PROBE:-127.0.0.1:5432}"

say() { printf 'install-postgresql: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# The folder of pg_ctl: the newest Debian PostgreSQL, else one on PATH; fails when there is none.
bindir() {
    local newest
    newest=$(compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' | sort -V | tail -n1) || true
    if [ -n "$newest" ]; then
        dirname "$newest"
    elif command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v pg_ctl)"
    else
        return 1
    fi
}

# True when something accepts TCP connections on host:port (bash's /dev/tcp; no client needed).
answers() {
    local host="${1%:*}" port="${1##*:}"
    timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null
}

# pg_dump and pg_restore on PATH, installed from Debian's postgresql-client when missing.
client() {
    if command -v pg_dump >/dev/null 2>&1 && command -v pg_restore >/dev/null 2>&1; then
        say "pg_dump and pg_restore present: $(command -v pg_dump)"
        return 0
    fi
    [ "$(id -u)" -eq 0 ] || die "must run as root to install Debian's postgresql-client (pg_dump and" \
        "pg_restore, for ivr backup of a PostgreSQL database) (try: sudo $0)"
    command -v apt-get >/dev/null || die "apt-get not found: install pg_dump and pg_restore by hand"
    say "apt-get update"
    apt-get update -q </dev/null
    say "apt-get install postgresql-client"
    apt-get install -y -q --no-install-recommends postgresql-client </dev/null
}

main() {
    local named="${IVR_TEST_DATABASE_URL:-}" found
    client
    if [ -n "${named// /}" ]; then
        say "IVR_TEST_DATABASE_URL names the tests' server: no local PostgreSQL needed"
        return 0
    fi
    if found=$(bindir); then
        say "PostgreSQL binaries present: $found"
        return 0
    fi
    if answers "$PROBE"; then
        say "a server answers on $PROBE: the tests use it, no throwaway server needed"
        return 0
    fi
    say "nothing answers on $PROBE and no PostgreSQL binaries: the tests will start their own server"
    [ "$(id -u)" -eq 0 ] || die "must run as root to install Debian's postgresql package" \
        "(try: sudo $0), or set IVR_TEST_DATABASE_URL=postgresql+psycopg://user@host:port/db"
    command -v apt-get >/dev/null || die "apt-get not found: install PostgreSQL (initdb, pg_ctl) by hand"
    say "apt-get update"
    apt-get update -q </dev/null
    say "apt-get install postgresql"
    apt-get install -y -q --no-install-recommends postgresql </dev/null
    found=$(bindir) || die "postgresql installed but no pg_ctl under /usr/lib/postgresql/*/bin"
    say "ready: $found"
}

main "$@"

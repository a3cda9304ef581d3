#!/usr/bin/env bash
# The service tests (decisions, the status page, the reminder sweep, the arrivals import) once
# more through a real PgBouncer in transaction mode, configured as README.md's "Connection
# pooler" says: DB_TRANSACTION_POOLER=1, so no server-side prepared statements or cursors.
#
# Needs PostgreSQL (POOLER_UPSTREAM_HOST:POOLER_UPSTREAM_PORT, user postgres, trust) and Redis
# (CELERY_BROKER_URL). Debian's pgbouncer is installed with apt-get where missing. PgBouncer
# listens on POOLER_PORT with its configuration in a temporary folder and is stopped at the
# end; pytest-django's test databases (test_pooler_gw0, …) are made through it and dropped
# directly afterwards (dropping through it would find its own idle server connections in them).
# Extra arguments go to pytest, e.g. `bash scripts/pooler_tests.sh -x`.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${POOLER_PORT:-16432}"
UP_HOST="${POOLER_UPSTREAM_HOST:-127.0.0.1}"
UP_PORT="${POOLER_UPSTREAM_PORT:-5432}"
DB_NAME="${POOLER_DB:-pooler}"
TESTS=(
  tests/casework/test_statements.py          # decisions: the hand-built, prepared statements
  tests/casework/test_workflow.py            # every transition through the services
  tests/casework/test_concurrency.py         # two decisions at once: row locks, two sessions
  tests/api/test_transitions.py              # decisions through the API
  tests/casework/test_deadline_statements.py # deadlines' statements
  tests/casework/test_reminders.py           # the sweep
  tests/casework/test_reminders_services.py  # the sweep and a real Celery worker
  tests/status/test_lookup.py                # the status page
  tests/status/test_lookup_statement.py
  tests/status/test_waiting.py
  tests/reception/test_status_statement.py
  tests/stats/test_import_arrivals.py        # the arrivals import
)

PGBOUNCER="$(command -v pgbouncer || echo /usr/sbin/pgbouncer)"
if [ ! -x "$PGBOUNCER" ]; then
  echo "pgbouncer is missing: installing Debian's package"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null
  # Where the package started a service of its own (port 6432), only ours is wanted.
  service pgbouncer stop >/dev/null 2>&1 || true
fi
if (exec 3<>"/dev/tcp/127.0.0.1/${PORT}") 2>/dev/null; then
  echo "port ${PORT} is taken: set POOLER_PORT to a free one" >&2
  exit 1
fi
echo "$("$PGBOUNCER" --version | head -1), transaction mode, port ${PORT}"

dir="$(mktemp -d)"
# PgBouncer refuses to run as root: it then runs as PostgreSQL's system user (or nobody).
run_as=()
if [ "$(id -u)" = 0 ]; then
  user=postgres
  id "$user" >/dev/null 2>&1 || user=nobody
  run_as=(-u "$user")
  chown "$user" "$dir"
fi
chmod 755 "$dir"
cat >"$dir/pgbouncer.ini" <<INI
[databases]
; every database name (pytest-django's test_* databases too) to the same server
* = host=${UP_HOST} port=${UP_PORT}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${PORT}
unix_socket_dir =
auth_type = trust
auth_file = ${dir}/users.txt
pool_mode = transaction
max_client_conn = 200
default_pool_size = 20
logfile = ${dir}/pgbouncer.log
pidfile = ${dir}/pgbouncer.pid
INI
echo '"postgres" ""' >"$dir/users.txt"

drop_test_databases() {
  psql -h "$UP_HOST" -p "$UP_PORT" -U postgres -d postgres -Atq -c \
    "SELECT datname FROM pg_database WHERE datname LIKE 'test\\_${DB_NAME}%'" |
    while read -r db; do dropdb -h "$UP_HOST" -p "$UP_PORT" -U postgres --force "$db"; done
}
stop() {
  if [ -s "$dir/pgbouncer.pid" ]; then
    kill -TERM "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || true
    for _ in $(seq 50); do [ -e "$dir/pgbouncer.pid" ] || break; sleep 0.1; done
  fi
  drop_test_databases || true
  rm -rf "$dir"
}
trap stop EXIT

"$PGBOUNCER" -d "${run_as[@]}" "$dir/pgbouncer.ini"
for _ in $(seq 50); do
  psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -Atqc "SELECT 1" >/dev/null 2>&1 && break
  sleep 0.1
done
psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -Atqc "SELECT 1" >/dev/null || {
  cat "$dir/pgbouncer.log" >&2
  exit 1
}

started=$(date +%s)
# --reuse-db --create-db: each worker's test database is made afresh and left for
# drop_test_databases (above) to drop once PgBouncer has let go of it.
DATABASE_URL="postgres://postgres@127.0.0.1:${PORT}/${DB_NAME}" \
DB_TRANSACTION_POOLER=1 \
  bash scripts/pytest.sh --reuse-db --create-db "${TESTS[@]}" "$@"
echo "through PgBouncer: $(($(date +%s) - started)) s"

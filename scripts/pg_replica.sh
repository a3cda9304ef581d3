#!/usr/bin/env bash
# A PostgreSQL streaming replica of this machine's local cluster, for the replica tests
# (tests/replica/) and for trying DATABASE_REPLICA_URL by hand. Debian's own tools only:
#
#   scripts/pg_replica.sh up     make it (or find it already streaming), print its port
#   scripts/pg_replica.sh down   stop it and remove it (data directory and configuration),
#                                unless a test run still uses it
#
# "up" is idempotent: a replica that is already streaming is used as it is; one that is stopped
# is started; one that cannot catch up (the primary no longer has the WAL it needs) is made
# again. Making it: `pg_createcluster VERSION replica -p 5434`, its data directory replaced by
# `pg_basebackup -R -X stream` of the primary (a copy of the whole cluster: physical
# replication is all databases or none), then started as a hot standby.
#
# The primary is left as it runs. Two things about it are checked, and one is changed if needed:
# - wal_level (replica or logical) and max_wal_senders (at least 2) must already allow
#   streaming: changing them needs a restart, which this script never does to a shared server;
# - its pg_hba.conf must admit replication connections from 127.0.0.1. If it does not and it
#   already trusts 127.0.0.1 for every database, the line
#   `host replication postgres 127.0.0.1/32 trust` is added (once) and the configuration
#   reloaded (a reload keeps every session); with any other method it stops and says what to add.
# No replication slot is made: a stopped replica must never make the primary keep WAL.
#
# Needs root or the postgres user, and Debian's postgresql-common (pg_createcluster).
# Environment: PRIMARY_PORT (5432), REPLICA_PORT (5434), REPLICA_CLUSTER (replica).
set -euo pipefail

PRIMARY_PORT="${PRIMARY_PORT:-5432}"
REPLICA_PORT="${REPLICA_PORT:-5434}"
CLUSTER="${REPLICA_CLUSTER:-replica}"
LOCK="/tmp/casework-pg-replica.lock"
# A test run holds a shared lock on this file while it uses the replica (tests/replica/conftest.py).
USERS="/tmp/casework-pg-replica.users"

say() { echo "pg_replica: $*" >&2; }
die() { say "$*"; exit 1; }

for tool in pg_lsclusters pg_createcluster pg_dropcluster pg_ctlcluster pg_basebackup psql flock; do
  command -v "$tool" >/dev/null || die "needs $tool (Debian: postgresql-common, postgresql-client)"
done

as_postgres() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  elif [ "$(id -un)" = postgres ]; then
    "$@"
  else
    die "must run as root or postgres (it makes a cluster with pg_createcluster)"
  fi
}

# psql on the primary or the replica, one value per line, no decoration.
on_primary() { psql -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -d postgres -AtXq -c "$1"; }
on_replica() { psql -h 127.0.0.1 -p "$REPLICA_PORT" -U postgres -d postgres -AtXq -c "$1" 2>/dev/null; }

VERSION="$(pg_lsclusters -h | awk -v port="$PRIMARY_PORT" '$3 == port && $4 ~ /online/ {print $1; exit}')"
[ -n "$VERSION" ] || die "no local cluster online on port $PRIMARY_PORT (pg_lsclusters)"

exists() { pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c {f=1} END {exit !f}'; }

streaming() {
  [ "$(on_replica "SELECT pg_is_in_recovery()")" = t ] &&
    [ "$(on_replica "SELECT status FROM pg_stat_wal_receiver")" = streaming ]
}

wait_streaming() {
  local i
  for i in $(seq 1 "$1"); do
    streaming && return 0
    sleep 1
  done
  return 1
}

# The server must not inherit the lock's descriptor: it would hold the lock as long as it runs.
start() { pg_ctlcluster "$VERSION" "$CLUSTER" start 9>&-; }

down() {
  exec 8>>"$USERS"
  if ! flock -n -x 8; then
    say "cluster $VERSION/$CLUSTER is in use by another test run: left running"
    return 0
  fi
  if exists; then
    say "removing cluster $VERSION/$CLUSTER"
    pg_dropcluster --stop "$VERSION" "$CLUSTER"
  fi
}

allow_replication() {
  local hba rules trusted
  [ "$(on_primary "SELECT setting FROM pg_settings WHERE name = 'wal_level'")" != minimal ] ||
    die "the primary's wal_level is minimal: set it to replica and restart it"
  [ "$(on_primary "SHOW max_wal_senders")" -ge 2 ] ||
    die "the primary's max_wal_senders is below 2: raise it and restart it"
  rules="SELECT count(*) FROM pg_hba_file_rules WHERE type = 'host' AND error IS NULL
         AND address = '127.0.0.1' AND netmask = '255.255.255.255'"
  [ "$(on_primary "$rules AND 'replication' = ANY(database)")" -gt 0 ] && return 0
  trusted="$(on_primary "$rules AND database = '{all}' AND auth_method = 'trust'")"
  hba="$(on_primary "SHOW hba_file")"
  [ "$trusted" -gt 0 ] ||
    die "the primary's $hba admits no replication from 127.0.0.1: add a 'host replication' line"
  say "allowing replication from 127.0.0.1 in $hba (and reloading the primary)"
  printf '%s\n' "# Added by scripts/pg_replica.sh: streaming replicas on this machine (tests)." \
    "host replication postgres 127.0.0.1/32 trust" | as_postgres tee -a "$hba" >/dev/null
  on_primary "SELECT pg_reload_conf()" >/dev/null
}

build() {
  local data conf setting
  if exists; then pg_dropcluster --stop "$VERSION" "$CLUSTER"; fi
  say "creating cluster $VERSION/$CLUSTER on port $REPLICA_PORT"
  # As root it makes the directories and gives them to postgres.
  pg_createcluster "$VERSION" "$CLUSTER" -p "$REPLICA_PORT" >/dev/null
  data="$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c {print $6}')"
  conf="/etc/postgresql/$VERSION/$CLUSTER"
  [ -n "$data" ] && [ -d "$data" ] || die "pg_createcluster made no data directory"
  # A test fixture: started by this script, never at boot.
  echo manual | as_postgres tee "$conf/start.conf" >/dev/null
  # Whom the primary admits, the replica admits.
  as_postgres cp "$(on_primary "SHOW hba_file")" "$conf/pg_hba.conf"
  {
    echo "# Written by scripts/pg_replica.sh: a hot standby of the cluster on port $PRIMARY_PORT."
    echo "listen_addresses = '127.0.0.1'"
    echo "hot_standby = on"
    echo "shared_buffers = 32MB"
    # A standby must allow at least what its primary does.
    for setting in max_connections max_worker_processes max_wal_senders \
      max_prepared_transactions max_locks_per_transaction; do
      echo "$setting = $(on_primary "SHOW $setting")"
    done
  } | as_postgres tee "$conf/conf.d/90-replica.conf" >/dev/null
  # The copy is the whole cluster (every database on the machine): refuse rather than fill
  # the disk the primary shares.
  local need have
  need="$(on_primary "SELECT (sum(pg_database_size(oid)) * 1.2)::bigint / 1024 + 1048576 FROM pg_database")"
  have="$(df -Pk "$data" | awk 'NR == 2 {print $4}')"
  if [ "$have" -lt "$need" ]; then
    pg_dropcluster "$VERSION" "$CLUSTER"
    die "the primary's databases need $((need / 1048576)) GB for a copy, $((have / 1048576)) GB free"
  fi
  say "copying the primary ($((need / 1048576)) GB with headroom) with pg_basebackup into $data"
  as_postgres find "$data" -mindepth 1 -delete
  as_postgres pg_basebackup -R -X stream --checkpoint=fast \
    -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$data"
  start
}

up() {
  allow_replication
  if exists && streaming; then
    say "cluster $VERSION/$CLUSTER already streaming on port $REPLICA_PORT"
  else
    if exists; then
      say "cluster $VERSION/$CLUSTER exists but is not streaming: starting it"
      start 2>/dev/null || true
    fi
    if ! exists || ! wait_streaming 20; then
      build
      wait_streaming 120 || die "the replica did not start streaming (see pg_lsclusters' log)"
    fi
  fi
  echo "$REPLICA_PORT"
}

exec 9>"$LOCK"
flock -w 900 9 || die "another set-up holds $LOCK"
case "${1:-}" in
  up) up ;;
  down) down ;;
  *) die "usage: $0 up|down" ;;
esac

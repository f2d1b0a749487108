#!/usr/bin/env bash
# Start a local PostgreSQL (Debian/Ubuntu postgresql-common) on 127.0.0.1 and create
# the kik test role and database idempotently, then print the export line for the tests:
#
#   eval "$(.ci/postgres.sh)"   # sets KIK_TEST_POSTGRES_URL
#
# Uses the first existing cluster (or the one named by KIK_PG_CLUSTER); creates it
# with pg_createcluster when the server package is installed but the cluster is not. Without the package it prints nothing
# useful and exits 0 (.ci/run installs the package first and fails if no URL comes
# back). Needs root (or sudo) to act as the postgres user.
set -euo pipefail

ROLE="${KIK_PG_ROLE:-kik}"
PASSWORD="${KIK_PG_PASSWORD:-kik}"
DB="${KIK_PG_DB:-kik_test}"

as_root() {
  if [[ "$(id -u)" == "0" ]]; then "$@"; else sudo "$@"; fi
}
as_postgres() {
  if [[ "$(id -un)" == "postgres" ]]; then "$@"
  elif [[ "$(id -u)" == "0" ]]; then su postgres -c "$(printf '%q ' "$@")"
  else sudo -u postgres "$@"
  fi
}

if ! command -v pg_lsclusters >/dev/null 2>&1; then
  echo "# PostgreSQL is not installed (Debian package postgresql): PostgreSQL tests cannot run" >&2
  exit 0
fi
WANTED="${KIK_PG_CLUSTER:-}"   # a cluster name; default: the first cluster, else "main"
cluster_line() {
  pg_lsclusters --no-header | awk -v want="$WANTED" 'want == "" || $2 == want' | head -n 1
}
read -r VERSION CLUSTER PORT STATUS _ <<<"$(cluster_line)" || true
if [[ -z "${VERSION:-}" ]]; then
  VERSION=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)
  if [[ -z "$VERSION" ]]; then
    echo "# no PostgreSQL server binaries in /usr/lib/postgresql: PostgreSQL tests cannot run" >&2
    exit 0
  fi
  echo "# creating PostgreSQL cluster $VERSION ${WANTED:-main}" >&2
  as_root pg_createcluster "$VERSION" "${WANTED:-main}" >&2
  read -r VERSION CLUSTER PORT STATUS _ <<<"$(cluster_line)"
fi

if [[ "$STATUS" != online* ]]; then
  echo "# starting PostgreSQL cluster $VERSION $CLUSTER on port $PORT" >&2
  as_root pg_ctlcluster "$VERSION" "$CLUSTER" start >&2
fi
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p "$PORT" && break
  sleep 1
done
if ! pg_isready -q -h 127.0.0.1 -p "$PORT"; then
  echo "# PostgreSQL $VERSION $CLUSTER does not answer on 127.0.0.1:$PORT" >&2
  exit 1
fi

as_postgres psql -p "$PORT" -v ON_ERROR_STOP=1 -q -c "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') THEN
    CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD' SUPERUSER;
  END IF;
END \$\$;" >&2
if ! as_postgres psql -p "$PORT" -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
  as_postgres createdb -p "$PORT" -O "$ROLE" "$DB" >&2
fi

echo "export KIK_TEST_POSTGRES_URL=postgresql+psycopg://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DB"

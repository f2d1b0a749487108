#!/usr/bin/env bash
# Start the local PostgreSQL cluster (Debian/Ubuntu pg_ctlcluster) and create the
# kik test role and database idempotently, then print the export line for the tests:
#
#   eval "$(.ci/postgres.sh)"   # sets KIK_TEST_POSTGRES_URL
#
# Without an installed cluster it prints nothing useful and exits 0, so the
# PostgreSQL tests are skipped. Needs root (or sudo) to act as the postgres user.
set -euo pipefail

ROLE="${KIK_PG_ROLE:-kik}"
PASSWORD="${KIK_PG_PASSWORD:-kik}"
DB="${KIK_PG_DB:-kik_test}"

if ! command -v pg_lsclusters >/dev/null 2>&1; then
  echo "# no PostgreSQL cluster installed: PostgreSQL tests will be skipped" >&2
  exit 0
fi
read -r VERSION CLUSTER PORT STATUS _ < <(pg_lsclusters --no-header | head -n 1) || true
if [[ -z "${VERSION:-}" ]]; then
  echo "# no PostgreSQL cluster found: PostgreSQL tests will be skipped" >&2
  exit 0
fi

as_postgres() {
  if [[ "$(id -un)" == "postgres" ]]; then "$@"
  elif [[ "$(id -u)" == "0" ]]; then su postgres -c "$(printf '%q ' "$@")"
  else sudo -u postgres "$@"
  fi
}

if [[ "$STATUS" != online* ]]; then
  if [[ "$(id -u)" == "0" ]]; then pg_ctlcluster "$VERSION" "$CLUSTER" start
  else sudo pg_ctlcluster "$VERSION" "$CLUSTER" start
  fi
fi
for _ in $(seq 1 30); do
  as_postgres pg_isready -q -p "$PORT" && break
  sleep 1
done

as_postgres psql -p "$PORT" -v ON_ERROR_STOP=1 -q -c "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') THEN
    CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD' SUPERUSER;
  END IF;
END \$\$;" >&2
if ! as_postgres psql -p "$PORT" -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
  as_postgres createdb -p "$PORT" -O "$ROLE" "$DB" >&2
fi

echo "export KIK_TEST_POSTGRES_URL=postgresql+psycopg://$ROLE:$PASSWORD@localhost:$PORT/$DB"

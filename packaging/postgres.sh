#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 and prints a URL tests can use.
# Uses the one already running (CI machines and developer machines have one); on a plain Debian 12
# machine starts the cluster Debian's `postgresql` package created and gives `postgres` a password.
set -euo pipefail

PASSWORD=gatehouse
answers() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

if ! answers; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "postgres: Debian's postgresql package is missing (run packaging/deps.sh)" >&2
    exit 1
  fi
  version=$(ls /etc/postgresql | sort -n | tail -n 1)
  echo "postgres: starting cluster $version/main" >&2
  pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
    || pg_ctlcluster "$version" main start
  for _ in $(seq 1 30); do answers && break; sleep 1; done
  answers || { echo "postgres: cluster did not start" >&2; exit 1; }
  # Debian's default for TCP is password (scram) auth: set one for the test user.
  su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD '$PASSWORD'\"" >/dev/null
fi
echo "postgres://postgres:$PASSWORD@127.0.0.1:5432/postgres"

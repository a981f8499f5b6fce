#!/usr/bin/env bash
# The whole test suite, set-up included: installs and starts PostGIS,
# pgRouting and Chromium from Debian's packages when it can (root or sudo),
# then runs every Go test. Without them the tests that need them skip with
# a message saying so.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo "$@"; else return 1; fi
}

need=()
[ -d /usr/share/postgresql/15/extension ] && ls /usr/share/postgresql/15/extension/postgis.control >/dev/null 2>&1 || need+=(postgresql-15 postgresql-15-postgis-3)
ls /usr/share/postgresql/15/extension/pgrouting.control >/dev/null 2>&1 || need+=(postgresql-15-pgrouting)
command -v chromium >/dev/null || need+=(chromium)
command -v osm2pgsql >/dev/null || need+=(osm2pgsql)
command -v osmium >/dev/null || need+=(osmium-tool)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  if as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null; then
    echo "== installed"
  else
    echo "== could not install ${need[*]} (need root or sudo): tests that need them will skip"
  fi
fi

if [ -z "${ONEMAP_TEST_DB:-}" ] && command -v pg_ctlcluster >/dev/null; then
  if ! pg_lsclusters -h 2>/dev/null | grep -q '^15 *main'; then
    as_root pg_createcluster 15 main >/dev/null 2>&1 || true
  fi
  as_root pg_ctlcluster 15 main start 2>/dev/null || true
  if as_root su postgres -c "psql -qtAc 'select 1'" >/dev/null 2>&1; then
    as_root su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null
    as_root su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='onemap_test'\"" | grep -q 1 ||
      as_root su postgres -c "createdb onemap_test"
    as_root su postgres -c "psql -q -d onemap_test -c 'CREATE EXTENSION IF NOT EXISTS postgis; CREATE EXTENSION IF NOT EXISTS pgrouting;'" >/dev/null
    export ONEMAP_TEST_DB='postgres://postgres:postgres@localhost:5432/onemap_test?sslmode=disable'
    echo "== PostGIS ready: ONEMAP_TEST_DB=$ONEMAP_TEST_DB"
  else
    echo "== PostgreSQL not running: PostGIS tests will skip"
  fi
fi

# In CI the services are always provided, so a missing one is a failure,
# not a reason to skip.
if [ "${CI:-}" = true ]; then
  [ -n "${ONEMAP_TEST_DB:-}" ] || { echo "CI: PostGIS is not ready, the database tests would skip"; exit 1; }
  [ -x /usr/bin/chromium ] || { echo "CI: /usr/bin/chromium is missing, the browser test would skip"; exit 1; }
fi

export ONEMAP_ARTIFACTS="${ONEMAP_ARTIFACTS:-$PWD/.artifacts}"
mkdir -p "$ONEMAP_ARTIFACTS"
echo "== go vet"
go vet ./...
echo "== go test (screenshots and other artifacts go to $ONEMAP_ARTIFACTS)"
go test -count=1 -timeout 15m -p 2 ./...

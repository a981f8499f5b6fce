#!/usr/bin/env bash
# Replicas on loopback: a PostgreSQL 15 primary and a streaming standby
# (pg_createcluster + pg_basebackup, ports 55432/55433), two onemap
# replicas reading from the standby and following the primary
# (--db-primary), Debian's HAProxy in front with health checks on /healthz.
# Then, all on 127.0.0.1 and bounded:
#   1. an edit on the primary appears through both replicas within 1 s;
#   2. a 2-minute mixed load (onemap bench replicas) through HAProxy while
#      one replica is killed (SIGKILL) and started again, then the primary
#      is restarted: 0 failed reads, writes answered 503 JSON while the
#      primary is down and acknowledged on retry, nothing lost on either
#      replica.
# Needs root (pg_createcluster, haproxy from apt). Everything it starts is
# stopped and its clusters dropped on exit. LOAD_SECONDS shortens the load.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "replicas.sh: needs root (pg_createcluster, haproxy)"; exit 2; }
command -v haproxy >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null
command -v pg_createcluster >/dev/null || { echo "replicas.sh: needs postgresql-common"; exit 2; }

V=15 P=i15primary S=i15standby PP=55432 SP=55433
LB=18160 R1=18161 R2=18162
LOAD_SECONDS=${LOAD_SECONDS:-120}
W=$(mktemp -d /tmp/onemap-replicas.XXXXXX)
TOKEN=replica-test-token
PRIMARY="postgres://postgres:postgres@127.0.0.1:$PP/onemap?sslmode=disable"
STANDBY="postgres://postgres:postgres@127.0.0.1:$SP/onemap?sslmode=disable"
pids=()
cleanup() {
  set +e
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  [ -f "$W/r1.pid" ] && kill "$(cat "$W/r1.pid")" 2>/dev/null
  [ -f "$W/haproxy.pid" ] && kill "$(cat "$W/haproxy.pid")" 2>/dev/null
  pg_dropcluster --stop $V $S 2>/dev/null
  pg_dropcluster --stop $V $P 2>/dev/null
  echo "== logs kept in $W"
}
trap cleanup EXIT
say() { echo "== $(date -u +%T) $*"; }

say "building onemap"
go build -o "$W/onemap" ./cmd/onemap

say "primary cluster $V/$P on 127.0.0.1:$PP"
pg_dropcluster --stop $V $P 2>/dev/null || true
pg_dropcluster --stop $V $S 2>/dev/null || true
pg_createcluster $V $P -p $PP -- --auth-local=trust --auth-host=scram-sha-256 >/dev/null
cat >>/etc/postgresql/$V/$P/postgresql.conf <<EOF
listen_addresses = '127.0.0.1'
wal_level = replica
max_wal_senders = 5
hot_standby = on
EOF
pg_ctlcluster $V $P start
su postgres -c "psql -p $PP -qc \"ALTER USER postgres PASSWORD 'postgres'\""
su postgres -c "createdb -p $PP onemap"
su postgres -c "psql -p $PP -d onemap -qc 'CREATE EXTENSION postgis'"
"$W/onemap" load --db "$PRIMARY" | tail -1

say "standby cluster $V/$S on 127.0.0.1:$SP (pg_basebackup, streaming)"
pg_createcluster $V $S -p $SP >/dev/null
SD=/var/lib/postgresql/$V/$S
rm -rf "$SD"
su postgres -c "PGPASSWORD=postgres pg_basebackup -h 127.0.0.1 -p $PP -U postgres -D $SD -R -X stream -c fast"
cat >>/etc/postgresql/$V/$S/postgresql.conf <<EOF
listen_addresses = '127.0.0.1'
hot_standby = on
EOF
pg_ctlcluster $V $S start
for _ in $(seq 50); do
  [ "$(su postgres -c "psql -p $SP -tAc 'select pg_is_in_recovery()'" 2>/dev/null)" = t ] && break
  sleep 0.2
done
su postgres -c "psql -p $PP -tAc \"select 'streaming to '||application_name||': '||state from pg_stat_replication\""

start_replica() { # name port
  "$W/onemap" serve --db "$STANDBY" --db-primary "$PRIMARY" --addr 127.0.0.1:$2 --tokens "$TOKEN:dispatcher" \
    --log-level info >>"$W/$1.log" 2>&1 &
  echo $! >"$W/$1.pid"
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$2/healthz" >/dev/null && return 0; sleep 0.2; done
  echo "replica $1 did not come up"; tail "$W/$1.log"; return 1
}
say "onemap replicas on :$R1 and :$R2 (read from the standby, follow the primary)"
start_replica r1 $R1
start_replica r2 $R2
pids+=("$(cat "$W/r2.pid")")

say "HAProxy on 127.0.0.1:$LB"
cat >"$W/haproxy.cfg" <<EOF
global
  pidfile $W/haproxy.pid
defaults
  mode http
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  retries 3
  option redispatch 1
  retry-on all-retryable-errors
frontend onemap
  bind 127.0.0.1:$LB
  default_backend replicas
backend replicas
  balance roundrobin
  option httpchk GET /healthz
  http-check expect status 200
  default-server inter 500ms fall 2 rise 2 on-marked-down shutdown-sessions
  server r1 127.0.0.1:$R1 check
  server r2 127.0.0.1:$R2 check
EOF
haproxy -f "$W/haproxy.cfg" -D
sleep 1.5

# 1. An edit on the primary through both replicas (timed in Go from the
# commit, polling each replica every 2 ms), once start-up work is done.
sleep 5
say "edit on the primary → both replicas"
"$W/onemap" bench replicas --url "http://127.0.0.1:$LB" --replica "http://127.0.0.1:$R1" --replica "http://127.0.0.1:$R2" \
  --primary "$PRIMARY" --token "$TOKEN" --duration 2s --readers 1 >"$W/edit.json"
grep -A3 edit_ms "$W/edit.json"

# 2. Bounded load with a replica killed and the primary restarted.
say "load for ${LOAD_SECONDS}s through HAProxy"
"$W/onemap" bench replicas --url "http://127.0.0.1:$LB" --replica "http://127.0.0.1:$R1" --replica "http://127.0.0.1:$R2" \
  --token "$TOKEN" --duration "${LOAD_SECONDS}s" >"$W/load.json" 2>"$W/load.err" &
LOAD=$!
pids+=("$LOAD")
sleep $((LOAD_SECONDS / 6))
say "kill -9 replica r1"
kill -9 "$(cat "$W/r1.pid")"
sleep $((LOAD_SECONDS / 6))
say "start replica r1 again"
start_replica r1 $R1
sleep $((LOAD_SECONDS / 6))
say "stop the primary (5 s down), then start it"
pg_ctlcluster -m fast $V $P stop
sleep 5
pg_ctlcluster $V $P start
say "primary back"
rc=0
wait "$LOAD" || rc=$?
cat "$W/load.json"
[ -s "$W/load.err" ] && cat "$W/load.err"
# both replicas hold the same fire stations and schools (the features;
# the answers' links name each replica's own address)
features() { curl -sf "http://127.0.0.1:$1/collections/$2/items?limit=10000" |
  python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["features"], sort_keys=True))' | sha256sum | cut -c1-16; }
for l in fire_stations schools; do
  a=$(features $R1 $l) b=$(features $R2 $l)
  echo "$l: r1 $a, r2 $b"
  [ "$a" = "$b" ] || { echo "FAIL: replicas differ on $l"; rc=1; }
done
w503=$(sed -n 's/.*"write_503": \([0-9]*\).*/\1/p' "$W/load.json")
[ "${w503:-0}" -gt 0 ] || { echo "FAIL: no write met the primary down (503 expected)"; rc=1; }
[ $rc = 0 ] && say "replicas: PASS" || say "replicas: FAIL"
exit $rc

#!/usr/bin/env bash
# Suite 13 of issue 6: PostgreSQL stopped and started again while signed-in pages are being
# read. Reports how long requests took during the outage (they must end quickly with the
# 503 page, never hang) and how soon after the database is back the first page succeeds
# (within 5 s, without restarting the server).
#
#   tests/faults/pg_restart.sh [outage seconds] [clients]
#       (defaults 5 and 2; stops and starts the local cluster: a test machine only)
set -euo pipefail
cd "$(dirname "$0")/../.."
outage="${1:-5}"
clients="${2:-2}"
scripts/pg-up
export SQLX_OFFLINE=true
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/pingxuan_fault}"
cargo build --release --bin pingxuan 2>&1 | tail -n1
version="$(ls /etc/postgresql | sort -V | tail -n1)"

addr=127.0.0.1:8093
PINGXUAN_LOG=warn target/release/pingxuan demo --addr "$addr" >/tmp/pingxuan-fault.log 2>&1 &
pid=$!
log=$(mktemp)
cleanup() {
  kill "$pid" 2>/dev/null || true
  pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 1 120); do curl -fs "http://$addr/healthz" >/dev/null && break; sleep 1; done

jar=$(mktemp)
token=$(curl -fs -c "$jar" "http://$addr/login" | sed -n 's/.*name="_csrf" value="\([0-9a-f]*\)".*/\1/p' | head -n1)
curl -fs -b "$jar" -c "$jar" -o /dev/null -H "Origin: http://$addr" \
  --data-urlencode "_csrf=$token" --data-urlencode "username=ducha" --data-urlencode "password=pingxuan2026" \
  "http://$addr/login"
session=$(awk '$6 == "px_session" { print $7 }' "$jar")
[ -n "$session" ] || { echo "could not sign in" >&2; exit 1; }

now() { date +%s.%N; }
# Readers: loops of signed-in page reads, each line "start status seconds".
reader() {
  while [ -f "$log.run" ]; do
    t=$(now)
    r=$(curl -s -o /dev/null -m 30 -w '%{http_code} %{time_total}' -H "Cookie: px_session=$session" "http://$addr/supervision" || echo "000 30")
    echo "$t $r" >> "$log"
    sleep 0.05
  done
}
touch "$log.run"
readers=()
for _ in $(seq 1 "$clients"); do reader & readers+=($!); done
sleep 3
stop_at=$(now)
pg_ctlcluster --skip-systemctl-redirect "$version" main stop -m fast
down_at=$(now)   # stopping takes a moment (a checkpoint); from here nothing answers
sleep "$outage"
# The start command returns a while after the server accepts connections: time the latter.
pg_ctlcluster --skip-systemctl-redirect "$version" main start &
starter=$!
until pg_isready -h 127.0.0.1 -p 5432 -q; do sleep 0.05; done
up_at=$(now)
wait "$starter"
sleep 8
rm -f "$log.run"
wait "${readers[@]}" 2>/dev/null || true
echo "$clients clients reading /supervision signed in, each pausing 0.05 s between requests"

awk -v stop="$stop_at" -v down="$down_at" -v up="$up_at" '
  { t = $1; s = $2; d = $3; e = t + d }
  t < stop { before++; if (s == 200) ok_before++ }
  e >= down && e < up { ended++; if (s == 503) s503++ }
  e >= stop && t < up && d > worst { worst = d }
  t >= up && s == 200 && first == "" { first = t - up }
  t >= up { after++; if (s != 200) bad_after++ }
  END {
    printf "before the stop: %d requests, %d ok\n", before, ok_before
    printf "outage %.1f s (stopping took %.1f s): %d requests answered during it, %d of them with the 503 page; the slowest request in or across the outage took %.2f s\n", up - down, down - stop, ended, s503, worst
    printf "after: first request started after PostgreSQL accepted connections again succeeded %.2f s later; %d of %d requests after the restart failed\n", first, bad_after, after
  }' "$log"

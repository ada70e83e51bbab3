#!/usr/bin/env bash
# Load test of the year pages of issue 13 on a center of 300 windows and 1,000 staff with
# two years of monthly scores and every month's award published
# (examples/gen_year_center.rs): a staff member's 年度档案, the supervision office's month
# grid (windows and staff tabs, as they open and with 全部), with wrk (2 threads, 64
# connections); and the whole center's year workbook, timed with curl.
#
#   benches/year_pages.sh [seconds]      (default 20; installs wrk when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-20}"
scripts/pg-up
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
export SQLX_OFFLINE=true
base="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/pingxuan_test}"
export DATABASE_URL="${base%/*}/pingxuan_bench_year"
psql "${base%/*}/postgres" -tAc "select 1 from pg_database where datname = 'pingxuan_bench_year'" | grep -q 1 \
  || psql "${base%/*}/postgres" -qc "create database pingxuan_bench_year"
cargo build --release --bin pingxuan --example gen_year_center 2>&1 | tail -n1
target/release/examples/gen_year_center
# As autovacuum would have by then: statistics and the visibility map of the loaded rows.
psql "$DATABASE_URL" -qc "vacuum analyze"

addr=127.0.0.1:8092
PINGXUAN_LOG=warn target/release/pingxuan serve --addr "$addr" >/tmp/pingxuan-bench-year.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -fs "http://$addr/healthz" >/dev/null && break; sleep 1; done

# Signs in the way a browser does; prints the session cookie's value.
sign_in() {
  local jar token
  jar=$(mktemp)
  token=$(curl -fs -c "$jar" "http://$addr/login" | sed -n 's/.*name="_csrf" value="\([0-9a-f]*\)".*/\1/p' | head -n1)
  curl -fs -b "$jar" -c "$jar" -o /dev/null -H "Origin: http://$addr" \
    --data-urlencode "_csrf=$token" --data-urlencode "username=$1" --data-urlencode "password=pingxuan2026" \
    "http://$addr/login"
  awk '$6 == "px_session" { print $7 }' "$jar"
}
staff_session=$(sign_in bench-staff)
ducha_session=$(sign_in bench-ducha)
staff_id=$(psql "$DATABASE_URL" -tAc "select staff_id from account where username = 'bench-staff'")
year_page="http://$addr/records/2026/S$staff_id"
curl -fs -H "Cookie: px_session=$staff_session" "$year_page" | grep -q '年度档案' \
  || { echo "the year page did not render" >&2; exit 1; }

run() { wrk -t2 -c64 -d"${secs}s" --latency "$@"; }
echo "== a staff member's year page (年度档案), $year_page"
run -H "Cookie: px_session=$staff_session" "$year_page"
# A center this size opens its grid one department at a time: the page as it opens.
echo "== the supervision office's month grid, windows, as it opens (first of 30 departments)"
run -H "Cookie: px_session=$ducha_session" "http://$addr/scores/2026-11"
echo "== the supervision office's month grid, staff, as it opens (first of 30 departments)"
run -H "Cookie: px_session=$ducha_session" "http://$addr/scores/2026-11?tab=staff"
echo "== the month grid, windows, 全部 (300 rows)"
run -H "Cookie: px_session=$ducha_session" "http://$addr/scores/2026-11?tab=windows&department=all"
echo "== the month grid, staff, 全部 (1,000 rows)"
run -H "Cookie: px_session=$ducha_session" "http://$addr/scores/2026-11?tab=staff&department=all"
echo "== the center's year workbook, five downloads one after another"
for _ in 1 2 3 4 5; do
  curl -fs -o /tmp/pingxuan-year.xlsx -w '%{time_total} s, %{size_download} bytes\n' \
    -H "Cookie: px_session=$ducha_session" "http://$addr/records/2026/workbook.xlsx"
done

#!/usr/bin/env bash
# Issue 16: a province's load. Generates the province (examples/gen_province.rs) into the
# database pingxuan_province unless it is there, starts three release servers behind nginx
# (deploy/nginx/pingxuan-proxy.conf, round-robin, as tests/cluster.rs), signs in, and runs
# wrk (2 threads, 64 connections) on each page through the proxy: the largest center's
# score grid, results, period, audit log (1,000,000 rows), not-assessed, turnout, candidates
# and duty-days pages and its home as its office, a head's home, ballot and month pages, a
# leader's and the admin's home and staff list, and the public rolls. Then 500 heads vote at once (province_vote.py),
# and the database's size and its slowest statements (pg_stat_statements) are printed.
#
#   benches/province.sh [seconds per page]        (default 10)
#   PROVINCE_PAGES_ONLY=1 benches/province.sh     (pages only, no new province, no vote)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
scripts/pg-up
export SQLX_OFFLINE=true
base=postgres://postgres@127.0.0.1:5432
db=pingxuan_province
url="$base/$db"
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)" >&2; exit 1; }
[ -x /usr/sbin/nginx ] || { echo "install nginx (apt-get install nginx)" >&2; exit 1; }
cargo build --release --bin pingxuan --example gen_province 2>&1 | tail -n1

# PROVINCE_PAGES_ONLY=1: the pages only, on the province as it is (a vote already cast
# stays; nothing is regenerated and nobody votes).
pages_only="${PROVINCE_PAGES_ONLY:-}"
if [ "$(psql "$url" -tAc "select count(*) from center" 2>/dev/null || true)" != 176 ] \
   || { [ -z "$pages_only" ] && [ "$(psql "$url" -tAc "select count(*) from ballot_receipt r join period p using (period_id) where p.code = '2026-Q3'")" != 0 ]; }; then
  psql "$base/postgres" -qc "drop database if exists $db" -qc "create database $db"
  DATABASE_URL="$url" target/release/examples/gen_province
fi

# pg_stat_statements, when the server loads it (the script says how when it does not).
if psql "$url" -tAc "show shared_preload_libraries" | grep -q pg_stat_statements; then
  psql "$url" -qc "create extension if not exists pg_stat_statements" -qc "select pg_stat_statements_reset()" >/dev/null
  statements=1
else
  echo "(pg_stat_statements is not loaded: ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements' and restart PostgreSQL to list the slowest statements)"
  statements=0
fi

# shellcheck source=benches/province_servers.sh
. benches/province_servers.sh
trap province_down EXIT
province_up target/release/pingxuan

office=$(session p01-ducha)
head=$(session p01-h2)
admin=$(session p01-admin)
leader=$(session p01-ld1)

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; three release servers behind nginx, PostgreSQL and wrk on the same cores"
echo "database: $(psql "$url" -tAc "select pg_size_pretty(pg_database_size('$db'))"); \
$(psql "$url" -tAc "select count(*) from center") centers, \
$(psql "$url" -tAc "select count(*) from service_window") windows, \
$(psql "$url" -tAc "select count(*) from staff") staff, \
$(psql "$url" -tAc "select count(*) from monthly_score") monthly scores, \
$(psql "$url" -tAc "select count(*) from audit_log") audit rows"
printf '\n| page | as | bytes | req/s (64 conn.) | p50 (64) | p99 (64) | p99 (4 conn.) | non-2xx |\n|---|---|---:|---:|---:|---:|---:|---:|\n'
page() {
  local label="$1" who="$2" cookie="$3" path="$4" out few bytes
  bytes=$(curl -s -o /dev/null -w '%{size_download}' -H "Cookie: $cookie" "$proxy$path")
  # Warm: two more requests to each of the three processes, so that each has decoded what
  # it keeps (a published period's results, a period's candidates) before the timing; the
  # first request of a process after a start or a correction pays for that once.
  warm "$cookie" "$path"
  out=$(wrk -t2 -c64 -d"${secs}s" --latency -H "Cookie: $cookie" "$proxy$path")
  # The same page with 4 connections: the time one request takes when it does not queue
  # behind 63 others for the 2 cores.
  few=$(wrk -t2 -c4 -d"$(( (secs + 1) / 2 ))s" --latency -H "Cookie: $cookie" "$proxy$path")
  printf '| %s `%s` | %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$path" "$who" "$bytes" \
    "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" \
    "$(echo "$out" | awk '$1 == "50%" {print $2}')" \
    "$(echo "$out" | awk '$1 == "99%" {print $2}')" \
    "$(echo "$few" | awk '$1 == "99%" {print $2}')" \
    "$( (echo "$out"; echo "$few") | awk '/Non-2xx/ {n += $5} END {print n + 0}')"
}
page "score grid, windows" office "$office" "/scores/2026-09?tab=windows"
page "score grid, staff" office "$office" "/scores/2026-09?tab=staff"
page "results" office "$office" "/results/2026-Q2"
page "results, staff others p. 20" office "$office" "/results/2026-Q2?sp=20"
page "score grid, all staff p. 20" office "$office" "/scores/2026-09?tab=staff&department=all&page=20"
page "period" office "$office" "/periods/2026-Q3"
page "audit log" office "$office" "/audit"
page "audit log, last counted page" office "$office" "/audit?page=500"
page "home" head "$head" "/head"
page "ballot" head "$head" "/ballot"
page "a window's month" head "$head" "/assessment/month/2026-09/W2"
page "office home" office "$office" "/supervision"
page "not assessed" office "$office" "/scores/2026-09/not-assessed"
page "turnout" office "$office" "/periods/2026-Q3/turnout"
page "candidates" office "$office" "/periods/2026-Q3/candidates"
page "duty days" office "$office" "/periods/2026-Q3/duty-days"
page "an entrant" office "$office" "/results/2026-Q2/entrants/S96"
page "leader home" leader "$leader" "/leadership"
page "admin home" admin "$admin" "/admin"
page "staff list" admin "$admin" "/admin/staff"
page "honor roll" anyone "" "/honor-roll"
page "a city's roll" anyone "" "/c/p05/honor-roll"
page "a county's roll" anyone "" "/c/p05-03/honor-roll"
page "centers" anyone "" "/centers"

# Every page each role can reach from its home, requested once (warm: after the pages
# above), the slowest listed: the pages the list above does not name.
echo
python3 benches/province_crawl.py "$proxy" office="$office" head="$head" admin="$admin" leader="$leader"

if [ -z "$pages_only" ]; then
  echo
  python3 benches/province_vote.py "$proxy" "$url" 500
fi

if [ "$statements" = 1 ]; then
  echo
  echo "slowest statements by mean time (pg_stat_statements, this run):"
  psql "$url" -c "select calls, round(mean_exec_time::numeric, 2) as mean_ms, round(max_exec_time::numeric, 2) as max_ms, left(regexp_replace(query, '\s+', ' ', 'g'), 110) as query from pg_stat_statements where dbid = (select oid from pg_database where datname = '$db') order by mean_exec_time desc limit 12"
fi

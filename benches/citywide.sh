#!/usr/bin/env bash
# The city-wide round's public pages (issue 14): the public notice (/gongshi/{year}, served
# from memory like the honor roll) against the honor roll in the same run, and 1,000
# feedback submissions sent as fast as 16 clients can, each from its own address (as behind
# the office's reverse proxy: PINGXUAN_TRUST_PROXY), counting every answer's status.
#
#   benches/citywide.sh [seconds per wrk run]   (default 10; installs wrk when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
scripts/pg-up
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
export SQLX_OFFLINE=true
base="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/pingxuan_test}"
export DATABASE_URL="${base%/*}/pingxuan_bench_city"
psql "${base%/*}/postgres" -tAc "select 1 from pg_database where datname = 'pingxuan_bench_city'" | grep -q 1 \
  || psql "${base%/*}/postgres" -qc "create database pingxuan_bench_city"
cargo build --release --bin pingxuan 2>&1 | tail -n1
target/release/pingxuan demo --load-only
# The demo's open round, put into its public notice (today and the four days after).
psql "$DATABASE_URL" -qc "
  update nomination n set status = 'accepted', submitted_at = coalesce(submitted_at, now())
    from citywide_round r
   where r.citywide_round_id = n.citywide_round_id and r.phase <> 'published' and n.status <> 'draft';
  update citywide_round set phase = 'notice', notice_starts = (now() at time zone 'Asia/Shanghai')::date,
         notice_ends = (now() at time zone 'Asia/Shanghai')::date + 4
   where phase <> 'published';
  delete from notice_feedback where client_ip like '10.%' and citywide_round_id in
    (select citywide_round_id from citywide_round where phase = 'notice');"
year=$(psql "$DATABASE_URL" -tAc "select year from citywide_round where phase = 'notice'")

addr=127.0.0.1:8093
PINGXUAN_LOG=warn PINGXUAN_TRUST_PROXY=true target/release/pingxuan serve --addr "$addr" >/tmp/pingxuan-bench-city.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -fs "http://$addr/healthz" >/dev/null && break; sleep 1; done
curl -fs "http://$addr/gongshi/$year" | grep -q '公示' || { echo "the notice did not render" >&2; exit 1; }
echo "page sizes: notice $(curl -fs "http://$addr/gongshi/$year" | wc -c) bytes, honor roll $(curl -fs "http://$addr/honor-roll" | wc -c) bytes"

run() { wrk -t2 -c64 -d"${secs}s" --latency "$1" | grep -E 'Requests/sec|99%|Non-2xx|Socket errors'; }
for round in 1 2; do
  echo "== round $round: the honor roll"; run "http://$addr/honor-roll"
  echo "== round $round: the public notice"; run "http://$addr/gongshi/$year"
done

echo "== 1,000 feedback submissions, 16 at a time, each from its own address"
jar=$(mktemp)
token=$(curl -fs -c "$jar" "http://$addr/gongshi/$year/feedback" | sed -n 's/.*name="_csrf" value="\([0-9a-f]*\)".*/\1/p' | head -n1)
nominee=$(psql "$DATABASE_URL" -tAc "select min(nomination_id) from nomination n join citywide_round r using (citywide_round_id) where r.phase = 'notice' and n.status = 'accepted'")
before=$(psql "$DATABASE_URL" -tAc "select count(*) from notice_feedback")
start=$(date +%s.%N)
seq 1 1000 | xargs -P 16 -I{} sh -c '
  i={}
  curl -s -o /dev/null -w "%{http_code}\n" -b "'"$jar"'" -H "Origin: http://'"$addr"'" \
    -H "X-Forwarded-For: 10.$((i / 250)).$((i % 250)).7" \
    --data-urlencode "_csrf='"$token"'" --data-urlencode "nominee='"$nominee"'" \
    --data-urlencode "body=第 $i 条意见：窗口服务热情，办事高效。" \
    --data-urlencode "real_name=测试$i" --data-urlencode "telephone=1390000$(printf %04d "$i")" \
    --data-urlencode "website=" "http://'"$addr"'/gongshi/'"$year"'/feedback"' | sort | uniq -c
end=$(date +%s.%N)
after=$(psql "$DATABASE_URL" -tAc "select count(*) from notice_feedback")
echo "stored $((after - before)) of 1000 in $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s"

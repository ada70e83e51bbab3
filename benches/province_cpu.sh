#!/usr/bin/env bash
# Where each signed-in page's time goes: one server behind nginx (benches/province_servers.sh)
# on the generated province, `wrk -t2 -c64 -d<seconds>s` on each page, and the processor
# time that pingxuan, PostgreSQL, nginx and wrk used during the run (from /proc, in
# microseconds per request answered). The province must have been generated
# (benches/province.sh).
#
#   benches/province_cpu.sh [seconds per page]
#
# PAGES_MATCHING=<extended regex> times only the pages whose path matches.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-5}"
# shellcheck source=benches/province_servers.sh
. benches/province_servers.sh
province_ready
SQLX_OFFLINE=true cargo build --release --bin pingxuan 2>&1 | tail -n1

# The summed user and system time, in clock ticks, of the processes whose name matches $1.
ticks() {
  local total=0 f line name
  local -a fields
  for f in /proc/[0-9]*/stat; do
    read -r line <"$f" 2>/dev/null || continue
    name="${line#*(}"
    name="${name%%)*}"
    [[ "$name" =~ $1 ]] || continue
    read -r -a fields <<<"${line##*) }"
    # Fields 14 and 15 of stat (utime, stime); the array starts at field 3.
    total=$((total + fields[11] + fields[12]))
  done
  echo "$total"
}
hz=$(getconf CLK_TCK)
names=('^pingxuan$' '^postgres$' '^nginx$')

trap province_down EXIT
choose_pages
PROVINCE_SERVERS=1 province_up target/release/pingxuan
province_sessions

echo "machine: $(nproc) cores; build $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src templates || echo ' with changes'); one server, $secs s per page"
echo
echo "| page | req/s | p99 | bytes | pingxuan µs/req | PostgreSQL µs/req | nginx µs/req | wrk µs/req |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for entry in "${signed_in_pages[@]}"; do
  who="${entry%% *}" path="${entry#* }"
  warm "${cookie[$who]}" "$path"
  bytes=$(curl -s -H "Cookie: ${cookie[$who]}" "$proxy$path" | wc -c)
  before=()
  for n in "${names[@]}"; do before+=("$(ticks "$n")"); done
  # wrk has exited before its time could be read from /proc: bash's `time` gives it.
  TIMEFORMAT='%U %S'
  { time wrk -t2 -c64 -d"${secs}s" --latency -H "Cookie: ${cookie[$who]}" "$proxy$path" >"$work/wrk.out"; } 2>"$work/wrk.time"
  out=$(cat "$work/wrk.out")
  after=()
  for n in "${names[@]}"; do after+=("$(ticks "$n")"); done
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  row="| \`$path\` | $(echo "$out" | awk '/Requests\/sec/ {printf "%.0f", $2}') | $(echo "$out" | awk '$1 == "99%" {print $2}') | $bytes |"
  for i in "${!names[@]}"; do
    row+=" $(( (after[i] - before[i]) * 1000000 / hz / requests )) |"
  done
  row+=" $(awk -v n="$requests" '{printf "%d", ($1 + $2) * 1000000 / n}' "$work/wrk.time") |"
  echo "$row"
done

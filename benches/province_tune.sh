#!/usr/bin/env bash
# The province's signed-in pages under several ways of running the same build, in turn
# (first, second, …, first, second, …), so that the machine's drift between runs falls on
# all alike: how many servers, each one's pool and tokio worker threads, PostgreSQL by TCP
# or by its Unix socket, nginx's workers (benches/province_servers.sh). Each turn starts
# the servers behind nginx, signs in, warms each page (a second at 64 connections) and runs
# `wrk -t2 -c64 -d<seconds>s --latency` on it. The province must have been generated
# (benches/province.sh).
#
#   benches/province_tune.sh [seconds per page] [rounds] <setting> <setting> …
#
# A setting is a word of space-separated assignments (servers, pool, workers, socket, nginx):
#   benches/province_tune.sh 5 2 "servers=3 pool=16" "servers=3 pool=4 workers=1 socket=1"
#
# PAGES_MATCHING=<extended regex> times only the pages whose path matches.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:?usage: benches/province_tune.sh <seconds per page> <rounds> <setting> …}"
rounds="${2:?usage: benches/province_tune.sh <seconds per page> <rounds> <setting> …}"
shift 2
[ $# -ge 1 ] || { echo "name at least one setting" >&2; exit 1; }
settings=("$@")
# shellcheck source=benches/province_servers.sh
. benches/province_servers.sh
province_ready
SQLX_OFFLINE=true cargo build --release --bin pingxuan 2>&1 | tail -n1

trap province_down EXIT
choose_pages

# Sets the PROVINCE_* variables of one setting.
apply() {
  unset PROVINCE_SERVERS PROVINCE_POOL PROVINCE_WORKERS PROVINCE_DB_SOCKET PROVINCE_NGINX_WORKERS
  local word
  for word in $1; do
    case "$word" in
      servers=*) export PROVINCE_SERVERS="${word#*=}" ;;
      pool=*) export PROVINCE_POOL="${word#*=}" ;;
      workers=*) export PROVINCE_WORKERS="${word#*=}" ;;
      socket=*) export PROVINCE_DB_SOCKET="${word#*=}" ;;
      nginx=*) export PROVINCE_NGINX_WORKERS="${word#*=}" ;;
      *) echo "unknown setting: $word" >&2; exit 1 ;;
    esac
  done
}

declare -A rate
for round in $(seq "$rounds"); do
  for i in "${!settings[@]}"; do
    apply "${settings[$i]}"
    province_up target/release/pingxuan
    province_sessions
    for entry in "${signed_in_pages[@]}"; do
      who="${entry%% *}" path="${entry#* }"
      warm "${cookie[$who]}" "$path"
      out=$(wrk -t2 -c64 -d"${secs}s" --latency -H "Cookie: ${cookie[$who]}" "$proxy$path")
      rate[$i $round $path]="$(echo "$out" | awk '/Requests\/sec/ {printf "%.0f", $2}') / $(echo "$out" | awk '$1 == "99%" {print $2}')$(echo "$out" | awk '/Non-2xx/ {print " (" $5 " non-2xx)"}')"
    done
    province_down
  done
done

echo "machine: $(nproc) cores; build $(git rev-parse --short HEAD); requests per second / p99 at 64 connections, $secs s per page"
for i in "${!settings[@]}"; do echo "setting $((i + 1)): ${settings[$i]}"; done
printf '\n| page |'
for round in $(seq "$rounds"); do for i in "${!settings[@]}"; do printf ' %s (%s) |' "$((i + 1))" "$round"; done; done
printf '\n|---|'
for _ in $(seq "$rounds"); do for _ in "${settings[@]}"; do printf -- '---:|'; done; done
echo
for entry in "${signed_in_pages[@]}"; do
  path="${entry#* }"
  printf '| `%s` |' "$path"
  for round in $(seq "$rounds"); do for i in "${!settings[@]}"; do printf ' %s |' "${rate[$i $round $path]}"; done; done
  echo
done

#!/usr/bin/env bash
# The public honor roll (/honor-roll, served from memory) against a bare axum handler that
# returns a fixed 2 KB page (examples/bare_server.rs /fixed), on the same machine in the
# same run: wrk, 2 threads, 64 connections, runs interleaved (bare, roll, bare, roll, ...).
#
#   benches/honor_roll.sh [seconds per run] [rounds]   (default 10 s, 3 rounds; needs wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"; rounds="${2:-3}"
scripts/pg-up
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
export SQLX_OFFLINE=true
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/pingxuan_bench}"
cargo build --release --bin pingxuan --example bare_server 2>&1 | tail -n1

app_addr=127.0.0.1:8090; bare_addr=127.0.0.1:8091
PINGXUAN_LOG=warn target/release/pingxuan demo --addr "$app_addr" >/tmp/pingxuan-bench.log 2>&1 &
app_pid=$!
target/release/examples/bare_server "$bare_addr" >/tmp/pingxuan-bare.log 2>&1 &
bare_pid=$!
trap 'kill $app_pid $bare_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -fs "http://$app_addr/healthz" >/dev/null && curl -fs "http://$bare_addr/fixed" >/dev/null && break
  sleep 1
done
curl -fs "http://$app_addr/honor-roll" | grep -q '优秀服务标兵' || { echo "the honor roll did not render" >&2; exit 1; }
echo "page sizes: honor roll $(curl -fs "http://$app_addr/honor-roll" | wc -c) bytes, bare $(curl -fs "http://$bare_addr/fixed" | wc -c) bytes"

run() { wrk -t2 -c64 -d"${secs}s" --latency "$1"; }
rps() { awk '/Requests\/sec/ { print $2 }'; }
bare_all=(); roll_all=()
for r in $(seq 1 "$rounds"); do
  out=$(run "http://$bare_addr/fixed"); b=$(echo "$out" | rps); bare_all+=("$b")
  echo "== round $r bare /fixed: $b req/s"; echo "$out" | grep -E "Latency|50%|99%|Non-2xx" || true
  out=$(run "http://$app_addr/honor-roll"); a=$(echo "$out" | rps); roll_all+=("$a")
  echo "== round $r pingxuan /honor-roll: $a req/s"; echo "$out" | grep -E "Latency|50%|99%|Non-2xx" || true
done
mean() { printf '%s\n' "$@" | awk '{ s += $1 } END { printf "%.0f", s / NR }'; }
b=$(mean "${bare_all[@]}"); a=$(mean "${roll_all[@]}")
echo "== mean over $rounds rounds: bare $b req/s, honor roll $a req/s, ratio $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')"

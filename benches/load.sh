#!/usr/bin/env bash
# Load test of a signed-in window head's home page (/head) on the demo center, against a
# bare axum handler that runs one indexed query and renders an askama page
# (examples/bare_server.rs), in the same run: wrk, 2 threads, 64 connections.
#
#   benches/load.sh [seconds]      (default 20; needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-20}"
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
  curl -fs "http://$app_addr/healthz" >/dev/null && curl -fs "http://$bare_addr/" >/dev/null && break
  sleep 1
done

# Sign in as head01 the way a browser does: the sign-in page's token, then the form.
jar=$(mktemp)
token=$(curl -fs -c "$jar" "http://$app_addr/login" | sed -n 's/.*name="_csrf" value="\([0-9a-f]*\)".*/\1/p' | head -n1)
curl -fs -b "$jar" -c "$jar" -o /dev/null -H "Origin: http://$app_addr" \
  --data-urlencode "_csrf=$token" --data-urlencode "username=head01" --data-urlencode "password=pingxuan2026" \
  "http://$app_addr/login"
[ -n "$token" ] || { echo "the sign-in page gave no form token (is the server up? see /tmp/pingxuan-bench.log)" >&2; exit 1; }
session=$(awk '$6 == "px_session" { print $7 }' "$jar")
[ -n "$session" ] || { echo "could not sign in" >&2; exit 1; }
curl -fs -H "Cookie: px_session=$session" "http://$app_addr/head" | grep -q '1号窗口 户籍' \
  || { echo "the head's page did not render" >&2; exit 1; }

run() { wrk -t2 -c64 -d"${secs}s" --latency "$@"; }
echo "== bare handler (one indexed query + askama)"
bare=$(run "http://$bare_addr/"); echo "$bare"
echo "== pingxuan /head, signed in as a window head"
app=$(run -H "Cookie: px_session=$session" "http://$app_addr/head"); echo "$app"
b=$(echo "$bare" | awk '/Requests\/sec/ { print $2 }')
a=$(echo "$app" | awk '/Requests\/sec/ { print $2 }')
echo "== ratio pingxuan/bare: $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }') ($a vs $b req/s)"

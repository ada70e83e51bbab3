#!/usr/bin/env bash
# Suite 15 of issue 6: every window head of a 300-window center votes within the same few
# seconds (see mass_vote.py for what is checked). Uses a fresh database of its own.
#
#   benches/mass_vote.sh [windows]      (default 300)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/pg-up
export SQLX_OFFLINE=true
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/pingxuan_massvote}"
db="${DATABASE_URL##*/}"
psql "${DATABASE_URL%/*}/postgres" -qc "drop database if exists \"$db\"" -qc "create database \"$db\""
cargo build --release --bin pingxuan 2>&1 | tail -n1
PINGXUAN_LOG=warn target/release/pingxuan demo --load-only >/dev/null
PINGXUAN_LOG=warn target/release/pingxuan serve --addr 127.0.0.1:8095 >/tmp/pingxuan-massvote.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf http://127.0.0.1:8095/healthz >/dev/null && break; sleep 0.1; done
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; server: release build, default pool"
python3 benches/mass_vote.py "$@"

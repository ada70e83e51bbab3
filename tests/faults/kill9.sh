#!/usr/bin/env bash
# Suite 12 of issue 6: the server killed with SIGKILL at random moments under a load of
# score saves and ballots; see kill9.py for what is checked after each kill.
#
#   tests/faults/kill9.sh [kills]      (default 20)
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/pg-up
export SQLX_OFFLINE=true
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/pingxuan_fault}"
cargo build --release --bin pingxuan 2>&1 | tail -n1
PINGXUAN_LOG=warn target/release/pingxuan demo --load-only >/dev/null
python3 tests/faults/kill9.py "$@"

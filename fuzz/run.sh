#!/usr/bin/env bash
# Fuzzes `pingxuan compute` (libFuzzer via cargo-fuzz) for SECONDS (default 300), seeded
# with the worked examples. Not part of .ci/run. Crashes land in fuzz/artifacts/compute/.
#
#   fuzz/run.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-300}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
mkdir -p corpus/compute
cp ../../shared/scoring-examples/*.json corpus/compute/ 2>/dev/null || true
export SQLX_OFFLINE=true
# cargo-fuzz passes nightly-only flags; the machine has one stable toolchain.
export RUSTC_BOOTSTRAP=1
cargo fuzz run compute corpus/compute -- -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048

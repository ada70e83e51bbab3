#!/usr/bin/env bash
# The province's signed-in pages, an earlier commit's build against this one's, on the same
# province and in turn (earlier, this, earlier, this, …), so that the machine's drift
# between runs (±15% on this kind of machine) falls on both alike. Each turn starts three
# release servers behind nginx (benches/province_servers.sh, as benches/province.sh does),
# signs in, warms each page (a second at 64 connections) and runs `wrk -t2 -c64 -d<seconds>s` on it.
# The province must have been generated (benches/province.sh).
#
#   benches/province_ab.sh <commit> [seconds per page] [rounds]    (default 5 s, 2 rounds)
#
# An earlier build refuses a database holding migrations it does not know: during its turns
# the newer migrations' rows are set aside in `_ab_migrations` and put back after, the
# schema itself unchanged (the newer tables and triggers stay, unused by the older build).
set -euo pipefail
cd "$(dirname "$0")/.."
old_commit="${1:?usage: benches/province_ab.sh <commit> [seconds per page] [rounds]}"
secs="${2:-5}"
rounds="${3:-2}"
# shellcheck source=benches/province_servers.sh
. benches/province_servers.sh
export SQLX_OFFLINE=true
province_ready

# This build, then the earlier one in a worktree with a target directory of its own
# (started from a copy of this one's, so that only the crate itself is compiled again).
cargo build --release --bin pingxuan 2>&1 | tail -n1
tree="target/ab/src-$old_commit"
[ -d "$tree" ] || git worktree add --detach "$tree" "$old_commit" >/dev/null
[ -d target/ab/target/release ] || { mkdir -p target/ab/target && cp -a target/release target/ab/target/; }
(cd "$tree" && CARGO_TARGET_DIR="$PWD/../target" cargo build --release --bin pingxuan 2>&1 | tail -n1)
old_bin=target/ab/target/release/pingxuan
new_bin=target/release/pingxuan
# The newest migration the earlier build knows.
known=$(ls "$tree/migrations" | sed -n 's/^\([0-9]*\)_.*/\1/p' | sort -n | tail -n1 | sed 's/^0*//')

# Puts the set-aside rows back, in one transaction that stops at the first error (the table
# stays until they are back).
restore() {
  [ "$(psql "$url" -tAc "select to_regclass('_ab_migrations') is not null")" = t ] || return 0
  psql "$url" -v ON_ERROR_STOP=1 -1 -q \
    -c "insert into _sqlx_migrations select * from _ab_migrations
         where version not in (select version from _sqlx_migrations)" \
    -c "drop table _ab_migrations"
}
trap 'province_down; restore' EXIT

declare -A rate
for round in $(seq "$rounds"); do
  for which in old new; do
    if [ "$which" = old ]; then
      psql "$url" -v ON_ERROR_STOP=1 -1 -q \
        -c "create table _ab_migrations as select * from _sqlx_migrations where version > $known" \
        -c "delete from _sqlx_migrations where version > $known"
      province_up "$old_bin"
    else
      province_up "$new_bin"
    fi
    province_sessions
    for entry in "${signed_in_pages[@]}"; do
      who="${entry%% *}" path="${entry#* }"
      warm "${cookie[$who]}" "$path"
      out=$(wrk -t2 -c64 -d"${secs}s" --latency -H "Cookie: ${cookie[$who]}" "$proxy$path")
      rate[$which$round $path]="$(echo "$out" | awk '/Requests\/sec/ {printf "%.0f", $2}') / $(echo "$out" | awk '$1 == "99%" {print $2}')"
    done
    province_down
    [ "$which" = old ] && restore
  done
done

this="$(git rev-parse --short HEAD)"
git diff --quiet HEAD -- src migrations templates static || this="$this with uncommitted changes"
echo "machine: $(nproc) cores; requests per second / p99 at 64 connections, $secs s per page; $old_commit against $this"
printf '\n| page |'
for round in $(seq "$rounds"); do printf ' %s (%s) | this (%s) |' "$old_commit" "$round" "$round"; done
printf '\n|---|'
for _ in $(seq "$rounds"); do printf -- '---:|---:|'; done
echo
for entry in "${signed_in_pages[@]}"; do
  path="${entry#* }"
  printf '| `%s` |' "$path"
  for round in $(seq "$rounds"); do printf ' %s | %s |' "${rate[old$round $path]}" "${rate[new$round $path]}"; done
  echo
done

#!/usr/bin/env bash
# The test command: builds once, then runs the whole suite on SQLite and again on PostgreSQL (a throwaway
# cluster the tests start from the machine's PostgreSQL binaries). Arguments go to both `dotnet test` runs,
# e.g. ./test.sh --filter FullyQualifiedName~Registry
#
# Without PostgreSQL binaries the PostgreSQL pass is skipped with a message, unless BINDERY_REQUIRE_POSTGRES
# is set (as in CI), which makes that a failure. BINDERY_PG_BIN names the directory of initdb and pg_ctl when
# the newest /usr/lib/postgresql/*/bin is not the one to use. Exits non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")"

if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
  cat <<'USAGE'
Usage: ./test.sh [dotnet test arguments]
  Builds once, then runs the suite on SQLite and again on PostgreSQL (a throwaway cluster on a free loopback port).
  ./test.sh                                               the whole suite, both stores (what CI runs)
  ./test.sh --filter "FullyQualifiedName~Bindery.Tests.X" one folder's tests, both stores
Environment: BINDERY_REQUIRE_POSTGRES=1 makes missing PostgreSQL binaries a failure (CI); BINDERY_PG_BIN names the
directory of initdb and pg_ctl.
USAGE
  exit 0
fi

postgres_missing_reason() {
  if [ -n "${BINDERY_PG_BIN:-}" ]; then
    if [ -x "$BINDERY_PG_BIN/initdb" ] && [ -x "$BINDERY_PG_BIN/pg_ctl" ]; then return 0; fi
    echo "BINDERY_PG_BIN=$BINDERY_PG_BIN holds no initdb and pg_ctl"
    return 0
  fi
  for bin in /usr/lib/postgresql/*/bin; do
    if [ -x "$bin/initdb" ] && [ -x "$bin/pg_ctl" ]; then return 0; fi
  done
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then return 0; fi
  echo "PostgreSQL binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin or on PATH; install Debian's 'postgresql' package"
}

user_filter=no
for arg in "$@"; do
  if [ "$arg" = "--filter" ]; then user_filter=yes; fi
done

# The official clients some tests drive (tests/node, pinned by its lockfile): installed once when npm is there.
if [ ! -d tests/node/node_modules ] && command -v npm >/dev/null 2>&1; then
  npm ci --prefix tests/node --no-audit --no-fund || echo "npm ci failed: the tests that drive official clients will say why"
fi

if ! dotnet build --nologo; then
  echo "Build failed."
  exit 1
fi

total_passed=0
total_failed=0
total_skipped=0
status=0
summaries=()

# run_pass STORE [dotnet test arguments...]
run_pass() {
  local store=$1
  shift
  local log
  log=$(mktemp)
  echo
  echo "=== Test suite on $store ==="
  BINDERY_TEST_STORE=$store dotnet test --no-build --nologo "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  # Minimal verbosity ends with "Passed!  - Failed: 0, Passed: 12, Skipped: 0, Total: 12, ...";
  # normal verbosity with "Total tests: 12" followed by "Passed: 12", "Failed: 1", "Skipped: 3" lines.
  local failed passed skipped line
  line=$(grep -E '^(Passed|Failed|Skipped)! +- ' "$log" | tail -n 1)
  if [ -n "$line" ]; then
    failed=$(sed -E 's/.*Failed: +([0-9]+).*/\1/' <<<"$line")
    passed=$(sed -E 's/.*Passed: +([0-9]+).*/\1/' <<<"$line")
    skipped=$(sed -E 's/.*Skipped: +([0-9]+).*/\1/' <<<"$line")
  elif grep -qE '^Total tests: [0-9]+' "$log"; then
    count() { sed -n -E "s/^ +$1: ([0-9]+)\$/\1/p" "$log" | tail -n 1; }
    failed=$(count Failed)
    passed=$(count Passed)
    skipped=$(count Skipped)
    failed=${failed:-0}
    passed=${passed:-0}
    skipped=${skipped:-0}
  else
    rm -f "$log"
    summaries+=("$store: no test summary (dotnet test exited with $rc)")
    status=1
    return
  fi
  rm -f "$log"
  total_failed=$((total_failed + failed))
  total_passed=$((total_passed + passed))
  total_skipped=$((total_skipped + skipped))
  summaries+=("$store: $passed passed, $failed failed, $skipped skipped")
  if [ "$rc" -ne 0 ] || [ "$failed" -ne 0 ]; then status=1; fi
}

missing=$(postgres_missing_reason)
if [ -z "$missing" ]; then
  # PostgreSQL-only tests (several nodes on one database) run once, in the PostgreSQL pass.
  if [ "$user_filter" = yes ]; then
    run_pass sqlite "$@"
  else
    run_pass sqlite --filter "Store!=PostgresOnly" "$@"
  fi
  run_pass postgres "$@"
else
  run_pass sqlite "$@"
  if [ -n "${BINDERY_REQUIRE_POSTGRES:-}" ] && [ "${BINDERY_REQUIRE_POSTGRES}" != 0 ]; then
    summaries+=("postgres: FAILED, BINDERY_REQUIRE_POSTGRES is set but $missing")
    total_failed=$((total_failed + 1))
    status=1
  else
    summaries+=("postgres: PostgreSQL suite SKIPPED: $missing")
  fi
fi

echo
for summary in "${summaries[@]}"; do
  echo "  $summary"
done
echo "Summary: $total_passed passed, $total_failed failed, $total_skipped skipped"
exit $status

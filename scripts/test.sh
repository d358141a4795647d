#!/usr/bin/env bash
# npm test: format check, lint, type check, then the whole test suite; ends with the plain
# "N passed, N failed, N skipped" line CI reads (scripts/test_summary.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
deno=node_modules/.bin/deno
if [ ! -x "$deno" ]; then
  echo "Deno is missing: run 'npm ci' first" >&2
  exit 1
fi
mkdir -p .tmp
step() { echo "== $*" >&2; }

step "format check"
"$deno" fmt --check || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
step "lint"
"$deno" lint || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
step "type check"
"$deno" check --quiet . || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
step "layer check"
"$deno" run --quiet --allow-read scripts/check_layers.ts || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }

step "tests"
# A log of its own, so two runs at once never mix their output.
log=$(mktemp .tmp/test-output.XXXXXX)
trap 'rm -f "$log"' EXIT
# `deno check .` above has type-checked the tests too; a second check of the test graph cost
# about 20 s of CPU on a cold cache. DENO_JOBS=N runs N test files at a time (off by default:
# on a 2-core machine timing-sensitive tests may then miss their deadlines).
parallel=()
if [ "${DENO_JOBS:-1}" -gt 1 ] 2>/dev/null; then parallel=(--parallel); fi
NO_COLOR=1 "$deno" test -A --no-lock --no-check --quiet "${parallel[@]}" "$@" tests/ 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
echo
bash scripts/test_summary.sh "$log"
exit "$status"

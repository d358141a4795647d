#!/usr/bin/env bash
# Prints the plain closing line CI reads, "N passed, N failed, N skipped", from a `deno test`
# log (the file named, else stdin). Skipped counts ignored tests and ignored steps alike: a test
# whose every check was an ignored step did not pass anything. No summary line means the run
# did not finish, which counts as a failure.
set -uo pipefail
summary=$(grep -aE '^(ok|FAILED) \| [0-9]+ passed' "${1:-/dev/stdin}" | tail -n 1)
number() { sed -nE "s/.*\| ([0-9]+) $1( \(([0-9]+) steps?\))?.*/\1 \3/p" <<<"$summary"; }
read -r passed _ <<<"$(number passed)"
read -r failed _ <<<"$(number failed)"
read -r ignored ignored_steps <<<"$(number ignored)"
skipped=$(( ${ignored:-0} + ${ignored_steps:-0} ))
echo "${passed:-0} passed, ${failed:-1} failed, ${skipped} skipped"

#!/usr/bin/env bash
# Runs every `go test -fuzz` target in the module for a while each, one
# target at a time on one worker: long enough in CI to catch a regression
# the seed corpora miss, short enough to run on every change.
#
#   deploy/fuzz.sh [TIME]          TIME per target, default 10s (go's -fuzztime:
#                                  30s, 2m, or 10000x for a count of inputs)
#   FUZZ_PARALLEL=2 deploy/fuzz.sh more workers per target (default 1)
#   FUZZ_MINIMIZE=60s deploy/fuzz.sh  time to minimise each new or failing
#                                  input (default 5s: go's 60s would eat a
#                                  short run, which spends it on every input
#                                  that reaches new code)
#
# Targets are found, not listed: any func FuzzXxx in a _test.go file runs.
# The api target needs what the api tests need (PostgreSQL, redis-server):
# run it after deploy/setup.sh --test, as deploy/test.sh does. A failing
# input is written by go to the package's testdata/fuzz/FuzzXxx/; minimise
# it (go test -run FuzzXxx/NAME), fix the code, and commit it there as the
# regression test.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=${1:-10s}
parallel=${FUZZ_PARALLEL:-1}
minimize=${FUZZ_MINIMIZE:-5s}
failed=()
# Packages whose tests define a fuzz target.
mapfile -t pkgs < <(grep -rl --include='*_test.go' '^func Fuzz' . | grep -v '/testdata/' | xargs -n1 dirname | sort -u)
for pkg in "${pkgs[@]}"; do
  for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz'); do
    echo "== $pkg $target, $fuzztime"
    before=$(ls "$pkg/testdata/fuzz/$target" 2>/dev/null | wc -l)
    if ! out=$(go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" \
        -fuzzminimizetime "$minimize" -parallel "$parallel" "$pkg" 2>&1); then
      after=$(ls "$pkg/testdata/fuzz/$target" 2>/dev/null | wc -l)
      # go's fuzzer reports "context deadline exceeded" when its time runs
      # out while it is still minimising a new interesting input; it wrote
      # no failing input then. A real failure writes one.
      if [[ $after == "$before" ]] && grep -q 'context deadline exceeded' <<<"$out" &&
         ! grep -q 'Failing input written' <<<"$out"; then
        echo "$out"
        echo "deploy/fuzz: $pkg $target: time ran out while minimising an input; no failing input (not a failure)"
        continue
      fi
      echo "$out"
      failed+=("$pkg $target")
    else
      echo "$out"
    fi
  done
done
if ((${#failed[@]})); then
  printf 'fuzz target failed: %s\n' "${failed[@]}" >&2
  exit 1
fi

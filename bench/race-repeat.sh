#!/usr/bin/env bash
# Runs every test file that starts a process or a server (the built CLI, worker threads, the
# Pulumi engine, Prometheus, Chromium, a fake AWS or Kubernetes API) ROUNDS times in a row while
# a CPU burner keeps every core busy beside them: a test that races the clock, a fixed sleep or
# an assumed overlap shows up here as a failure in some round. Not part of `npm test` (slow).
#
#   bash bench/race-repeat.sh [ROUNDS] [FILE...]      # default 20 rounds, every such file
#   RACE_BURNERS=2 bash bench/race-repeat.sh 5        # two burners (default one)
#
# Prints one line a round (passed or failed, seconds, the load average at its end) and exits 1
# when any round failed; the vitest output of a failed round is kept in
# bench/results/race-round-N.log. The run is recorded in docs/testing.md (bench/race-record.ts).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

rounds=${1:-20}
shift || true
if [ "$#" -gt 0 ]; then
  files=("$@")
else
  # Every file of the integration tier (test/tiers.ts): those that start a process or a server.
  mapfile -t files < <(sed -n "s/^  '\(test\/[^']*\.test\.ts\)',$/\1/p" test/tiers.ts)
fi
if [ "${#files[@]}" -eq 0 ]; then
  echo "race-repeat: no test files to run" >&2
  exit 2
fi

# The integration tests run the built CLI: build it first, as npm run test:integration does.
npm run build --silent || exit 2
mkdir -p bench/results
exec > >(tee bench/results/race-repeat.log) 2>&1
commit=$(git rev-parse --short HEAD)
[ -n "$(git status --porcelain --untracked-files=no)" ] && commit="$commit with uncommitted changes"

burners=${RACE_BURNERS:-1}
pids=()
stop_burners() { [ "${#pids[@]}" -gt 0 ] && kill "${pids[@]}" 2>/dev/null; }
trap stop_burners EXIT
for _ in $(seq 1 "$burners"); do
  node -e 'for (;;) Math.sqrt(Math.random());' &
  pids+=($!)
done

echo "race-repeat: ${#files[@]} files, $rounds rounds, $burners CPU burner(s) on $(nproc) cores"
failed=0
for round in $(seq 1 "$rounds"); do
  start=$SECONDS
  log="bench/results/race-round-$round.log"
  if npx vitest run -c vitest.integration.config.ts "${files[@]}" >"$log" 2>&1; then
    echo "round $round: passed in $((SECONDS - start)) s (load $(cut -d' ' -f1 /proc/loadavg))"
    rm -f "$log"
  else
    failed=$((failed + 1))
    echo "round $round: FAILED in $((SECONDS - start)) s (load $(cut -d' ' -f1 /proc/loadavg); see $log)"
    grep -E '(FAIL|✗|×) ' "$log" | head -20
  fi
done
echo "race-repeat: $((rounds - failed)) of $rounds rounds passed"
node dist/bench/race-record.js bench/results/race-repeat.log "$commit" "${files[@]}" >/dev/null
[ "$failed" -eq 0 ]

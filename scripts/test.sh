#!/usr/bin/env bash
# The test command (README: `npm ci && npm test`): brings the local stack up,
# checks format, lint and types, then runs the unit and integration tests
# against the real stack, and closes with one summary line.
set -euo pipefail
cd "$(dirname "$0")/.."

# The run empties the stack and the fault tests stop and start its parts: the
# whole run holds the stack's lock, so that no other run on this machine uses
# the stack meanwhile (-o: the daemons `stack up` starts do not inherit it).
if [ -z "${ROWKUBE_STACK_LOCKED:-}" ]; then
  ROWKUBE_STACK_LOCKED=1 exec flock -o /tmp/rowkube-stack.lock "$0" "$@"
fi

# Tests start from an empty stack: topics, namespaces and tables that earlier
# runs and benchmarks left behind slow Kafka's start and the apiserver for every
# test. The builds in ~/.cache/rowkube stay; only the stack's data goes.
deploy/local/stack down --purge
deploy/local/stack up
# The container image the image tests run (a warm rebuild redoes only the app layer).
deploy/image/build
set -a; eval "$(deploy/local/stack env)"; set +a

echo '== lint and format (biome)'
npx biome ci .
echo '== types (tsc)'
npx tsc -p tsconfig.json --noEmit
echo '== layers (scripts/check-layers.ts)'; node --import tsx scripts/check-layers.ts

echo '== tests (vitest)'
mkdir -p .vitest
rc=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.vitest/results.json "$@" || rc=$?
# A closing line any CI reads, whatever the runner: "N passed, N failed".
node -e '
  const r = JSON.parse(require("fs").readFileSync(".vitest/results.json", "utf8"));
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' || true
exit $rc

#!/usr/bin/env bash
# The main job (README: `npm ci && npm run demo`): brings the local stack up,
# then shows change capture on MariaDB and PostgreSQL end to end (scripts/demo.ts).
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/local/stack up
[ -f dist/src/cli/run.js ] || npm run build
set -a; eval "$(deploy/local/stack env)"; set +a
node --import tsx scripts/demo.ts
echo
echo 'The local stack keeps running; stop it with: deploy/local/stack down'

#!/usr/bin/env bash
# The main job (README: `npm ci && npm run demo`): brings the local stack up,
# then shows rows becoming Kubernetes objects on MariaDB and PostgreSQL (scripts/demo.ts).
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/local/stack up
set -a; eval "$(deploy/local/stack env)"; set +a
node --import tsx scripts/demo.ts
echo
echo 'The local stack keeps running; stop it with: deploy/local/stack down'

#!/usr/bin/env bash
# The main job (README: `npm ci && npm run demo`). Until the pipeline exists it
# brings the local stack up and shows how to reach each part; the capture →
# process → apply demo replaces this as those stages land.
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/local/stack up
echo
deploy/local/stack status
echo
echo 'The local stack is up. Its addresses (for your shell: eval "$(deploy/local/stack env)"):'
deploy/local/stack env | sed 's/^/  /'
echo
echo 'rowkube itself does not stream rows yet: change capture, the processor and the'
echo 'sink are being built (see README.md, "Status"). Stop the stack with: deploy/local/stack down'

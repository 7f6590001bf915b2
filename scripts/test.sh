#!/usr/bin/env bash
# Runs every bmnet test: installs what the tests need (npm packages, Debian peers), checks lint, format
# and types, then runs unit + fuzz tests and the integration / end-to-end tests against real peers.
#   scripts/test.sh            everything (root: namespaces, OVS, sshd, QEMU)
#   scripts/test.sh unit       unit and fuzz tests only (no root needed)
set -euo pipefail
cd "$(dirname "$0")/.."
suite=${1:-all}

if [ "$suite" = all ]; then bash scripts/install-peers.sh; fi
if ! npm ls --depth=0 >/dev/null 2>&1; then npm ci --no-audit --no-fund; fi
# Everything below runs on the project's pinned Node (docs/runtime.md), not the machine's.
node=$(scripts/node-runtime.sh)
PATH="$(dirname "$node"):$PATH"
export PATH
bash scripts/node-runtime.sh rebuild

npx biome check .
npx tsc --noEmit -p .

run_suite() { # name concurrency files...
  local name=$1 concurrency=$2; shift 2
  if [ $# -eq 0 ]; then echo "test.sh: no $name test files found" >&2; exit 1; fi
  echo "# $name: $# test files"
  "$node" --test --test-concurrency="$concurrency" --test-timeout=900000 "$@"
}

mapfile -t unit < <(find test/unit test/fuzz -name '*.test.ts' 2>/dev/null | sort)
run_suite unit 2 "${unit[@]}"

if [ "$suite" = all ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "test.sh: integration tests need root (namespaces, OVS)" >&2; exit 1; fi
  mapfile -t integration < <(find test/integration test/e2e -name '*.test.ts' 2>/dev/null | sort)
  run_suite integration 1 "${integration[@]}"
fi

#!/usr/bin/env bash
# Makes the TypeScript sources runnable by Node's own type stripping (docs/runtime.md): rewrites parameter
# properties into fields (erasable.mjs) and relative `.js` import specifiers into `.ts` (ts-imports.mjs) in
# every *.ts file under src, test, bench and scripts, then formats with biome. Idempotent: re-run it after
# merging branches that still use the old forms. Node: the pinned one if installed, else the machine's.
set -euo pipefail
cd "$(dirname "$0")/../.."
node=$(scripts/node-runtime.sh 2>/dev/null || command -v node)
mapfile -t files < <(find src test bench scripts -name '*.ts' | sort)
echo "codemod: ${#files[@]} files"
"$node" scripts/codemod/erasable.mjs "${files[@]}"
"$node" scripts/codemod/ts-imports.mjs "${files[@]}"
npx biome check --write .

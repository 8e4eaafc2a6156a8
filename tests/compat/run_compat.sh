#!/usr/bin/env bash
# Real-client compatibility tests (ctest: compat_npm_clients).
# Usage: run_compat.sh HEARTH_BINARY CACHE_DIR
# Installs the pinned npm packages `openai` and `ollama` (package-lock.json) into CACHE_DIR from the npm
# registry, once, then runs compat.test.mjs with Node's test runner. Exits 77 (ctest: skipped) with a reason
# when Node.js >= 18, npm or the registry is unavailable.
set -uo pipefail

hearth=${1:?usage: run_compat.sh HEARTH_BINARY CACHE_DIR}
cache=${2:?usage: run_compat.sh HEARTH_BINARY CACHE_DIR}
here=$(cd "$(dirname "$0")" && pwd)

skip() {
  echo "SKIPPED: $*"
  exit 77
}

command -v node >/dev/null || skip "node is not installed (deploy/install-deps.sh --with-test-tools installs it)"
command -v npm >/dev/null || skip "npm is not installed (deploy/install-deps.sh --with-test-tools installs it)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[[ $node_major -ge 18 ]] || skip "Node.js $(node --version) is too old; the clients need Node.js 18 or newer"
[[ -x $hearth ]] || { echo "error: $hearth is not executable" >&2; exit 1; }
hearth=$(cd "$(dirname "$hearth")" && pwd)/$(basename "$hearth")

mkdir -p "$cache"
# Reinstall only when the pinned versions change.
if ! cmp -s "$here/package-lock.json" "$cache/package-lock.json" || [[ ! -d $cache/node_modules/openai ]]; then
  cp "$here/package.json" "$here/package-lock.json" "$cache/"
  if ! (cd "$cache" && timeout 600 npm ci --no-audit --no-fund --loglevel=error); then
    rm -f "$cache/package-lock.json"
    skip "npm ci failed: the npm registry is unreachable or refused the packages"
  fi
fi
# The test file runs from the cache folder so that its imports resolve to the installed packages.
cp "$here/compat.test.mjs" "$cache/"
cd "$cache" && HEARTH_BINARY="$hearth" exec node --test --test-concurrency=1 compat.test.mjs

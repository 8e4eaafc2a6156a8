#!/usr/bin/env bash
# llama.cpp interoperability test (ctest: interop_llama_cpp_tiny and interop_llama_cpp_small).
# Usage: run_interop.sh HEARTH_BINARY CACHE_DIR WORK_DIR [tiny|small]
# Installs the pinned npm package node-llama-cpp with only its x64 Linux CPU binaries (package-lock.json; about
# 80 MB instead of the 730 MB of a default install, which pulls CUDA and Vulkan builds as optional dependencies)
# into CACHE_DIR, once, then runs interop.test.mjs with Node's test runner; generated models go to WORK_DIR. The
# last argument picks one half of the checks (the tiny models, or the hidden-256 MoE model; default both), so
# that ctest can run the halves side by side.
# Exits 77 (ctest: skipped) with a reason when this is not x64 Linux, or Node.js >= 20, npm or the registry is
# unavailable.
set -uo pipefail

hearth=${1:?usage: run_interop.sh HEARTH_BINARY CACHE_DIR WORK_DIR}
cache=${2:?usage: run_interop.sh HEARTH_BINARY CACHE_DIR WORK_DIR}
work=${3:?usage: run_interop.sh HEARTH_BINARY CACHE_DIR WORK_DIR}
part=${4:-all}
if [[ $part != all && $part != tiny && $part != small ]]; then
  echo "error: unknown part '$part' (tiny or small)" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)

skip() {
  echo "SKIPPED: $*"
  exit 77
}

[[ $(uname -s) == Linux && $(uname -m) == x86_64 ]] ||
  skip "the pinned llama.cpp binaries (@node-llama-cpp/linux-x64) are for x64 Linux, not $(uname -sm)"
command -v node >/dev/null || skip "node is not installed (deploy/install-deps.sh --with-test-tools installs it)"
command -v npm >/dev/null || skip "npm is not installed (deploy/install-deps.sh --with-test-tools installs it)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[[ $node_major -ge 20 ]] || skip "Node.js $(node --version) is too old; node-llama-cpp needs Node.js 20 or newer"
[[ -x $hearth ]] || { echo "error: $hearth is not executable" >&2; exit 1; }
[[ -n ${HEARTH_SHARED:-} && -d $HEARTH_SHARED/models ]] ||
  skip "shared reference data not found at '${HEARTH_SHARED:-}' (set HEARTH_SHARED)"
hearth=$(cd "$(dirname "$hearth")" && pwd)/$(basename "$hearth")
mkdir -p "$cache" "$work"
work=$(cd "$work" && pwd)

# Reinstall only when the pinned versions change. --omit=optional leaves out the GPU and other-platform builds;
# --ignore-scripts skips node-llama-cpp's postinstall, which would probe for GPUs and may try to compile llama.cpp.
# The lock keeps two halves started together from installing into the same folder at once.
exec 9>"$cache/.install.lock"
flock 9
if ! cmp -s "$here/package-lock.json" "$cache/package-lock.json" || [[ ! -d $cache/node_modules/node-llama-cpp ]]; then
  cp "$here/package.json" "$here/package-lock.json" "$cache/"
  if ! (cd "$cache" && timeout 600 npm ci --omit=optional --ignore-scripts --no-audit --no-fund --loglevel=error); then
    rm -f "$cache/package-lock.json"
    skip "npm ci failed: the npm registry is unreachable or refused the packages"
  fi
fi
# The scripts run from the cache folder so that their imports resolve to the installed packages; each half gets
# its own copy, written while the lock is held.
runner=$cache/run-$part
mkdir -p "$runner"
cp "$here/interop.test.mjs" "$here/llama_greedy.mjs" "$runner/"
flock -u 9
cd "$runner" && HEARTH_BINARY="$hearth" HEARTH_INTEROP_WORK="$work" HEARTH_INTEROP_PART="$part" exec node --test \
  --test-concurrency=1 --test-reporter=spec interop.test.mjs

#!/usr/bin/env bash
# Newcomer command 2: run the tests. A Release build with assertions runs every suite; an
# ASan+UBSan build runs the fast suites (the fuzz-style readers included).
# Usage: scripts/test.sh [--no-sanitize] [--no-slow]
# Reference tests read ../shared (override with HEARTH_SHARED).
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=1
ctest_args=(--output-on-failure --parallel "$(nproc)" --timeout 1200)
for a in "$@"; do
  case "$a" in
    --no-sanitize) sanitize=0 ;;
    --no-slow) ctest_args+=(--label-exclude slow) ;;
    *) echo "error: unknown option $a" >&2; exit 2 ;;
  esac
done

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build --parallel "$(nproc)"
(cd build && ctest "${ctest_args[@]}")

if [[ $sanitize -eq 1 ]]; then
  # -O1: the sanitizers still see every access, and the model suites run several times faster than at -O0.
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" -DHEARTH_SANITIZE=ON \
    -DHEARTH_BUILD_BENCH=OFF
  cmake --build build-asan --parallel "$(nproc)"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure --parallel "$(nproc)" --timeout 1200 \
     --label-exclude slow)
fi

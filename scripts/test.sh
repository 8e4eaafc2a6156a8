#!/usr/bin/env bash
# Newcomer command 2: run the tests. A Release build with assertions runs every suite; an
# ASan+UBSan build runs the fast suites (the fuzz-style readers included), and of the per-model numeric sweeps
# against transformers only one case per model (the f32 reference, Q8_0 on the MoE model, the avx2 batch
# invariance): the other variants run the same code on other weight types, which the Release run checks. The
# numeric KL-divergence and perplexity comparisons with independent computations run in Release only too.
# Usage: scripts/test.sh [--no-sanitize] [--no-slow] [--no-interop]
#   The Release run includes the llama.cpp interoperability test (tests/interop, labels interop and slow;
#   BENCHMARKS.md, "Interoperability"): two tests of about 1.5 minutes on one core each, after a one-time 80 MB
#   npm download, skipped with a reason where Node.js >= 20 or the npm registry is missing. --no-interop leaves
#   them out.
# Reference tests read ../shared (override with HEARTH_SHARED).
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=1
excluded=()
ctest_args=(--output-on-failure --parallel "$(nproc)" --timeout 1200)
for a in "$@"; do
  case "$a" in
    --no-sanitize) sanitize=0 ;;
    --no-slow) excluded+=(slow) ;;
    --no-interop) excluded+=(interop) ;;
    *) echo "error: unknown option $a" >&2; exit 2 ;;
  esac
done
labels=$(printf '%s\n' "${excluded[@]}" | grep -v '^$' | paste -sd'|' || true)
if [[ -n $labels ]]; then ctest_args+=(--label-exclude "^($labels)\$"); fi

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build --parallel "$(nproc)"
(cd build && ctest "${ctest_args[@]}")

if [[ $sanitize -eq 1 ]]; then
  # -O1: the sanitizers still see every access, and the model suites run several times faster than at -O0 (the
  # test sources themselves compile at -O0: tests/CMakeLists.txt). Every library keeps -O1, even the ones that
  # only parse and do I/O: the linker keeps one copy of each inline function (nlohmann::json's parser, say), from
  # the first object that has one, so a library at -O0 slows the JSON code of every program linked with it
  # (tried: the CLI suites ran 2-3 times longer, eating what the faster compile saved).
  # -g1: line tables for the sanitizers' stack traces, without full debug info (a quarter of the compile time).
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g1 -O1" -DHEARTH_SANITIZE=ON \
    -DHEARTH_BUILD_BENCH=OFF
  cmake --build build-asan --parallel "$(nproc)"
  redundant='^(TinyModels/(ReferenceTest\.MatchesTransformers/.*_(f16|bf16|hf)'
  redundant+='|QuantizedModelTest\..*/(qwen3|qwen2)_tiny|BatchInvarianceTest\..*_generic)'
  # 64 concurrent requests, each also decoded alone: a minute under the sanitizers for paths that the other
  # EngineService tests (concurrent requests, preemption, prefix sharing, cancellation) run there as well.
  redundant+='|EngineService\.SixtyFourConcurrentGreedyRequestsMatchEachAlone'
  # The numeric agreement of KL divergence and perplexity with independent computations (the code they run is
  # covered here by the other evaluator and kld/perplexity command tests; Release checks the numbers).
  redundant+='|KlDivergence\.F16AgainstF32[^ ]*|KldCommand\.F16AgainstF32[^ ]*|Perplexity(Command)?\.MatchesAnIndependent[^ ]*)( |$)'
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure --parallel "$(nproc)" --timeout 1200 \
     --label-exclude slow --exclude-regex "$redundant")
fi

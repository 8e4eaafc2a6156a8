#!/usr/bin/env bash
# Newcomer command 1: install the Debian packages (build + test tools), build Hearth (Release, assertions on), make the
# demo model (random weights, a tiny trained tokenizer; needs nothing from ../shared) and run it.
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/install-deps.sh --with-test-tools
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build --parallel "$(nproc)"

echo "--- hearth run build/demo/demo-qwen3moe.gguf (random weights: the text is noise, the pipeline is real)"
build/src/cli/hearth run build/demo/demo-qwen3moe.gguf --chat -p "Hello, Hearth!" -n 24 --seed 1
echo

#!/usr/bin/env bash
# Interoperability check: converts each tiny model with `hearth convert --type f32`, loads the GGUF in
# real llama.cpp (npm node-llama-cpp 3.21.1, see ../shared/peers/README.md) and compares llama.cpp's
# greedy continuation with the transformers reference in ../shared/reference/NAME.json.
# Prints PASS/FAIL per model; exits 1 when a model fails, 0 otherwise (also when it has to skip).
#
# Usage: tools/check_llama_cpp_interop.sh [--all-prompts] [MODEL...]
#   HEARTH_BIN       hearth binary (default: build/src/cli/hearth)
#   HEARTH_SHARED    shared folder (default: ../shared next to the repository)
#   HEARTH_PEER_DIR  node-llama-cpp install with bench.mjs (default: ~/.cache/hearth-peer)
#   THREADS          llama.cpp threads (default 2)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
hearth="${HEARTH_BIN:-$repo/build/src/cli/hearth}"
shared="${HEARTH_SHARED:-$repo/../shared}"
peer="${HEARTH_PEER_DIR:-$HOME/.cache/hearth-peer}"
threads="${THREADS:-2}"
all_prompts=0
models=()
for arg in "$@"; do
  case "$arg" in
    --all-prompts) all_prompts=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) models+=("$arg") ;;
  esac
done
[ ${#models[@]} -gt 0 ] || models=(qwen3moe-tiny qwen3-tiny qwen2-tiny)

if ! command -v node >/dev/null 2>&1 || [ ! -d "$peer/node_modules/node-llama-cpp" ] || [ ! -f "$peer/bench.mjs" ]; then
  echo "SKIP: node-llama-cpp is not installed in $peer (set it up as ../shared/peers/README.md describes)"
  exit 0
fi
[ -x "$hearth" ] || { echo "error: no hearth binary at $hearth (build first or set HEARTH_BIN)" >&2; exit 2; }
[ -d "$shared/models" ] || { echo "error: no shared models at $shared/models (set HEARTH_SHARED)" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/hearth-interop.XXXXXX")"
trap 'rm -rf "$work"' EXIT

failed=0
for model in "${models[@]}"; do
  ref="$shared/reference/$model.json"
  gguf="$work/$model-f32.gguf"
  if ! "$hearth" convert "$shared/models/$model" -o "$gguf" --type f32 -q 2>"$work/convert.err"; then
    echo "FAIL $model: hearth convert failed: $(grep -m1 -i error "$work/convert.err" || tail -n 1 "$work/convert.err")"
    failed=1
    continue
  fi
  # Prompt indices to check: the first raw prompt and the first chat prompt, or all of them.
  indices="$(node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const all = process.argv[2] === "1";
    const pick = all ? r.prompts.map((_, i) => i)
                     : [r.prompts.findIndex((p) => p.kind === "raw"), r.prompts.findIndex((p) => p.kind === "chat")];
    console.log([...new Set(pick.filter((i) => i >= 0))].join(" "));' "$ref" "$all_prompts")"
  model_ok=1
  checked=0
  for i in $indices; do
    ids="$(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      console.log(r.prompts[Number(process.argv[2])].ids.join(","));' "$ref" "$i")"
    n="$(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      console.log(r.prompts[Number(process.argv[2])].greedy.length);' "$ref" "$i")"
    if ! node "$peer/bench.mjs" --model "$gguf" --threads "$threads" --prompt-tokens "$ids" --n-predict "$n" \
         --skip-perf --json "$work/out.json" >"$work/bench.log" 2>&1; then
      echo "FAIL $model: llama.cpp could not load or run the GGUF: $(grep -m1 -i error "$work/bench.log" || tail -n 1 "$work/bench.log")"
      model_ok=0
      break
    fi
    verdict="$(node -e '
      const fs = require("fs");
      const ref = JSON.parse(fs.readFileSync(process.argv[1], "utf8")).prompts[Number(process.argv[2])];
      const got = JSON.parse(fs.readFileSync(process.argv[3], "utf8")).greedy.tokens;
      const same = JSON.stringify(got) === JSON.stringify(ref.greedy);
      console.log(same ? "ok" : `prompt ${ref.name}: llama.cpp ${JSON.stringify(got)} reference ${JSON.stringify(ref.greedy)}`);
    ' "$ref" "$i" "$work/out.json")"
    if [ "$verdict" != "ok" ]; then
      echo "FAIL $model: $verdict"
      model_ok=0
      break
    fi
    checked=$((checked + 1))
  done
  if [ "$model_ok" = 1 ]; then
    echo "PASS $model ($checked prompts: llama.cpp's greedy continuation equals the reference)"
  else
    failed=1
  fi
  rm -f "$gguf"
done
exit "$failed"

#!/usr/bin/env bash
# Interoperability check: converts each tiny model with `hearth convert --type TYPE` for each TYPE (f32, q8_0,
# q4_k_m by default), loads the GGUF in real llama.cpp (npm node-llama-cpp 3.21.1, see
# ../shared/peers/README.md) and compares llama.cpp's greedy continuation with the transformers reference in
# ../shared/reference/NAME.json. f32/f16/bf16: llama.cpp's continuation must be the reference's. Quantized types
# move the logits of these small random models by a few percent, enough to flip near-tied tokens (llama.cpp's
# own Q8_0 results leave the f32 continuation too), so a quantized file passes when llama.cpp's continuation
# equals Hearth's on the same file (`hearth logits --greedy`), or shares at least its first half with the
# reference. The report gives both comparisons.
# Prints PASS/FAIL per model and type; exits 1 when one fails, 0 otherwise (also when it has to skip).
#
# Usage: tools/check_llama_cpp_interop.sh [--all-prompts] [--types f32,q8_0,q4_k_m] [MODEL...]
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
types="f32,q8_0,q4_k_m"
models=()
while [ $# -gt 0 ]; do
  case "$1" in
    --all-prompts) all_prompts=1 ;;
    --types) shift; types="$1" ;;
    --types=*) types="${1#--types=}" ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) models+=("$1") ;;
  esac
  shift
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
for type in ${types//,/ }; do
for model in "${models[@]}"; do
  ref="$shared/reference/$model.json"
  gguf="$work/$model-$type.gguf"
  if ! "$hearth" convert "$shared/models/$model" -o "$gguf" --type "$type" -q 2>"$work/convert.err"; then
    echo "FAIL $model $type: hearth convert failed: $(grep -m1 -i error "$work/convert.err" || tail -n 1 "$work/convert.err")"
    failed=1
    continue
  fi
  case "$type" in f32|f16|bf16) exact=1 ;; *) exact=0 ;; esac
  # Prompt indices to check: the first raw prompt and the first chat prompt, or all of them.
  indices="$(node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const all = process.argv[2] === "1";
    const pick = all ? r.prompts.map((_, i) => i)
                     : [r.prompts.findIndex((p) => p.kind === "raw"), r.prompts.findIndex((p) => p.kind === "chat")];
    console.log([...new Set(pick.filter((i) => i >= 0))].join(" "));' "$ref" "$all_prompts")"
  model_ok=1
  checked=0
  notes=""
  for i in $indices; do
    ids="$(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      console.log(r.prompts[Number(process.argv[2])].ids.join(","));' "$ref" "$i")"
    n="$(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      console.log(r.prompts[Number(process.argv[2])].greedy.length);' "$ref" "$i")"
    if ! node "$peer/bench.mjs" --model "$gguf" --threads "$threads" --prompt-tokens "$ids" --n-predict "$n" \
         --skip-perf --json "$work/out.json" >"$work/bench.log" 2>&1; then
      echo "FAIL $model $type: llama.cpp could not load or run the GGUF: $(grep -m1 -i error "$work/bench.log" || tail -n 1 "$work/bench.log")"
      model_ok=0
      break
    fi
    hearth_json=""
    if [ "$type" != f32 ] && "$hearth" logits "$gguf" --ids "$ids" --greedy "$n" --top 1 >"$work/hearth.json" 2>/dev/null; then
      hearth_json="$work/hearth.json"
    fi
    verdict="$(node -e '
      const fs = require("fs");
      const ref = JSON.parse(fs.readFileSync(process.argv[1], "utf8")).prompts[Number(process.argv[2])];
      const got = JSON.parse(fs.readFileSync(process.argv[3], "utf8")).greedy.tokens;
      const exact = process.argv[4] === "1";
      let prefix = 0;
      while (prefix < got.length && got[prefix] === ref.greedy[prefix]) prefix++;
      const ok = exact ? prefix === ref.greedy.length && got.length === ref.greedy.length
                       : 2 * prefix >= ref.greedy.length;
      let note = `${prefix}/${ref.greedy.length}`;
      let same_as_hearth = false;
      let ours = [];
      if (process.argv[5]) {
        ours = JSON.parse(fs.readFileSync(process.argv[5], "utf8")).greedy;
        same_as_hearth = JSON.stringify(ours) === JSON.stringify(got);
        note += same_as_hearth ? " hearth=llama.cpp" : " hearth!=llama.cpp";
      }
      console.log(ok || same_as_hearth ? `ok ${note}`
                  : `prompt ${ref.name}: llama.cpp ${JSON.stringify(got)} hearth ${JSON.stringify(ours)} reference ${JSON.stringify(ref.greedy)}`);
    ' "$ref" "$i" "$work/out.json" "$exact" "$hearth_json")"
    case "$verdict" in
      ok*) notes="$notes ${verdict#ok }," ;;
      *) echo "FAIL $model $type: $verdict"; model_ok=0; break ;;
    esac
    checked=$((checked + 1))
  done
  if [ "$model_ok" = 1 ]; then
    if [ "$exact" = 1 ]; then
      echo "PASS $model $type ($checked prompts; llama.cpp's continuation: tokens equal to the reference from the start, and vs Hearth on the same file:${notes%,})"
    else
      echo "PASS $model $type ($checked prompts; llama.cpp's continuation: tokens equal to the reference from the start, and vs Hearth on the same file:${notes%,})"
    fi
  else
    failed=1
  fi
  rm -f "$gguf"
done
done
exit "$failed"

#!/usr/bin/env bash
# Hearth vs llama.cpp on one machine, one GGUF, one thread count, in one run; prints the markdown tables
# that BENCHMARKS.md records.
#
#   bench/compare_llama.sh [--threads 2] [--preset medium] [--types "q8_0 q4_k_m"] [--reps 3]
#                          [--shape NAME --gen-args "--hidden 1536 --layers 16 ..."]
#                          [--dir /tmp/hearth-bench] [--hearth PATH] [--text FILE] [--kld-ctx 512]
#                          [--kld-chunks 4] [--no-kld] [--no-peer] [--out REPORT.md]
#
# Steps (every model file is cached in --dir and reused when present):
#  1. a random-weight Qwen3-MoE GGUF of the preset's width in f16 (../shared/peers/make_random_gguf.py): the
#     quantization source and the KL-divergence reference (benchmarked only when --types lists f16);
#     --gen-args overrides the preset's dimensions (make_random_gguf.py flags) and --shape names the result,
#     so a shape other than the presets is measured the same way;
#  2. each --types entry: `hearth quantize` of the f16 file (bf16/f32 entries are generated directly);
#     a type `hearth quantize` does not know is reported and skipped;
#  3. memory bandwidth with --threads threads (../shared/peers/stream_bw.c, best read-only rate);
#  4. per file, alternately: `hearth bench --json` and llama.cpp through node-llama-cpp
#     (../shared/peers/bench.mjs, a copy set up in $PEER with its node_modules; see ../shared/peers/README.md);
#  5. per quantized type: `hearth kld TYPE --reference f16` over --text (default: shared/data/specs/gguf.md);
#  6. bench/compare_report.mjs turns the JSON results into the tables (stdout, and --out when given).
# The tg floor is bytes of weights one token reads (hearth bench's bytes_per_token: active experts only)
# divided by the measured bandwidth: no implementation can generate faster than that.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
shared=${HEARTH_SHARED:-$repo/../shared}
peer=${PEER:-$HOME/.cache/hearth-peer}

threads=2
preset=medium
shape=""
gen_args=""
types="q8_0 q4_k_m"
reps=3
dir=/tmp/hearth-bench
hearth=${HEARTH:-}
text=""
kld_ctx=512
kld_chunks=4
do_kld=1
do_peer=1
out=""

usage() { sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
die() { echo "compare_llama.sh: $*" >&2; exit 1; }
need_value() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --threads|-t) need_value "$@"; threads=$2; shift 2 ;;
    --preset) need_value "$@"; preset=$2; shift 2 ;;
    --shape) need_value "$@"; shape=$2; shift 2 ;;
    --gen-args) need_value "$@"; gen_args=$2; shift 2 ;;
    --types) need_value "$@"; types=$2; shift 2 ;;
    --reps|-r) need_value "$@"; reps=$2; shift 2 ;;
    --dir) need_value "$@"; dir=$2; shift 2 ;;
    --hearth) need_value "$@"; hearth=$2; shift 2 ;;
    --text) need_value "$@"; text=$2; shift 2 ;;
    --kld-ctx) need_value "$@"; kld_ctx=$2; shift 2 ;;
    --kld-chunks) need_value "$@"; kld_chunks=$2; shift 2 ;;
    --no-kld) do_kld=0; shift ;;
    --no-peer) do_peer=0; shift ;;
    --out) need_value "$@"; out=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ "$threads" =~ ^[1-9][0-9]*$ ]] || die "--threads must be a positive integer, got '$threads'"
[[ "$reps" =~ ^[1-9][0-9]*$ ]] || die "--reps must be a positive integer, got '$reps'"
[[ "$kld_chunks" =~ ^[1-9][0-9]*$ ]] || die "--kld-chunks must be a positive integer, got '$kld_chunks'"
[ -n "$text" ] || text=$shared/data/specs/gguf.md
if [ -n "$gen_args" ] && [ -z "$shape" ]; then die "--gen-args needs --shape NAME (it names the files and results)"; fi
[ -n "$shape" ] || shape=$preset
[[ "$shape" =~ ^[A-Za-z0-9._-]+$ ]] || die "--shape must be a plain name, got '$shape'"

if [ -z "$hearth" ]; then
  for candidate in "$repo/build/src/cli/hearth" "$repo"/build-*/src/cli/hearth; do
    if [ -x "$candidate" ]; then hearth=$candidate; break; fi
  done
fi
[ -n "$hearth" ] && [ -x "$hearth" ] || die "no hearth binary: build it (scripts/setup.sh) or pass --hearth PATH"
[ -f "$shared/peers/make_random_gguf.py" ] || die "$shared/peers/make_random_gguf.py not found (set HEARTH_SHARED)"
if [ "$do_peer" = 1 ]; then
  command -v node >/dev/null || die "node not found (needed for llama.cpp through node-llama-cpp; or --no-peer)"
  [ -f "$peer/bench.mjs" ] && [ -d "$peer/node_modules/node-llama-cpp" ] ||
    die "llama.cpp peer not set up in $peer (see $shared/peers/README.md; or --no-peer)"
fi
if [ "$do_kld" = 1 ]; then [ -s "$text" ] || die "text for KL divergence not found: $text"; fi

mkdir -p "$dir"
results=$dir/results-$shape-t$threads
rm -rf "$results"
mkdir -p "$results"
log() { echo "[compare] $*" >&2; }

# -- models -------------------------------------------------------------------------------------------
base=$dir/qwen3moe-$shape-f16.gguf
make_random() {  # DTYPE OUT
  log "generating $2 (make_random_gguf.py --preset $preset $gen_args --dtype $1)"
  # shellcheck disable=SC2086 # gen_args is a list of flags
  /usr/bin/python3 "$shared/peers/make_random_gguf.py" --preset "$preset" $gen_args --dtype "$1" -o "$2" >&2
}
[ -s "$base" ] || make_random f16 "$base"

quantize_known=1
"$hearth" quantize --help >/dev/null 2>&1 || quantize_known=0
files=()
labels=()
notes=()
for type in $types; do
  file=$dir/qwen3moe-$shape-$type.gguf
  case "$type" in
    f16) ;;
    f32|bf16) [ -s "$file" ] || make_random "$type" "$file" ;;
    *)
      if [ "$quantize_known" = 0 ]; then
        notes+=("$type: skipped, this hearth has no \`quantize\` command")
        continue
      fi
      if [ ! -s "$file" ] || [ "$file" -ot "$base" ]; then
        log "hearth quantize $base -> $type"
        if ! "$hearth" quantize "$base" "$file.partial" "$type" -t "$threads" 2>"$results/quantize-$type.err"; then
          notes+=("$type: hearth quantize failed: $(tail -n 1 "$results/quantize-$type.err")")
          rm -f "$file.partial"
          continue
        fi
        mv "$file.partial" "$file"
      fi ;;
  esac
  files+=("$file")
  labels+=("$type")
done

# -- bandwidth ----------------------------------------------------------------------------------------
stream=$dir/stream_bw
if [ ! -x "$stream" ] || [ "$stream" -ot "$shared/peers/stream_bw.c" ]; then
  gcc -O3 -march=native -fopenmp "$shared/peers/stream_bw.c" -o "$stream" || die "cannot build stream_bw.c"
fi
log "memory bandwidth, $threads threads"
OMP_NUM_THREADS=$threads OMP_PROC_BIND=spread "$stream" 1024 10 >"$results/stream.txt"

# -- speed --------------------------------------------------------------------------------------------
for i in "${!files[@]}"; do
  file=${files[$i]}
  label=${labels[$i]}
  log "hearth bench $label"
  if ! "$hearth" bench "$file" -p 512 -n 128 -r "$reps" -t "$threads" --json \
       >"$results/hearth-$label.json" 2>"$results/hearth-$label.err"; then
    log "hearth bench $label failed: $(tail -n 1 "$results/hearth-$label.err")"
  fi
  if [ "$do_peer" = 1 ]; then
    log "llama.cpp bench $label"
    if ! node "$peer/bench.mjs" --model "$file" --threads "$threads" --reps "$reps" --skip-greedy \
         --json "$results/llama-$label.json" >"$results/llama-$label.out" 2>"$results/llama-$label.err"; then
      log "llama.cpp bench $label failed: $(tail -n 1 "$results/llama-$label.err")"
    fi
  fi
done

# -- quality ------------------------------------------------------------------------------------------
if [ "$do_kld" = 1 ]; then
  for i in "${!files[@]}"; do
    label=${labels[$i]}
    [ "$label" = f16 ] && continue
    log "hearth kld $label vs f16"
    if ! "$hearth" kld "${files[$i]}" --reference "$base" --file "$text" --ctx "$kld_ctx" --chunks "$kld_chunks" \
         -t "$threads" --json >"$results/kld-$label.json" 2>"$results/kld-$label.err"; then
      log "hearth kld $label failed: $(tail -n 1 "$results/kld-$label.err")"
    fi
  done
fi

if [ -n "$gen_args" ]; then notes+=("shape $shape: make_random_gguf.py --preset $preset $gen_args"); fi
printf '%s\n' "${notes[@]+"${notes[@]}"}" >"$results/notes.txt"
for i in "${!files[@]}"; do echo "${labels[$i]} $(stat -c %s "${files[$i]}")"; done >"$results/sizes.txt"
report=$(node "$here/compare_report.mjs" --results "$results" --threads "$threads" --preset "$shape" \
         --labels "${labels[*]}" --text "$text" --hearth "$hearth" --f16-bytes "$(stat -c %s "$base")")
echo "$report"
if [ -n "$out" ]; then echo "$report" >"$out"; fi

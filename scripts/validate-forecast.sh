#!/usr/bin/env bash
# Validates `mixq forecast` on this machine (docs/forecast.md#validation): builds 4 model shapes
# x 4 weight types, measures prefill and decode with `mixq bench`, probes the device, fits the
# efficiency factors on a training subset and reports predicted against measured on the
# held-out configurations.
#
# Host drift: this machine's speed drifts by up to 2x over minutes, so the bench step does not
# measure each configuration once in sequence (which would give whole shapes a slow or a fast
# phase of the host). It runs ROUNDS rounds; every round measures every (shape, type, test)
# once (REPS repetitions) in a different rotation of the configurations, so each configuration
# is sampled at ROUNDS points spread over the whole run. `mixq forecast calibrate/validate
# --rounds STAT` then merges the rounds of a configuration (docs/forecast.md#validation: min by
# default, since drift and neighbours only ever add time).
#
# Usage: scripts/validate-forecast.sh [step...]   steps: models bench probe calibrate (default: all)
# Environment:
#   BUILD=build-fv         mixq build directory (built here if the binary is missing)
#   MIXQ=$BUILD/mixq       the binary to measure and to forecast with (any build; it is copied to
#                          $OUT/mixq-bench first, so rebuilding during a long bench is safe)
#   OUT=/tmp/fv            models, bench outputs, device files, reports
#   THREADS=1              bench and probe threads
#   ROUNDS=5               measurement rounds (each runs every configuration once)
#   REPS=1                 timed repetitions per test per round (the round keeps their median)
#   GEN=16                 decode steps per tg test
#   SHAPES="wiki-llama-8m smollm2-135m qwen2.5-0.5b qwen3-0.6b-llama"   model shapes (synth shapes)
#   HOLDOUT=qwen2.5        held-out runs: model paths containing this (comma-separated list)
#   STAT=                  bench statistic of a round: median, best, mean, cpu-median (process CPU
#                          time; the default with 1 thread)
#   ROUND_STAT=min         how rounds are merged per configuration: min or median
#   TAG=                   suffix of the calibrate step's report names (several splits side by side)
#   PARAMS=...             fitted parameters (default: see below)
#   MAX_LOAD=1.5           before each round, wait (up to WAIT_S seconds) for the 1-minute load
#   WAIT_S=120             average to fall below this and for /tmp/mixq-bench-busy (another
#                          benchmark) to disappear
# While measuring, /tmp/mixq-measuring says so (other benchmarks wait for it to go).
# Needs ../shared/models/wiki-llama-8m. No jq or python: mixq reads its own bench JSON.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-fv}
OUT=${OUT:-/tmp/fv}
THREADS=${THREADS:-1}
ROUNDS=${ROUNDS:-5}
REPS=${REPS:-1}
GEN=${GEN:-16}
HOLDOUT=${HOLDOUT:-qwen2.5}
MAX_LOAD=${MAX_LOAD:-1.5}
WAIT_S=${WAIT_S:-120}
STAT=${STAT:-$([ "$THREADS" = 1 ] && echo cpu-median || echo median)}
ROUND_STAT=${ROUND_STAT:-min}
MIXQ=${MIXQ:-$BUILD/mixq}
WIKI=../shared/models/wiki-llama-8m
TYPES="f32 bf16 q8_0 q4_0"
SHAPES=${SHAPES:-wiki-llama-8m smollm2-135m qwen2.5-0.5b qwen3-0.6b-llama}
default_params=""
for t in $TYPES; do default_params+="matmul.$t.compute,matmul.$t.memory,matmul.$t.per_output,"; done
# Default: per weight type compute and memory efficiency and per-dot-product cost, attention
# compute and memory, per-op overhead (docs/forecast.md#validation says why not per_act or
# attention_decode: this machine's data does not support them).
PARAMS=${PARAMS:-${default_params}attention.compute,attention.memory,overhead.per_op}
steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(models bench probe calibrate)
want() { local s; for s in "${steps[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

mkdir -p "$OUT"
if [ ! -x "$MIXQ" ]; then
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" >/dev/null
  cmake --build "$BUILD" -j1 --target mixq
fi

load1() { cut -d' ' -f1 /proc/loadavg; }
# Waits until no other benchmark runs and the machine is quiet enough; logs every wait.
wait_quiet() {
  local waited=0
  while [ -e /tmp/mixq-bench-busy ] || awk -v l="$(load1)" -v m="$MAX_LOAD" 'BEGIN{exit !(l > m)}'; do
    if [ "$waited" -ge "$WAIT_S" ] && [ ! -e /tmp/mixq-bench-busy ]; then
      echo "  (load $(load1) still above $MAX_LOAD after ${WAIT_S}s; measuring anyway)" >&2; break
    fi
    sleep 10; waited=$((waited + 10))
  done
  echo "$(date -u +%FT%TZ) $1: waited ${waited}s, $(uptime)" >> "$OUT/load.log"
}
measuring() { echo "scripts/validate-forecast.sh ($1, OUT=$OUT, pid $$) since $(date -u +%FT%TZ)" > /tmp/mixq-measuring; }
trap 'rm -f /tmp/mixq-measuring' EXIT

if want models; then
  echo "== models ($OUT/models)" >&2
  mkdir -p "$OUT/models"
  for shape in $SHAPES; do
    [ "$shape" = wiki-llama-8m ] || [ -f "$OUT/src/$shape/config.json" ] ||
      "$MIXQ" synth "$OUT/src/$shape" --shape "$shape" --dtype f32 --force 2>>"$OUT/synth.log"
  done
  for shape in $SHAPES; do
    src=$OUT/src/$shape
    [ "$shape" = wiki-llama-8m ] && src=$WIKI
    for type in $TYPES; do
      out=$OUT/models/$shape-$type.gguf
      # --pure: every matrix, embeddings and output head included, has TYPE.
      [ -f "$out" ] || "$MIXQ" quantize "$src" -o "$out" --type "$type" --pure -q
    done
  done
fi

# The measured binary: a private copy, so the forecast side may be rebuilt meanwhile.
BENCH_BIN=$OUT/mixq-bench-bin
if want bench || want probe; then cp "$MIXQ" "$BENCH_BIN"; fi

if want bench; then
  echo "== bench (threads $THREADS, $ROUNDS rounds x $REPS repetitions) $(date -u +%FT%TZ)" >&2
  configs=()
  for shape in $SHAPES; do for type in $TYPES; do configs+=("$shape-$type"); done; done
  n=${#configs[@]}
  start=$(date +%s)
  for ((r = 0; r < ROUNDS; r++)); do
    dir=$OUT/bench/r$r
    mkdir -p "$dir"
    wait_quiet "round $r"
    measuring "bench round $r of $ROUNDS"
    # Rotate the order by a different offset each round (stride 5, coprime with 12 or 16 configs), so
    # no configuration is always measured right after the same neighbour or at the same phase.
    for ((i = 0; i < n; i++)); do
      c=${configs[$(( (i + r * 5) % n ))]}
      m=$OUT/models/$c.gguf
      # Prefill: 128 and 512 tokens from an empty cache. Decode: GEN steps after 0 and 512 cached tokens.
      "$BENCH_BIN" bench "$m" -p 128,512 -n 0 -r "$REPS" -t "$THREADS" --json > "$dir/$c-pp-t$THREADS.json"
      "$BENCH_BIN" bench "$m" -p 0 -n "$GEN" -d 0,512 -r "$REPS" -t "$THREADS" --json > "$dir/$c-tg-t$THREADS.json"
    done
    rm -f /tmp/mixq-measuring
    echo "  round $r done at $(( $(date +%s) - start )) s" >&2
  done
  echo "== bench took $(( $(date +%s) - start )) s" >&2
fi

if want probe; then
  echo "== probe" >&2
  wait_quiet probe
  measuring probe
  "$BENCH_BIN" device probe -t "$THREADS" -o "$OUT/device-probed-t$THREADS.json"
  rm -f /tmp/mixq-measuring
fi

if want calibrate; then
  probed=$OUT/device-probed-t$THREADS.json
  [ -f "$probed" ] || probed=devices/this-machine.json
  runs=("$OUT"/bench/r*/*-t"$THREADS".json)
  name=t$THREADS-$STAT-$ROUND_STAT${TAG:+-$TAG}
  opts=(--holdout-model "$HOLDOUT" --stat "$STAT" --rounds "$ROUND_STAT")
  echo "== uncalibrated ($probed): predicted vs measured, all runs" >&2
  "$MIXQ" forecast validate "${runs[@]}" --hw "$probed" "${opts[@]}" | tee "$OUT/validate-uncalibrated-$name.txt"
  echo "== calibrate on the runs not matching '$HOLDOUT', validate on those that do" >&2
  "$MIXQ" forecast calibrate "${runs[@]}" --hw "$probed" "${opts[@]}" --params "$PARAMS" \
    -o "$OUT/device-calibrated-$name.json" | tee "$OUT/calibrate-$name.txt"
  "$MIXQ" forecast validate "${runs[@]}" --hw "$OUT/device-calibrated-$name.json" "${opts[@]}" \
    | tee "$OUT/validate-calibrated-$name.txt"
  echo "wrote $OUT/device-calibrated-$name.json (copy to devices/this-machine.json to use it)" >&2
fi

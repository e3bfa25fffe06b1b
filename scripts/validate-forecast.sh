#!/usr/bin/env bash
# Validates `mixq forecast` on this machine (docs/forecast.md#validation): builds 3 model shapes
# x 4 weight types, measures prefill and decode with `mixq bench`, probes the device, fits the
# efficiency factors on a training subset and reports predicted against measured on the
# held-out configurations.
#
# Usage: scripts/validate-forecast.sh [step...]   steps: models bench probe calibrate (default: all)
# Environment:
#   BUILD=build-fv         mixq build directory (built here if mixq is missing)
#   MIXQ=$BUILD/mixq       the binary (a copy keeps a long bench safe from rebuilds)
#   OUT=/tmp/fv            models, bench outputs, device files, reports
#   THREADS=2              bench and probe threads
#   REPS=5                 timed repetitions per bench test (the median is used)
#   GEN=16                 decode steps per tg test
#   HOLDOUT=qwen2.5        held-out runs: model paths containing this (comma-separated list)
#   STAT=                  bench statistic compared with the forecast: median, best (least disturbed
#                          repetition), mean, cpu-median (process CPU time; the default with 1 thread)
#   TAG=                   suffix of the calibrate step's report names (several splits side by side)
#   PARAMS=...             fitted parameters (default: matmul compute/memory per weight type,
#                          attention compute/memory, per-op overhead)
#   MAX_LOAD=1.5           wait (up to WAIT_S seconds) for the 1-minute load average to fall below this
#                          before each bench batch
#   WAIT_S=300
# Needs ../shared/models/wiki-llama-8m. No jq or python: mixq reads its own bench JSON.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-fv}
OUT=${OUT:-/tmp/fv}
THREADS=${THREADS:-2}
REPS=${REPS:-5}
GEN=${GEN:-16}
HOLDOUT=${HOLDOUT:-qwen2.5}
MAX_LOAD=${MAX_LOAD:-1.5}
WAIT_S=${WAIT_S:-300}
STAT=${STAT:-$([ "$THREADS" = 1 ] && echo cpu-median || echo median)}
MIXQ=${MIXQ:-$BUILD/mixq}
WIKI=../shared/models/wiki-llama-8m
TYPES="f32 bf16 q8_0 q4_0"
SHAPES="wiki-llama-8m smollm2-135m qwen2.5-0.5b"
default_params=""
for t in $TYPES; do default_params+="matmul.$t.compute,matmul.$t.memory,"; done
PARAMS=${PARAMS:-${default_params}attention.compute,attention.memory,overhead.per_op}
steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(models bench probe calibrate)
want() { local s; for s in "${steps[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

mkdir -p "$OUT"
if [ ! -x "$MIXQ" ]; then
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S . -B "$BUILD" -G Ninja "${launcher[@]}" >/dev/null
  cmake --build "$BUILD" -j"$(nproc)" --target mixq
fi

load1() { cut -d' ' -f1 /proc/loadavg; }
# Waits until the machine is quiet enough; logs the load of every batch to $OUT/load.log.
wait_quiet() {
  local waited=0
  while awk -v l="$(load1)" -v m="$MAX_LOAD" 'BEGIN{exit !(l > m)}'; do
    [ "$waited" -ge "$WAIT_S" ] && { echo "  (load $(load1) still above $MAX_LOAD after ${WAIT_S}s; measuring anyway)" >&2; break; }
    sleep 10; waited=$((waited + 10))
  done
  echo "$(date -u +%FT%TZ) $1: $(uptime)" >> "$OUT/load.log"
}

if want models; then
  echo "== models ($OUT/models)" >&2
  mkdir -p "$OUT/models"
  [ -f "$OUT/src/smollm2-135m/config.json" ] || "$MIXQ" synth "$OUT/src/smollm2-135m" --shape smollm2-135m --dtype f32 --force 2>"$OUT/synth.log"
  [ -f "$OUT/src/qwen2.5-0.5b/config.json" ] || "$MIXQ" synth "$OUT/src/qwen2.5-0.5b" --shape qwen2.5-0.5b --dtype f32 --force 2>>"$OUT/synth.log"
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

if want bench; then
  echo "== bench (threads $THREADS, $REPS repetitions)" >&2
  mkdir -p "$OUT/bench"
  for shape in $SHAPES; do
    for type in $TYPES; do
      m=$OUT/models/$shape-$type.gguf
      wait_quiet "$shape-$type"
      # Prefill: 128 and 512 tokens from an empty cache. Decode: GEN steps after 0 and 512 cached tokens.
      "$MIXQ" bench "$m" -p 128,512 -n 0 -r "$REPS" -t "$THREADS" --json > "$OUT/bench/$shape-$type-pp-t$THREADS.json"
      "$MIXQ" bench "$m" -p 0 -n "$GEN" -d 0,512 -r "$REPS" -t "$THREADS" --json > "$OUT/bench/$shape-$type-tg-t$THREADS.json"
    done
  done
fi

if want probe; then
  echo "== probe" >&2
  wait_quiet probe
  "$MIXQ" device probe -t "$THREADS" -o "$OUT/device-probed-t$THREADS.json"
fi

if want calibrate; then
  probed=$OUT/device-probed-t$THREADS.json
  [ -f "$probed" ] || probed=devices/this-machine.json
  runs=("$OUT"/bench/*-t"$THREADS".json)
  name=t$THREADS-$STAT${TAG:+-$TAG}
  echo "== uncalibrated ($probed): predicted vs measured, all runs" >&2
  "$MIXQ" forecast validate "${runs[@]}" --hw "$probed" --holdout-model "$HOLDOUT" --stat "$STAT" | tee "$OUT/validate-uncalibrated-$name.txt"
  echo "== calibrate on the runs not matching '$HOLDOUT', validate on those that do" >&2
  "$MIXQ" forecast calibrate "${runs[@]}" --hw "$probed" --holdout-model "$HOLDOUT" --stat "$STAT" --params "$PARAMS" \
    -o "$OUT/device-calibrated-$name.json" | tee "$OUT/calibrate-$name.txt"
  "$MIXQ" forecast validate "${runs[@]}" --hw "$OUT/device-calibrated-$name.json" --holdout-model "$HOLDOUT" --stat "$STAT" \
    --json > "$OUT/validate-calibrated-$name.json"
  echo "wrote $OUT/device-calibrated-$name.json (copy to devices/this-machine.json to use it)" >&2
fi

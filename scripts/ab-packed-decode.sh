#!/usr/bin/env bash
# Side-by-side A/B of the AVX-512 packed decode kernels of two revisions (bench/ab/packed_decode_ab.cc
# explains the method): compiles src/mixq/kernels/packed_avx512.cc as of REV_A and REV_B (a
# revision, WORKTREE for the file as it is now, or the path of a copy) with renamed entry points, links both with
# the driver against an existing build's libraries, and runs it.
#
# Usage: scripts/ab-packed-decode.sh REV_A REV_B [THREADS=1] [ROUNDS=25] [COLS=4096] [TYPES]
# Environment: BUILD=build (a configured and built tree), OUT=/tmp/ab-packed-decode
# Both revisions must compile against the current headers (packed.h, quant_act.h).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n 2,9p "$0"; exit 2; }
A=$1 B=$2 THREADS=${3:-1} ROUNDS=${4:-25} COLS=${5:-4096} TYPES=${6:-}
BUILD=${BUILD:-build} OUT=${OUT:-/tmp/ab-packed-decode}
LIBS=()
for lib in kernels quant tensor base; do
  [ -f "$BUILD/libmixq_$lib.a" ] || { echo "$BUILD/libmixq_$lib.a missing: build the project first" >&2; exit 1; }
  LIBS+=("$BUILD/libmixq_$lib.a")
done
mkdir -p "$OUT"
FLAGS=(-std=c++20 -O3 -mavx2 -mfma -mf16c -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni -mavx512bf16
       -Wno-uninitialized -Wno-maybe-uninitialized -Isrc)
PIDS=()
for side in A B; do
  rev=${!side}
  if [ "$rev" = WORKTREE ]; then cp src/mixq/kernels/packed_avx512.cc "$OUT/packed_$side.cc"
  elif [ -f "$rev" ]; then cp "$rev" "$OUT/packed_$side.cc"
  else git show "$rev:src/mixq/kernels/packed_avx512.cc" > "$OUT/packed_$side.cc"; fi
  g++ "${FLAGS[@]}" -DPackedRowsAvx512=PackedRows$side -c "$OUT/packed_$side.cc" -o "$OUT/packed_$side.o" &
  PIDS+=($!)
done
for pid in "${PIDS[@]}"; do wait "$pid"; done
g++ "${FLAGS[@]}" bench/ab/packed_decode_ab.cc "$OUT/packed_A.o" "$OUT/packed_B.o" "${LIBS[@]}" -lpthread -o "$OUT/packed_decode_ab"
echo "A = $A, B = $B"
"$OUT/packed_decode_ab" "$THREADS" "$ROUNDS" "$COLS" $TYPES

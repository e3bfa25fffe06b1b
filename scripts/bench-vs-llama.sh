#!/usr/bin/env bash
# Side-by-side speed of mixq and llama.cpp's llama-bench on the same GGUF files. This machine's
# speed drifts over minutes, so the two engines alternate per file, thread count and round,
# and each cell is the median over rounds of that run's mean tokens/s.
#
# Usage: LLAMA_BENCH=/path/to/llama-bench scripts/bench-vs-llama.sh FILE.gguf...
# Environment:
#   MIXQ=build/mixq   THREADS="1 2"   REPS=3 (repetitions per run)   ROUNDS=3
#   PP=512  TG=128    (0 skips a test)
# Output: a markdown table (file, threads, test, mixq, llama.cpp, ratio) on stdout; raw runs
# in $OUT (default /tmp/bench-vs-llama).
set -euo pipefail
MIXQ=${MIXQ:-build/mixq}
LLAMA_BENCH=${LLAMA_BENCH:?set LLAMA_BENCH to llama.cpp\'s llama-bench binary}
THREADS=${THREADS:-1 2}
REPS=${REPS:-3}
ROUNDS=${ROUNDS:-3}
PP=${PP:-512}
TG=${TG:-128}
OUT=${OUT:-/tmp/bench-vs-llama}
[ $# -ge 1 ] || { echo "usage: LLAMA_BENCH=... $0 FILE.gguf..." >&2; exit 2; }
mkdir -p "$OUT"
: >"$OUT/runs.tsv"

# Both tools print markdown rows "| model | size | params | backend | threads | test | t/s ± sd |";
# keeps "test<TAB>mean" of each row.
rows() { awk -F'|' '$7 ~ /(pp|tg)[0-9]/ { gsub(/ /, "", $7); split($8, v, "±"); gsub(/ /, "", v[1]); print $7 "\t" v[1] }'; }

for round in $(seq 1 "$ROUNDS"); do
  for f in "$@"; do
    for t in $THREADS; do
      echo "round $round/$ROUNDS: $(basename "$f") t=$t (load $(cut -d' ' -f1 /proc/loadavg))" >&2
      "$MIXQ" bench "$f" -p "$PP" -n "$TG" -r "$REPS" -t "$t" 2>/dev/null | rows |
        sed "s|^|$f\t$t\tmixq\t|" >>"$OUT/runs.tsv"
      "$LLAMA_BENCH" -m "$f" -p "$PP" -n "$TG" -r "$REPS" -t "$t" 2>/dev/null | rows |
        sed "s|^|$f\t$t\tllama\t|" >>"$OUT/runs.tsv"
    done
  done
done

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "| file | threads | test | mixq t/s | llama.cpp t/s | ratio |"
echo "|---|---:|---|---:|---:|---:|"
cut -f1,2,4 "$OUT/runs.tsv" | sort -u | while IFS=$'\t' read -r f t test; do
  m=$(awk -F'\t' -v f="$f" -v t="$t" -v x="$test" '$1 == f && $2 == t && $3 == "mixq" && $4 == x { print $5 }' "$OUT/runs.tsv" | median)
  l=$(awk -F'\t' -v f="$f" -v t="$t" -v x="$test" '$1 == f && $2 == t && $3 == "llama" && $4 == x { print $5 }' "$OUT/runs.tsv" | median)
  echo "| $(basename "$f") | $t | $test | $m | $l | $(awk -v m="$m" -v l="$l" 'BEGIN { printf "%.2f", m / l }') |"
done

#!/usr/bin/env bash
# Quality of wiki-llama-8m quantized by mixq (uniform types) and by llama.cpp (its files in
# ../shared), measured by mixq on WikiText-2 (CRLF->LF, n_ctx 256, first N chunks): perplexity,
# mean KL divergence and same-top-1 rate against the unquantized BF16 model.
# Usage: scripts/quality-table.sh [CHUNKS=400] [OUT_DIR=/tmp/mixq-quality]
set -euo pipefail
cd "$(dirname "$0")/.."
chunks=${1:-400}
out=${2:-/tmp/mixq-quality}
mixq=build/mixq
model=../shared/models/wiki-llama-8m
text=../shared/data/text/wikitext2-test.raw
mkdir -p "$out"
"$mixq" perplexity "$model" -f "$text" --crlf-to-lf -c 256 --chunks "$chunks" --save-logits "$out/base.logits" --json > "$out/base.json"
for type in q8_0 q6_K q4_K q4_0 q3_K q2_K; do
  "$mixq" quantize "$model" -o "$out/mixq-$type.gguf" --type "$type" --json > "$out/mixq-$type.quantize.json"
  "$mixq" perplexity "$out/mixq-$type.gguf" --kld-base "$out/base.logits" --json > "$out/mixq-$type.json"
done
for f in Q8_0 Q6_K Q4_K_M Q4_0 Q3_K_M Q2_K; do
  "$mixq" perplexity "$model/gguf/wiki-llama-8m-$f.gguf" --kld-base "$out/base.logits" --json > "$out/llamacpp-$f.json"
done
echo "results in $out"

#!/usr/bin/env bash
# Installs dependencies, builds mixq, and runs its main job on a default model: inspect the
# model, generate text, measure perplexity, quantize it and measure what was lost, and speed. The default model is wiki-llama-8m from
# ../shared when present; otherwise mixq generates a small deterministic model itself
# (random weights: the numbers are real measurements, the text is gibberish).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
mixq=build/mixq
shared=../shared
if [ -f "$shared/models/wiki-llama-8m/model.safetensors" ]; then
  model="$shared/models/wiki-llama-8m"
  text="$shared/data/text/wikitext2-test.raw"
  ppl_args=(-c 256 --chunks 20 --crlf-to-lf)
  prompt="The history of the Roman Empire"
else
  model=build/models/tiny
  [ -f "$model/model.safetensors" ] || "$mixq" synth "$model" --shape tiny --seed 1
  text=README.md
  ppl_args=(-c 128)
  prompt="Hello"
fi
echo "== mixq inspect $model"
"$mixq" inspect "$model" | sed -n 1,25p  # sed reads to the end: no SIGPIPE under pipefail
echo "== mixq run"
"$mixq" run "$model" -p "$prompt" -n 48 --temp 0
echo "== mixq perplexity (and a saved baseline of its log-probabilities)"
"$mixq" perplexity "$model" -f "$text" "${ppl_args[@]}" --save-logits build/default-base.logits
echo "== mixq quantize to q4_0, then what was lost: KL divergence and perplexity against the baseline"
"$mixq" quantize "$model" -o build/default-q4_0.gguf --type q4_0
"$mixq" perplexity build/default-q4_0.gguf --kld-base build/default-base.logits
echo "== mixq bench"
"$mixq" bench "$model" -p 128 -n 32 -r 2

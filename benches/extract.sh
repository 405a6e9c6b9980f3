#!/usr/bin/env bash
# Extraction benchmark (issue "Full article text").
#
# Runs `tidings extract` (one process, all pages, release build) on the
# article-extraction dev split in ../shared/extraction-dev/, scores the output with
# ../shared/bench/extraction/score.py (token 4-gram shingle F1), and does the same
# for dom_smoothie alone (the Readability.js port tidings builds on) in the same run.
# Prints F1 / precision / recall and pages/s (decode + parse + extract, one thread).
# Rerun: benches/extract.sh   (REPEAT=N extracts each page N times for timing)
set -euo pipefail
cd "$(dirname "$0")/.."
DEV=${DEV:-../shared/extraction-dev}
SCORE=${SCORE:-../shared/bench/extraction/score.py}
REPEAT=${REPEAT:-3}
[ -f "$DEV/ground-truth.json" ] || { echo "error: $DEV (the shared extraction-dev split) is missing" >&2; exit 1; }
[ -f "$SCORE" ] || { echo "error: $SCORE is missing" >&2; exit 1; }
cargo build --release -j2 -q
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
for system in tidings dom_smoothie; do
  flag=""; [ $system = dom_smoothie ] && flag="--baseline"
  mkdir -p "$OUT/$system"
  timing=$(./target/release/tidings extract $flag --repeat "$REPEAT" --url-map "$DEV/ground-truth.json" \
           --out-dir "$OUT/$system" "$DEV"/html/*.html.gz 2>&1 | grep 'pages/s' || true)
  echo "== $system: $timing"
  python3 "$SCORE" --truth "$DEV/ground-truth.json" --pred "$OUT/$system" --name "$system" \
    | grep -E '^(F1|precision|recall)' || true
done

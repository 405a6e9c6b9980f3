#!/usr/bin/env bash
# Corpus benchmark (issue "Ingest anything a real feed throws at us"): plain feed-rs,
# tidings' parse stage (feed-rs + recovery) and Python feedparser on the same files of
# ../shared/feeds-corpus/, in the same run. Prints item-count matches against the
# corpus's ground truth, files with more items than expected, panics, parse time and
# the feedparser/tidings speed ratio. Rerun: benches/corpus.sh [CORPUS_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS="${1:-../shared/feeds-corpus}"
[ -f "$CORPUS/MANIFEST.tsv" ] || { echo "error: $CORPUS (the shared feeds corpus) is missing" >&2; exit 1; }
if ! .venv-feeds/bin/python -c 'import feedparser' 2>/dev/null; then
  python3 -m venv .venv-feeds && .venv-feeds/bin/pip install -q feedparser==6.0.14
fi
LIST=$(mktemp); RUST=$(mktemp); PY=$(mktemp)
trap 'rm -f "$LIST" "$RUST" "$PY"' EXIT
echo "== feed-rs alone and tidings (feed-rs + recovery)"
cargo bench -j2 -q --bench corpus -- "$CORPUS" --list "$LIST" --quiet | tee "$RUST"
echo
echo "== Python feedparser (same files)"
.venv-feeds/bin/python benches/corpus_feedparser.py "$LIST" | grep -v '^  ' | tee "$PY"
r=$(sed -n 's/^RECOVER_SECONDS all=\([0-9.]*\) known=.*/\1/p' "$RUST")
f=$(sed -n 's/^FEEDPARSER_SECONDS all=\([0-9.]*\) known=.*/\1/p' "$PY")
python3 -c "print(f'speed: feedparser {float($f):.2f} s, tidings {float($r):.3f} s over the whole corpus: tidings is {float($f)/float($r):.1f}x faster (target >= 20x)')"

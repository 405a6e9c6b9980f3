#!/usr/bin/env bash
# Extraction benchmarks: both shared development sets, in one run.
#
# 1. News (../shared/extraction-dev/, 45 pages, scrapinghub's article-extraction
#    benchmark): token 4-gram shingle F1 of the article body
#    (../shared/bench/extraction/score.py).
# 2. Every kind of page (../shared/extraction-dev2/, 326 pages from
#    trafilatura's evaluation set: news, blogs, shops, landing pages, several
#    languages): expected and forbidden snippets, F1 overall and by language
#    group (../shared/extraction-dev2/score.py).
#
# Systems: tidings (`tidings extract`, release build, one process), dom_smoothie
# alone on the news set (the Readability port tidings builds on), and
# trafilatura with its standard settings (include_comments=False,
# include_tables=True) when a Python that can import it is available:
# TRAFILATURA_PYTHON=/path/to/python, else python3 if it can. Each prints
# pages/s on one thread (decode + parse + extract, files already read), by
# the clock and by CPU time; the tables use CPU time, which a busy machine
# does not distort.
#
# Rerun: benches/extract.sh   (REPEAT=N extracts each page N times for timing)
# Trafilatura for comparison, outside the repository:
#   python3 -m venv /tmp/venv-traf && /tmp/venv-traf/bin/pip install trafilatura lxml_html_clean
#   TRAFILATURA_PYTHON=/tmp/venv-traf/bin/python benches/extract.sh
set -euo pipefail
cd "$(dirname "$0")/.."
NEWS=${NEWS:-../shared/extraction-dev}
MIXED=${MIXED:-../shared/extraction-dev2}
NEWS_SCORE=${NEWS_SCORE:-../shared/bench/extraction/score.py}
REPEAT=${REPEAT:-3}
for f in "$NEWS/ground-truth.json" "$NEWS_SCORE" "$MIXED/truth.json" "$MIXED/score.py"; do
  [ -f "$f" ] || { echo "error: $f is missing (the shared extraction sets live in ../shared)" >&2; exit 1; }
done
cargo build --release -j2 -q
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

TRAF=${TRAFILATURA_PYTHON:-python3}
if "$TRAF" -c 'import trafilatura' 2>/dev/null; then
  have_traf=1
else
  have_traf=0
  echo "note: trafilatura not available (set TRAFILATURA_PYTHON to a python that can import it); skipping it"
fi

# tidings_run NAME SET_DIR OUT [extra flags]: extracts, prints the timing line,
# records pages/s for score.py.
tidings_run() {
  local name=$1 dir=$2 out=$3
  shift 3
  mkdir -p "$out"
  local timing
  timing=$(./target/release/tidings extract "$@" --repeat "$REPEAT" \
           --out-dir "$out" "$dir"/html/*.html.gz 2>&1 | grep 'pages/s' || true)
  echo "$name: $timing"
  local rate
  rate=$(sed -n 's/.* \([0-9][0-9]*\) pages\/s)$/\1/p' <<<"$timing")
  echo "{\"pages_per_s\": ${rate:-null}}" >"$out/_run.json"
}

echo "== news: $NEWS (token 4-gram F1)"
for system in tidings dom_smoothie; do
  flag=()
  [ $system = dom_smoothie ] && flag=(--baseline)
  tidings_run "$system" "$NEWS" "$OUT/news/$system" --url-map "$NEWS/ground-truth.json" "${flag[@]}"
  python3 "$NEWS_SCORE" --truth "$NEWS/ground-truth.json" --pred "$OUT/news/$system" --name "$system" \
    | grep -E '^(F1|precision|recall)' | sed 's/^/  /' || true
done
if [ $have_traf = 1 ]; then
  "$TRAF" benches/trafilatura_extract.py "$OUT/news/trafilatura" "$NEWS/ground-truth.json" \
    "$NEWS"/html/*.html.gz
  python3 "$NEWS_SCORE" --truth "$NEWS/ground-truth.json" --pred "$OUT/news/trafilatura" --name trafilatura \
    | grep -E '^(F1|precision|recall)' | sed 's/^/  /' || true
fi

echo
echo "== every kind of page: $MIXED (snippets)"
tidings_run tidings "$MIXED" "$OUT/mixed/tidings"
systems=(tidings)
if [ $have_traf = 1 ]; then
  "$TRAF" benches/trafilatura_extract.py "$OUT/mixed/trafilatura" "$MIXED/truth.json" \
    "$MIXED"/html/*.html.gz
  systems+=(trafilatura)
fi
python3 "$MIXED/score.py" "$MIXED/truth.json" "$OUT/mixed" "${systems[@]}" | grep -v '^$'

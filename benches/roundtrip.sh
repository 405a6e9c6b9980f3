#!/usr/bin/env bash
# Fidelity against feedparser's own test suite (issue 13): runs
# ../shared/tools/roundtrip/roundtrip.py on a release build — every well-formed
# feedparser test file is served, polled with `tidings once`, served by `tidings
# run` in the three formats and read back with feedparser — and prints, per
# served format, how many of the entry-level expectations that hold on the source
# also hold on what tidings serves, and how many sanitize-suite entries carry
# anything dangerous.
# Rerun: benches/roundtrip.sh   (TIDINGS_BIN=path measures another binary)
set -euo pipefail
cd "$(dirname "$0")/.."
TOOL=${TOOL:-../shared/tools/roundtrip/roundtrip.py}
[ -f "$TOOL" ] || { echo "error: $TOOL (the shared roundtrip tool, beside the repository) is missing" >&2; exit 1; }
if [ -n "${TIDINGS_BIN:-}" ]; then BIN=$(realpath "$TIDINGS_BIN"); else
  cargo build --release -j2 -q; BIN=$PWD/target/release/tidings; fi
WORK=$(mktemp -d /tmp/tidings-roundtrip.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
python3 "$TOOL" --bin "$BIN" --out "$WORK/results.json" --workdir "$WORK/run" > "$WORK/log" 2>&1 \
  || { tail -20 "$WORK/log" >&2; exit 1; }
python3 - "$WORK/results.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
f = d["summary"]["fidelity"]
print("expectations that hold on the source: %d of %d" % (f["rss"]["ALL"]["source_ok"], f["rss"]["ALL"]["n"]))
for fmt in ("rss", "atom", "json"):
    a = f[fmt]["ALL"]
    print("  served as %-4s: %d hold (of %d that hold on the source)" % (fmt, a["normalized_where_source_ok"], a["source_ok"]))
s = d["summary"]["sanitize"]
print("sanitize suite: " + ", ".join("%s %d of %d entries dangerous" % (k, v["dangerous"], v["n"]) for k, v in s.items()))
for r in d["fidelity"]:
    if r["source"]["normalized"]:
        lost = [fmt for fmt in ("rss", "atom", "json") if not r[fmt]["normalized"]]
        if lost:
            print("  lost in %-14s %s" % (",".join(lost), r["path"].replace("feedparser/tests/wellformed/", "")))
PY

#!/usr/bin/env bash
# Story de-duplication benchmark (issue 14).
#
# 1. `tidings dedup` on ../shared/dedup-dev/items.jsonl, scored by its score.py.
# 2. Throughput: the dev set repeated to N items (default 100,000) with fresh ids,
#    each repetition shifted 30 days later (past the window, so every repetition
#    is a fresh stream and the index stays one window deep, as in a running
#    daemon); one `tidings dedup` process (release build, pinned to one core),
#    wall-clock items/s, peak RSS, mean signature size and keys per item; the
#    repeated set is scored too (its truth is the dev truth, repeated).
# Rerun: benches/dedup.sh    (N=... for another size)
set -euo pipefail
cd "$(dirname "$0")/.."
DEV=${DEV:-../shared/dedup-dev}
N=${N:-100000}
[ -f "$DEV/items.jsonl" ] && [ -f "$DEV/score.py" ] || {
  echo "error: $DEV (the shared dedup-dev set, beside the repository) is missing" >&2; exit 1; }
cargo build --release -j2 -q
BIN=./target/release/tidings
PIN=""; command -v taskset >/dev/null && PIN="taskset -c 0"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

echo "== dev set ($DEV)"
$BIN dedup --jsonl "$DEV/items.jsonl" > "$OUT/dev.pred"
python3 "$DEV/score.py" --truth "$DEV/truth.json" --pred "$OUT/dev.pred"

python3 - "$DEV" "$N" "$OUT" <<'PY'
import json, sys
from datetime import datetime, timedelta
dev, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
items = [json.loads(l) for l in open(f"{dev}/items.jsonl", encoding="utf-8")]
truth = json.load(open(f"{dev}/truth.json", encoding="utf-8"))
stories, variant, hard, related = {}, {}, [], []
with open(f"{out}/big.jsonl", "w", encoding="utf-8") as f:
    rep = written = 0
    while written < n:
        shift = timedelta(days=30 * rep)
        ids = {}
        for it in items:
            if written == n:
                break
            o = dict(it)
            o["id"] = ids[it["id"]] = f"r{rep}-{it['id']}"
            t = datetime.fromisoformat(it["published"].replace("Z", "+00:00")) + shift
            o["published"] = t.strftime("%Y-%m-%dT%H:%M:%SZ")
            f.write(json.dumps(o, ensure_ascii=False) + "\n")
            stories[o["id"]] = f"r{rep}-{truth['stories'][it['id']]}"
            variant[o["id"]] = truth["variant"][it["id"]]
            written += 1
        for src, dst in ((truth["hard_negative_pairs"], hard), (truth["related_pairs"], related)):
            dst.extend([ids[a], ids[b]] for a, b in src if a in ids and b in ids)
        rep += 1
json.dump({"stories": stories, "variant": variant, "hard_negative_pairs": hard,
           "related_pairs": related}, open(f"{out}/big.truth.json", "w"))
PY
BYTES=$(stat -c %s "$OUT/big.jsonl")
echo
echo "== $N items ($((BYTES / 1048576)) MB of JSON lines), one process${PIN:+ on one core}"
START=$(date +%s.%N)
/usr/bin/time -f "%M %U %S" -o "$OUT/time" $PIN $BIN dedup --stats --jsonl "$OUT/big.jsonl" > "$OUT/big.pred" 2> "$OUT/stats"
END=$(date +%s.%N)
cat "$OUT/stats"
# Wall time counts waiting for a shared core; CPU time (user + sys) is steadier.
read -r RSS USR SYS < "$OUT/time"
python3 -c "import sys; w=float(sys.argv[2])-float(sys.argv[1]); c=float(sys.argv[5])+float(sys.argv[6]); n=int(sys.argv[3]); print(f'wall {w:.2f} s: {n/w:,.0f} items/s; CPU {c:.2f} s: {n/c:,.0f} items per CPU second; peak RSS {int(sys.argv[4])/1024:.0f} MB; load average {sys.argv[7]}')" \
  "$START" "$END" "$N" "$RSS" "$USR" "$SYS" "$(cut -d' ' -f1 /proc/loadavg)"
python3 "$DEV/score.py" --truth "$OUT/big.truth.json" --pred "$OUT/big.pred" | sed -n '1,6p'

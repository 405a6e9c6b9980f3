#!/usr/bin/env python3
"""table.py RESULTS.tsv BEST_CONCURRENCY BEST_THREADS: the figures table."""
import sys
from collections import OrderedDict
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
best_c, best_t = sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else ""
def rec(r):
    n, tool, phase, setting, wall, cpu, rss, before, after = r
    return dict(n=int(n), tool=tool, phase=phase, setting=setting, wall=float(wall),
                cpu=float(cpu), rss=float(rss), before=int(before), after=int(after))
rows = [rec(r) for r in rows]
tune = [r for r in rows if r["phase"] == "tune"]
if tune:
    print("\ntuning (cold poll from an empty database, each setting once):")
    for r in tune:
        what = "concurrency" if r["tool"] == "tidings" else "reload-threads"
        print(f"  N={r['n']:<6} {r['tool']:<9} {what}={r['setting']:<4} wall {r['wall']:7.2f} s  cpu {r['cpu']:7.2f} s  rss {r['rss']:6.1f} MB  items {r['after']}")
    print(f"  chosen: tidings concurrency={best_c}, newsboat reload-threads={best_t or '-'}")
print()
hdr = f"{'N':>6} {'phase':<5} {'tool':<9} {'set':>4} {'wall s':>8} {'cpu s':>8} {'rss MB':>7} {'items':>8} {'new':>7} {'new/s':>9} {'speed':>7}"
print(hdr); print("-" * len(hdr))
main = [r for r in rows if r["phase"] != "tune"]
by = OrderedDict()
for r in main:
    by.setdefault((r["n"], r["phase"]), {})[r["tool"]] = r
for (n, phase), tools in by.items():
    t, nb = tools.get("tidings"), tools.get("newsboat")
    for r in (t, nb):
        if not r:
            continue
        new = r["after"] - r["before"]
        rate = new / r["wall"] if r["wall"] > 0 else 0
        speed = ""
        if r is t and nb and t["wall"] > 0:
            speed = f"{nb['wall'] / t['wall']:.2f}x"
        print(f"{n:>6} {phase:<5} {r['tool']:<9} {r['setting']:>4} {r['wall']:8.2f} {r['cpu']:8.2f} {r['rss']:7.1f} {r['after']:>8} {new:>7} {rate:9.0f} {speed:>7}")
print("items = rows stored after the phase (tidings: items; newsboat: rss_item); new = rows added by it;")
print("speed = newsboat wall / tidings wall (>1: tidings faster); cpu = user+sys; rss = peak RSS (/usr/bin/time -v).")

#!/usr/bin/env python3
"""timev.py TIMEFILE N TOOL PHASE SETTING ITEMS_BEFORE ITEMS_AFTER -> one TSV row:
N tool phase setting wall_s cpu_s peak_rss_mb items_before items_after (from /usr/bin/time -v)."""
import sys
f, n, tool, phase, setting, before, after = sys.argv[1:8]
v = {}
for line in open(f):
    k, _, val = line.strip().rpartition(": ")
    v[k] = val
def clock(s):
    secs = 0.0
    for part in s.split(":"):
        secs = secs * 60 + float(part)
    return secs
wall = clock(v["Elapsed (wall clock) time (h:mm:ss or m:ss)"])
cpu = float(v["User time (seconds)"]) + float(v["System time (seconds)"])
rss = int(v["Maximum resident set size (kbytes)"]) / 1024
print(f"{n}\t{tool}\t{phase}\t{setting}\t{wall:.2f}\t{cpu:.2f}\t{rss:.1f}\t{int(before)}\t{int(after)}")

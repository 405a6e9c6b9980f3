#!/usr/bin/env python3
"""Feed fetches in nginx's access log ("$msec $uri $status" per line).

    fetches.py LOG PREFIX N [KILLED_AT]
prints how many of the N feeds under PREFIX were fetched, how many once, twice,
more; with KILLED_AT (unix seconds), when the feeds fetched again after it were
fetched the second time, relative to KILLED_AT.
"""
import sys
from collections import defaultdict

log, prefix, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
killed = float(sys.argv[4]) if len(sys.argv) > 4 else None
times = defaultdict(list)
for line in open(log):
    parts = line.split()
    if len(parts) >= 2 and parts[1].startswith(prefix):
        times[parts[1]].append(float(parts[0]))
counts = defaultdict(int)
for ts in times.values():
    counts[len(ts)] += 1
more = sum(v for k, v in counts.items() if k > 2)
print(f"fetched {len(times)} of {n} feeds: once {counts[1]}, twice {counts[2]}, more {more}")
if killed is not None:
    again = sorted(ts[1] - killed for ts in times.values() if len(ts) > 1)
    if again:
        print(f"fetched again after the kill: {len(again)} feeds, {again[0]:.1f} to {again[-1]:.1f} s after it")

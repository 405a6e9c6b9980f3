#!/usr/bin/env python3
"""CPU seconds used so far by a PostgreSQL server: its postmaster, its live
children, and the children it has reaped (exited backends).

    pgcpu.py DATADIR
"""
import os, sys

TICK = os.sysconf("SC_CLK_TCK")

def stat(pid):
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    # fields after "(comm)": state=0 ppid=1 ... utime=11 stime=12 cutime=13 cstime=14
    return int(rest[1]), [int(x) for x in rest[11:15]]

with open(os.path.join(sys.argv[1], "postmaster.pid")) as f:
    master = int(f.readline())
_, (u, s, cu, cs) = stat(master)
total = u + s + cu + cs
for pid in os.listdir("/proc"):
    if not pid.isdigit():
        continue
    try:
        ppid, (u, s, _, _) = stat(int(pid))
    except (OSError, IndexError, ValueError):
        continue
    if ppid == master:
        total += u + s
print(f"{total / TICK:.2f}")

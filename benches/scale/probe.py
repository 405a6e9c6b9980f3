#!/usr/bin/env python3
"""probe.py BASE_URL RUN_LOG N: while `tidings run` does its start-up poll of N feeds,
GET /healthz, /feeds/all.xml (all feeds: re-rendered whenever items arrive, so nearly
every request during the poll) and /feeds/one.xml (one feed's output: from the render
cache once that feed is polled) in turn, a new connection each, ~10 ms apart, until the
log shows N finished polls; prints latency percentiles per path."""
import http.client, sys, time, urllib.parse
base, logf, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
u = urllib.parse.urlparse(base)
def get(path):
    t = time.perf_counter()
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    c.request("GET", path); r = c.getresponse(); r.read(); c.close()
    return r.status, (time.perf_counter() - t) * 1000
start = time.time()
while True:
    try:
        get("/healthz"); break
    except OSError:
        if time.time() - start > 60: sys.exit("tidings did not start")
        time.sleep(0.02)
up = time.time()
lat = {"/healthz": [], "/feeds/all.xml": [], "/feeds/one.xml": []}
paths = list(lat)
bad = 0; done = 0; pos = 0; i = 0
while done < n and time.time() - up < 1800:
    path = paths[i % len(paths)]; i += 1
    status, ms = get(path)
    bad += status != 200
    lat[path].append(ms)
    with open(logf, "rb") as f:
        f.seek(pos); chunk = f.read(); pos += len(chunk)
    done += chunk.count(b"polled") + chunk.count(b"feed failed")
    time.sleep(0.01)
poll = time.time() - up
print(f"start-up poll of {n} feeds: {done} finished in {poll:.1f} s after the server answered; {bad} non-200 probes")
for path, v in lat.items():
    v.sort()
    if not v: continue
    q = lambda p: v[min(len(v) - 1, int(p * len(v)))]
    print(f"  {path:<15} {len(v):5d} requests  p50 {q(0.5):7.1f} ms  p90 {q(0.9):7.1f} ms  p99 {q(0.99):7.1f} ms  max {v[-1]:7.1f} ms")

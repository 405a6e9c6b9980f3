#!/usr/bin/env bash
# Hostile HTTP clients (issue 13, defects 5 and 6), against the real binary on
# 127.0.0.1:
#
# 1. Idle sockets. `tidings run` under a 1,024-descriptor limit (prlimit, soft and
#    hard); IDLE (1,100) TCP connections are opened and held without a request;
#    /healthz is timed PROBES times, a new connection each, while they are held;
#    "Too many open files" lines in the log are counted.
# 2. Host values. An output of ITEMS full-text items; one request renders it, then
#    HOSTS requests each name a new Host, CONC at a time; /healthz is probed every
#    100 ms meanwhile. Renders are counted with /metrics
#    (tidings_output_renders_total).
#
# Rerun: benches/hostile-clients.sh
# Env: TIDINGS_BIN=path (measure that binary instead of building one),
#      IDLE=1100 PROBES=20 ITEMS=2000 HOSTS=20 CONC=4
# Uses only config keys that older binaries know too, so before/after compare.
set -euo pipefail
cd "$(dirname "$0")/.."
IDLE=${IDLE:-1100}
PROBES=${PROBES:-20}
ITEMS=${ITEMS:-2000}
HOSTS=${HOSTS:-20}
CONC=${CONC:-4}
command -v prlimit >/dev/null || { echo "needs prlimit (util-linux)" >&2; exit 1; }

if [ -n "${TIDINGS_BIN:-}" ]; then BIN=$(realpath "$TIDINGS_BIN"); else
  cargo build --release -j2 -q; BIN=$PWD/target/release/tidings; fi
WORK=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# A source feed: ITEMS items with ~6 KB of full-text HTML each.
mkdir -p "$WORK/src"
python3 - "$WORK/src/feed.xml" "$ITEMS" <<'PY'
import sys, datetime
para = "<p>" + "Seoul and Tokyo agreed to resume regular summit talks, officials said. " * 8 + "</p>"
items = []
for i in range(int(sys.argv[2])):
    d = (datetime.datetime(2026, 11, 28, 12) - datetime.timedelta(minutes=7 * i)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    body = f"<h2>Story {i}</h2>" + para * 9 + f'<img src="/img/{i}.jpg" alt="photo {i}">'
    items.append(f"""<item><title>외교장관 회담 {i}</title><link>https://news.example/story/{i}</link>
<guid isPermaLink="false">hostile-{i}</guid><pubDate>{d}</pubDate><description>Summary {i}.</description>
<content:encoded><![CDATA[{body}]]></content:encoded></item>""")
open(sys.argv[1], "w").write('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Bench</title><link>https://news.example/</link><description>b</description>' + "".join(items) + "</channel></rss>")
PY
SRC_PORT=$(free_port)
(cd "$WORK/src" && exec python3 -m http.server "$SRC_PORT" --bind 127.0.0.1 >/dev/null 2>&1) & pids+=($!)

PORT=$(free_port)
M_PORT=$(free_port)
cat > "$WORK/tidings.toml" <<TOML
[daemon]
database = "bench.db"
listen = "127.0.0.1:$PORT"
metrics_listen = "127.0.0.1:$M_PORT"
schedule = "0 0 1 1 *"
max_feed_bytes = 268435456
max_items_per_feed = 100000
[[feed]]
url = "http://127.0.0.1:$SRC_PORT/feed.xml"
[[output]]
name = "big"
limit = $ITEMS
TOML
sleep 0.5
"$BIN" once --config "$WORK/tidings.toml" >/dev/null 2>&1
RUST_LOG=info prlimit --nofile=1024:1024 "$BIN" run --config "$WORK/tidings.toml" 2>"$WORK/tidings.log" & pids+=($!)
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.1; done

python3 - "$PORT" "$M_PORT" "$IDLE" "$PROBES" "$HOSTS" "$CONC" <<'PY'
import concurrent.futures, http.client, socket, statistics, sys, threading, time
port, mport, idle, probes, hosts, conc = map(int, sys.argv[1:])

def get(path, host=None, p=port, timeout=30):
    c = http.client.HTTPConnection("127.0.0.1", p, timeout=timeout)
    c.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
    c.putheader("Host", host or f"127.0.0.1:{p}")
    c.endheaders()
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, len(body)

def timed(f):
    t = time.monotonic()
    try:
        out = f()
    except Exception as e:
        out = type(e).__name__
    return out, (time.monotonic() - t) * 1000

def renders():
    c = http.client.HTTPConnection("127.0.0.1", mport, timeout=10)
    c.request("GET", "/metrics")
    for line in c.getresponse().read().decode().splitlines():
        if line.startswith("tidings_output_renders_total"):
            return int(float(line.split()[1]))

def summary(ms):
    ms = sorted(ms)
    return f"median {statistics.median(ms):.1f} ms, max {ms[-1]:.1f} ms"

# 1. Idle sockets.
held, slow = [], 0
t = time.monotonic()
for _ in range(idle):
    s = socket.socket()
    s.settimeout(5)
    try:
        s.connect(("127.0.0.1", port))
        held.append(s)
    except OSError:
        slow += 1
print(f"1. {len(held)} idle connections held ({slow} could not connect in 5 s), opened in {time.monotonic() - t:.1f} s")
time.sleep(0.5)
answers = [timed(lambda: get("/healthz", timeout=5)) for _ in range(probes)]
ok = [ms for (r, ms) in answers if r == (200, 3)]
print(f"   /healthz while held: {len(ok)}/{probes} answered 200" + (f", {summary(ok)}" if ok else ""),
      "; failures:", sorted({str(r) for (r, _) in answers if r != (200, 3)}) or "none")
for s in held:
    s.close()
time.sleep(1)

# 2. Host values.
(first, ms) = timed(lambda: get("/feeds/big.xml"))
print(f"2. first request (render): {first}, {ms:.0f} ms; renders so far {renders()}")
again = [timed(lambda: get("/feeds/big.xml"))[1] for _ in range(3)]
print(f"   same Host again (cached): {summary(again)}")
health, stop = [], threading.Event()
def probe():
    while not stop.is_set():
        health.append(timed(lambda: get("/healthz", timeout=30))[1])
        time.sleep(0.1)
th = threading.Thread(target=probe)
th.start()
before = renders()
t = time.monotonic()
with concurrent.futures.ThreadPoolExecutor(conc) as pool:
    per_host = list(pool.map(lambda i: timed(lambda: get("/feeds/big.xml", host=f"h{i}.example:8080"))[1], range(hosts)))
wall = time.monotonic() - t
stop.set()
th.join()
print(f"   {hosts} new Host values, {conc} at a time: {summary(per_host)}, {wall:.1f} s in all; renders +{renders() - before}")
print(f"   /healthz meanwhile ({len(health)} probes): {summary(health)}")
PY
echo "accept errors logged (\"Too many open files\"): $(grep -c 'Too many open files' "$WORK/tidings.log" || true)"

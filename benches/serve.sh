#!/usr/bin/env bash
# Serving benchmark (issue: "Republishing that every feed reader accepts").
#
# Serves a cached 100-item full-text output from tidings and the very same bytes
# as a static file from nginx, on this machine in the same run, and measures
# requests/s with wrk for full responses and for 304s (If-None-Match). Prints
# both figures and the tidings/nginx ratio. Rerun: benches/serve.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

cargo build --release -j2 -q
BIN=$PWD/target/release/tidings
WORK=$(mktemp -d)
chmod 755 "$WORK"   # nginx workers run unprivileged and must read the document
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# 1. A source feed: 100 items with ~6 KB of full-text HTML each, CJK titles.
mkdir -p "$WORK/src"
python3 - "$WORK/src/feed.xml" <<'PY'
import sys, datetime
para = "<p>" + "Seoul and Tokyo agreed to resume regular summit talks, officials said. " * 8 + "</p>"
items = []
for i in range(100):
    d = (datetime.datetime(2026, 11, 28, 12) - datetime.timedelta(minutes=7 * i)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    body = f"<h2>Story {i}</h2>" + para * 9 + f'<img src="/img/{i}.jpg" alt="photo {i}">'
    items.append(f"""<item><title>외교장관 회담 {i} / 首脳会談 {i} / 外长会谈 {i}</title>
<link>https://news.example/story/{i}</link><guid isPermaLink="false">bench-{i}</guid><pubDate>{d}</pubDate>
<description>Summary of story {i}.</description><content:encoded><![CDATA[{body}]]></content:encoded></item>""")
open(sys.argv[1], "w").write('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Bench</title><link>https://news.example/</link><description>b</description>' + "".join(items) + "</channel></rss>")
PY
SRC_PORT=$(free_port)
(cd "$WORK/src" && exec python3 -m http.server "$SRC_PORT" --bind 127.0.0.1 >/dev/null 2>&1) & pids+=($!)

# 2. tidings: poll once, then serve.
T_PORT=$(free_port)
cat > "$WORK/tidings.toml" <<TOML
[daemon]
database = "bench.db"
listen = "127.0.0.1:$T_PORT"
schedule = "0 0 1 1 *"
[[feed]]
url = "http://127.0.0.1:$SRC_PORT/feed.xml"
[[output]]
name = "bench"
limit = 100
TOML
sleep 0.5
"$BIN" once --config "$WORK/tidings.toml" >/dev/null 2>&1
RUST_LOG=warn "$BIN" run --config "$WORK/tidings.toml" 2>"$WORK/tidings.log" & pids+=($!)
URL_T="http://127.0.0.1:$T_PORT/feeds/bench.xml"
for _ in $(seq 50); do curl -sf -o /dev/null "$URL_T" && break; sleep 0.1; done

# 3. nginx serving the same bytes as a static file.
mkdir -p "$WORK/www/feeds"
curl -sf -o "$WORK/www/feeds/bench.xml" "$URL_T"
N_PORT=$(free_port)
cat > "$WORK/nginx.conf" <<NGX
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  types { application/rss+xml xml; }
  client_body_temp_path $WORK/tmp; proxy_temp_path $WORK/tmp; fastcgi_temp_path $WORK/tmp;
  uwsgi_temp_path $WORK/tmp; scgi_temp_path $WORK/tmp;
  server { listen 127.0.0.1:$N_PORT; root $WORK/www; etag on; }
}
NGX
mkdir -p "$WORK/tmp"
"$NGINX" -c "$WORK/nginx.conf" -g 'daemon off;' & pids+=($!)
URL_N="http://127.0.0.1:$N_PORT/feeds/bench.xml"
for _ in $(seq 50); do curl -sf -o /dev/null "$URL_N" && break; sleep 0.1; done

ETAG_T=$(curl -sfI "$URL_T" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')
ETAG_N=$(curl -sfI "$URL_N" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $ETAG_T" "$URL_T")" = 304 ] || { echo "tidings did not answer 304" >&2; exit 1; }
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $ETAG_N" "$URL_N")" = 304 ] || { echo "nginx did not answer 304" >&2; exit 1; }

rps() { wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" "$@" 2>/dev/null | awk '/Requests\/sec/{print $2}'; }
SIZE=$(stat -c %s "$WORK/www/feeds/bench.xml")
echo "document: 100 items, $SIZE bytes; wrk -t$THREADS -c$CONNS -d${DURATION}s, each server alone in turn"
printf '%-14s %12s %12s %8s\n' case tidings nginx ratio
for case in full 304; do
  if [ $case = full ]; then
    t=$(rps "$URL_T"); n=$(rps "$URL_N")
  else
    t=$(rps -H "If-None-Match: $ETAG_T" "$URL_T"); n=$(rps -H "If-None-Match: $ETAG_N" "$URL_N")
  fi
  printf '%-14s %12s %12s %8s\n' "$case" "$t" "$n" "$(python3 -c "print(f'{$t/$n:.2f}')")"
done

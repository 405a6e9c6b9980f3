#!/usr/bin/env bash
# Scale benchmark (issue 8: "Ten thousand feeds on a two-core box").
#
# For each N (default 1000 10000): generates N deterministic feeds (RSS 2.0 and
# Atom, 10-50 items, ~15% of feeds with 2-8 KB of HTML per item), serves them as
# static files from nginx on 127.0.0.1 (ETag + Last-Modified), then runs
# `tidings once` and `newsboat -x reload` over the same feeds in the same run:
#   a. cold database;  b. again (all 304);  c. after a quarter of the feeds
#   gained 1-5 new items.
# Measured with /usr/bin/time -v: wall, CPU (user+sys), peak RSS, items stored/s,
# and the speed ratio (newsboat wall / tidings wall).
# Then, on a database grown to ~1,000,000 items (rows copied with sqlite3 into
# the schema tidings created): the uncached time of a 100-item /feeds/all.xml
# after `tidings run` starts, and the query plan of Store::items_of. And the
# /healthz, /feeds/all.xml and /feeds/one.xml latency during the cold N-feed poll of
# `tidings run`.
#
# Rerun: benches/scale.sh [N...]
# Env: CONC="16 32 64"        tidings `concurrency` values tried (first N, cold poll)
#      THREADS="8 16 32 64"   newsboat `reload-threads` values tried (first N)
#      TUNE_ALL=1             tune at every N (default: only at the first N)
#      BIG_ITEMS=1000000      items in the serving database; 0 skips that part
#      NEWSBOAT_WARM=0        measure newsboat's 304 phase as its 2nd reload (see below)
#      NEWSBOAT_MAX_N=1000    run newsboat only for N up to this (its 10,000-feed
#                             reloads take many minutes each)
#      RECENT=1               date the newest items now (default: days ago), so that
#                             about half of them fall inside the dedup window and
#                             story de-duplication has work to do
#      DEDUP=0                every output `dedup = false`: no story prints at ingest
#                             (the comparison run for the cost of story de-duplication)
#      RETENTION=20           tidings keeps that many items per feed (keep_items):
#                             pruning runs after every poll that stored items
#                             (`items` and `new` then count what is left)
#      SKIP_NEWSBOAT=1, SKIP_SERVE=1, SKIP_HEALTH=1, KEEP=1 (keep the temp dir)
#      TIDINGS_BIN=path       measure this tidings binary instead of building one
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
HERE=$ROOT/benches/scale
[ $# -gt 0 ] && NS=("$@") || NS=(1000 10000)
CONC=${CONC:-"16 32 64"}
THREADS=${THREADS:-"8 16 32 64"}
BIG_ITEMS=${BIG_ITEMS:-1000000}

. "$HERE/common.sh"
need=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v newsboat >/dev/null || need+=(newsboat)
command -v sqlite3 >/dev/null || need+=(sqlite3)
command -v curl >/dev/null || need+=(curl)
[ -x /usr/bin/time ] || need+=(time)
apt_install "${need[@]}"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

if [ -n "${TIDINGS_BIN:-}" ]; then BIN=$(realpath "$TIDINGS_BIN"); else
  cargo build --release -j2 -q; BIN=$ROOT/target/release/tidings; fi
WORK=$(mktemp -d /tmp/tidings-scale.XXXXXX)
chmod 755 "$WORK"   # nginx workers run unprivileged and must read the feeds
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

# ---- nginx: one server for all feed sets, $WORK/www/<N>/f/<i>.xml ------------
PORT=$(free_port)
start_nginx "$WORK" "$PORT"   # stopped by the trap via its pid file

RESULTS=$WORK/results.tsv
: > "$RESULTS"
# measure N TOOL PHASE SETTING ITEMS_CMD -- command...: /usr/bin/time -v; one row in results.tsv
measure() {
  local n=$1 tool=$2 phase=$3 setting=$4 count=$5; shift 6
  local before; before=$(eval "$count")
  local tf=$WORK/time.$n.$tool.$phase.$setting
  /usr/bin/time -v -o "$tf" "$@" > "$WORK/out.$n.$tool.$phase.$setting" 2> "$WORK/err.$n.$tool.$phase.$setting" || {
    echo "$tool $phase failed; see $WORK/err.$n.$tool.$phase.$setting" >&2; tail -5 "$WORK/err.$n.$tool.$phase.$setting" >&2; }
  local after; after=$(eval "$count")
  python3 "$HERE/timev.py" "$tf" "$n" "$tool" "$phase" "$setting" "$before" "$after" | tee -a "$RESULTS" >&2
}

tidings_conf() { # DIR N CONCURRENCY [SCHEDULE] [LISTEN]
  local dir=$1 n=$2 c=$3 sched=${4:-"0 0 1 1 *"} listen=${5:-127.0.0.1:$(free_port)}
  mkdir -p "$dir"
  { cat <<TOML
[daemon]
database = "tidings.db"
listen = "$listen"
schedule = "$sched"
concurrency = $c
# Every feed lives on 127.0.0.1 here: the per-host politeness cap would
# serialise them, so it is lifted to the concurrency.
feeds_per_host = $c
${RETENTION:+keep_items = $RETENTION}

[[output]]
name = "all"
limit = 100
${DEDUP:+dedup = false}

# One feed's output: changes once, when that feed is polled, then is served
# from the render cache while the others are polled (the issue's "cached outputs").
[[output]]
name = "one"
limit = 100
from = { feeds = ["http://127.0.0.1:$PORT/$n/f/00000.xml"] }
${DEDUP:+dedup = false}

TOML
    for ((i = 0; i < n; i++)); do printf '[[feed]]\nurl = "http://127.0.0.1:%s/%s/f/%05d.xml"\n' "$PORT" "$n" "$i"; done
  } > "$dir/tidings.toml"
}
newsboat_dir() { # DIR N THREADS
  local dir=$1 n=$2 t=$3
  mkdir -p "$dir/home"
  for ((i = 0; i < n; i++)); do printf 'http://127.0.0.1:%s/%s/f/%05d.xml\n' "$PORT" "$n" "$i"; done > "$dir/urls"
  printf 'reload-threads %s\nmax-items 0\nshow-read-feeds yes\n' "$t" > "$dir/config"
}
# Commands measured by /usr/bin/time (a program, not a shell function; env execs it).
tidings_once() { echo env -C "$1" "$BIN" once --config "$1/tidings.toml"; }
newsboat_reload() { echo env -C "$1" HOME="$1/home" XDG_CONFIG_HOME="$1/home" XDG_DATA_HOME="$1/home" \
  newsboat -x reload -u "$1/urls" -c "$1/cache.db" -C "$1/config"; }
t_items() { echo "[ -s '$1/tidings.db' ] && sqlite3 '$1/tidings.db' 'select count(*) from items' 2>/dev/null || echo 0"; }
n_items() { echo "[ -s '$1/cache.db' ] && sqlite3 '$1/cache.db' 'select count(*) from rss_item' 2>/dev/null || echo 0"; }
best_of() { # N TOOL: the setting whose cold run was fastest
  awk -F'\t' -v n="$1" -v t="$2" '$1==n && $2==t && $3=="tune" {print $5, $4}' "$RESULTS" | sort -g | head -1 | cut -d' ' -f2; }

BEST_C=""; BEST_T=""
for N in "${NS[@]}"; do
  log "N=$N: generating feeds"
  python3 "$HERE/genfeeds.py" "$WORK/www/$N" "$N" | tee "$WORK/gen.$N" >&2
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/$N/f/00000.xml"
  if [ -z "$BEST_C" ] || [ -n "${TUNE_ALL:-}" ]; then
    for c in $CONC; do
      d=$WORK/t.$N.c$c; tidings_conf "$d" "$N" "$c"
      log "N=$N tidings cold, concurrency=$c"
      measure "$N" tidings tune "$c" "$(t_items "$d")" -- $(tidings_once "$d")
    done
    BEST_C=$(best_of "$N" tidings)
    if [ -z "${SKIP_NEWSBOAT:-}" ]; then
      for t in $THREADS; do
        d=$WORK/n.$N.t$t; newsboat_dir "$d" "$N" "$t"
        log "N=$N newsboat cold, reload-threads=$t"
        measure "$N" newsboat tune "$t" "$(n_items "$d")" -- $(newsboat_reload "$d")
      done
      BEST_T=$(best_of "$N" newsboat)
    fi
    log "best: tidings concurrency=$BEST_C, newsboat reload-threads=${BEST_T:-skipped}"
  fi
  TD=$WORK/t.$N.best; tidings_conf "$TD" "$N" "$BEST_C"
  NB=$BEST_T; [ -n "${NEWSBOAT_MAX_N:-}" ] && [ "$N" -gt "$NEWSBOAT_MAX_N" ] && NB=""
  ND=$WORK/n.$N.best; [ -n "$NB" ] && newsboat_dir "$ND" "$N" "$NB"
  for phase in cold 304 bump; do
    [ $phase = bump ] && { log "N=$N: a quarter of the feeds gain items"; python3 "$HERE/genfeeds.py" "$WORK/www/$N" "$N" --bump | tee -a "$WORK/gen.$N" >&2; }
    log "N=$N tidings $phase"
    measure "$N" tidings "$phase" "$BEST_C" "$(t_items "$TD")" -- $(tidings_once "$TD")
    grep -Eq "^$N feeds polled, 0 failed" "$WORK/out.$N.tidings.$phase.$BEST_C" || { echo "tidings: failures in $phase:" >&2; tail -3 "$WORK/out.$N.tidings.$phase.$BEST_C" >&2; }
    if [ -n "$NB" ]; then
      if [ $phase = 304 ] && [ "${NEWSBOAT_WARM:-1}" = 1 ]; then
        # newsboat 2.21 sends no If-None-Match/If-Modified-Since on a feed's second
        # reload (newsboat/newsboat#2734: validators are stored before the feed's row
        # exists), only from the third on. Its second reload is measured as "2nd"
        # and the 304 phase is its third, the first that can get 304s.
        log "N=$N newsboat 2nd reload (unconditional in newsboat 2.21)"
        measure "$N" newsboat 2nd "$BEST_T" "$(n_items "$ND")" -- $(newsboat_reload "$ND")
      fi
      log "N=$N newsboat $phase"
      measure "$N" newsboat "$phase" "$BEST_T" "$(n_items "$ND")" -- $(newsboat_reload "$ND")
    fi
  done
  # Results of the phases: what tidings said about 304s and new items.
  for phase in 304 bump; do
    echo "N=$N tidings $phase: $(grep -c 'not modified' "$WORK/out.$N.tidings.$phase.$BEST_C") feeds not modified" >&2
  done
  # The feed set goes back to its unbumped state for the /healthz run below.
  python3 "$HERE/genfeeds.py" "$WORK/www/$N" "$N" >/dev/null
done
LAST_N=${NS[-1]}

# ---- the daemon: /healthz and output latency during the cold poll of
# `tidings run`, and its peak RSS after that poll, at every N (the RSS target is
# relative: 10,000 feeds within 1.5x of 1,000)
if [ -z "${SKIP_HEALTH:-}" ]; then
  : > "$WORK/health.txt"
  for N in "${NS[@]}"; do
    HP=$(free_port)
    HD=$WORK/health.$N; tidings_conf "$HD" "$N" "$BEST_C" "*/30 * * * *" "127.0.0.1:$HP"
    log "N=$N: tidings run, cold poll at start-up; probing /healthz, /feeds/all.xml and /feeds/one.xml"
    "$BIN" run --config "$HD/tidings.toml" 2> "$HD/run.log" & pids+=($!)
    { echo "N=$N:"; python3 "$HERE/probe.py" "http://127.0.0.1:$HP" "$HD/run.log" "$N"; } | tee -a "$WORK/health.txt" >&2
    awk -v n="$N" '/VmHWM/{printf "  tidings run after its cold poll: peak RSS (VmHWM) %.1f MB\n", $2/1024; print n, $2 > "/dev/stderr"}' \
      "/proc/${pids[-1]}/status" 2>> "$WORK/rss.txt" | tee -a "$WORK/health.txt" >&2
    kill -INT "${pids[-1]}" 2>/dev/null || true; wait "${pids[-1]}" 2>/dev/null || true
  done
  awk 'NR==1{n0=$1; r0=$2} NR>1{printf "daemon peak RSS, %d feeds / %d feeds: %.2fx\n", $1, n0, $2/r0}' "$WORK/rss.txt" | tee -a "$WORK/health.txt" >&2
fi

# ---- 100-item output, uncached, with ~1,000,000 items -------------------------
if [ -z "${SKIP_SERVE:-}" ] && [ "$BIG_ITEMS" -gt 0 ]; then
  SP=$(free_port)
  SD=$WORK/serve; tidings_conf "$SD" "$LAST_N" "$BEST_C" "0 0 1 1 *" "127.0.0.1:$SP"
  cp "$WORK/t.$LAST_N.best/tidings.db" "$SD/tidings.db"
  log "growing the database to $BIG_ITEMS items"
  python3 "$HERE/grow.py" "$SD/tidings.db" "$BIG_ITEMS" | tee "$WORK/serve.txt" >&2
  python3 "$HERE/plan.py" "$SD/tidings.db" 100 | tee -a "$WORK/serve.txt" >&2
  for run in 1 2 3; do
    "$BIN" run --config "$SD/tidings.toml" 2> "$SD/run.$run.log" & pids+=($!)
    for _ in $(seq 300); do curl -s -o /dev/null "http://127.0.0.1:$SP/healthz" && break; sleep 0.05; done
    first=$(curl -s -o "$SD/all.xml" -w '%{http_code} %{time_total}' "http://127.0.0.1:$SP/feeds/all.xml")
    second=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$SP/feeds/all.xml")
    echo "restart $run: first (uncached) /feeds/all.xml: HTTP ${first% *}, $(python3 -c "print(f'{${first#* }*1000:.1f}')") ms, $(grep -o '<item>' "$SD/all.xml" | wc -l) items, $(stat -c %s "$SD/all.xml") bytes; second (cached): $(python3 -c "print(f'{$second*1000:.1f}')") ms" | tee -a "$WORK/serve.txt" >&2
    kill -INT "${pids[-1]}" 2>/dev/null || true; wait "${pids[-1]}" 2>/dev/null || true
  done
fi

# ---- report -------------------------------------------------------------------
echo
echo "feeds: nginx $( "$NGINX" -v 2>&1 | sed 's/.*: //') on 127.0.0.1; tidings $(git -C "$ROOT" rev-parse --short HEAD); $(newsboat --version | head -1 | cut -d' ' -f1-2); $(nproc) cores"
cat "$WORK"/gen.* | sed 's/^/generated: /'
python3 "$HERE/table.py" "$RESULTS" "$BEST_C" "${BEST_T:-}"
[ -f "$WORK/health.txt" ] && { echo; echo "during the cold poll of tidings run (concurrency $BEST_C):"; cat "$WORK/health.txt"; }
if [ -f "$WORK/serve.txt" ]; then echo; cat "$WORK/serve.txt"; fi

#!/usr/bin/env bash
# PostgreSQL benchmark (issue 15: several daemons on one PostgreSQL).
#
# N feeds (default 10,000; the corpus of benches/scale.sh: RSS and Atom, 10-50
# items, some with full-text HTML) served as static files by nginx on 127.0.0.1,
# its access log counting every fetch. A throwaway PostgreSQL (scripts/postgres.sh,
# fsync on, synchronous_commit off: the durability of SQLite's WAL with
# synchronous=NORMAL) on the same machine. Measured:
#   1. `tidings once`, cold, on SQLite and on PostgreSQL: wall, CPU of tidings
#      and of the PostgreSQL server, peak RSS, items; the ratio of the walls.
#      Then again (all 304) on both, and the PostgreSQL database's size per item.
#   2. Two `tidings run` daemons on one fresh PostgreSQL database: every feed
#      fetched exactly once (nginx's log), items stored once (= the SQLite
#      count), both serving identical /feeds/all.xml.
#   3. The same, with one daemon killed (-9) mid-poll: every feed still polled,
#      items stored once, and how long after the kill its claimed feeds were
#      polled by the other (about lease_secs).
#
# Rerun: benches/postgres.sh [N]
# Env: CONC=32 (concurrency of each tidings), LEASE=10 (lease_secs in part 3),
#      RECENT=1 (the newest items dated now, as in scale.sh: story
#      de-duplication has work to do; by default the items are older than its window),
#      KEEP=1 (keep the temp dir), TIDINGS_BIN=path (measure this binary)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${1:-10000}
CONC=${CONC:-32}
LEASE=${LEASE:-10}

. benches/scale/common.sh
need=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v sqlite3 >/dev/null || need+=(sqlite3)
command -v curl >/dev/null || need+=(curl)
[ -x /usr/bin/time ] || need+=(time)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
apt_install "${need[@]}"
if [ -n "${TIDINGS_BIN:-}" ]; then BIN=$(realpath "$TIDINGS_BIN"); else
  cargo build --release -j2 -q; BIN=$ROOT/target/release/tidings; fi

WORK=$(mktemp -d /tmp/tidings-pgbench.XXXXXX)
chmod 755 "$WORK"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  scripts/postgres.sh stop "$WORK/pg" || true
  if [ -n "${KEEP:-}" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
REPORT=$WORK/report.txt
say() { echo "$*" | tee -a "$REPORT" >&2; }

# ---- nginx, logging every fetch -----------------------------------------------
PORT=$(free_port)
start_nginx "$WORK" "$PORT" log
log "generating $N feeds"
python3 benches/scale/genfeeds.py "$WORK/www" "$N" >&2
for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/f/00000.xml" && break; sleep 0.1; done
fetched() { awk '$2 ~ /^\/f\//' "$WORK/access.log" | wc -l; }
reset_log() { : > "$WORK/access.log"; kill -USR1 "$(cat "$WORK/nginx.pid")"; sleep 0.3; : > "$WORK/access.log"; }

# ---- PostgreSQL -----------------------------------------------------------------
ADMIN=$(PG_DURABLE=1 scripts/postgres.sh start "$WORK/pg")
PSQL=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/psql
db_url() { echo "${ADMIN%/postgres*}/$1?sslmode=disable"; }
createdb() { "$PSQL" -q "$ADMIN" -c "CREATE DATABASE $1"; db_url "$1"; }
pg_items() { "$PSQL" -tA "$(db_url "$1")" -c "SELECT count(*) FROM items" 2>/dev/null || echo 0; }
pg_cpu() { python3 benches/postgres/pgcpu.py "$WORK/pg/data"; }

conf() { # DIR DATABASE [LISTEN] [EXTRA]
  local dir=$1 db=$2 listen=${3:-127.0.0.1:$(free_port)} extra=${4:-}
  mkdir -p "$dir"
  { cat <<TOML
[daemon]
database = "$db"
listen = "$listen"
schedule = "0 0 1 1 *"
concurrency = $CONC
feeds_per_host = $CONC
$extra

[[output]]
name = "all"
limit = 100
TOML
    for ((i = 0; i < N; i++)); do printf '[[feed]]\nurl = "http://127.0.0.1:%s/f/%05d.xml"\n' "$PORT" "$i"; done
  } > "$dir/tidings.toml"
}
timed() { # NAME DIR: `tidings once`, /usr/bin/time -v into $WORK/NAME.time
  /usr/bin/time -v -o "$WORK/$1.time" env -C "$2" "$BIN" once --config "$2/tidings.toml" > "$WORK/$1.out" 2> "$WORK/$1.err"
  grep -q "^$N feeds polled, 0 failed" "$WORK/$1.out" || { echo "$1: failures:" >&2; tail -3 "$WORK/$1.out" >&2; }
}
tv() { # FILE: "wall W s, CPU C s, peak RSS R MB"
  python3 - "$1" <<'PY'
import sys, re
t = open(sys.argv[1]).read()
def f(k): return re.search(re.escape(k) + r":\s*(.+)", t).group(1).strip()
w = f("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")
wall = sum(float(x) * 60 ** i for i, x in enumerate(reversed(w)))
cpu = float(f("User time (seconds)")) + float(f("System time (seconds)"))
print(f"{wall:.2f} {cpu:.2f} {int(f('Maximum resident set size (kbytes)')) / 1024:.1f}")
PY
}

# ---- 1. one daemon: SQLite vs PostgreSQL, cold --------------------------------
log "SQLite: tidings once, cold"
conf "$WORK/sqlite" tidings.db
reset_log; timed sqlite "$WORK/sqlite"
read -r s_wall s_cpu s_rss < <(tv "$WORK/sqlite.time")
S_ITEMS=$(sqlite3 "$WORK/sqlite/tidings.db" 'SELECT count(*) FROM items')
log "SQLite: tidings once again (all 304)"
timed sqlite-304 "$WORK/sqlite"
read -r s3_wall s3_cpu s3_rss < <(tv "$WORK/sqlite-304.time")
S_SIZE=$(stat -c %s "$WORK/sqlite/tidings.db")
log "PostgreSQL: tidings once, cold"
conf "$WORK/pg1" "$(createdb one)"
cpu0=$(pg_cpu)
reset_log; timed pg-cold "$WORK/pg1"
cpu1=$(pg_cpu)
read -r p_wall p_cpu p_rss < <(tv "$WORK/pg-cold.time")
P_ITEMS=$(pg_items one)
log "PostgreSQL: tidings once again (all 304)"
timed pg-304 "$WORK/pg1"
cpu2=$(pg_cpu)
read -r q_wall q_cpu q_rss < <(tv "$WORK/pg-304.time")
P_SIZE=$("$PSQL" -tA "$(db_url one)" -c "SELECT pg_database_size(current_database())")
P_ITEMS_SIZE=$("$PSQL" -tA "$(db_url one)" -c "SELECT pg_total_relation_size('items') + pg_total_relation_size('memberships')")
P_PRINTS_SIZE=$("$PSQL" -tA "$(db_url one)" -c "SELECT pg_total_relation_size('dedup_signatures') + pg_total_relation_size('dedup_keys')")
P_PRINTS=$("$PSQL" -tA "$(db_url one)" -c "SELECT count(*) FROM dedup_signatures")
P_JOINED=$("$PSQL" -tA "$(db_url one)" -c "SELECT count(*) FROM items WHERE story IS NOT NULL")
S_JOINED=$(sqlite3 "$WORK/sqlite/tidings.db" 'SELECT count(*) FROM items WHERE story IS NOT NULL')
S_PRINTS=$(sqlite3 "$WORK/sqlite/tidings.db" 'SELECT count(*) FROM dedup_signatures')
say "== $N feeds, one daemon, cold (tidings $(git -C "$ROOT" rev-parse --short HEAD), concurrency $CONC, $(nproc) cores, $("$PSQL" --version | sed 's/psql (PostgreSQL) /PostgreSQL /'))"
say "SQLite:     wall $s_wall s, tidings CPU $s_cpu s, peak RSS $s_rss MB, $S_ITEMS items, file $((S_SIZE / 1048576)) MB"
say "PostgreSQL: wall $p_wall s, tidings CPU $p_cpu s, server CPU $(python3 -c "print(f'{$cpu1-$cpu0:.2f}')") s, peak RSS $p_rss MB, $P_ITEMS items, database $((P_SIZE / 1048576)) MB (items+memberships $((P_ITEMS_SIZE / 1048576)) MB)"
say "PostgreSQL / SQLite wall: $(python3 -c "print(f'{$p_wall/$s_wall:.2f}x')")"
say "all 304: SQLite wall $s3_wall s, tidings CPU $s3_cpu s; PostgreSQL wall $q_wall s, tidings CPU $q_cpu s, server CPU $(python3 -c "print(f'{$cpu2-$cpu1:.2f}')") s"
say "per feed (cold): tidings CPU $(python3 -c "print(f'{$p_cpu/$N*1000:.2f}')") ms, server CPU $(python3 -c "print(f'{($cpu1-$cpu0)/$N*1000:.2f}')") ms; per 304 poll: tidings $(python3 -c "print(f'{$q_cpu/$N*1000:.2f}')") ms, server $(python3 -c "print(f'{($cpu2-$cpu1)/$N*1000:.2f}')") ms; bytes per stored item: $(python3 -c "print(round($P_ITEMS_SIZE/max($P_ITEMS,1)))")"
say "stories: items that joined another item's story: SQLite $S_JOINED, PostgreSQL $P_JOINED; prints kept: SQLite $S_PRINTS, PostgreSQL $P_PRINTS, $((P_PRINTS_SIZE / 1048576)) MB (bytes per print: $(python3 -c "print(round($P_PRINTS_SIZE/max($P_PRINTS,1)))"))"
[ "$P_ITEMS" = "$S_ITEMS" ] || say "MISMATCH: PostgreSQL stored $P_ITEMS items, SQLite $S_ITEMS"

# ---- 2 and 3: two daemons ---------------------------------------------------------
two_daemons() { # NAME KILL_AT_FRACTION(0 = no kill)
  local name=$1 kill_at=$2 url; url=$(createdb "$name")
  local pa pb; pa=$(free_port); pb=$(free_port)
  conf "$WORK/$name.a" "$url" "127.0.0.1:$pa" "lease_secs = $LEASE"
  conf "$WORK/$name.b" "$url" "127.0.0.1:$pb" "lease_secs = $LEASE"
  reset_log
  local t0; t0=$(date +%s.%N)
  "$BIN" run --config "$WORK/$name.a/tidings.toml" 2> "$WORK/$name.a.log" & local a=$!; pids+=($a)
  "$BIN" run --config "$WORK/$name.b/tidings.toml" 2> "$WORK/$name.b.log" & local b=$!; pids+=($b)
  local killed=""
  if [ "$kill_at" != 0 ]; then
    local target; target=$(python3 -c "print(int($N*$kill_at))")
    while [ "$(fetched)" -lt "$target" ]; do sleep 0.2; done
    kill -9 "$a"; killed=$(date +%s.%N)
    log "$name: killed daemon A (-9) after $target fetches"
  fi
  # Done when every item is stored and no fetch came for 3 s.
  local last=-1 still=0 deadline=$(( $(date +%s) + 600 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    local items; items=$(pg_items "$name")
    if [ "$items" = "$S_ITEMS" ] && [ "$(fetched)" = "$last" ]; then still=$((still + 1)); else still=0; fi
    [ $still -ge 6 ] && break
    last=$(fetched); sleep 0.5
  done
  local t1; t1=$(date +%s.%N)
  sleep 1.2   # nginx flushes its log every second
  say "-- $name: two daemons on one database$( [ -n "$killed" ] && echo ", A killed (-9) mid-poll, lease_secs = $LEASE")"
  say "$(python3 benches/postgres/fetches.py "$WORK/access.log" /f/ "$N" $killed)"
  say "items stored: $(pg_items "$name") (SQLite stored $S_ITEMS); all stored $(python3 -c "print(f'{$t1-$t0-3:.1f}')") s after the start$( [ -n "$killed" ] && python3 -c "print(f', {$t1-$killed-3:.1f} s after the kill')")"
  local polled_a polled_b
  polled_a=$(grep -c 'polled' "$WORK/$name.a.log" || true); polled_b=$(grep -c 'polled' "$WORK/$name.b.log" || true)
  say "polls logged: A $polled_a, B $polled_b"
  say "items that joined another item's story: $("$PSQL" -tA "$(db_url "$name")" -c "SELECT count(*) FROM items WHERE story IS NOT NULL") (one daemon on SQLite: $S_JOINED)"
  if [ -z "$killed" ]; then
    curl -sf -o "$WORK/$name.a.xml" "http://127.0.0.1:$pa/feeds/all.xml"
    curl -sf -o "$WORK/$name.b.xml" "http://127.0.0.1:$pb/feeds/all.xml"
    say "outputs: $(python3 benches/postgres/compare.py "$WORK/$name.a.xml" "$WORK/$name.b.xml" || true)"
  fi
  kill -INT "$a" "$b" 2>/dev/null || true; wait "$a" "$b" 2>/dev/null || true
}
log "two daemons, one database"
two_daemons shared 0
log "two daemons, one killed mid-poll"
two_daemons killed 0.3
echo
cat "$REPORT"

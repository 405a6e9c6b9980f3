#!/usr/bin/env bash
# Cold polls of two configurations, interleaved (issues 13 and 14: "within 1.15×
# of dedup off", "same or better than the issue-8 build").
#
# The machine these run on is shared and noisy: one sitting of benches/scale.sh
# measured the same build's cold poll at 30 s and at 38 s. This script generates
# the scale.sh corpus once (N feeds, RECENT=1 dates, served by nginx on
# 127.0.0.1), then runs `tidings once` on a fresh database RUNS times per side,
# alternating A and B (A first in odd rounds, B first in even ones), and prints
# each run's CPU (user + system) and wall time, then the mean CPU ratio B/A and
# the ratio of each adjacent pair, so a noisy sitting shows as spread, not as a
# figure.
#
# Sides: A and B are each "BINARY" or "BINARY:off" (`:off` sets `dedup = false`
# on every output, so no story prints are made). Defaults: A = this build with
# stories off, B = this build with stories on (the cost of stories).
# BUMP=1 times a changed poll instead: each side first polls the corpus cold
# (untimed, database kept), then every 4th feed gains 1-5 items (genfeeds.py
# --bump, the same dates for the rest), and each round times one `once` on a
# copy of that side's cold database: what a poll costs when a quarter of the
# feeds changed.
# Rerun: benches/interleaved.sh [N]     (default 10000)
# Env:   A=path[:off] B=path[:off] RUNS=5 CONC=32 BUMP=1
#        e.g. A=/path/to/old/tidings B=target/release/tidings:off  (a build against another)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${1:-10000}
RUNS=${RUNS:-5}
CONC=${CONC:-32}

. benches/scale/common.sh
need=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v curl >/dev/null || need+=(curl)
[ -x /usr/bin/time ] || need+=(time)
apt_install "${need[@]}"

if [ -z "${A:-}" ] || [ -z "${B:-}" ]; then
  cargo build --release -j2 -q
  A=${A:-$ROOT/target/release/tidings:off}
  B=${B:-$ROOT/target/release/tidings}
fi

WORK=$(mktemp -d /tmp/tidings-interleaved.XXXXXX)
chmod 755 "$WORK"
cleanup() {
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_nginx "$WORK" "$PORT"
export RECENT_AT=$(date +%s)
RECENT=1 python3 benches/scale/genfeeds.py "$WORK/www/$N" "$N" >&2

# config SIDE DIR: a fresh DIR holding SIDE's config (its database in DIR).
config() {
  local bin=${1%:off} off="" dir=$2
  [ "$bin" != "$1" ] && off="dedup = false"
  rm -rf "$dir"; mkdir -p "$dir"
  {
    printf '[daemon]\ndatabase = "tidings.db"\nschedule = "0 0 1 1 *"\n'
    printf 'concurrency = %s\nfeeds_per_host = %s\n\n' "$CONC" "$CONC"
    printf '[[output]]\nname = "all"\nlimit = 100\n%s\n\n' "$off"
    printf '[[output]]\nname = "one"\nlimit = 100\nfrom = { feeds = ["http://127.0.0.1:%s/%s/f/00000.xml"] }\n%s\n\n' \
      "$PORT" "$N" "$off"
    for ((i = 0; i < N; i++)); do printf '[[feed]]\nurl = "http://127.0.0.1:%s/%s/f/%05d.xml"\n' "$PORT" "$N" "$i"; done
  } > "$dir/tidings.toml"
}

# once SIDE DIR: `tidings once` in DIR, timed; prints "cpu wall".
once() {
  local bin=${1%:off} dir=$2
  /usr/bin/time -f "%U %S %e" -o "$dir/time" env -C "$dir" "$(realpath "$bin")" once --config "$dir/tidings.toml" \
    > "$dir/out" 2> "$dir/err" || { echo "failed: $1" >&2; tail -5 "$dir/err" >&2; exit 1; }
  grep -Eq "^$N feeds polled, 0 failed" "$dir/out" || { echo "failures: $1" >&2; tail -3 "$dir/out" >&2; exit 1; }
  awk '{printf "%.2f %.2f\n", $1 + $2, $3}' "$dir/time"
}

# run SIDE: one cold poll on a fresh database, or with BUMP=1 one poll of the
# bumped corpus on a copy of SIDE's cold database; prints "cpu wall".
run() {
  local dir=$WORK/run
  if [ -n "${BUMP:-}" ]; then
    rm -rf "$dir"; cp -a "$WORK/cold-$2" "$dir"
  else
    config "$1" "$dir"
  fi
  once "$1" "$dir"
  rm -rf "$dir"
}

if [ -n "${BUMP:-}" ]; then
  for side in A B; do
    if [ "$side" = A ]; then bin=$A; else bin=$B; fi
    config "$bin" "$WORK/cold-$side"
    echo "cold poll for side $side: $(once "$bin" "$WORK/cold-$side")" >&2
    rm -f "$WORK/cold-$side/out" "$WORK/cold-$side/err" "$WORK/cold-$side/time"
  done
  RECENT=1 python3 benches/scale/genfeeds.py "$WORK/www/$N" "$N" --bump >&2
fi

echo "A = $A"
echo "B = $B"
echo "round	side	cpu_s	wall_s"
: > "$WORK/cpu"
for ((r = 1; r <= RUNS; r++)); do
  if ((r % 2)); then order="A B"; else order="B A"; fi
  for side in $order; do
    if [ "$side" = A ]; then bin=$A; else bin=$B; fi
    out=$(run "$bin" "$side")
    read -r cpu wall <<< "$out"
    printf '%s\t%s\t%s\t%s\n' "$r" "$side" "$cpu" "$wall"
    echo "$r $side $cpu" >> "$WORK/cpu"
  done
done
python3 - "$WORK/cpu" <<'PY'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1])]
cpu = {"A": [], "B": []}
by_round = {}
for r, side, c in rows:
    cpu[side].append(float(c))
    by_round.setdefault(r, {})[side] = float(c)
a, b = statistics.mean(cpu["A"]), statistics.mean(cpu["B"])
pairs = [v["B"] / v["A"] for v in by_round.values() if "A" in v and "B" in v]
print(f"mean CPU: A {a:.2f} s, B {b:.2f} s; B/A = {b / a:.3f}")
print("B/A per round: " + ", ".join(f"{p:.3f}" for p in pairs)
      + f" (median {statistics.median(pairs):.3f})")
PY

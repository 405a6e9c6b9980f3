#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests and benchmarks, on 127.0.0.1.
#   scripts/postgres.sh start DIR   starts one in DIR (created; its parents must be
#                                   readable by the postgres user) and prints its
#                                   admin URL (database "postgres", user "tidings")
#   scripts/postgres.sh stop DIR    stops it and removes DIR
# Needs Debian's postgresql package. initdb refuses to run as root, so as root the
# server runs as the postgres user. fsync is off: the data is thrown away.
# PG_DURABLE=1 keeps fsync on (synchronous_commit stays off, like SQLite's WAL
# with synchronous=NORMAL: a crash may lose the last commits, never corrupts).
set -euo pipefail
cmd=${1:?usage: scripts/postgres.sh start|stop DIR}
dir=${2:?usage: scripts/postgres.sh start|stop DIR}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || { echo "error: PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
  start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    chmod 755 "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    as_pg "$bin/initdb" -D "$dir/data" --auth=trust -U tidings -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    opts="-p $port -k $dir -c listen_addresses=127.0.0.1 -c synchronous_commit=off -c max_connections=400"
    [ -n "${PG_DURABLE:-}" ] || opts="$opts -c fsync=off -c full_page_writes=off"
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 -o "$opts" start >/dev/null
    echo "$port" > "$dir/port"
    echo "postgres://tidings@127.0.0.1:$port/postgres?sslmode=disable"
    ;;
  stop)
    if [ -d "$dir/data" ]; then
      as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *) echo "usage: scripts/postgres.sh start|stop DIR" >&2; exit 2 ;;
esac

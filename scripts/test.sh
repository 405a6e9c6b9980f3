#!/usr/bin/env bash
# The README's test command. On a fresh Debian machine with Rust installed it
# installs what the tests need (the real feed clients that read what tidings
# serves: xmllint, newsboat, rss2email, Python feedparser, Node rss-parser and
# feedsmith; headless Chromium, which renders the output pages; PostgreSQL),
# then runs the format check, clippy and the whole test suite on SQLite, and the
# integration suite again on a throwaway PostgreSQL server (scripts/postgres.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

need_apt=()
command -v xmllint >/dev/null 2>&1 || need_apt+=(libxml2-utils)
command -v newsboat >/dev/null 2>&1 || need_apt+=(newsboat)
command -v r2e >/dev/null 2>&1 || need_apt+=(rss2email)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v timeout >/dev/null 2>&1 || need_apt+=(coreutils)
command -v systemd-analyze >/dev/null 2>&1 || need_apt+=(systemd)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
python3 -m venv --help >/dev/null 2>&1 || need_apt+=(python3-venv)
command -v kill >/dev/null 2>&1 || need_apt+=(procps)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
command -v runuser >/dev/null 2>&1 || need_apt+=(util-linux)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing Debian packages: ${need_apt[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

if ! .venv-feeds/bin/python -c 'import feedparser' >/dev/null 2>&1; then
  echo "== creating .venv-feeds with feedparser"
  python3 -m venv .venv-feeds
  .venv-feeds/bin/pip install -q feedparser==6.0.14
fi
export TIDINGS_TEST_PYTHON="$PWD/.venv-feeds/bin/python"

if [ ! -d .feed-clients/node_modules/rss-parser ] || [ ! -d .feed-clients/node_modules/feedsmith ]; then
  echo "== installing Node feed clients into .feed-clients"
  mkdir -p .feed-clients
  echo '{"name":"feed-clients","private":true}' > .feed-clients/package.json
  (cd .feed-clients && npm install -q --no-audit --no-fund rss-parser@3.13.0 feedsmith@3.0.1)
fi

[ -d ../shared ] || { echo "error: ../shared (the team's shared data) must sit beside the repository" >&2; exit 1; }

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy -j2 --all-targets -- -D warnings
echo "== cargo test (SQLite)"
cargo test -j2

echo "== cargo test --test integration (PostgreSQL)"
pg_dir=$(mktemp -d /tmp/tidings-pg.XXXXXX)
chmod 755 "$pg_dir"
trap 'scripts/postgres.sh stop "$pg_dir/server"; rm -rf "$pg_dir"' EXIT
TIDINGS_TEST_POSTGRES=$(scripts/postgres.sh start "$pg_dir/server")
export TIDINGS_TEST_POSTGRES
cargo test -j2 --test integration

# Shared by the benchmark scripts that serve generated feeds from nginx
# (sourced, not run).

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# apt_install PKG...: installs the packages given (none: nothing to do).
apt_install() {
  [ $# -gt 0 ] || return 0
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

# start_nginx WORK PORT [LOG]: serves WORK/www on 127.0.0.1:PORT (ETag and
# Last-Modified) until WORK/nginx.pid's process is killed. No access log, or
# with LOG set every fetch in WORK/access.log as "msec uri status".
start_nginx() {
  local work=$1 port=$2 log="access_log off;"
  [ -n "${3:-}" ] && log="log_format fetch '\$msec \$uri \$status';
  access_log $work/access.log fetch buffer=64k flush=1s;"
  mkdir -p "$work/www" "$work/tmp"
  cat > "$work/nginx.conf" <<NGX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
  $log
  types { application/xml xml; }
  client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
  uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
  keepalive_requests 100000;
  server { listen 127.0.0.1:$port backlog=4096; root $work/www; etag on; }
}
NGX
  "$(command -v nginx || echo /usr/sbin/nginx)" -c "$work/nginx.conf"   # daemonises
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
}

# Sourced by benches/province.sh and benches/province_ab.sh: three release servers on
# 8181-8183 behind nginx on 8180 (deploy/nginx/pingxuan-proxy.conf, round-robin, as
# tests/cluster.rs), on the database "$url", and sessions signed in through the proxy.
#
#   province_up <pingxuan binary>   starts them (in "$work", a fresh directory)
#   province_down                   stops them
#   session <username>              signs in as a browser does; prints the session cookie
#
# How the servers run, from the environment (benches/province_tune.sh compares them):
#   PROVINCE_SERVERS    how many servers behind nginx (default 3; ports 8181, 8182, …)
#   PROVINCE_POOL       each server's PINGXUAN_DB_POOL (default 16)
#   PROVINCE_WORKERS    each server's TOKIO_WORKER_THREADS (default: tokio's, one per core)
#   PROVINCE_DB_SOCKET  "1": the servers reach PostgreSQL by its Unix socket, not TCP
#   PROVINCE_NGINX_WORKERS  nginx's worker_processes (default 2)

work=""
pids=()

# PostgreSQL up, wrk installed and the province generated; sets "url" to its database.
province_ready() {
  scripts/pg-up
  url=postgres://postgres@127.0.0.1:5432/pingxuan_province
  command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)" >&2; exit 1; }
  [ "$(psql "$url" -tAc "select count(*) from center" 2>/dev/null || true)" = 176 ] \
    || { echo "generate the province first: benches/province.sh" >&2; exit 1; }
}

# The signed-in pages that benches/province_ab.sh and benches/province_tune.sh time: who
# asks (office, head, admin, leader: p01's accounts in province_sessions) and the path.
signed_in_pages=(
  "office /scores/2026-09?tab=windows"
  "office /scores/2026-09?tab=staff"
  "office /scores/2026-09?tab=staff&department=all&page=20"
  "office /results/2026-Q2"
  "office /results/2026-Q2?sp=20"
  "office /periods/2026-Q3"
  "office /audit"
  "office /audit?page=500"
  "head /head"
  "head /ballot"
  "head /assessment/month/2026-09/W2"
  "office /supervision"
  "office /scores/2026-09/not-assessed"
  "office /periods/2026-Q3/turnout"
  "office /periods/2026-Q3/candidates"
  "office /periods/2026-Q3/duty-days"
  "office /results/2026-Q2/entrants/S96"
  "leader /leadership"
  "admin /admin"
  "admin /admin/staff"
)

# Keeps in signed_in_pages only the pages whose path matches PAGES_MATCHING (an extended
# regex), when it is set.
choose_pages() {
  [ -n "${PAGES_MATCHING:-}" ] || return 0
  local entry chosen=()
  for entry in "${signed_in_pages[@]}"; do
    if echo "${entry#* }" | grep -Eq "$PAGES_MATCHING"; then chosen+=("$entry"); fi
  done
  signed_in_pages=("${chosen[@]}")
}

# Signs in p01's office, head, admin and leader; the cookies in the array "cookie".
province_sessions() {
  declare -gA cookie=([office]="$(session p01-ducha)" [head]="$(session p01-h2)"
                      [admin]="$(session p01-admin)" [leader]="$(session p01-ld1)")
}

province_up() {
  local i port ports=()
  work="$(mktemp -d)"
  pids=()
  for i in $(seq "${PROVINCE_SERVERS:-3}"); do ports+=($((8180 + i))); done
  local db_url="$url"
  # The same database by the socket (the query's host overrides the address's).
  [ "${PROVINCE_DB_SOCKET:-}" = 1 ] && db_url="$url?host=/var/run/postgresql"
  for port in "${ports[@]}"; do
    if [ -n "${PROVINCE_WORKERS:-}" ]; then export TOKIO_WORKER_THREADS="$PROVINCE_WORKERS"; else unset TOKIO_WORKER_THREADS; fi
    DATABASE_URL="$db_url" PINGXUAN_TRUST_PROXY=true PINGXUAN_LOG=warn PINGXUAN_DB_POOL="${PROVINCE_POOL:-16}" \
      "$1" serve --addr "127.0.0.1:$port" >"$work/server-$port.log" 2>&1 &
    pids+=($!)
  done
  unset TOKIO_WORKER_THREADS
  for port in "${ports[@]}"; do
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || { echo "the server on $port did not start:"; cat "$work/server-$port.log"; exit 1; }
  done
  local upstreams=""
  for port in "${ports[@]}"; do
    upstreams+="    server 127.0.0.1:$port max_fails=1 fail_timeout=10s;"$'\n'
  done
  cat >"$work/nginx.conf" <<EOF
daemon on;
worker_processes ${PROVINCE_NGINX_WORKERS:-2};
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
user root;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/body; proxy_temp_path $work/proxy;
  fastcgi_temp_path $work/fastcgi; uwsgi_temp_path $work/uwsgi; scgi_temp_path $work/scgi;
  upstream pingxuan {
$upstreams    keepalive 64;
  }
  server {
    listen 127.0.0.1:8180;
    location / { include $PWD/deploy/nginx/pingxuan-proxy.conf; }
  }
}
EOF
  /usr/sbin/nginx -p "$work" -c "$work/nginx.conf"
  proxy=http://127.0.0.1:8180
  for _ in $(seq 100); do curl -sf "$proxy/healthz" >/dev/null && break; sleep 0.2; done
}

province_down() {
  [ -n "$work" ] || return 0
  local master=""
  [ -f "$work/nginx.pid" ] && master="$(cat "$work/nginx.pid")"
  [ -n "$master" ] && kill -TERM "$master" 2>/dev/null || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  # nginx (a daemon, not a child) has left once its master is gone: the port is free.
  if [ -n "$master" ]; then
    for _ in $(seq 100); do kill -0 "$master" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$work"
  work=""
  pids=()
}

# Warms a page before it is timed: a second at 64 connections, so that every pooled
# connection has prepared the page's statements, as on a server that has run for a while
# (six requests in turn left most of the pool's connections to prepare them, and to open,
# inside the timed run).
#   warm <cookie> <path>
warm() {
  wrk -t2 -c64 -d1s -H "Cookie: $1" "$proxy$2" >/dev/null
}

# Signs in through the proxy as a browser does; prints the session cookie.
session() {
  local jar="$work/jar-$1" token
  token=$(curl -s -c "$jar" "$proxy/login" | grep -o 'name="_csrf" value="[0-9a-f]*"' | head -n1 | sed 's/.*value="//; s/"//')
  curl -s -b "$jar" -c "$jar" -o /dev/null -H "Origin: $proxy" \
    --data-urlencode "_csrf=$token" --data-urlencode "username=$1" --data-urlencode "password=pingxuan2026" "$proxy/login"
  awk '$6 == "px_session" { print "px_session=" $7 }' "$jar"
}

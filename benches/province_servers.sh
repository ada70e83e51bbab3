# Sourced by benches/province.sh and benches/province_ab.sh: three release servers on
# 8181-8183 behind nginx on 8180 (deploy/nginx/pingxuan-proxy.conf, round-robin, as
# tests/cluster.rs), on the database "$url", and sessions signed in through the proxy.
#
#   province_up <pingxuan binary>   starts them (in "$work", a fresh directory)
#   province_down                   stops them
#   session <username>              signs in as a browser does; prints the session cookie

work=""
pids=()

province_up() {
  work="$(mktemp -d)"
  pids=()
  for port in 8181 8182 8183; do
    DATABASE_URL="$url" PINGXUAN_TRUST_PROXY=true PINGXUAN_LOG=warn PINGXUAN_DB_POOL=16 \
      "$1" serve --addr "127.0.0.1:$port" >"$work/server-$port.log" 2>&1 &
    pids+=($!)
  done
  for port in 8181 8182 8183; do
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || { echo "the server on $port did not start:"; cat "$work/server-$port.log"; exit 1; }
  done
  cat >"$work/nginx.conf" <<EOF
daemon on;
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
user root;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/body; proxy_temp_path $work/proxy;
  fastcgi_temp_path $work/fastcgi; uwsgi_temp_path $work/uwsgi; scgi_temp_path $work/scgi;
  upstream pingxuan {
    server 127.0.0.1:8181 max_fails=1 fail_timeout=10s;
    server 127.0.0.1:8182 max_fails=1 fail_timeout=10s;
    server 127.0.0.1:8183 max_fails=1 fail_timeout=10s;
    keepalive 64;
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

# Signs in through the proxy as a browser does; prints the session cookie.
session() {
  local jar="$work/jar-$1" token
  token=$(curl -s -c "$jar" "$proxy/login" | grep -o 'name="_csrf" value="[0-9a-f]*"' | head -n1 | sed 's/.*value="//; s/"//')
  curl -s -b "$jar" -c "$jar" -o /dev/null -H "Origin: $proxy" \
    --data-urlencode "_csrf=$token" --data-urlencode "username=$1" --data-urlencode "password=pingxuan2026" "$proxy/login"
  awk '$6 == "px_session" { print "px_session=" $7 }' "$jar"
}

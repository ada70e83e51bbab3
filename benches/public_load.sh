#!/usr/bin/env bash
# Suite 15 of issue 6 (two of its three parts): the public honor roll under 64 connections
# for 30 s, and the honor roll's latency while 50 sign-ins run at once (argon2 is costly).
#
#   benches/public_load.sh [seconds]      (default 30; needs wrk and python3)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-30}"
scripts/pg-up
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
export SQLX_OFFLINE=true
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/pingxuan_bench}"
cargo build --release --bin pingxuan 2>&1 | tail -n1
addr=127.0.0.1:8095
# Each signing-in client comes from an address of its own (through X-Forwarded-For), so
# that the per-address limit does not turn the flood into cheap refusals.
PINGXUAN_TRUST_PROXY=true PINGXUAN_LOG=warn target/release/pingxuan demo --addr "$addr" >/tmp/pingxuan-public.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -fs "http://$addr/healthz" >/dev/null && break; sleep 1; done
curl -fs "http://$addr/honor-roll" >/dev/null

echo "== the honor roll, 64 connections, ${secs} s"
wrk -t2 -c64 -d"${secs}s" --latency "http://$addr/honor-roll" | grep -E "Requests/sec|50%|99%|Non-2xx|requests in"

echo "== the honor roll (8 connections) while 50 clients sign in over and over"
python3 - "$addr" <<'PY' &
import http.cookiejar, re, sys, threading, time, urllib.parse, urllib.request
addr = sys.argv[1]
stop = time.time() + 20
done = {}
lock = threading.Lock()
def client(n):
    while time.time() < stop:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(f"http://{addr}/login", timeout=30).read().decode()
        token = re.search(r'name="_csrf" value="([0-9a-f]+)"', page).group(1)
        data = urllib.parse.urlencode({"_csrf": token, "username": f"head{n % 29 + 1:02d}",
                                       "password": "pingxuan2026"}).encode()
        req = urllib.request.Request(f"http://{addr}/login", data=data,
                                     headers={"Origin": f"http://{addr}",
                                              "X-Forwarded-For": f"10.9.{n}.1"})
        class Keep(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a, **k):
                return None
        try:
            status = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), Keep()).open(req, timeout=30).status
        except urllib.error.HTTPError as e:
            status = e.code
        with lock:
            done[status] = done.get(status, 0) + 1
threads = [threading.Thread(target=client, args=(n,)) for n in range(50)]
for t in threads: t.start()
for t in threads: t.join()
print(f"sign-in answers during the flood (status: count): {dict(sorted(done.items()))}")
PY
flood=$!
sleep 3
wrk -t1 -c8 -d15s --latency "http://$addr/honor-roll" | grep -E "Requests/sec|50%|99%|Non-2xx|requests in"
wait $flood

#!/usr/bin/env bash
# The server's memory while large photos are uploaded at once (issue 12): five concurrent
# uploads of an 8000×8000 PNG (refused before decoding) and of a 5600×5600 PNG (31 million
# pixels, decoded one at a time). Prints the server's resident memory before and its peak
# after each round (VmHWM of the process).
#
#   benches/photo_memory.sh        (needs python3 and curl)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/pg-up
export SQLX_OFFLINE=true
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/pingxuan_photobench}"
cargo build --release --bin pingxuan 2>&1 | tail -n1
addr=127.0.0.1:8096
PINGXUAN_LOG=warn target/release/pingxuan demo --addr "$addr" >/tmp/pingxuan-photo.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -fs "http://$addr/healthz" >/dev/null && break; sleep 1; done
python3 - "$addr" "$pid" <<'PY'
import http.cookiejar, re, struct, sys, threading, urllib.parse, urllib.request, zlib
addr, pid = sys.argv[1], sys.argv[2]

def png(w, h):
    """A solid-colour RGB PNG of w×h pixels (a few hundred kB compressed)."""
    raw = zlib.compressobj(9)
    row = b"\x00" + b"\xc8\x1e\x1e" * w
    data = b"".join(raw.compress(row) for _ in range(h)) + raw.flush()
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", data) + chunk(b"IEND", b"")

def mem(field):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field):
            return int(line.split()[1]) // 1024
    return -1

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None

jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())
def token(path):
    body = opener.open(f"http://{addr}{path}", timeout=60).read().decode()
    return re.search(r'name="_csrf" value="([0-9a-f]+)"', body).group(1)
data = urllib.parse.urlencode({"_csrf": token("/login"), "username": "admin", "password": "pingxuan2026"}).encode()
try:
    opener.open(urllib.request.Request(f"http://{addr}/login", data=data, headers={"Origin": f"http://{addr}"}), timeout=60)
except urllib.error.HTTPError as e:
    assert e.code == 303, e.code
staff = re.search(r'/admin/staff/(\d+)', opener.open(f"http://{addr}/admin/staff", timeout=60).read().decode()).group(1)
path = f"/admin/staff/{staff}/photo"

def upload(image, out, i):
    tok = token(path)
    b = "----bench"
    body = (f"--{b}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{tok}\r\n--{b}\r\n"
            f"Content-Disposition: form-data; name=\"photo\"; filename=\"big.png\"\r\nContent-Type: image/png\r\n\r\n").encode() + image + f"\r\n--{b}--\r\n".encode()
    req = urllib.request.Request(f"http://{addr}{path}", data=body, headers={
        "Content-Type": f"multipart/form-data; boundary={b}", "Origin": f"http://{addr}"})
    try:
        out[i] = opener.open(req, timeout=300).status
    except urllib.error.HTTPError as e:
        out[i] = e.code

print(f"server at rest: {mem('VmRSS')} MB resident")
for (w, h) in [(8000, 8000), (5600, 5600)]:
    image = png(w, h)
    out = [None] * 5
    threads = [threading.Thread(target=upload, args=(image, out, i)) for i in range(5)]
    for t in threads: t.start()
    for t in threads: t.join()
    print(f"5 concurrent uploads of a {w}×{h} PNG ({len(image) // 1024} kB): answers {out}; "
          f"peak {mem('VmHWM')} MB, now {mem('VmRSS')} MB resident")
PY

#!/usr/bin/env python3
"""Suite 12 of issue 6: the server killed with SIGKILL at random moments while score saves
and ballots are under way. After each kill the database must hold no partial ballot (every
receipt with its recommendations counted, nothing counted without its receipt) and no score
without its audit row; the server must start again cleanly.

    tests/faults/kill9.py [kills]        (default 20; run by tests/faults/kill9.sh)

Talks to the server over HTTP like a browser (form tokens, cookies); reads the database
with psql. Needs the release binary and the demo database named by DATABASE_URL.
"""
import http.cookiejar
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

ADDR = "127.0.0.1:8094"
BASE = f"http://{ADDR}"
DB = os.environ["DATABASE_URL"]
MONTH = "2027-03"
PICKS = 2  # every ballot recommends exactly this many windows


def psql(sql):
    out = subprocess.run(["psql", DB, "-tAc", sql], capture_output=True, text=True, check=True)
    return out.stdout.strip()


class Browser:
    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())

    def get(self, path):
        with self.opener.open(BASE + path, timeout=10) as r:
            return r.status, r.read().decode()

    def post(self, path, fields):
        data = urllib.parse.urlencode(fields).encode()
        req = urllib.request.Request(BASE + path, data=data, headers={"Origin": BASE})
        try:
            with self.opener.open(req, timeout=10) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    def token(self, path="/login"):
        _, body = self.get(path)
        return re.search(r'name="_csrf" value="([0-9a-f]+)"', body).group(1)

    def login(self, username):
        self.post("/login", [("_csrf", self.token()), ("username", username), ("password", "pingxuan2026")])


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

    def http_error_302(self, req, fp, code, msg, headers):
        return fp

    http_error_303 = http_error_302


def start_server():
    env = dict(os.environ, PINGXUAN_LOG="warn")
    proc = subprocess.Popen(["target/release/pingxuan", "serve", "--addr", ADDR], env=env,
                            stdout=subprocess.DEVNULL, stderr=open("/tmp/pingxuan-kill9.log", "a"))
    for _ in range(200):
        try:
            urllib.request.urlopen(BASE + "/healthz", timeout=1)
            return proc
        except Exception:
            time.sleep(0.05)
    raise SystemExit("the server did not start again")


def sign_in_everyone():
    """The supervision office and every window head, signed in once (sessions live in the
    database, so they outlive the server's restarts)."""
    ducha = Browser()
    ducha.login("ducha")
    heads = []
    for n in range(1, 30):
        b = Browser()
        b.login(f"head{n:02d}")
        heads.append(b)
    return ducha, heads


def load(stop, ducha, heads):
    """Score saves by the supervision office and ballots by window heads, until `stop`."""
    try:
        while not stop.is_set():
            # A whole month of window scores, every cell changed.
            status, page = ducha.get(f"/scores/{MONTH}?tab=windows")
            fields = re.findall(r'name="((?:_csrf|[cov]\d+))" value="([^"]*)"', page)
            score = f"{random.randint(60, 99)}.{random.randint(0, 99):02d}"
            ducha.post(f"/scores/{MONTH}?tab=windows",
                       [(k, score if k.startswith("c") else v) for k, v in fields])
            # One head's window ballot.
            head = random.choice(heads)
            status, page = head.get("/ballot")
            section = page.split('id="window"', 1)[-1].split("</section>", 1)[0]
            offered = re.findall(r'name="c" value="(W\d+)"', section)
            token = re.search(r'name="_csrf" value="([0-9a-f]+)"', page)
            if token and len(offered) >= PICKS:
                picks = random.sample(offered, PICKS)
                head.post("/ballot", [("_csrf", token.group(1)), ("kind", "window"),
                                      ("period", "2026-Q3")] + [("c", c) for c in picks])
    except Exception:
        pass  # the server went away: that is the point


def check():
    receipts = int(psql("select count(*) from ballot_receipt r join period p using (period_id) where p.code = '2026-Q3' and r.kind = 'window'"))
    counted = int(psql("select coalesce(sum(t.recommendations), 0) from ballot_tally t join period p using (period_id) where p.code = '2026-Q3' and t.window_id is not null"))
    baseline = int(psql("select coalesce(sum(recommendations), 0) from kill9_baseline"))
    base_receipts = int(psql("select count from kill9_receipts"))
    partial = abs((counted - baseline) - PICKS * (receipts - base_receipts))
    unaudited = int(psql(
        f"select count(*) from monthly_score m where m.month = '{MONTH}' and not exists ("
        f"select 1 from audit_log a where a.entity = 'monthly_score' and a.entity_id = m.month || ' window ' || m.window_id"
        f" and a.after ->> 'score' = to_char(m.score, 'FM990.00'))"))
    return receipts - base_receipts, partial, unaudited


def main():
    kills = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    # What the demo's voting quarter held before the load.
    psql("drop table if exists kill9_baseline; create table kill9_baseline as "
         "select recommendations from ballot_tally t join period p using (period_id) "
         "where p.code = '2026-Q3' and t.window_id is not null")
    psql("drop table if exists kill9_receipts; create table kill9_receipts as "
         "select count(*) from ballot_receipt r join period p using (period_id) "
         "where p.code = '2026-Q3' and r.kind = 'window'")
    worst_partial = worst_unaudited = 0
    restarts = 0
    proc = start_server()
    ducha, heads = sign_in_everyone()
    proc.terminate()
    proc.wait()
    for i in range(kills):
        proc = start_server()
        restarts += 1
        stop = threading.Event()
        workers = [threading.Thread(target=load, args=(stop, ducha, heads)) for _ in range(3)]
        for w in workers:
            w.start()
        time.sleep(random.uniform(0.5, 3.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        stop.set()
        for w in workers:
            w.join()
        ballots, partial, unaudited = check()
        worst_partial = max(worst_partial, partial)
        worst_unaudited = max(worst_unaudited, unaudited)
        print(f"kill {i + 1}: {ballots} ballots stored so far, partial {partial}, scores without their audit row {unaudited}")
    proc = start_server()
    ok = urllib.request.urlopen(BASE + "/healthz", timeout=5).status == 200
    proc.terminate()
    proc.wait()
    scores = psql(f"select count(*) from monthly_score where month = '{MONTH}'")
    writes = psql(f"select count(*) from audit_log where entity = 'monthly_score' and entity_id like '{MONTH} %'")
    print(f"{kills} kills with SIGKILL: partial ballots {worst_partial}, scores without their audit row {worst_unaudited}; "
          f"{writes} score writes to {scores} scores of {MONTH} and {check()[0]} ballots stored; the server started cleanly {restarts + 1} times; last health check {'ok' if ok else 'FAILED'}")
    psql("drop table kill9_baseline; drop table kill9_receipts")
    if worst_partial or worst_unaudited or not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()

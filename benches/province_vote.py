#!/usr/bin/env python3
"""Issue 16: 500 window heads of the province's largest center (p01, examples/gen_province.rs)
cast both ballots of 2026-Q3 at the same moment, through nginx in front of three servers
(run by benches/province.sh, which starts them).

Each head signs in and reads the ballot page first; then all of them send the window ballot
and the staff ballot at once (a random choice of candidates that leaves out the head's own
window and its staff). Printed: the time from the first send to the last answer, each
answer's latency (p50, p99, max), the statuses, and from the database afterwards the
receipts (one per head and kind) and the sum of the tallies against the marks sent.

    benches/province_vote.py BASE_URL DATABASE_URL [heads]     (default 500)
"""
import http.cookiejar
import json
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

BASE = sys.argv[1]
DB = sys.argv[2]
HEADS = int(sys.argv[3]) if len(sys.argv) > 3 else 500
CODE = "2026-Q3"


def psql(sql):
    out = subprocess.run(["psql", "-v", "ON_ERROR_STOP=1", DB, "-tAc", sql],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"psql failed: {out.stderr}")
    return out.stdout.strip()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

    def http_error_302(self, req, fp, code, msg, headers):
        return fp

    http_error_303 = http_error_302


class Browser:
    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())

    def get(self, path):
        with self.opener.open(BASE + path, timeout=120) as r:
            return r.status, r.read().decode()

    def post(self, path, fields):
        data = urllib.parse.urlencode(fields).encode()
        req = urllib.request.Request(BASE + path, data=data, headers={"Origin": BASE})
        try:
            with self.opener.open(req, timeout=120) as r:
                return r.status, r.headers.get("Location", "")
        except urllib.error.HTTPError as e:
            return e.code, ""

    def token(self, body):
        return re.search(r'name="_csrf" value="([0-9a-f]+)"', body).group(1)

    def login(self, username):
        _, body = self.get("/login")
        status, location = self.post("/login", [("_csrf", self.token(body)),
                                                ("username", username),
                                                ("password", "pingxuan2026")])
        if status != 303 or "login" in location:
            raise SystemExit(f"{username} could not sign in: {status} {location}")


def main():
    random.seed(20261202)
    cid = psql("select center_id from center where code = 'p01'")
    period = psql(f"select period_id from period where center_id = {cid} and code = '{CODE}'")
    voted = psql(f"select count(*) from ballot_receipt where period_id = {period}")
    if voted != "0":
        raise SystemExit(f"{voted} ballots already cast in p01 {CODE}: generate the province again")
    snapshot = json.loads(psql(f"select candidates from period where period_id = {period}"))
    rules = json.loads(psql(f"select rules from period where period_id = {period}"))
    cands = {k: [e["id"] for e in snapshot[k]["entrants"] if e.get("candidate")]
             for k in ("window", "staff")}
    staff_window = dict(
        (f"S{a}", f"W{b}") for a, b in
        (l.split("|") for l in psql(
            f"select staff_id, window_id from staff where center_id = {cid}").splitlines()))
    heads = [l.split("|") for l in psql(
        f"select username, window_id from account where center_id = {cid} "
        f"and role = 'window_head' order by window_id limit {HEADS}").splitlines()]
    caps = {k: int(float(str(rules[k]["max_recommendations"]))) for k in ("window", "staff")}

    t1 = time.time()
    browsers = {}
    lock = threading.Lock()

    def sign_in(chunk):
        for username, _ in chunk:
            b = Browser()
            b.login(username)
            _, body = b.get("/ballot")
            with lock:
                browsers[username] = (b, b.token(body))

    ts = [threading.Thread(target=sign_in, args=(heads[i::16],)) for i in range(16)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    if len(browsers) != len(heads):
        raise SystemExit(f"only {len(browsers)} of {len(heads)} heads signed in")
    print(f"{len(browsers)} heads of p01 signed in through the proxy in {time.time() - t1:.1f} s")

    plans = {}
    marks = 0
    for username, window in heads:
        own = f"W{window}"
        plan = {}
        for kind in ("window", "staff"):
            allowed = [c for c in cands[kind]
                       if (c if kind == "window" else staff_window[c]) != own]
            plan[kind] = random.sample(allowed, random.randint(0, min(caps[kind], len(allowed))))
            marks += len(plan[kind])
        plans[username] = plan

    answers = []
    barrier = threading.Barrier(len(heads))

    def vote(username):
        b, tok = browsers[username]
        barrier.wait()
        for kind in ("window", "staff"):
            fields = [("_csrf", tok), ("kind", kind), ("period", CODE)]
            fields += [("c", c) for c in plans[username][kind]]
            # A ballot answered with an error page is sent again, as a person would.
            for attempt in range(20):
                t = time.time()
                status, location = b.post("/ballot", fields)
                with lock:
                    answers.append((status, location, time.time() - t, time.time()))
                if status == 303:
                    break
                time.sleep(0.5)

    start = time.time()
    ts = [threading.Thread(target=vote, args=(u,)) for u, _ in heads]
    [t.start() for t in ts]
    [t.join() for t in ts]
    wall = max(a[3] for a in answers) - start
    lat = sorted(a[2] for a in answers)
    statuses = {}
    for a in answers:
        key = f"{a[0]} {a[1]}"
        statuses[key] = statuses.get(key, 0) + 1
    receipts = int(psql(f"select count(*) from ballot_receipt where period_id = {period}"))
    tallies = int(psql(f"select coalesce(sum(recommendations), 0) from ballot_tally "
                       f"where period_id = {period}"))
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print(f"{len(answers)} sends of {2 * len(heads)} ballots from {len(heads)} heads at once: "
          f"all taken in {wall:.2f} s; "
          f"latency p50 {statistics.median(lat) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
          f"max {lat[-1] * 1000:.0f} ms")
    print(f"answers: {statuses}")
    print(f"receipts {receipts} (expected {2 * len(heads)}), tallies {tallies} (marks sent {marks})")
    if receipts != 2 * len(heads) or tallies != marks:
        raise SystemExit("ballots lost or doubled")


if __name__ == "__main__":
    main()

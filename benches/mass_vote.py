#!/usr/bin/env python3
"""Suite 15 of issue 6 (second part): every window head of a 300-window center votes within
the same few seconds. A center of 300 windows and 600 staff is added beside the demo center
(rows written with SQL: this is a load script, not a test of the forms), its quarter is
opened and its candidates confirmed through the pages, all 300 heads sign in, and then all
300 cast both ballots at once (600 ballots, each with a random choice of candidates that
leaves out the head's own window and its staff).

Checked afterwards, from the database:
  receipts = voters (600: one per head and ballot kind), 5xx = 0,
  every candidate's tally = the number of ballots that recommended it (exactly; the script
  knows what each ballot held), so the sum of tallies = the sum of marks.

    benches/mass_vote.py [windows]        (default 300; run by benches/mass_vote.sh)
"""
import http.cookiejar
import json
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

ADDR = "127.0.0.1:8095"
BASE = f"http://{ADDR}"
DB = os.environ["DATABASE_URL"]
CODE = "2026-Q4"
MONTHS = ["2026-10", "2026-11", "2026-12"]
WINDOWS = int(sys.argv[1]) if len(sys.argv) > 1 else 300
CENTER = "load300"


def psql(sql):
    out = subprocess.run(["psql", "-v", "ON_ERROR_STOP=1", DB, "-tAc", sql],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"psql failed: {out.stderr}\n{sql[:400]}")
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
        with self.opener.open(BASE + path, timeout=60) as r:
            return r.status, r.read().decode()

    def post(self, path, fields):
        data = urllib.parse.urlencode(fields).encode()
        req = urllib.request.Request(BASE + path, data=data, headers={"Origin": BASE})
        try:
            with self.opener.open(req, timeout=60) as r:
                return r.status, r.headers.get("Location", "")
        except urllib.error.HTTPError as e:
            return e.code, ""

    def token(self, path):
        _, body = self.get(path)
        return re.search(r'name="_csrf" value="([0-9a-f]+)"', body).group(1)

    def login(self, username):
        status, location = self.post("/login", [("_csrf", self.token("/login")),
                                                ("username", username),
                                                ("password", "pingxuan2026")])
        if status != 303 or "login" in location:
            raise SystemExit(f"{username} could not sign in: {status} {location}")


def build_center():
    """The 300-window center, its supervision account and one head per window."""
    if psql(f"select count(*) from center where code = '{CENTER}'") != "0":
        raise SystemExit(f"center {CENTER} exists already: start from a fresh database")
    psql(f"""
    with c as (insert into center (code, name) values ('{CENTER}', '压力测试政务服务中心（300窗口）')
               returning center_id),
         d as (insert into department (center_id, name) select center_id, '综合部门' from c
               returning center_id, department_id),
         b as (insert into business_area (center_id, name) select center_id, '综合业务' from c
               returning center_id, business_area_id)
    insert into service_window (center_id, number, name, department_id, business_area_id)
    select d.center_id, n::text, '综合受理' || n || '号', d.department_id, b.business_area_id
    from d, b, generate_series(1, {WINDOWS}) n;
    """)
    cid = psql(f"select center_id from center where code = '{CENTER}'")
    demo = psql("select center_id from account where username = 'ducha'")
    hash_ = psql("select password_hash from account where username = 'ducha'")
    psql(f"""
    insert into staff (center_id, name, employee_no, window_id, position)
    select {cid}, '工作人员' || w.number || '-' || k, 'L' || w.number || '-' || k, w.window_id, '综合受理岗'
    from service_window w, generate_series(1, 2) k where w.center_id = {cid};
    insert into scheme (center_id, name, period_kind, rules)
    select {cid}, name, period_kind, rules from scheme where center_id = {demo} and active;
    insert into account (center_id, username, display_name, password_hash, role, must_change_password)
    values ({cid}, 'loadducha', '压力测试督查科', '{hash_}', 'supervision', false);
    insert into account (center_id, username, display_name, password_hash, role, window_id, must_change_password)
    select {cid}, 'lh' || lpad(w.number, 3, '0'), '负责人' || w.number, '{hash_}', 'window_head', w.window_id, false
    from service_window w where w.center_id = {cid};
    """)
    for month in MONTHS:
        psql(f"""
        insert into monthly_score (center_id, month, window_id, score)
        select {cid}, '{month}', window_id, 85 + (window_id * 7 + {month[-2:]}) % 15
        from service_window where center_id = {cid};
        insert into monthly_score (center_id, month, staff_id, score)
        select {cid}, '{month}', staff_id, 85 + (staff_id * 11 + {month[-2:]}) % 15
        from staff where center_id = {cid};
        """)
    return cid


def open_vote(cid):
    ducha = Browser()
    ducha.login("loadducha")
    status, location = ducha.post("/periods", [("_csrf", ducha.token("/periods")), ("code", CODE)])
    if status != 303:
        raise SystemExit(f"opening {CODE}: {status}")
    psql(f"""
    insert into duty_days (center_id, period_id, staff_id, days)
    select s.center_id, p.period_id, s.staff_id, 62 from staff s
    join period p on p.center_id = s.center_id and p.code = '{CODE}' where s.center_id = {cid};
    """)
    for to in ["candidates", "voting"]:
        status, location = ducha.post(f"/periods/{CODE}/phase",
                                      [("_csrf", ducha.token(f"/periods/{CODE}")), ("to", to)])
        if status != 303 or "notice=phase" not in location:
            raise SystemExit(f"moving to {to}: {status} {location}")


def main():
    random.seed(20261127)
    t0 = time.time()
    cid = build_center()
    open_vote(cid)
    period = psql(f"select period_id from period where center_id = {cid} and code = '{CODE}'")
    snapshot = json.loads(psql(f"select candidates from period where period_id = {period}"))
    rules = json.loads(psql(f"select rules from period where period_id = {period}"))
    cands = {k: [e["id"] for e in snapshot[k]["entrants"] if e.get("candidate")]
             for k in ("window", "staff")}
    staff_window = dict(
        (f"S{a}", f"W{b}") for a, b in
        (l.split("|") for l in psql(f"select staff_id, window_id from staff where center_id = {cid}").splitlines()))
    heads = [l.split("|") for l in psql(
        f"select username, window_id from account where center_id = {cid} and role = 'window_head' order by username").splitlines()]
    print(f"center of {WINDOWS} windows, {len(staff_window)} staff, {len(heads)} heads; "
          f"{len(cands['window'])} window and {len(cands['staff'])} staff candidates; "
          f"set up in {time.time() - t0:.1f} s")

    # Every head signs in first (argon2 is deliberately slow) and reads the ballot's token.
    t1 = time.time()
    browsers = {}
    lock = threading.Lock()

    def sign_in(chunk):
        for username, _ in chunk:
            b = Browser()
            b.login(username)
            tok = b.token("/ballot")
            with lock:
                browsers[username] = (b, tok)

    chunks = [heads[i::8] for i in range(8)]
    ts = [threading.Thread(target=sign_in, args=(c,)) for c in chunks]
    [t.start() for t in ts]
    [t.join() for t in ts]
    print(f"{len(browsers)} heads signed in in {time.time() - t1:.1f} s")

    # What each head will recommend: random candidates, never the own window or its staff.
    caps = {k: int(float(str(rules[k]["max_recommendations"]))) for k in ("window", "staff")}
    plans = {}
    for username, window in heads:
        own = f"W{window}"
        plan = {}
        for kind in ("window", "staff"):
            allowed = [c for c in cands[kind]
                       if (c if kind == "window" else staff_window[c]) != own]
            plan[kind] = random.sample(allowed, random.randint(0, min(caps[kind], len(allowed))))
        plans[username] = plan

    results = []
    barrier = threading.Barrier(len(heads))

    def vote(username):
        b, tok = browsers[username]
        barrier.wait()
        for kind in ("window", "staff"):
            fields = [("_csrf", tok), ("kind", kind), ("period", CODE)]
            fields += [("c", c) for c in plans[username][kind]]
            start = time.time()
            status, location = b.post("/ballot", fields)
            with lock:
                results.append((username, kind, status, location, time.time() - start, start))

    t2 = time.time()
    ts = [threading.Thread(target=vote, args=(u,)) for u, _ in heads]
    [t.start() for t in ts]
    [t.join() for t in ts]
    span = max(r[5] + r[4] for r in results) - min(r[5] for r in results)
    latencies = sorted(r[4] for r in results)
    voted = sum(1 for r in results if r[2] == 303 and "notice=voted" in r[3])
    server_errors = sum(1 for r in results if r[2] >= 500)
    print(f"{len(results)} ballots sent by {len(heads)} heads at once; all answered within {span:.2f} s "
          f"of the first; p50 {statistics.median(latencies) * 1000:.0f} ms, "
          f"p99 {latencies[int(len(latencies) * 0.99) - 1] * 1000:.0f} ms, "
          f"max {latencies[-1] * 1000:.0f} ms")

    receipts = int(psql(f"select count(*) from ballot_receipt where period_id = {period}"))
    expected = {}
    for plan in plans.values():
        for kind in ("window", "staff"):
            for c in plan[kind]:
                expected[c] = expected.get(c, 0) + 1
    tallies = {}
    for line in psql(f"""select coalesce('W' || window_id, 'S' || staff_id), recommendations
                         from ballot_tally where period_id = {period}""").splitlines():
        k, n = line.split("|")
        tallies[k] = int(n)
    wrong = [c for c in set(expected) | set(tallies) if expected.get(c, 0) != tallies.get(c, 0)]
    marks = sum(expected.values())
    print(f"accepted {voted} of {len(results)}; 5xx {server_errors}; receipts {receipts} "
          f"(voters × 2 = {2 * len(heads)}); marks sent {marks}, sum of tallies {sum(tallies.values())}; "
          f"candidates whose tally differs from the ballots: {len(wrong)}")
    ok = (voted == len(results) and server_errors == 0 and receipts == 2 * len(heads)
          and not wrong and marks == sum(tallies.values()))
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

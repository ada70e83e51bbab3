"""Every page a signed-in person can reach, timed once: follows the links of each role's
pages from its home (breadth first, at most 3 addresses of one shape, `max` pages a role)
and prints the slowest single requests. Finds the pages a fixed list of benchmarks misses.

    python3 benches/province_crawl.py URL role=COOKIE [role=COOKIE ...] [--max N] [--top N]

`role` is one of office, head, admin, leader (its home is where the crawl starts); COOKIE
is `px_session=…` (benches/province.sh passes its sessions).
"""
import collections
import re
import sys
import time
import urllib.error
import urllib.request

HOMES = {'office': '/supervision', 'head': '/head', 'admin': '/admin', 'leader': '/leadership'}


def crawl(base, role, cookie, limit):
    seen, queue, shapes, out = set(), collections.deque([HOMES[role]]), collections.Counter(), []
    while queue and len(seen) < limit:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        req = urllib.request.Request(base + url, headers={'Cookie': cookie})
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                body, status, ctype = r.read(), r.status, r.headers.get('content-type', '')
        except urllib.error.HTTPError as e:
            body, status, ctype = e.read(), e.code, ''
        out.append((time.perf_counter() - start, role, status, len(body), url))
        if 'html' not in ctype:
            continue
        for href in re.findall(r'href="(/[^"#]*)', body.decode('utf-8', 'replace')):
            href = href.replace('&amp;', '&')
            if 'logout' in href or href.startswith('/static/'):
                continue
            shape = re.sub(r'\d+', 'N', href)
            if shapes[shape] < 3 and href not in seen:
                shapes[shape] += 1
                queue.append(href)
    return out


def main():
    args = sys.argv[1:]
    opts = {'--max': 150, '--top': 25}
    for k in list(opts):
        if k in args:
            i = args.index(k)
            opts[k] = int(args[i + 1])
            del args[i:i + 2]
    base, roles = args[0].rstrip('/'), [a.split('=', 1) for a in args[1:]]
    rows = []
    for role, cookie in roles:
        rows += crawl(base, role, cookie, opts['--max'])
    rows.sort(reverse=True)
    print(f'{len(rows)} pages requested once each; the slowest:')
    print('| ms | as | status | bytes | page |\n|---:|---|---:|---:|---|')
    for dt, role, status, size, url in rows[:opts['--top']]:
        print(f'| {dt * 1000:.1f} | {role} | {status} | {size} | `{url}` |')


if __name__ == '__main__':
    main()

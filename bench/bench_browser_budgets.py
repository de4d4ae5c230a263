"""Speed budgets in the browser (issue 19): each role's main page in Chromium, 1 M tickets.

    nice .venv/bin/python bench/bench_browser_budgets.py [--tickets 1000000] [--reuse] [--runs 5]

Loads the demo province and N tickets through the bulk path into the PostgreSQL database
`hotline_bench_browser` (--reuse keeps one that already holds them; a fixed data key, so a
reused database still reads), serves it as deployed (`hotline serve`: gunicorn, uvicorn
workers, Redis for the live streams) and opens each role's main page in Debian's Chromium
(Playwright), logged in as that role's demo user. From the page's own Performance API:

- FCP: first contentful paint;
- ready: a time-to-interactive proxy, the latest of loadEventEnd, the end of the last htmx
  or fetch request the page made while loading (its panels, counters, chart data), the last
  htmx settle and the end of the last long task (> 50 ms, e.g. drawing the charts), once the
  page has been quiet for 500 ms;
- kB: bytes transferred (resource timing's transferSize: the document and every resource,
  headers included, compressed as served), and of those ECharts' own;
- TTFB: the document's first byte (the server's share of it).

Each page is opened `--runs` times cold (a new browser profile: nothing cached) and `--runs`
times warm (the same profile again: what an agent's second page costs); medians are shown.
Budgets: FCP and ready ≤ 1 s, ≤ 300 kB cold; ECharts only on the pages that draw charts,
whose budget is counted without it (it is a cached static file after the first visit).
"""

import argparse
import hashlib
import os
import secrets
import statistics
import sys
from pathlib import Path
from types import SimpleNamespace

from common import ROOT, demo_database, hotline_served, login_session

sys.path.insert(0, str(ROOT))

NAME = "hotline_bench_browser"
BUDGET_MS = 1000
BUDGET_KB = 300
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}

# (label, user, path, draws charts, context options)
PAGES = [
    # The floor: a small page without data, for what the loaded machine alone costs.
    ("floor: login page", None, "/login/", False, {}),
    ("agent: intake", "fz_agent", "/intake/", False, {}),
    ("dispatcher: queue (city)", "fz_dispatcher", "/dispatch/", False, {}),
    ("dispatcher: queue (province)", "prov_dispatcher", "/dispatch/", False, {}),
    ("handler: inbox", "gl_housing_handler", "/inbox/", False, {}),
    ("handler: inbox, phone 390", "gl_housing_handler", "/inbox/", False, PHONE),
    ("unit leader: approvals", "fz_housing_leader", "/approvals/", False, {}),
    ("unit leader: scorecard", "fz_housing_leader", "/evaluation/scorecards/", False, {}),
    ("supervisor: overdue", "fz_supervisor", "/supervise/", False, {}),
    ("reviewer: queue", "fz_reviewer", "/review/", False, {}),
    ("大屏 dashboard", "fz_supervisor", "/reports/dashboard/", True, {}),
    ("话务监控 wallboard", "fz_supervisor", "/calls/wallboard/", True, {}),
]

# Counts the page's own requests (htmx's XHR, fetch) and long tasks from the first script on.
PROBE = """
(() => {
  const s = window.__budget = { inflight: 0, last: 0, longEnd: 0 };
  const done = () => { s.inflight--; s.last = performance.now(); };
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (...a) {
    s.inflight++;
    this.addEventListener("loadend", done, { once: true });
    return send.apply(this, a);
  };
  const f = window.fetch;
  window.fetch = function (...a) {
    s.inflight++;
    // The body is read and applied by the caller: counted done a task after it arrived.
    return f.apply(this, a).then(
      (r) => r.clone().arrayBuffer().then(() => { setTimeout(done); return r; }),
      (e) => { done(); throw e; });
  };
  document.addEventListener("htmx:afterSettle", () => { s.last = performance.now(); });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) s.longEnd = Math.max(s.longEnd, e.startTime + e.duration);
  }).observe({ type: "longtask", buffered: true });
})();
"""

FIGURES = """
(() => {
  const s = window.__budget;
  const nav = performance.getEntriesByType("navigation")[0];
  const fcp = performance.getEntriesByName("first-contentful-paint")[0];
  const all = [nav, ...performance.getEntriesByType("resource")];
  const echarts = all.filter((e) => e.name.includes("echarts"));
  const sum = (list) => list.reduce((n, e) => n + (e.transferSize || 0), 0);
  return {
    fcp: fcp ? fcp.startTime : null,
    ready: Math.max(nav.loadEventEnd, s.last, s.longEnd),
    ttfb: nav.responseStart - nav.startTime,
    bytes: sum(all),
    echarts: sum(echarts),
    requests: all.length,
    biggest: all.map((e) => [e.transferSize || 0, e.name.replace(location.origin, "")])
      .sort((a, b) => b[0] - a[0]).slice(0, 4),
  };
})()
"""


def quiet(page, timeout_ms=20_000):
    """Wait until the page loaded, no request of its own is on its way and nothing happened
    for 500 ms (polled from here: the page's promises are not awaited by wait_for_function)."""
    page.wait_for_load_state("load")
    waited = 0
    while waited < timeout_ms:
        state = page.evaluate(
            "(() => { const s = window.__budget; return [s.inflight, performance.now() -"
            " Math.max(s.last, s.longEnd, performance.getEntriesByType('navigation')[0]"
            ".loadEventEnd)]; })()"
        )
        if state[0] == 0 and state[1] >= 500:
            return
        page.wait_for_timeout(100)
        waited += 100
    raise RuntimeError(f"{page.url} did not settle in {timeout_ms} ms")


def visit(context, url):
    page = context.new_page()
    page.goto(url)
    quiet(page)
    figures = page.evaluate(FIGURES)
    page.close()
    return figures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--database", default=NAME)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--port", type=int, default=8773)
    ap.add_argument("--only", help="pages whose label contains this")
    args = ap.parse_args()
    # A fixed data key of the synthetic data, so that --reuse reads what an earlier run wrote;
    # the server shares this process's secret key to accept the sessions made here.
    os.environ.setdefault(
        "HOTLINE_DATA_KEY", "bench:" + hashlib.sha256(args.database.encode()).hexdigest()
    )
    secret_key = secrets.token_urlsafe(48)
    os.environ["HOTLINE_SECRET_KEY"] = secret_key
    total = demo_database(
        SimpleNamespace(tickets=args.tickets, sqlite=False, reuse=args.reuse), args.database
    )

    from django.conf import settings
    from django.db import connection
    from playwright.sync_api import sync_playwright

    from hotline.orgs.models import User
    from tests.browser.fixtures import ARGS, CHROMIUM

    url = connection.settings_dict
    db_url = f"postgres://{url['USER']}@{url['HOST']}:{url['PORT']}/{url['NAME']}"
    pages = [p for p in PAGES if not args.only or args.only in p[0]]
    sessions = {u: login_session(User.objects.get(username=u)) for _, u, *_ in pages if u}
    print(f"database  {connection.vendor} {args.database}, {total} tickets")
    print(f"load before: {Path('/proc/loadavg').read_text().strip()}")

    rows = []
    with (
        hotline_served(db_url, args.port, args.workers, secret_key) as (base, _),
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)

        def new_context(user, options):
            context = browser.new_context(
                locale="zh-CN", timezone_id="Asia/Shanghai", **{
                    "viewport": {"width": 1360, "height": 900}, **options}
            )  # fmt: skip
            context.add_init_script(PROBE)
            if user:
                context.add_cookies(
                    [{"name": settings.SESSION_COOKIE_NAME, "value": sessions[user], "url": base}]
                )
            return context

        # The first request of each worker imports every app: not a page's cost.
        for _label, user, path, _, options in pages:
            context = new_context(user, options)
            visit(context, base + path)
            context.close()
        for label, user, path, charts, options in pages:
            cold, warm = [], []
            for _ in range(args.runs):
                context = new_context(user, options)
                cold.append(visit(context, base + path))
                warm.append(visit(context, base + path))
                context.close()
            rows.append((label, path, charts, cold, warm))
            print(f"  measured {label}", flush=True)
        browser.close()
    print(f"load after: {Path('/proc/loadavg').read_text().strip()}")
    report(rows, args.runs)


def med(runs, key):
    return statistics.median(r[key] for r in runs)


def report(rows, runs):
    print(f"\nmedian of {runs} runs; budgets: FCP and ready <= {BUDGET_MS} ms, <= {BUDGET_KB} kB")
    print("(kB cold: everything the page transferred, ECharts included; ECharts kB also apart)")
    head = (
        f"{'page':30} {'TTFB':>5} {'FCP':>5} {'ready':>5} {'kB':>6} {'ECh kB':>6} {'req':>4}"
        f" | {'warm FCP':>8} {'ready':>5} {'kB':>5} | budget"
    )
    print(head)
    print("-" * len(head))
    for label, _, charts, cold, warm in rows:
        kb = med(cold, "bytes") / 1000
        ech = med(cold, "echarts") / 1000
        misses = []
        if med(cold, "fcp") > BUDGET_MS:
            misses.append("FCP")
        if med(cold, "ready") > BUDGET_MS:
            misses.append("ready")
        if kb > BUDGET_KB:
            misses.append("kB")
        if ech and not charts:
            misses.append("ECharts on a page without charts")
        print(
            f"{label:30} {med(cold, 'ttfb'):5.0f} {med(cold, 'fcp'):5.0f} {med(cold, 'ready'):5.0f}"
            f" {kb:6.1f} {ech:6.1f} {med(cold, 'requests'):4.0f}"
            f" | {med(warm, 'fcp'):8.0f} {med(warm, 'ready'):5.0f}"
            f" {med(warm, 'bytes') / 1000:5.1f} | {'met' if not misses else 'MISSED ' + ', '.join(misses)}"
        )
    print("\nbiggest transfers (cold, first run):")
    for label, _, _, cold, _ in rows:
        parts = ", ".join(f"{path} {size / 1000:.1f}" for size, path in cold[0]["biggest"])
        print(f"  {label}: {parts}")


if __name__ == "__main__":
    main()

"""A typical registration at /intake/ by keyboard alone versus by mouse: keystrokes, time.

    .venv/bin/python bench/bench_keyboard_intake.py [--runs 5]

Loads the demo province (a few hundred tickets) into a temporary SQLite file, serves it with
gunicorn, and has a scripted agent (Playwright, Debian's Chromium) register the same demand
`--runs` times along each path of tests/browser/intake_keys.py — the path the keyboard-only
browser test proves. It prints what the agent does (keys, characters, clicks, hand moves
between keyboard and mouse), the scripted time (the page's own waits: the caller's history,
the picker, the save), and an estimate of a person's time by the keystroke-level model (Card,
Moran & Newell): 0.28 s a keystroke (an average typist), 1.1 s to point, 0.2 s a click,
0.4 s to move the hand between keyboard and mouse. Chinese text is counted as keystrokes of
full pinyin plus one to pick each character (an upper bound: IMEs pick whole words).
Target (issue 19): under 60 s of interaction for a typical demand.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from types import SimpleNamespace

from common import ROOT, demo_database, serve

sys.path.insert(0, str(ROOT))

PORT = 8771
KEYSTROKE, POINT, CLICK, HOMING = 0.28, 1.1, 0.2, 0.4


def text_keystrokes(texts: list[str]) -> int:
    """Keystrokes to type `texts` with a pinyin IME (letters + one pick per character)."""
    from pypinyin import Style, pinyin

    n = 0
    for text in texts:
        for c in text:
            if "\u4e00" <= c <= "\u9fff":
                n += len(pinyin(c, style=Style.NORMAL)[0][0]) + 1
            else:
                n += 1
    return n


def klm_seconds(agent) -> float:
    strokes = agent.keys + text_keystrokes(agent.typed)
    return strokes * KEYSTROKE + agent.clicks * (POINT + CLICK) + agent.switches * HOMING


def login(browser, base: str, password: str):
    # No service worker: page.route below would not see the requests it passes on.
    context = browser.new_context(
        viewport={"width": 1360, "height": 900}, locale="zh-CN", service_workers="block"
    )
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto(base + "/login/")
    page.fill("#id_username", "fz_agent")
    page.fill("#id_password", password)
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/")
    # The live stream holds a worker of the two for as long as the page is open.
    page.route("**/realtime/stream/**", lambda route: route.abort())
    return page


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--tickets", type=int, default=300)
    args = ap.parse_args()
    # Its own var folder: gunicorn serves the static files collected there (whitenoise), and
    # the shared checkout's var/ stays as it is.
    os.environ["HOTLINE_VAR_DIR"] = tempfile.mkdtemp(prefix="hotline-bench-keys-")
    demo_database(SimpleNamespace(tickets=args.tickets, sqlite=True, reuse=False), "keys")

    from django.core.management import call_command
    from playwright.sync_api import sync_playwright

    from hotline.tickets.demo import DEMO_PASSWORD
    from hotline.tickets.models import Ticket
    from tests.browser.fixtures import ARGS, CHROMIUM
    from tests.browser.intake_keys import Counted, Demand, register_by_keyboard, register_by_mouse
    from tests.browser.journeys import settled

    phone = next(
        p
        for p in Ticket.objects.filter(center__code__startswith="3501")
        .order_by("id")
        .values_list("citizen_phone", flat=True)
        if p
    )
    demand = Demand(
        phone=phone,
        name="陈六",
        typed_category="wyfw",
        category="城乡建设/住房保障与房地产/物业服务",
        address="鼓楼区东街口某小区3号楼",
        content="小区电梯三天两次困人，物业一直不来修，请督促物业尽快维修。",
    )
    call_command("collectstatic", interactive=False, verbosity=0)
    # The first request of a worker imports every app: tens of seconds on a loaded machine.
    server = serve(os.environ["HOTLINE_DATABASE_URL"], PORT, workers=2, extra=["--timeout", "300"])
    base = f"http://127.0.0.1:{PORT}"
    results = {"keyboard": [], "mouse": []}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = login(browser, base, DEMO_PASSWORD)
            paths = {"keyboard": register_by_keyboard, "mouse": register_by_mouse}
            for run in range(args.runs + 1):  # the first of each path warms the workers up
                for name, register in paths.items():
                    page.goto(base + "/intake/")
                    settled(page)
                    agent = Counted(page)
                    started = time.perf_counter()
                    register(agent, demand)
                    elapsed = time.perf_counter() - started
                    if run:
                        results[name].append((agent, elapsed))
            browser.close()
    finally:
        server.terminate()
        server.wait()

    print(
        f"demand: {len(demand.content)} characters of content, category by '{demand.typed_category}'"
    )
    print(
        f"{'path':9} {'keys':>5} {'chars':>6} {'text keys':>9} {'clicks':>6} {'hand':>5}"
        f" {'scripted s':>10} {'person s':>9} {'total s':>8}"
    )
    for name, rows in results.items():
        agent = rows[0][0]
        scripted = statistics.median(e for _, e in rows)
        person = klm_seconds(agent)
        print(
            f"{name:9} {agent.keys:5d} {agent.characters:6d} {text_keystrokes(agent.typed):9d}"
            f" {agent.clicks:6d} {agent.switches:5d} {scripted:10.2f} {person:9.1f}"
            f" {scripted + person:8.1f}"
        )
    print(f"runs per path: {args.runs} (median scripted time); target: total under 60 s")


if __name__ == "__main__":
    main()

"""The staffing plan (排班预测) of one center for one week, from six weeks of its calls.

    .venv/bin/python bench/bench_forecast.py [--calls-per-day 8000]
        [--database-url postgres://postgres@127.0.0.1:5432 | --sqlite]

Sets up a fresh database (PostgreSQL `hotline_bench_forecast`, dropped and made again, or a
temporary SQLite file), the demo province's regions and centers, one call platform of a city
center, and six weeks of inbound answered calls (`--calls-per-day` a day, spread over the day
with a morning peak), one incident day among them. Then times `incidents.staffing.plan` for
the next week (history query, forecast by kind of day, Erlang C for 336 half hours) and
prints the seconds and the busiest half hour. The target is 2 s or less.
"""

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import PG_BASE, fresh_database, setup_django  # noqa: E402

START = dt.date(2026, 11, 16)  # a Monday
WEEKS = 6
# The shape of a day: share of the day's calls per local hour (09–11 peak, lunch dip).
HOURS = [0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.6, 2, 6, 10, 10, 8, 5, 6, 8, 8, 7, 6, 5, 4, 3, 2, 1, 0.6]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls-per-day", type=int, default=8000)
    ap.add_argument("--database-url", default=os.environ.get("HOTLINE_BENCH_PG", PG_BASE))
    ap.add_argument("--sqlite", action="store_true")
    args = ap.parse_args()
    setup_django(fresh_database(None if args.sqlite else args.database_url,
                                "hotline_bench_forecast"))  # fmt: skip

    from django.utils import timezone

    from hotline.calls import services as calls
    from hotline.calls.models import Call
    from hotline.catalog.services import load_calendar
    from hotline.incidents import staffing
    from hotline.incidents.models import Incident
    from hotline.orgs.demo import build_demo_province
    from hotline.orgs.models import Unit, User

    load_calendar()
    build_demo_province(password="bench-forecast-12345", towns=False)
    center = Unit.objects.filter(kind="center", level="city").order_by("code").first()
    platform, _ = calls.create_platform(code="bench", name="基准平台", center=center)
    rng = random.Random(15)
    weights = [h / sum(HOURS) for h in HOURS]
    made = 0
    first = START - dt.timedelta(weeks=WEEKS)
    for offset in range(WEEKS * 7):
        day = first + dt.timedelta(days=offset)
        rows = []
        for i in range(args.calls_per_day):
            hour = rng.choices(range(24), weights)[0]
            minute = rng.randrange(60)
            offered = timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))
            rows.append(
                Call(
                    platform=platform,
                    platform_call_id=f"{day}-{i}",
                    center=center,
                    offered_at=offered,
                    answered_at=offered + dt.timedelta(seconds=12),
                    wait_seconds=12,
                    talk_seconds=rng.randint(120, 360),
                    day=day,
                    hour=hour,
                    state="finished",
                    outcome="answered",
                )
            )
        Call.objects.bulk_create(rows, batch_size=5000)
        made += len(rows)
    surge = first + dt.timedelta(days=10)
    admin = User.objects.filter(is_superuser=True).first() or User.objects.create(
        username="bench_admin", is_superuser=True
    )
    incident = Incident.objects.create(
        name="基准事件",
        center=center,
        starts_at=timezone.make_aware(dt.datetime.combine(surge, dt.time(0))),
        ends_at=timezone.make_aware(dt.datetime.combine(surge, dt.time(23))),
        keywords=["停水"],
        declared_by=admin,
        declared_at=timezone.now(),
    )
    incident.regions.set([center.region])
    print(f"history: {made:,} calls over {WEEKS} weeks at {center.name}")
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        slots, aht = staffing.plan(center, START)
        runs.append(time.perf_counter() - t0)
    busiest = max(slots, key=lambda s: s.calls)
    print(f"plan for {len(slots)} half hours: best {min(runs):.3f} s, worst {max(runs):.3f} s "
          f"(target <= 2 s); AHT {aht:.0f} s")  # fmt: skip
    print(f"busiest: {busiest.day} {busiest.start} {busiest.calls:.0f} calls → "
          f"{busiest.staffing.agents} agents (SL {busiest.staffing.service_level:.3f})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Wallboard and call-figure queries with millions of call records, on PostgreSQL.

    .venv/bin/python bench/bench_call_figures.py [--calls 5000000] [--runs 40] [--reuse]

A database `hotline_bench_call_figures` gets a province (the province center and nine city
centers), 50 agents per center and `--calls` call records over the last 365 days up to now
(busier on weekdays and in office hours, a few hundred still waiting or talking), written with
PostgreSQL COPY (psycopg's cursor.copy()); with `--multiply N` only a 1/N of them, then N-1
copies shifted back by multiples of 37 days on the server. `--reuse` keeps a database that already has them
(migrating it first). COPY bypasses the services, so the figures' rollup is then rebuilt
(`rollup.rebuild`, as `hotline rebuild_call_figures` does) and the time printed.
Then each query runs `--runs` times and its p50 / p95 / max are printed:

- the wallboard snapshot (calls waiting, longest wait, agents by state, today's figures and
  the hourly series) of one city center and of the province;
- the centers' figures for a month (the scorecard's 中心话务指标) and the report's section
  for the province and a quarter;
- one center's figures by hour for a day, and one agent's figures by day for a month (from
  the calls and from the rollup).
"""

import argparse
import datetime as dt
import random
import time

from common import PG_BASE, fresh_database, machine_cpu, percentile, setup_django

NAME = "hotline_bench_call_figures"
CITIES = ["福州", "厦门", "莆田", "三明", "泉州", "漳州", "南平", "龙岩", "宁德"]
AGENTS_PER_CENTER = 50
LOCAL = dt.timezone(dt.timedelta(hours=8))
COLUMNS = [
    "platform_id", "platform_call_id", "direction", "state", "outcome", "caller", "caller_hash",
    "called", "trunk", "queue_id", "ivr", "center_id", "agent_id", "seat_id", "offered_at", "ringing_at",
    "answered_at", "ended_at", "day", "hour", "wait_seconds", "talk_seconds", "hold_seconds",
    "acw_seconds", "recording", "cause", "transfer_kind", "transfer_target", "is_error",
    "error_reason", "event_count", "updated_at",
]  # fmt: skip
# Share of the day's calls in each local hour (a hotline's day: 8–21 busy, nights quiet).
HOURS = [1, 1, 1, 1, 1, 2, 4, 8, 14, 16, 15, 13, 9, 11, 14, 14, 12, 10, 8, 7, 6, 4, 3, 2]


def build_province():
    """Centers, a platform and a queue per center, agents with a seat each (half signed in)."""
    from hotline.calls import agents as agent_states
    from hotline.calls import services
    from hotline.calls.models import CallQueue, Seat
    from hotline.orgs.models import Membership, Region, Role, Unit, User

    province = Region.objects.create(code="350000", name="福建省", level="province")
    top = Unit.objects.create(
        code="prov", name="福建省12345热线中心", kind="center", level="province", region=province
    )
    centers = [top]
    for i, city in enumerate(CITIES, 1):
        region = Region.objects.create(
            code=f"35{i:02d}00", name=f"{city}市", level="city", parent=province
        )
        centers.append(
            Unit.objects.create(
                code=f"c{i}",
                name=f"{city}市12345热线中心",
                kind="center",
                level="city",
                region=region,
                parent=top,
            )  # fmt: skip
        )
    setup = []
    for center in centers:
        platform, _ = services.create_platform(
            code=f"p-{center.code}", name=f"{center.name}平台", center=center
        )
        queue = CallQueue.objects.create(code="general", name="综合", center=center)
        users = User.objects.bulk_create(
            User(username=f"{center.code}-a{n:02d}", full_name=f"话务员{n}")
            for n in range(AGENTS_PER_CENTER)
        )
        Membership.objects.bulk_create(
            Membership(user=u, unit=center, role=Role.AGENT) for u in users
        )
        seats = Seat.objects.bulk_create(
            Seat(code=f"{center.code}-{n:02d}", center=center) for n in range(AGENTS_PER_CENTER)
        )
        for user, seat in list(zip(users, seats, strict=True))[: AGENTS_PER_CENTER // 2]:
            agent_states.sign_in(user=user, seat=seat)
            agent_states.set_state(user=user, state="ready")
        setup.append((center, platform, queue, list(zip(users, seats, strict=True))))
    return setup


def rows(setup, total: int, now: dt.datetime, seed: int = 14):
    """`total` call rows (tuples in COLUMNS order) over the 365 local days up to `now`."""
    rnd = random.Random(seed)
    today = now.astimezone(LOCAL).date()
    days = [today - dt.timedelta(days=d) for d in range(364, -1, -1)]
    weights = [1.0 if d.weekday() < 5 else 0.45 for d in days]
    # Centers differ in size: the province and 福州/泉州/厦门 take more calls.
    size = [3, 3, 2.5, 1, 1, 2.5, 1.2, 0.8, 0.8, 0.8]
    center_pick = rnd.choices(range(len(setup)), weights=size, k=total)
    day_pick = rnd.choices(range(len(days)), weights=weights, k=total)
    hour_pick = rnd.choices(range(24), weights=HOURS, k=total)
    stamp = now
    for n in range(total):
        center, platform, queue, staff = setup[center_pick[n]]
        day, hour = days[day_pick[n]], hour_pick[n]
        offered = dt.datetime(day.year, day.month, day.day, hour, rnd.randrange(60),
                              rnd.randrange(60), tzinfo=LOCAL)  # fmt: skip
        if offered > now:
            offered = now - dt.timedelta(seconds=rnd.randrange(1, 3600))
            day, hour = offered.astimezone(LOCAL).date(), offered.astimezone(LOCAL).hour
        user, seat = staff[rnd.randrange(len(staff))]
        r = rnd.random()
        wait = int(rnd.expovariate(1 / 14))
        agent_id = seat_id = answered = ringing = ended = None
        talk = hold = acw = 0
        live = (now - offered).total_seconds() < 600 and rnd.random() < 0.5
        if live:
            state, outcome = rnd.choice(["queued", "talking"]), ""
            if state == "talking":
                answered = offered + dt.timedelta(seconds=wait)
                agent_id, seat_id = user.pk, seat.pk
        elif r < 0.84:
            state, outcome = "finished", "answered"
            ringing = offered + dt.timedelta(seconds=max(0, wait - 3))
            answered = offered + dt.timedelta(seconds=wait)
            talk, hold, acw = int(rnd.gauss(240, 90)) % 900 + 20, rnd.choice([0, 0, 0, 30]), 25
            ended = answered + dt.timedelta(seconds=talk + hold)
            agent_id, seat_id = user.pk, seat.pk
        elif r < 0.89:
            state, outcome, wait = "finished", "short_abandon", rnd.randrange(0, 6)
            ended = offered + dt.timedelta(seconds=wait)
        elif r < 0.98:
            state, outcome, wait = "finished", "abandoned", 6 + int(rnd.expovariate(1 / 40))
            ended = offered + dt.timedelta(seconds=wait)
        else:
            state, outcome = "finished", "voicemail"
            ended = offered + dt.timedelta(seconds=wait + 40)
        rnd.randrange(10**8)  # was the caller's number: the same draws, the same figures
        # No numbers: the figures do not read them, and the columns hold only ciphertext.
        yield (
            platform.pk, f"b{n}", "inbound", state, outcome, "", "",
            "", "", queue.pk, "[]", center.pk, agent_id, seat_id, offered, ringing, answered,
            ended, day, hour, wait if (answered or ended) else None, talk, hold, acw, "", "", "",
            "", False, "", 4, stamp,
        )  # fmt: skip


def multiply(copies: int, now) -> float:
    """Add `copies` copies of the finished calls loaded so far, each shifted back by a multiple
    of 37 days (wrapped into the same 365 local days), in one INSERT … SELECT on the server:
    5 M rows without generating each in Python (on a loaded machine the generator got ~100,000
    rows a minute)."""
    from django.db import connection

    first = now.astimezone(LOCAL).date() - dt.timedelta(days=364)
    shifted = {"offered_at", "ringing_at", "answered_at", "ended_at"}
    select = []
    for col in COLUMNS:
        if col == "platform_call_id":
            select.append("platform_call_id || '-' || s")
        elif col in shifted:
            select.append(f"{col} - make_interval(days => x.d)")
        elif col == "day":
            select.append("day - x.d")
        else:
            select.append(col)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO calls_call ({', '.join(COLUMNS)}) SELECT {', '.join(select)} "
            "FROM calls_call, generate_series(1, %s) AS s, LATERAL (SELECT CASE "
            "WHEN day - (s * 37) %% 365 < %s THEN (s * 37) %% 365 - 365 ELSE (s * 37) %% 365 END"
            " AS d) AS x WHERE state = 'finished'",
            [copies, first],
        )
        cursor.execute("VACUUM ANALYZE calls_call")
    return time.perf_counter() - started


def load(setup, total: int, now) -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        # Django's connection is in autocommit: the COPY is one statement, committed whole.
        with cursor.connection.cursor().copy(
            f"COPY calls_call ({', '.join(COLUMNS)}) FROM STDIN"
        ) as copy:
            for row in rows(setup, total, now):
                copy.write_row(row)
        # Fresh statistics and visibility map: plans and index-only scans as in production.
        cursor.execute("VACUUM ANALYZE calls_call")
    return time.perf_counter() - started


def measure(name: str, fn, runs: int) -> None:
    fn()  # warm: plans, caches
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    print(
        f"{name:<44} p50 {percentile(times, 50):7.1f} ms   p95 {percentile(times, 95):7.1f} ms"
        f"   max {max(times):7.1f} ms"
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=5_000_000)
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--reuse", action="store_true", help="keep an already loaded database")
    ap.add_argument(
        "--multiply",
        type=int,
        default=1,
        help="generate calls/N in Python, then N-1 time-shifted copies on the server",
    )
    ap.add_argument(
        "--no-rebuild", action="store_true", help="with --reuse: keep the rollup as it is"
    )
    args = ap.parse_args()
    import psycopg

    loaded = 0
    if args.reuse:
        try:
            with psycopg.connect(f"{PG_BASE}/{NAME}") as conn:
                loaded = conn.execute("SELECT count(*) FROM calls_call").fetchone()[0]
        except psycopg.Error:
            loaded = 0
    # --multiply leaves out the copies of the few live calls: 99 % is a loaded database.
    full = loaded >= args.calls * 0.99
    url = f"{PG_BASE}/{NAME}" if full else fresh_database("postgres", NAME)
    t = time.perf_counter()
    setup_django(url)  # migrates (a database of an older schema gets the rollup built here)
    print(f"migrate             {time.perf_counter() - t:.0f} s")

    from django.db import connection
    from django.utils import timezone

    from hotline.calls import figures, rollup, wallboard
    from hotline.calls.models import Call
    from hotline.evaluation import call_figures
    from hotline.orgs.models import Unit, User
    from hotline.reports import call_section

    now = timezone.now()
    if not full:
        setup = build_province()
        generated = args.calls // args.multiply
        seconds = load(setup, generated, now)
        print(f"loaded              {generated:,} calls with COPY in {seconds:.0f} s")
        if args.multiply > 1:
            seconds = multiply(args.multiply - 1, now)
            print(f"multiplied          × {args.multiply} (shifted copies) in {seconds:.0f} s")
    if not full or not args.no_rebuild:
        t = time.perf_counter()
        rows = rollup.rebuild()
        print(
            f"rollup rebuilt      {rows['CenterHourFigures']:,} center-hour and "
            f"{rows['AgentDayFigures']:,} agent-day rows in {time.perf_counter() - t:.1f} s"
        )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE calls_centerhourfigures")
            cursor.execute("VACUUM ANALYZE calls_agentdayfigures")
    count = Call.objects.count()
    fz = Unit.objects.get(code="c1")
    agent = User.objects.get(username="c1-a07")
    today = timezone.localdate()
    month = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")  # last full month
    q_start = dt.datetime(today.year, 1, 1, tzinfo=LOCAL)
    q_end = dt.datetime(today.year, 4, 1, tzinfo=LOCAL)
    m_first, m_last = call_figures.days_of(month)
    print(f"calls in database   {count:,}; month {month}; today {today}")
    busy0 = machine_cpu()
    t0 = time.perf_counter()
    measure("wallboard snapshot, one city center", lambda: wallboard.snapshot(fz), args.runs)
    measure("wallboard snapshot, province", lambda: wallboard.snapshot(None), args.runs)
    measure(
        "centers' figures for a month (scorecard)",
        lambda: call_figures.compute(Unit.objects.all(), month),
        args.runs,
    )
    measure(
        "report section, province, a quarter",
        lambda: call_section.compute(Unit.objects.filter(kind="center"), q_start, q_end),
        args.runs,
    )
    measure(
        "one center by hour, one day",
        lambda: figures.aggregate(
            figures.calls_of(centers=[fz.pk], day_from=today, day_to=today), by=["hour"]
        ),
        args.runs,
    )
    measure(
        "one agent by day, one month (rollup)",
        lambda: figures.agents_summed(
            agents=[agent.pk], day_from=m_first, day_to=m_last, by=["day"]
        ),
        args.runs,
    )
    measure(
        "one agent by day, one month (calls)",
        lambda: figures.aggregate(
            Call.objects.filter(agent=agent, day__gte=m_first, day__lte=m_last), by=["day"]
        ),
        args.runs,
    )
    busy1, elapsed = machine_cpu(), time.perf_counter() - t0
    share = (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1])
    print(f"machine busy        {share:.0%} of 2 cores while measuring ({elapsed:.0f} s)")


if __name__ == "__main__":
    main()

"""Grouping an incident's tickets and fanning one reply out to every citizen, end to end.

    .venv/bin/python bench/bench_incident_grouping.py [--tickets 50000]
        [--database-url postgres://postgres@127.0.0.1:5432 | --sqlite]

Sets up a fresh database (PostgreSQL `hotline_bench_incident`, dropped and made again, or a
temporary SQLite file) with the demo province, declares an incident for one city, and registers
`--tickets` matching phone demands through `lifecycle.register_many` (setup, not timed). Then
times, one by one and in all: the marking sweep (`marking.mark_new`), 并单
(`grouping.group_tickets`, `lifecycle.merge_many` in batches of 1,000, rule 1), the parent's dispatch,
acknowledgement, reply and approval, and the fan-out of that one reply to every citizen
(`grouping.fan_out_ready`, SMS written to a temporary file). The target is 60 s or less.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import PG_BASE, fresh_database, setup_django  # noqa: E402

BATCH = 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickets", type=int, default=50_000)
    ap.add_argument("--database-url", default=os.environ.get("HOTLINE_BENCH_PG", PG_BASE))
    ap.add_argument("--sqlite", action="store_true")
    args = ap.parse_args()
    setup_django(fresh_database(None if args.sqlite else args.database_url,
                                "hotline_bench_incident"))  # fmt: skip

    from django.conf import settings

    from hotline.catalog.services import load_calendar, load_default_policies
    from hotline.incidents import grouping, marking, services, sms
    from hotline.incidents.models import ReplyDelivery, TicketGroup
    from hotline.orgs.demo import build_demo_province
    from hotline.orgs.models import Membership, Role, Unit, User
    from hotline.tickets import lifecycle
    from hotline.tickets.models import Status, Ticket
    from hotline.tickets.registration import RegisterInput

    load_calendar()
    load_default_policies()
    build_demo_province(password="bench-incident-12345", towns=False)
    center = Unit.objects.filter(kind="center", level="city").order_by("code").first()

    def member(role, code):
        user = User.objects.create(username=code, full_name=code, password="!")
        Membership.objects.create(user=user, unit=center, role=role)
        return user

    admin, agent = member(Role.ADMIN, "b_admin"), member(Role.AGENT, "b_agent")
    dispatcher, reviewer = member(Role.DISPATCHER, "b_disp"), member(Role.REVIEWER, "b_rev")
    unit = Unit.objects.filter(parent=center, kind="department").order_by("code").first()
    handler = User.objects.create(username="b_handler", full_name="b_handler", password="!")
    Membership.objects.create(user=handler, unit=unit, role=Role.HANDLER)
    settings.HOTLINE_SMS_FILE = str(Path(tempfile.mkdtemp()) / "sms.jsonl")

    incident = services.declare(by=admin, name="基准停水", regions=[center.region.code],
                                keywords=["停水"], examples=["家里停水了"])  # fmt: skip
    t0 = time.perf_counter()
    for start in range(0, args.tickets, BATCH):
        items = [
            RegisterInput(
                channel="phone",
                appeal_type="consult",
                title="家里停水",
                content=f"第{i}户：小区从早上开始停水，什么时候恢复",
                citizen_name="市民",
                citizen_phone=f"138{i:08d}",
                region=center.region.code,
            )  # fmt: skip
            for i in range(start, min(start + BATCH, args.tickets))
        ]
        lifecycle.register_many(by=agent, items=items)
    print(f"setup: {Ticket.objects.count():,} tickets registered in "
          f"{time.perf_counter() - t0:.1f} s (not timed)")  # fmt: skip

    steps = {}
    began = time.perf_counter()
    t = time.perf_counter()
    marked = marking.mark_new()
    steps["mark"] = time.perf_counter() - t
    t = time.perf_counter()
    result = grouping.group_tickets(by=dispatcher, incident=incident)
    steps["group"] = time.perf_counter() - t
    t = time.perf_counter()
    parent = Ticket.objects.get(pk=TicketGroup.objects.get(incident=incident).parent_id)
    parent = lifecycle.dispatch(ticket=parent, by=dispatcher, to_unit=unit)
    parent = lifecycle.acknowledge(ticket=parent, by=handler)
    parent = lifecycle.reply(ticket=parent, by=handler, body="主管已修复，今晚19时恢复供水。")
    lifecycle.approve_reply(ticket=parent, by=reviewer)
    steps["reply"] = time.perf_counter() - t
    t = time.perf_counter()
    sent = grouping.fan_out_ready()
    steps["fan_out"] = time.perf_counter() - t
    total = time.perf_counter() - began
    lines = len(sms.FileSmsBackend(settings.HOTLINE_SMS_FILE).read())
    print(f"marked {marked:,}; merged {result.merged:,} (failed {len(result.failed)}); "
          f"SMS sent {sent:,} ({lines:,} lines), deliveries {ReplyDelivery.objects.count():,}; "
          f"merged tickets {Ticket.objects.filter(status=Status.MERGED).count():,}")  # fmt: skip
    print("  ".join(f"{k} {v:.1f} s" for k, v in steps.items()))
    print(f"end to end: {total:.1f} s for {args.tickets:,} tickets (target <= 60 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The deadline sweep: yellow at due soon, red at overdue, once each per ticket and deadline.

The sweep works by state, not by time window: every open ticket past its threshold that has no
warning row yet gets one, so a worker that was stopped for a day catches up on its next run.
Rows are inserted with ON CONFLICT DO NOTHING against the unique (ticket, kind, level,
deadline) key and tagged with the sweep's id; whatever another worker inserted first is not
ours and is not notified again. Insert and notifications commit together.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import DateTimeField, Exists, ExpressionWrapper, F, OuterRef
from django.utils import timezone

from hotline.orgs.models import Membership, Role
from hotline.tickets.deadlines import DUE_SOON_SHARE, HANDLING
from hotline.tickets.models import Status, Ticket

from . import notify, webpush
from .models import Warning, WarningKind, WarningLevel

# (kind, statuses it applies to, deadline field)
CHECKS = [
    (WarningKind.ACK, (Status.DISPATCHED,), "ack_deadline"),
    (WarningKind.HANDLE, HANDLING, "handle_deadline"),
]
# After inserting this many warnings, refresh the planner's statistics of the table: with
# stale ones (an almost empty table) PostgreSQL picks a nested loop for the anti-join and the
# next sweep takes minutes instead of seconds.
ANALYZE_AFTER = 10_000
UNIT_ROLES = (Role.HANDLER, Role.LEADER)
BATCH = 5000
# A catch-up sweep can warn thousands of tickets at once; the message lists the first ones.
BODY_LINES = 50


@dataclass
class SweepResult:
    yellow: int = 0
    red: int = 0
    notifications: int = 0


def _candidates(kind, statuses, field, now):
    """(ticket id, deadline, dispatched_at, lead, center, level) still to warn."""
    warned = Warning.objects.filter(ticket=OuterRef("pk"), kind=kind, deadline=OuterRef(field))
    base = Ticket.objects.filter(status__in=statuses, **{f"{field}__isnull": False})
    red = base.filter(**{f"{field}__lt": now}).exclude(
        Exists(warned.filter(level=WarningLevel.RED))
    )
    # Due soon: less than DUE_SOON_SHARE of the limit left, i.e. now past
    # deadline - share × (deadline - dispatched_at), computed by the database.
    threshold = ExpressionWrapper(
        F(field) - (F(field) - F("dispatched_at")) * DUE_SOON_SHARE,
        output_field=DateTimeField(),
    )
    soon = base.filter(**{f"{field}__gte": now}, dispatched_at__lt=F(field)).exclude(
        Exists(warned.filter(level=WarningLevel.YELLOW))
    )
    exact_in_sql = connection.vendor == "postgresql"
    if exact_in_sql:
        soon = soon.alias(_threshold=threshold).filter(_threshold__lt=now)
    cols = ("pk", field, "dispatched_at", "lead_unit_id", "center_id", "number", "title")
    for row in red.values_list(*cols).iterator(chunk_size=BATCH):
        yield (*row, WarningLevel.RED)
    for row in soon.values_list(*cols).iterator(chunk_size=BATCH):
        # SQLite stores durations as integers and cannot scale them: the share is applied here.
        if exact_in_sql or row[1] - now < (row[1] - row[2]) * DUE_SOON_SHARE:
            yield (*row, WarningLevel.YELLOW)


def recipients(unit_ids, center_ids) -> tuple[dict, dict]:
    """{unit id: [user ids]} of handlers and leaders, and of center dispatchers."""
    units, centers = defaultdict(set), defaultdict(set)
    rows = Membership.objects.filter(
        is_active=True, user__is_active=True, unit_id__in=set(unit_ids) | set(center_ids)
    ).values_list("unit_id", "role", "user_id")
    for unit_id, role, user_id in rows:
        if role in UNIT_ROLES and unit_id in unit_ids:
            units[unit_id].add(user_id)
        if role == Role.DISPATCHER and unit_id in center_ids:
            centers[unit_id].add(user_id)
    return units, centers


def sweep_deadlines(*, now=None) -> SweepResult:
    """Warn every ticket that crossed a threshold and has not been warned for it yet."""
    now = now or timezone.now()
    sweep_id = uuid.uuid4()
    result = SweepResult()
    found = []
    for kind, statuses, field in CHECKS:
        for pk, deadline, _start, lead, center, number, title, level in _candidates(
            kind, statuses, field, now
        ):
            found.append((kind, level, pk, deadline, lead, center, number, title))
    if not found:
        return result
    with transaction.atomic():
        for i in range(0, len(found), BATCH):
            Warning.objects.bulk_create(
                [
                    Warning(
                        ticket_id=pk,
                        kind=kind,
                        level=level,
                        deadline=deadline,
                        unit_id=lead,
                        created_at=now,
                        sweep=sweep_id,
                    )
                    for kind, level, pk, deadline, lead, *_ in found[i : i + BATCH]
                ],
                ignore_conflicts=True,
            )
        mine = set(Warning.objects.filter(sweep=sweep_id).values_list("ticket_id", "kind", "level"))
        won = [f for f in found if (f[2], f[0], f[1]) in mine]
        result.yellow = sum(1 for f in won if f[1] == WarningLevel.YELLOW)
        result.red = len(won) - result.yellow
        result.notifications = _notify(won, now)
    if len(won) >= ANALYZE_AFTER and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Warning._meta.db_table}")
    return result


def _notify(won, now) -> int:
    """One batch per recipient per sweep: a summary listing the recipient's tickets."""
    units, centers = recipients({f[4] for f in won if f[4]}, {f[5] for f in won})
    per_user = defaultdict(list)
    pushed = defaultdict(dict)  # {user id: {ticket id: (ticket id, number, overdue)}}
    for kind, level, pk, _deadline, lead, center, number, title in won:
        for user_id in units.get(lead, set()) | centers.get(center, set()):
            per_user[user_id].append((kind, level, number, title))
            late = level == WarningLevel.RED or pushed[user_id].get(pk, (0, "", False))[2]
            pushed[user_id][pk] = (pk, number, late)
    messages = {}
    for user_id, items in per_user.items():
        red = sum(1 for i in items if i[1] == WarningLevel.RED)
        lines = [
            f"{'超期' if level == WarningLevel.RED else '临期'}·"
            f"{WarningKind(kind).label}：{number} {title}"
            for kind, level, number, title in items[:BODY_LINES]
        ]
        if len(items) > BODY_LINES:
            lines.append(f"……另有 {len(items) - BODY_LINES} 件，请在督查页面查看")
        messages[user_id] = (
            f"时限预警：{red} 件超期，{len(items) - red} 件临期",
            "\n".join(lines),
            "/supervise/",
        )
    # To the phones too (this runs in the worker), after the warnings are committed.
    pushes = webpush.warned({uid: list(items.values()) for uid, items in pushed.items()})
    transaction.on_commit(lambda: webpush.send(pushes))
    return notify.send_batch(messages, now=now)

"""Where demands come from: tickets of a period, or a CSV of the public message board."""

import csv
from datetime import datetime
from pathlib import Path

from hotline.errors import InvalidInput

from .demand import Demand
from .places import places, region_in_text

CSV_COLUMNS = {"id", "user", "title", "time", "content"}


def load_csv(path: str | Path) -> list[Demand]:
    """Demands from a message-board CSV (id, user, title, time, content[, likes, dislikes]).

    Votes are likes plus half the dislikes: a dislike is attention too (people read the
    demand and cared enough to answer), but not support, so it weighs half.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidInput("文件不存在", "file not found", field="csv")
    demands = []
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        missing = CSV_COLUMNS - set(reader.fieldnames or [])
        if missing:
            raise InvalidInput(
                f"CSV 缺少列：{'、'.join(sorted(missing))}",
                f"CSV lacks columns: {', '.join(sorted(missing))}",
                field="csv",
            )
        for row in reader:
            title, content = row["title"].strip(), row["content"].strip()
            try:
                at = datetime.strptime(row["time"].strip(), "%Y-%m-%d %H:%M:%S")
            except ValueError:
                continue  # a message without a time cannot be placed in a trend
            likes = int(row.get("likes") or 0)
            dislikes = int(row.get("dislikes") or 0)
            found = places(title)
            demands.append(
                Demand(
                    key=row["id"], text=f"{title} {content}", citizen=row["user"],
                    region=region_in_text(f"{title} {content[:100]}"),
                    place=found[0] if found else "", at=at,
                    votes=likes + dislikes // 2, title=title,
                )
            )  # fmt: skip
    return demands


def region_labels() -> dict[int, str]:
    """Region id → "福州市鼓楼区" (city and county; a town counts as its county)."""
    from hotline.orgs.models import Region

    rows = {r.id: r for r in Region.objects.only("id", "name", "level", "parent_id")}
    labels = {}
    for rid, r in rows.items():
        names, node = [], r
        while node is not None and node.level in ("town", "county", "city"):
            if node.level != "town":
                names.append(node.name)
            node = rows.get(node.parent_id)
        labels[rid] = "".join(reversed(names))
    return labels


TICKET_FIELDS = ("id", "title", "content", "citizen_phone_hash", "region_id", "address", "created_at",
                 "category__name")  # fmt: skip


def period_tickets(tickets, start: datetime, end: datetime):
    """The tickets created in [start, end) that count as demands: merged and invalid ones are
    left out (a merged ticket lives on in the one it was merged into)."""
    from hotline.tickets.models import Status

    return tickets.filter(created_at__gte=start, created_at__lt=end).exclude(
        status__in=[Status.MERGED, Status.INVALID]
    )


def ticket_demands(tickets, start: datetime, end: datetime, keys=None) -> list[Demand]:
    """The tickets created in [start, end) as demands (only those of `keys`, if given)."""
    labels = region_labels()
    rows = period_tickets(tickets, start, end).order_by().values_list(*TICKET_FIELDS)
    if keys is None:
        chunks = [rows.iterator(chunk_size=5000)]
    else:  # a few thousand keys a statement: SQLite caps a statement's parameters
        keys = sorted(keys)
        chunks = [rows.filter(pk__in=keys[i : i + 5000]) for i in range(0, len(keys), 5000)]
    return [
        Demand(key=pk, text=f"{title} {content}", citizen=phone, region=labels.get(rid, ""),
               place=address, at=at, title=title, category=cat or "")
        for chunk in chunks
        for pk, title, content, phone, rid, address, at, cat in chunk
    ]  # fmt: skip

"""Helpers shared by the queue tables: pages of rows, bounded counters, deadline state."""

from django.utils import timezone

from hotline.tickets import deadlines
from hotline.tickets.models import Status

PAGE_SIZE = 50
# Counting a queue of a million tickets is the slow part of a page, and nobody reads
# "12,345 waiting" differently from "1000+": counters stop at COUNT_CAP.
COUNT_CAP = 1000


def capped_count(rows) -> str:
    """The number of rows as shown: exact below COUNT_CAP, else "1000+"."""
    n = len(rows) if isinstance(rows, list) else rows.order_by()[:COUNT_CAP].count()
    return f"{COUNT_CAP}+" if n >= COUNT_CAP else str(n)


class Page:
    """One page of a queue without counting the whole queue (no "page 3 of N")."""

    def __init__(self, rows, number: int):
        self.number = number
        self.object_list = rows[:PAGE_SIZE]
        self._more = len(rows) > PAGE_SIZE

    def has_next(self):
        return self._more

    def has_previous(self):
        return self.number > 1

    def has_other_pages(self):
        return self._more or self.number > 1

    def next_page_number(self):
        return self.number + 1

    def previous_page_number(self):
        return self.number - 1


def paginate(qs, page_no) -> Page:
    try:
        number = max(1, int(page_no))
    except (TypeError, ValueError):
        number = 1
    start = (number - 1) * PAGE_SIZE
    return Page(list(qs[start : start + PAGE_SIZE + 1]), number)


LIVE = {Status.DISPATCHED, Status.IN_PROGRESS, Status.RETURN_REQUESTED}


def deadline_view(t, now=None) -> dict:
    """The deadline as shown: a live countdown while the unit works on it, else the verdict."""
    state, deadline = deadlines.state(t, now)
    live = t.status in LIVE and deadline is not None
    label = deadlines.LABELS[state]
    if not live and state == deadlines.ON_TIME:
        label = "按时答复"
    return {"state": state, "state_label": label, "deadline": deadline, "live": live}


def rows_with_deadlines(tickets, now=None):
    now = now or timezone.now()
    return [{"t": t, **deadline_view(t, now)} for t in tickets]

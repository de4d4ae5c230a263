"""The ticket history's monthly partitions (PostgreSQL): made ahead by the worker's job, rows
of a month the default partition caught moved into its partition, months past the retention
detached into hotline_archive whole (never cutting a ticket's chain), and the chains still
verify. SQLite keeps the plain table."""

import datetime as dt
import zoneinfo
from unittest import mock

import pytest
from django.db import connection, transaction

from hotline.supervision import schedule
from hotline.tickets import history, lifecycle, partitions
from hotline.tickets.models import Ticket, TicketEvent

from .factory import demand

LOCAL = zoneinfo.ZoneInfo("Asia/Shanghai")
pg_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="declarative partitioning is PostgreSQL's"
)


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LOCAL)


def _register(province, moment) -> Ticket:
    with mock.patch("django.utils.timezone.now", return_value=moment.astimezone(dt.UTC)):
        ticket, _ = lifecycle.register(by=province.users["fz_agent"], data=demand())
    return ticket


def _note(ticket: Ticket, moment) -> None:
    """One more event of `ticket` at `moment` (an append as the lifecycle makes it)."""
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        history.append(ticket, action="note", from_status=ticket.status, at=moment)
        ticket.updated_at = moment
        ticket.save(update_fields=["event_count", "last_event_hash", "updated_at"])


def _partition_of(event_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM tickets_ticketevent WHERE id = %s", [event_id]
        )
        return cursor.fetchone()[0]


def test_the_worker_declares_the_partition_job():
    jobs = {j.name: j for j in schedule.declared()}
    assert jobs["event_partitions"].target == "hotline.tickets.partitions.maintain"
    assert schedule.resolve(jobs["event_partitions"]) is not None


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite keeps the plain table")
@pytest.mark.django_db
def test_sqlite_keeps_the_plain_table():
    assert partitions.maintain() == {"partitioned": False}
    assert partitions.months() == []


@pg_only
@pytest.mark.django_db
def test_months_are_made_ahead_and_a_registration_lands_in_its_month(province, settings):
    settings.HOTLINE_EVENT_PARTITIONS_AHEAD = 2
    # when: the worker's job runs in a month the migration made nothing for yet
    result = partitions.maintain(now=local(2031, 1, 15, 9))
    # then: that month and the two after it exist, and nothing was archived (retention 0)
    assert result == {
        "partitioned": True,
        "created": [
            "tickets_ticketevent_p2031_01",
            "tickets_ticketevent_p2031_02",
            "tickets_ticketevent_p2031_03",
        ],
        "archived": [],
        "held": None,
    }
    assert partitions.maintain(now=local(2031, 1, 20))["created"] == []
    # a month starts at local midnight: 2031-01-31 23:30 in Fuzhou is still January
    ticket = _register(province, local(2031, 1, 31, 23, 30))
    assert _partition_of(ticket.events.get().pk) == "tickets_ticketevent_p2031_01"
    ticket = _register(province, local(2031, 2, 1, 0, 0))
    assert _partition_of(ticket.events.get().pk) == "tickets_ticketevent_p2031_02"


@pg_only
@pytest.mark.django_db
def test_rows_the_default_partition_caught_move_into_their_month(province):
    # given: a ticket of a month without a partition (an old history imported)
    ticket = _register(province, local(2019, 6, 3, 10))
    event = ticket.events.get()
    assert _partition_of(event.pk) == "tickets_ticketevent_default"
    # when
    assert partitions.ensure(local(2019, 6, 1), local(2019, 7, 1)) == [
        "tickets_ticketevent_p2019_06",
        "tickets_ticketevent_p2019_07",
    ]
    # then
    assert _partition_of(event.pk) == "tickets_ticketevent_p2019_06"
    assert TicketEvent.objects.filter(ticket=ticket).count() == 1
    assert history.verify(Ticket.objects.get(pk=ticket.pk)).ok


@pg_only
@pytest.mark.django_db
def test_months_past_the_retention_are_archived_whole(province, settings):
    partitions.ensure(local(2025, 3, 1), local(2025, 6, 1))
    march = _register(province, local(2025, 3, 10, 9))
    april = _register(province, local(2025, 4, 2, 9))
    _note(april, local(2025, 4, 28, 9))
    may = _register(province, local(2025, 5, 6, 9))
    settings.HOTLINE_EVENT_RETENTION_MONTHS = 2
    # when: the job runs in July 2025 with a retention of two months
    result = partitions.maintain(now=local(2025, 7, 1, 8))
    # then: March and April left the table for the archive schema, May stayed
    assert result["archived"] == [
        "hotline_archive.tickets_ticketevent_p2025_03",
        "hotline_archive.tickets_ticketevent_p2025_04",
    ]
    assert result["held"] is None
    assert dt.date(2025, 5, 1) in partitions.months()
    assert not TicketEvent.objects.filter(ticket__in=[march, april]).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM hotline_archive.tickets_ticketevent_p2025_04")
        assert cursor.fetchone()[0] == 2
    assert partitions.horizon() == local(2025, 5, 1)
    # the archived tickets' chains are known as archived, the others verify as before
    reports = {r.ticket_number: r for r in history.verify_all(Ticket.objects.all())}
    assert (
        reports[march.number].ok and reports[march.number].problem == "历史已归档 history archived"
    )
    assert reports[april.number].ok
    assert reports[may.number].ok and reports[may.number].problem == ""
    # a ticket whose events vanished after the horizon is still reported broken
    TicketEvent.objects.filter(ticket=may).delete()
    assert not history.verify(Ticket.objects.get(pk=may.pk)).ok


@pg_only
@pytest.mark.django_db
def test_a_month_a_chain_runs_through_waits(province, settings):
    partitions.ensure(local(2025, 3, 1), local(2025, 6, 1))
    _register(province, local(2025, 3, 10, 9))
    spanning = _register(province, local(2025, 3, 30, 9))
    _note(spanning, local(2025, 5, 3, 9))  # reopened in May: March would cut its chain
    settings.HOTLINE_EVENT_RETENTION_MONTHS = 2
    result = partitions.maintain(now=local(2025, 7, 1, 8))
    assert result["archived"] == []
    assert result["held"] == {"month": "2025-03-01", "tickets": 1}
    assert partitions.horizon() is None
    assert all(r.ok for r in history.verify_all(Ticket.objects.all()))

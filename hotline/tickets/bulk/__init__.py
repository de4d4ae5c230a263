"""The bulk path: load many synthetic tickets with complete, hash-chained histories, fast.

It writes what the lifecycle would have written over months (tickets, their events, their
assignments) straight into the tables, with COPY on PostgreSQL and executemany on SQLite,
for the demo and the benchmarks. Every history it writes passes `hotline check-chain`. It
writes no outbox rows: these changes happened before any subscriber existed and must not be
published as news.

How it is fast (a million tickets in under a minute on two cores, on PostgreSQL):

* Tickets are made in chunks of whole local days, oldest first. A ticket number's sequence
  runs per region and local day, so no two chunks share a counter: the chunks are made by
  forked worker processes (`workers`) while this process feeds the database, and the
  result does not depend on how many there are (same seed, same rows).
* Every constant piece of a ticket's history (an event's data as JSON, its actor, its
  action and statuses, their hashed forms) is serialised once per county and template,
  and each event's hashed form is spliced from those pieces and the event's own (see
  history.canonical_json). The first ticket of each chunk is re-hashed with
  history.event_hash, so the two ways cannot drift apart unnoticed.
* Rows are made directly in the database's input format — COPY text for tickets and
  assignments, COPY binary for events — into a buffer shared with this process, which
  hands it to COPY as it is: nothing is pickled or piped.
* A large load (`rebuild`: from REBUILD_MIN tickets, if it at least quarters the table)
  runs in one transaction that drops the secondary indexes, and on PostgreSQL also the
  unique constraints and the foreign keys, of the three tables, loads, then recreates each
  one from the database's own definition of it, under the same name, and ANALYZEs. A
  sorted index build and one join per constraint cost far less than millions of row-by-row
  updates and checks; recreating a unique constraint or a foreign key checks every row, so
  nothing goes in unchecked. The DDL is transactional, so a failure or a crash at any point
  rolls everything back, indexes and constraints included. It locks the three tables and
  the tables they reference for the whole load: meant for the demo and the benchmarks.
"""

import datetime as dt
import os
import time

from django.db import connection, transaction
from django.utils import timezone

from hotline import forking
from hotline.catalog.models import Category

from .. import partitions
from ..models import NumberCounter, Ticket
from ..synthetic import TEMPLATES
from .clock import US
from .generate import _Chunk
from .plan import _contexts, _plan, _tasks
from .write import _Producer, _Rebuild, _save_counters, _write, check_columns, reserve_ids

# From this many tickets, a load rebuilds indexes and constraints (see above).
REBUILD_MIN = 20_000
# From this many tickets, chunks are made by worker processes.
PARALLEL_MIN = 20_000


def load(
    n: int,
    *,
    seed: int = 1,
    days: int = 365,
    now=None,
    batch: int = 20000,
    workers: int | None = None,
    rebuild: bool | None = None,
    stats: dict | None = None,
) -> int:
    """Write `n` synthetic tickets registered over the last `days` days; returns n.

    `batch`: tickets per chunk (whole local days, so a chunk may be larger). `workers`:
    forked processes that make the chunks while this one writes them (0: this one makes
    them too; default: one per CPU on PostgreSQL, whose server does the writing, one less
    on SQLite; only from PARALLEL_MIN tickets and outside a transaction, and the database
    connection is closed before forking). `rebuild`: drop and recreate indexes and
    constraints around the load, in one transaction (default: from REBUILD_MIN tickets,
    outside a transaction, if that at least quarters the table). `stats`, if given, is
    filled with counts and timings. The same seed, days, now and batch give the same rows.
    """
    started = time.perf_counter()
    times = stats if stats is not None else {}
    if n <= 0:
        return 0
    check_columns()
    now = (now or timezone.now()).replace(microsecond=0)
    counties = _contexts()
    if not counties:
        raise RuntimeError("no county with a hotline center: load the demo province first")
    categories = dict(
        Category.objects.filter(code__in={t.category for t in TEMPLATES}).values_list("code", "id")
    )
    counters = dict(NumberCounter.objects.values_list("key", "value"))
    if rebuild is None:
        # Rebuilding costs in proportion to the rows already there; keeping the indexes
        # costs in proportion to the rows added (several times more per row).
        # Not inside the caller's transaction: what it has pending would block the DDL.
        rebuild = (
            n >= REBUILD_MIN and n * 4 >= Ticket.objects.count() and not connection.in_atomic_block
        )
    first_id = reserve_ids(Ticket, n)
    plan = _plan(
        seed=seed,
        now=now,
        counties=counties,
        categories=categories,
        counters=counters,
        first_id=first_id,
    )
    tasks = _tasks(n, plan.now - days * 86400 * US, plan.now, batch)
    # The months of the history get their partitions first: rows that went to the default
    # partition would have to move out of it when the worker makes their month's.
    partitions.ensure(now - dt.timedelta(days=days + 1), now)
    if workers is None:
        cpus = min(os.cpu_count() or 1, 8)
        workers = cpus if connection.vendor == "postgresql" else cpus - 1
    parallel = (
        workers > 0
        and len(tasks) > 1
        and n >= PARALLEL_MIN
        and not connection.in_atomic_block
        and forking.can_fork()
        and not (connection.vendor == "sqlite" and connection.is_in_memory_db())
    )
    times.update(
        tickets=n,
        chunks=len(tasks),
        workers=workers if parallel else 0,
        rebuild=rebuild,
        prepare_s=time.perf_counter() - started,
    )
    final: dict[str, int] = {}
    totals = {"events": 0, "assignments": 0, "generate_cpu_s": 0.0, "write_s": 0.0}

    def feed(chunk: _Chunk, freeze: bool = False):
        t = time.perf_counter()
        _write(chunk, plan, freeze)
        if not rebuild:  # each chunk commits on its own, with the numbers it took
            _save_counters(chunk.counters)
        totals["write_s"] += time.perf_counter() - t
        totals["events"] += chunk.n_events
        totals["assignments"] += chunk.n_assignments
        totals["generate_cpu_s"] += chunk.seconds
        for key, value in chunk.counters.items():
            final[key] = max(value, final.get(key, 0))

    with _Producer(plan, tasks, workers if parallel else 0) as chunks:
        if rebuild:
            with transaction.atomic(), connection.cursor() as cursor:
                schema = _Rebuild(cursor, times)
                schema.drop()
                times["frozen"] = schema.freeze
                for chunk in chunks:
                    feed(chunk, schema.freeze)
                schema.restore()
                _save_counters(final)
                t = time.perf_counter()
            times["commit_s"] = time.perf_counter() - t
        else:
            for chunk in chunks:
                with transaction.atomic():
                    feed(chunk)
        times["wait_s"] = chunks.waited
    times.update(totals)
    times["total_s"] = time.perf_counter() - started
    return n

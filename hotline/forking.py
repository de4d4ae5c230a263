"""Forked worker processes that cannot reach the parent's database connections.

A forked child inherits every open socket of its parent. If a child used an inherited
PostgreSQL connection while the parent used it too, both would read each other's replies
("lost synchronization with server"). So each child, first thing, takes every connection
wrapper it inherited out of Django's hands and refuses to open any: work given to a child
must carry all it needs from the database (catalog.calendar.pin for the working-day
calendar). The inherited connection objects are kept referenced until the child ends by
os._exit, so that no finaliser closes a socket or file that belongs to the parent; the
parent is left as it was, inside a transaction or not.
"""

import multiprocessing
from collections.abc import Callable

from django.db import connections


class ChildDatabaseUse(RuntimeError):
    """A forked worker tried to use the database."""


def _refuse(*args, **kwargs):
    raise ChildDatabaseUse(
        "a forked worker process must not use the database: read what it needs before forking"
    )


# In a child: the parent's connection objects, never used, never closed, never collected.
_inherited: list = []


def seal() -> None:
    """In a forked child: make every database alias unusable without touching the sockets."""
    for conn in connections.all():
        if conn.connection is not None:
            _inherited.append(conn.connection)
            conn.connection = None
        conn.connect = _refuse
        conn.ensure_connection = _refuse


def _start(initializer: Callable | None, args: tuple) -> None:
    seal()
    if initializer is not None:
        initializer(*args)


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def pool(processes: int, initializer: Callable | None = None, initargs: tuple = ()):
    """A fork Pool of `processes` children that cannot touch the database."""
    return multiprocessing.get_context("fork").Pool(
        processes, initializer=_start, initargs=(initializer, initargs)
    )

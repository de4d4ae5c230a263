"""Independent pieces of numeric work in forked worker processes, results in task order.

Fork, not spawn: the workers inherit the large matrices the tasks read instead of receiving
a pickled copy per task, and only the (small) results travel back. The work cannot touch
the database (hotline.forking). Where fork is unavailable (not Linux) or one worker is
asked for, the tasks run here, one after the other.
"""

from collections.abc import Callable, Iterable

from hotline import forking

_work: Callable | None = None  # set before the fork; what the children call


def _call(task):
    return _work(task)


def run(fn: Callable, tasks: Iterable, workers: int) -> list:
    """[fn(t) for t in tasks], computed by up to `workers` forked processes."""
    global _work
    tasks = list(tasks)
    if workers < 2 or len(tasks) < 2 or not forking.can_fork():
        return [fn(t) for t in tasks]
    _work = fn
    try:
        with forking.pool(min(workers, len(tasks))) as pool:
            return pool.map(_call, tasks, chunksize=1)
    finally:
        _work = None

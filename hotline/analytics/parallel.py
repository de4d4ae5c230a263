"""Independent pieces of numeric work in forked worker processes, results in task order.

Fork, not spawn: the workers inherit the large matrices the tasks read instead of receiving
a pickled copy per task, and only the (small) results travel back. The work must not touch
the database or any other inherited connection: the children leave by os._exit, so an
inherited socket is neither used nor closed by them. Where fork is unavailable (not Linux)
or one worker is asked for, the tasks run here, one after the other.
"""

import multiprocessing as mp
from collections.abc import Callable, Iterable

_work: Callable | None = None  # set before the fork; what the children call


def _call(task):
    return _work(task)


def run(fn: Callable, tasks: Iterable, workers: int) -> list:
    """[fn(t) for t in tasks], computed by up to `workers` forked processes."""
    global _work
    tasks = list(tasks)
    if workers < 2 or len(tasks) < 2 or "fork" not in mp.get_all_start_methods():
        return [fn(t) for t in tasks]
    _work = fn
    try:
        with mp.get_context("fork").Pool(min(workers, len(tasks))) as pool:
            return pool.map(_call, tasks, chunksize=1)
    finally:
        _work = None

"""Loaded by every server process of `bench_cti.py --diagnose` (on its PYTHONPATH only): writes
what a slow CTI request could have waited on, one JSON line a fact, to
$HOTLINE_BENCH_DIAG/<pid>.jsonl, with wall-clock times the bench lines up with its own.

- "req": each POST /api/v1/cti/events as the ASGI app saw it (from the call to the end of the
  response body), and the view's part of it (`events.ingest`: wall and thread-CPU seconds);
- "gc": a garbage collection of more than 5 ms (generation, seconds: it holds the GIL, so
  every request of the worker waits for it);
- "lag": the event loop woken more than 50 ms late (something held it or the GIL);
- "conn": a database connection taken from the pool in more than 5 ms.
"""

import contextvars
import gc
import importlib.abc
import importlib.machinery
import json
import os
import sys
import threading
import time

_DIR = os.environ.get("HOTLINE_BENCH_DIAG")
_lock = threading.Lock()
_out = None


def _write(**fact) -> None:
    global _out
    with _lock:
        if _out is None:
            _out = open(os.path.join(_DIR, f"{os.getpid()}.jsonl"), "a", buffering=1)  # noqa: SIM115
        _out.write(json.dumps({"pid": os.getpid(), **fact}) + "\n")


_gc_started = [0.0]
# The request being served (its ASGI start and the marks reached since), seen by the
# request's thread too: asgiref runs the sync part in a copy of the request's context.
_request = contextvars.ContextVar("request", default=None)


_active: dict = {}  # id -> marks of the requests being served
_loop = []


def _watchdog() -> None:
    """Every 0.2 s: a request served for more than a second has every thread's and every
    task's stack written once (where it waits)."""
    import traceback

    while True:
        time.sleep(0.2)
        now = time.perf_counter()
        stuck = [m for m in list(_active.values()) if now - m["t0"] > 1.0 and "dumped" not in m]
        if not stuck:
            continue
        for m in stuck:
            m["dumped"] = True
        threads = {
            str(ident): "".join(traceback.format_stack(frame)[-12:])
            for ident, frame in sys._current_frames().items()
        }
        tasks = {}
        if _loop:
            import asyncio

            try:
                for task in asyncio.all_tasks(_loop[0]):
                    frames = task.get_stack(limit=12)
                    tasks[task.get_name()] = "".join(
                        f"{f.f_code.co_filename}:{f.f_lineno} {f.f_code.co_name}\n" for f in frames
                    )
            except RuntimeError:
                pass
        _write(kind="stack", at=time.time(), stuck=[dict(m, t0=None) for m in stuck],
               threads=threads, tasks=tasks)  # fmt: skip


def _mark(name: str) -> None:
    marks = _request.get()
    if marks is not None and name not in marks:
        marks[name] = round(time.perf_counter() - marks["t0"], 4)


def _on_gc(phase, info):
    if phase == "start":
        _gc_started[0] = time.perf_counter()
        return
    took = time.perf_counter() - _gc_started[0]
    if took > 0.005:
        _write(kind="gc", at=time.time(), gen=info["generation"], s=took, n=info["collected"])


def _wrap_asgi(module) -> None:
    app = module.application
    loop_watch = []

    async def watch():
        import asyncio

        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            late = time.perf_counter() - before - 0.01
            if late > 0.05:
                _write(kind="lag", at=time.time(), s=late)

    async def timed(scope, receive, send):
        if not loop_watch:
            import asyncio

            _loop.append(asyncio.get_running_loop())
            loop_watch.append(_loop[0].create_task(watch()))
            threading.Thread(target=_watchdog, daemon=True).start()
        if scope["type"] != "http" or scope["path"] != "/api/v1/cti/events":
            return await app(scope, receive, send)
        started, wall = time.perf_counter(), time.time()
        status = []
        marks = {"t0": started}
        _request.set(marks)
        _active[id(marks)] = marks

        async def send_timed(message):
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                _active.pop(id(marks), None)
                _write(
                    kind="req", at=wall, s=time.perf_counter() - started, status=status[0],
                    marks={k: v for k, v in marks.items() if k not in ("t0", "dumped")},
                )  # fmt: skip

        return await app(scope, receive, send_timed)

    module.application = timed


def _wrap_events(module) -> None:
    ingest = module.ingest

    def timed(**kwargs):
        started, cpu, wall = time.perf_counter(), time.thread_time(), time.time()
        _mark("ingest")
        marks = _request.get()
        if marks is not None:
            marks["first"] = kwargs["events"][0].event_id if kwargs["events"] else ""
        try:
            return ingest(**kwargs)
        finally:
            _mark("ingested")
            first = kwargs["events"][0].event_id if kwargs["events"] else ""
            _write(
                kind="ingest", at=wall, s=time.perf_counter() - started,
                cpu=time.thread_time() - cpu, first=first, thread=threading.get_ident(),
            )  # fmt: skip

    module.ingest = timed


def _wrap_pg(module) -> None:
    wrapper = module.DatabaseWrapper
    get = wrapper.get_new_connection

    def timed(self, params):
        _mark("connect")
        started = time.perf_counter()
        try:
            return get(self, params)
        finally:
            took = time.perf_counter() - started
            if took > 0.005:
                _write(kind="conn", at=time.time(), s=took)

    wrapper.get_new_connection = timed


def _wrap_cti(module) -> None:
    authenticate = module.authenticate

    def timed(*args, **kwargs):
        _mark("authenticate")
        return authenticate(*args, **kwargs)

    module.authenticate = timed


def _wrap_signals(module) -> None:
    module.request_started.connect(lambda **kw: _mark("request_started"), weak=False)
    module.request_finished.connect(lambda **kw: _mark("request_finished"), weak=False)


_WRAP = {
    "hotline.calls.cti": _wrap_cti,
    "django.core.signals": _wrap_signals,
    "hotline.asgi": _wrap_asgi,
    "hotline.calls.events": _wrap_events,
    "django.db.backends.postgresql.base": _wrap_pg,
}


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name not in _WRAP:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None:
            return None
        load = spec.loader.exec_module

        def exec_module(module):
            load(module)
            _WRAP[name](module)

        spec.loader.exec_module = exec_module
        return spec


if _DIR:
    gc.callbacks.append(_on_gc)
    sys.meta_path.insert(0, _Finder())

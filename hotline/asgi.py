"""The web tier's entry point: `hotline serve` runs this under gunicorn with uvicorn workers.

Ordinary (sync) views run in threads; the live stream (hotline.realtime) is an async view.

The worker is made ready while it boots, before it accepts a connection: the URLconf is loaded
(every app's views and the API's schemas: ~1.5 s of imports), then the heap built so far is
frozen out of the cyclic garbage collector. Done lazily, the import fell on the first request
a worker served, and every request that reached the worker meanwhile waited for it on the
import lock: the one stall of each CTI intake run (docs/benchmarks.md, "the first request of a
cold worker"); and each full collection walked the ~340,000 objects of the loaded app (0.15 s
at a time, holding the GIL, so every request of the worker waited).
"""

import gc
import os

from django.core.asgi import get_asgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
application = get_asgi_application()
get_resolver().url_patterns  # noqa: B018 — imported now, not by the first request
gc.collect()
gc.freeze()

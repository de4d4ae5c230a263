"""The WSGI entry (sync gunicorn workers): made ready while the worker boots, as hotline/asgi.py
explains — the URLconf loaded now rather than by the first request, the loaded heap frozen out
of the cyclic garbage collector."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 — imported now, not by the first request
gc.collect()
gc.freeze()

"""A served worker is ready when it boots: its first CTI request imports nothing of the product.

Before, the URLconf (every app's views, the API's schemas: ~1.5 s) was imported by the first
request a worker served, and the requests that reached that worker meanwhile waited on the
import lock: the one stall of every `bench_cti.py --rate 2000` pass (docs/benchmarks.md).
Each probe runs in a fresh interpreter: in this one the URLconf is long loaded.
"""

import os
import subprocess
import sys

import pytest

# Boot the entry as gunicorn does, then serve what a CTI request runs before its view (the
# locale middleware reads the URL patterns; the handler resolves the path) and print every
# module of the product imported by it, and how many objects the boot froze out of the GC.
PROBE = """
import gc, importlib, sys
importlib.import_module(sys.argv[1])
booted = set(sys.modules)
from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.urls import get_resolver
is_language_prefix_patterns_used(settings.ROOT_URLCONF)
match = get_resolver().resolve("/api/v1/cti/events")
late = sorted(m for m in set(sys.modules) - booted if m.startswith("hotline"))
print(match.url_name or match.func.__name__, gc.get_freeze_count() > 100_000, late)
"""


@pytest.mark.parametrize("entry", ["hotline.asgi", "hotline.wsgi"])
def test_the_first_request_of_a_booted_worker_imports_nothing(entry):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hotline.settings", "HOTLINE_DB_POOL": "true"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, entry],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    view, frozen, late = out.stdout.split(maxsplit=2)
    assert frozen == "True"
    assert late.strip() == "[]"
    assert view

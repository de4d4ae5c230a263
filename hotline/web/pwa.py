"""The installable web app (issue 19): the service worker's script, served from the site's root.

A worker's scope cannot reach above the folder of its script, so it is served at /sw.js
rather than under /static/; the manifest itself is a static file (web/manifest.webmanifest).
"""

import hashlib

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.shortcuts import render
from django.views.decorators.http import require_GET

CACHED = ("web/app.css", "web/app.js", "web/drafts.js", "vendor/htmx/htmx.min.js")


def _version() -> str:
    """Changes when a cached file does, so the worker installs anew and drops the old cache."""
    digest = hashlib.sha256()
    for name in CACHED:
        path = finders.find(name)
        if path:
            with open(path, "rb") as f:
                digest.update(f.read())
    return digest.hexdigest()[:12]


@require_GET
@login_required
def service_worker(request):
    """The worker's script; signed-in users only (the pages register it only for them)."""
    response = render(request, "web/sw.js", {"version": _version()}, content_type="text/javascript")
    # Browsers check the worker for updates on each visit; no cache keeps an old one alive.
    response["Cache-Control"] = "no-cache"
    return response

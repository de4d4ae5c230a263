"""The web tier's entry point: `hotline serve` runs this under gunicorn with uvicorn workers.

Ordinary (sync) views run in threads; the live stream (hotline.realtime) is an async view.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
application = get_asgi_application()

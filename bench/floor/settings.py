"""The floor: a bare Django + django-ninja + psycopg project with one endpoint (see urls.py).

Not the product: a benchmark fixture that shows what registration could cost at the least on
this stack (bench/bench_register_ratio.py serves it beside the product and compares).
"""

import os

import dj_database_url

DEBUG = False
SECRET_KEY = "floor-benchmark-only"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "floor.urls"
DATABASES = {"default": dj_database_url.parse(os.environ["FLOOR_DATABASE_URL"], conn_max_age=600)}
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"

"""Settings, all driven by HOTLINE_* environment variables (see README)."""

import os
from pathlib import Path

from hotline import dburl

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("HOTLINE_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _flag(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).lower() in {"1", "true", "yes", "on"}


DEBUG = _flag("HOTLINE_DEBUG", False)
# With DEBUG off, `hotline serve` and `check --deploy` refuse this key (hotline/audit/security.py).
DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-change-me"
SECRET_KEY = os.environ.get("HOTLINE_SECRET_KEY", DEVELOPMENT_SECRET_KEY)
# SM4 keys of citizens' personal data (hotline/crypto.py): `id:hex` entries, the first current.
# Neither set: a development key in VAR_DIR, which production refuses (hotline/audit/security.py).
DATA_KEY = os.environ.get("HOTLINE_DATA_KEY", "")
DATA_KEY_FILE = os.environ.get("HOTLINE_DATA_KEY_FILE", "")
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("HOTLINE_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]
DATA_DIR = Path(os.environ.get("HOTLINE_DATA_DIR", BASE_DIR.parent / "shared" / "data"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # its Swagger UI from its own static files, not a CDN
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks",
    "django_tasks_db",
    "hotline.ops",
    "hotline.orgs",
    "hotline.catalog",
    "hotline.tickets",
    "hotline.exchange",
    "hotline.open311",
    "hotline.routing",
    "hotline.screening",
    "hotline.knowledge",
    "hotline.supervision",
    "hotline.evaluation",
    "hotline.web",
    "hotline.reports",
    "hotline.portal",
    "hotline.analytics",
    "hotline.calls",
    "hotline.incidents",
    "hotline.quality",
    "hotline.topics",
    "hotline.audit",
    "hotline.identity",
    # New apps go above this line (analytics, reports, portal).
]

# Background work goes through Django's tasks API (the django-tasks backport) into the
# database; `hotline worker` runs it beside the periodic sweeps.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "hotline.apipath.CSPMiddleware",
    "hotline.throttle.ApiRateLimitMiddleware",
    # API requests carrying U+0000, which PostgreSQL text cannot hold: 400 naming the field.
    "hotline.parsing.NulGuardMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below whitenoise (static files come compressed ahead), above what writes the page.
    "hotline.compress.PageGZipMiddleware",
    "hotline.apipath.SessionMiddleware",
    "hotline.apipath.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "hotline.apipath.CsrfViewMiddleware",
    "hotline.apipath.AuthenticationMiddleware",
    "hotline.apipath.OTPMiddleware",
    # Idle timeout, the second factor and password expiry (hotline/identity/middleware.py).
    "hotline.apipath.SessionSecurityMiddleware",
    "hotline.apipath.MessageMiddleware",
    "hotline.apipath.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]
# hotline.apipath.X is Django's (or the named library's) X, skipped for a request to /api/
# with a bearer token: a machine's request has no session, cookie or page (hotline/apipath.py).

# Transport and browser protections (Django's SecurityMiddleware, django-csp); each is checked
# by `hotline check-security`. Secure cookies follow DEBUG unless set: a developer's plain-HTTP
# server keeps working, production sends cookies over HTTPS only.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _flag("HOTLINE_SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = _flag("HOTLINE_SSL_REDIRECT", False)
if _flag("HOTLINE_PROXY_SSL_HEADER", False):
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips the client's own).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("HOTLINE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _flag("HOTLINE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = os.environ.get("HOTLINE_REFERRER_POLICY", "same-origin")
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No inline script anywhere: every behaviour lives in static files (web/app.js, …).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# API rate limits (hotline/throttle.py): N/s, N/m, N/h or N/d per bearer token and per client
# address, counted in the cache; "off" disables one. Behind proxies, the number of trusted
# hops decides which X-Forwarded-For entry is the client.
API_RATE_LIMIT_PATHS = ("/api/", "/open311/")
API_RATE_PER_TOKEN = os.environ.get("HOTLINE_API_RATE_PER_TOKEN", "1200/m")
API_RATE_PER_ADDRESS = os.environ.get("HOTLINE_API_RATE_PER_ADDRESS", "600/m")
TRUSTED_PROXY_COUNT = int(os.environ.get("HOTLINE_TRUSTED_PROXIES", "0"))

# Login lockout (django-axes): after 5 failed attempts for one username from one address,
# that pair is locked for 15 minutes; a successful login resets the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("HOTLINE_LOGIN_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_VERBOSE = False

ROOT_URLCONF = "hotline.urls"
WSGI_APPLICATION = "hotline.wsgi.application"
AUTH_USER_MODEL = "orgs.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hotline.web.context.shell",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("HOTLINE_DATABASE_URL", f"sqlite:///{VAR_DIR / 'hotline.sqlite3'}")
# Several hosts (a Patroni cluster: db1:5432,db2:5432,db3:5432 with target_session_attrs=
# read-write) are handed to libpq as lists; see hotline/dburl.py and docs/ha.md.
DATABASES = {"default": dburl.parse(DATABASE_URL, conn_max_age=600)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers on the embedded database: WAL lets readers run beside the writer,
    # IMMEDIATE takes the write lock at BEGIN (no lock upgrade deadlocks, which SQLite
    # reports as "database is locked" without waiting), and the timeout makes writers queue.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;"
        ),
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A file, not memory: the concurrency tests need real connections from several threads.
    # One per process, so that test runs side by side do not share it.
    DATABASES["default"].setdefault("TEST", {})["NAME"] = str(
        VAR_DIR / f"test-{os.getpid()}.sqlite3"
    )

else:
    # Test runs side by side (developers, helpers, CI) each get their own test database.
    DATABASES["default"].setdefault("TEST", {})["NAME"] = (
        f"test_{DATABASES['default']['NAME']}_{os.getpid()}"
    )

_POOLED = _flag("HOTLINE_DB_POOL", False)
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3" and _POOLED:
    # Under ASGI (`hotline serve` sets this) every request runs in a thread of its own: a
    # persistent connection per thread would leak, so psycopg's pool hands them back instead.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": int(os.environ.get("HOTLINE_DB_POOL_SIZE", "16")),
        "timeout": 30,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Front-end libraries come from npm (package.json, `npm ci` in `make install`), never a CDN.
STATICFILES_DIRS = [
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/echarts", BASE_DIR / "node_modules" / "echarts" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Uploaded files (ticket attachments); served only through the scope-checked views.
MEDIA_ROOT = Path(os.environ.get("HOTLINE_MEDIA_DIR", VAR_DIR / "media"))
ATTACHMENT_MAX_BYTES = int(os.environ.get("HOTLINE_ATTACHMENT_MAX_MB", "10")) * 1024 * 1024
# Django's own cap on a request held in memory; uploads above it go to a temporary file.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

# Password policy (等保三级): 12 characters, 3 of 4 classes, not like the user's name, not a
# common password, not all digits, none of the last 5 (hotline/identity/validators.py).
# Expiry every N days is set per center (SecurityPolicy in the admin).
_V = "django.contrib.auth.password_validation."
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": _V + "MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": _V + "UserAttributeSimilarityValidator"},
    {"NAME": _V + "CommonPasswordValidator"},
    {"NAME": _V + "NumericPasswordValidator"},
    {"NAME": "hotline.identity.validators.CharacterClassesValidator"},
    {"NAME": "hotline.identity.validators.NotUsernameValidator"},
    {"NAME": "hotline.identity.validators.PasswordHistoryValidator", "OPTIONS": {"count": 5}},
]
# Session idle timeout where no center policy says otherwise (minutes), and the roles that
# must use a second factor (TOTP) by default; a center's SecurityPolicy overrides both.
SESSION_IDLE_MINUTES = int(os.environ.get("HOTLINE_SESSION_IDLE_MINUTES", "30"))
OTP_REQUIRED_ROLES = [
    r.strip() for r in os.environ.get("HOTLINE_OTP_ROLES", "").split(",") if r.strip()
]
OTP_TOTP_ISSUER = "12345 一张网"
# API tokens expire: the longest life a new token may have (days).
API_TOKEN_MAX_DAYS = int(os.environ.get("HOTLINE_API_TOKEN_MAX_DAYS", "365"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("HOTLINE_LOG_LEVEL", "WARNING")},
}

# How long a worker trusts an API token it has checked (seconds); see hotline/api.py.
TOKEN_CACHE_SECONDS = int(os.environ.get("HOTLINE_TOKEN_CACHE_SECONDS", "10"))

# Faults (hotline/health.py): the Retry-After of a 503 when the database is unreachable, the
# alias of a read replica whose lag the health report shows, and the lag reported as degraded.
HOTLINE_RETRY_AFTER_SECONDS = int(os.environ.get("HOTLINE_RETRY_AFTER_SECONDS", "5"))
HOTLINE_REPLICA_ALIAS = os.environ.get("HOTLINE_REPLICA_ALIAS", "replica")
HOTLINE_REPLICA_LAG_LIMIT_SECONDS = float(os.environ.get("HOTLINE_REPLICA_LAG_LIMIT", "30"))
# A read replica (HOTLINE_REPLICA_DATABASE_URL) serves only the reads wrapped in
# hotline.dbrouter.stale_reads() (reports, dashboard, analytics, exports), while its lag stays
# under the limit above; everything else reads from the primary.
if os.environ.get("HOTLINE_REPLICA_DATABASE_URL") and HOTLINE_REPLICA_ALIAS != "default":
    DATABASES[HOTLINE_REPLICA_ALIAS] = dburl.parse(
        os.environ["HOTLINE_REPLICA_DATABASE_URL"], conn_max_age=600
    )
    # The test run's replica is the test database itself (no test database of its own).
    DATABASES[HOTLINE_REPLICA_ALIAS]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["hotline.dbrouter.ReplicaRouter"]
HOTLINE_REPLICA_LAG_CHECK_SECONDS = float(os.environ.get("HOTLINE_REPLICA_LAG_CHECK", "5"))
# The ticket history's monthly partitions on PostgreSQL (hotline/tickets/partitions.py): how
# many months the worker makes ahead, and after how many months one is detached into the
# schema hotline_archive (0: never; a province sets its retention).
HOTLINE_EVENT_PARTITIONS_AHEAD = int(os.environ.get("HOTLINE_EVENT_PARTITIONS_AHEAD", "3"))
HOTLINE_EVENT_RETENTION_MONTHS = int(os.environ.get("HOTLINE_EVENT_RETENTION_MONTHS", "0"))

# How often the dashboard (大屏) fetches its figures again (seconds).
DASHBOARD_REFRESH_SECONDS = int(os.environ.get("HOTLINE_DASHBOARD_REFRESH_SECONDS", "30"))

# Live pages (hotline/realtime): empty = one process, in-process broker (the SQLite default);
# redis://host:6379/0 = every worker process through Redis pub/sub. An idle stream sends a
# heartbeat every N seconds and ends after M seconds (the browser reconnects, access re-checked).
REALTIME_URL = os.environ.get("HOTLINE_REALTIME_URL", "")
# Redis pub/sub channels are server-wide (not per database): one name per deployment.
REALTIME_CHANNEL = os.environ.get("HOTLINE_REALTIME_CHANNEL", "hotline:realtime")
REALTIME_HEARTBEAT_SECONDS = float(os.environ.get("HOTLINE_REALTIME_HEARTBEAT_SECONDS", "15"))
REALTIME_STREAM_SECONDS = float(os.environ.get("HOTLINE_REALTIME_STREAM_SECONDS", "3600"))

# Telephony (hotline/calls, docs/calls.md): a caller hanging up within N seconds of waiting is a
# short abandon (not counted, not called back); the service level counts answers within T s;
# 话后整理 ends by itself after N s; a 回拨 is due within N working hours, or natural hours when
# HOTLINE_CALLS_CALLBACK_HOURS is set (> 0).
CALLS_SHORT_ABANDON_SECONDS = int(os.environ.get("HOTLINE_CALLS_SHORT_ABANDON_SECONDS", "5"))
CALLS_SERVICE_LEVEL_SECONDS = int(os.environ.get("HOTLINE_CALLS_SERVICE_LEVEL_SECONDS", "15"))
CALLS_AFTER_CALL_SECONDS = int(os.environ.get("HOTLINE_CALLS_AFTER_CALL_SECONDS", "30"))
CALLS_CALLBACK_WORKING_HOURS = int(os.environ.get("HOTLINE_CALLS_CALLBACK_WORKING_HOURS", "4"))
CALLS_CALLBACK_HOURS = int(os.environ.get("HOTLINE_CALLS_CALLBACK_HOURS", "0"))

# `ticket_created_cover` carries INCLUDE columns for PostgreSQL; on SQLite (development, tests)
# it is a plain index on created_at, which is what we want there.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# Web Push (issue 19; docs/supervision.md, 消息推送): new and nearly-due tickets on the phones of
# the units. The VAPID keys are base64url (the public key's uncompressed point, the private
# key's 32 bytes), made by `hotline vapid_keys`; the subject is a mailto: or https: address the
# push services may contact. Push stays off unless HOTLINE_WEB_PUSH is on, which is refused
# without the keys. The worker POSTs only to the push services listed (scheme://host[:port],
# *.host for a domain's hosts): a subscription naming any other address is refused.
WEB_PUSH = _flag("HOTLINE_WEB_PUSH", False)
VAPID_PUBLIC_KEY = os.environ.get("HOTLINE_VAPID_PUBLIC_KEY", "")
VAPID_PRIVATE_KEY = os.environ.get("HOTLINE_VAPID_PRIVATE_KEY", "")
VAPID_SUBJECT = os.environ.get("HOTLINE_VAPID_SUBJECT", "")
PUSH_SERVICES = os.environ.get(
    "HOTLINE_PUSH_SERVICES",
    "https://fcm.googleapis.com,https://updates.push.services.mozilla.com,"
    "https://web.push.apple.com,https://*.notify.windows.com",
).split(",")
if WEB_PUSH and not (VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY and VAPID_SUBJECT):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "HOTLINE_WEB_PUSH is on but HOTLINE_VAPID_PUBLIC_KEY, HOTLINE_VAPID_PRIVATE_KEY or "
        "HOTLINE_VAPID_SUBJECT is missing (make the keys with `hotline vapid_keys`)"
    )

"""Settings, all read from the environment.

With nothing set this is the embedded default: SQLite under var/, Celery tasks run in-process,
debug on. Set DATABASE_URL and REDIS_URL for PostgreSQL and a real broker; use
config.settings.production for a deployment.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import django_stubs_ext
import environ
from django.core.exceptions import ImproperlyConfigured

django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

# GENERAL
# ------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=True)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])


def _development_secret_key() -> str:
    """A random key kept in var/ so sessions survive restarts of a local install."""
    from django.core.management.utils import get_random_secret_key

    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(get_random_secret_key())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="") or _development_secret_key()

TIME_ZONE = "UTC"
USE_TZ = True
LANGUAGE_CODE = "en"
USE_I18N = False

# APPS
# ------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "simple_history",
    "annotator",
    "api",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records request.user on history rows written without an explicit actor (the admin).
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a lockout seen during the request into its answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
# A refused CSRF check on an /api/ path answers JSON like every other API error.
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
            ],
        },
    },
]

# DATABASES
# https://docs.djangoproject.com/en/5.2/ref/settings/#databases
# ------------------------------------------------------------------------------
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'annotator.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # SQLite serialises writers; waiting for the lock beats "database is locked" under a demo load.
    # A transaction takes the write lock when it begins (IMMEDIATE): SQLite has no row locks, so
    # this is what holds a layer still while a span is checked and written (SELECT ... FOR
    # UPDATE does on PostgreSQL), and a reader never fails when it later writes.
    sqlite_options = DATABASES["default"].setdefault("OPTIONS", {})
    sqlite_options["timeout"] = 20
    sqlite_options["transaction_mode"] = "IMMEDIATE"
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, with a health check that makes no round trip while nothing is wrong.
    DATABASES["default"]["ENGINE"] = "config.postgresql"
    # Connections are kept between requests under gunicorn only (gunicorn.conf.py sets 60).
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    options = DATABASES["default"].setdefault("OPTIONS", {})
    # Parameters bound on the server, and a statement prepared once a connection has run it five
    # times: the server stops parsing and planning the span requests' statements each time
    # (bench/api_load.py, 1 client: 105 span creates/s with it, 76 without, in runs an hour apart
    # on a noisy 2-core machine). Prepared statements live in the session: a pooler in front of
    # PostgreSQL must pool sessions.
    options["server_side_binding"] = True
    options["prepare_threshold"] = 5
    # No JIT compilation: it pays off for long analytic queries, not for a request's. Queue Next
    # on a project of 10,000 started documents spent 27 ms of its 61 compiling a 50 ms query.
    options["options"] = f"-c jit=off {options.get('options', '')}".strip()
    # A statement that runs (or waits for a lock) longer than this is cancelled, and the request
    # answers 503 instead of holding its worker thread: 0 (the default) sets no limit.
    statement_timeout = env.int("DJANGO_DB_STATEMENT_TIMEOUT_MS", default=0)
    if statement_timeout:
        options["options"] += f" -c statement_timeout={statement_timeout}"
    # A session left idle inside a transaction this long is ended by PostgreSQL, and its row
    # locks with it: a host that vanished mid-transaction (a cut link) holds them until then.
    idle_timeout = env.int("DJANGO_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", default=300_000)
    if idle_timeout:
        options["options"] += f" -c idle_in_transaction_session_timeout={idle_timeout}"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# AUTH
# ------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"
# django-axes first: it refuses a locked-out username and address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling (django-axes), for the sign-in page, the admin and the API token endpoint alike:
# five wrong passwords for one username from one address lock that pair out for 15 minutes.
# The address is REMOTE_ADDR: behind a proxy that is the proxy's, so the lock is then per username.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "config.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "config.security.client_address"
AXES_HANDLER = "config.security.SignInHandler"
# Failed sign-ins from one address, across all usernames, before it waits out AXES_COOLOFF_TIME.
ANNOTATOR_SIGN_IN_FAILURES_PER_ADDRESS = env.int("ANNOTATOR_SIGN_IN_FAILURES_PER_ADDRESS", default=20)
# How many reverse proxies in front of the site append the client's address to X-Forwarded-For.
# 0: the header is ignored (a client could write anything in it) and REMOTE_ADDR counts.
TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0)

# CONTENT SECURITY POLICY (config.security.ContentSecurityPolicyMiddleware)
# ------------------------------------------------------------------------------
# Scripts only from our own files (no inline script, no eval). Inline styles stay allowed: the
# pages set label colours in style attributes, and the API docs page has a <style> block.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)

# STATIC FILES
# ------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if DEBUG:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

# UPLOADS
# ------------------------------------------------------------------------------
# Imports can be large; files above this are streamed to disk rather than held in memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# CACHE AND CELERY
# ------------------------------------------------------------------------------


def _redis_database(url: str) -> tuple[str, int] | None:
    """(server, database number) of a redis:// or rediss:// URL whose path names the database
    (none: database 0); None for any other form (a unix socket, ?db=)."""
    parts = urlsplit(url)
    number = parts.path.strip("/") or "0"
    if parts.scheme not in ("redis", "rediss") or "db=" in parts.query or not number.isdigit():
        return None
    return parts.netloc, int(number)


def _next_redis_database(url: str) -> str:
    """`url` with the Redis database after its own (redis://h:6379/1 -> redis://h:6379/2)."""
    database = _redis_database(url)
    if database is None:
        raise ImproperlyConfigured(
            "Set REDIS_CACHE_URL: REDIS_URL does not end in a database number (redis://host:6379/N), "
            "so the cache's database cannot follow it."
        )
    if database[1] >= 15:
        raise ImproperlyConfigured(
            "REDIS_URL names database 15, the last of Redis's default 16: set REDIS_CACHE_URL to another one."
        )
    return urlunsplit(urlsplit(url)._replace(path=f"/{database[1] + 1}"))


REDIS_URL = env.str("REDIS_URL", default="")
# The cache has a Redis database of its own, never the broker's: clearing the cache empties its
# whole database (FLUSHDB), and in the broker's that would drop queued jobs, leaving their Job
# rows waiting for ever. REDIS_CACHE_URL names it; unset, it is the database after REDIS_URL's.
REDIS_CACHE_URL = env.str("REDIS_CACHE_URL", default="") or (
    _next_redis_database(REDIS_URL) if REDIS_URL else ""
)
_cache_database = _redis_database(REDIS_CACHE_URL)
if REDIS_URL and (
    REDIS_CACHE_URL == REDIS_URL
    or (_cache_database is not None and _cache_database == _redis_database(REDIS_URL))
):
    raise ImproperlyConfigured(
        "REDIS_CACHE_URL must name another Redis database than REDIS_URL (the broker's)."
    )
# Seconds a cache or broker call waits for Redis: a host cut off from Redis fails fast (and what
# needs Redis says so) instead of hanging a request for as long as TCP retries.
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=2.0)
if REDIS_CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_CACHE_URL,
            "OPTIONS": {
                "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
# Without a broker (the embedded default) tasks run in-process, at once.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 60
# With acks_late, a task whose worker died (SIGKILL, OOM, lost host) stays unacknowledged in
# Redis; after the visibility timeout a running worker hands it out again (kombu checks at
# worker start, then about every 100 s). It must outlast the longest task, or a slow task
# runs twice. Jobs do not wait for it: their heartbeat shows a lost worker within 30 s, and
# any running worker sends them again (annotator.jobs.services). CELERY_VISIBILITY_TIMEOUT
# shortens it for tests and benchmarks that kill workers.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 300),
    "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
}
# Sending a task tries three times within about a second before it gives up (BACKGROUND_ERRORS).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# REST FRAMEWORK
# ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes anonymous requests a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    # JSON bodies only; the document import also takes multipart uploads.
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"auth": env.str("ANNOTATOR_AUTH_THROTTLE", default="10/min")},
    # Not None, DRF's default, which reads a client's X-Forwarded-For as is: a new value each
    # time escaped the login throttle.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "News source annotation API",
    "DESCRIPTION": "Spans labelled CLAIM, OPINION or DISCLAIMER in news articles, their agreement and per-source profiles.",
    "VERSION": "1",
    # Swagger UI and Redoc from drf-spectacular-sidecar's static files, not a CDN: the docs work
    # offline and under the Content-Security-Policy.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No validator badge: it would send the schema's address to validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_NAME_OVERRIDES": {
        "AttributeKindEnum": "annotator.models.AttributeKind",
        "QuestionKindEnum": "annotator.models.QuestionKind",
        "LayerKindEnum": "api.serializers.PUBLIC_LAYER_KINDS",
        "LayerStatusEnum": "annotator.models.LayerStatus",
        "JobStatusEnum": "annotator.models.JobStatus",
    },
}

# DOMAIN
# ------------------------------------------------------------------------------
# A document longer than this (in characters) is refused at import.
ANNOTATOR_MAX_DOCUMENT_CHARS = env.int("ANNOTATOR_MAX_DOCUMENT_CHARS", default=1_000_000)
# Agreement figures from fewer documents carry no bootstrap interval: a handful of documents
# gives an interval narrower than the data can support (one document gives zero width).
ANNOTATOR_AGREEMENT_INTERVAL_MIN_DOCUMENTS = env.int("ANNOTATOR_AGREEMENT_INTERVAL_MIN_DOCUMENTS", default=10)
# Uploads larger than this (bytes, all files together) are imported by a background job.
ANNOTATOR_IMPORT_INLINE_BYTES = env.int("ANNOTATOR_IMPORT_INLINE_BYTES", default=2 * 1024 * 1024)
# A suggestion model is trained again once this many more documents have gold than it learnt from.
ANNOTATOR_SUGGESTIONS_RETRAIN_AFTER = env.int("ANNOTATOR_SUGGESTIONS_RETRAIN_AFTER", default=20)
# Claims closer than this cosine distance (average linkage) are one claim across outlets.
ANNOTATOR_CLAIM_DISTANCE = env.float("ANNOTATOR_CLAIM_DISTANCE", default=0.4)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
}

# Uploaded import files wait here for the background job that reads them.
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media"))
MEDIA_URL = "/media/"

"""Settings in both run modes, and production's refusal to start without a secret key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'engine': settings.DATABASES['default']['ENGINE'], "
    "'name': str(settings.DATABASES['default']['NAME']), 'eager': settings.CELERY_TASK_ALWAYS_EAGER, "
    "'broker': settings.CELERY_BROKER_URL, 'cache': settings.CACHES['default']['BACKEND'], "
    "'cache_location': settings.CACHES['default'].get('LOCATION'), 'debug': settings.DEBUG}))"
)
# Variables the probes set themselves; DJANGO_ALLOW_ASYNC_UNSAFE comes from the browser tests.
MANAGED = (
    "DATABASE_URL",
    "REDIS_URL",
    "REDIS_CACHE_URL",
    "DJANGO_SECRET_KEY",
    "DJANGO_DEBUG",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DJANGO_TLS",
    "DJANGO_TRUSTED_PROXY_COUNT",
    "DJANGO_CONN_MAX_AGE",
)


def _run(code_or_args: str | list[str], settings_module: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in MANAGED}
    clean.update(env, DJANGO_SETTINGS_MODULE=settings_module)
    args = (
        [sys.executable, "-c", code_or_args]
        if isinstance(code_or_args, str)
        else [sys.executable, *code_or_args]
    )
    return subprocess.run(args, cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60, check=False)


def _probe(**env: str) -> dict[str, Any]:
    """The base settings as PROBE prints them under `env`; they must load."""
    result = _run(PROBE, "config.settings.base", **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_embedded_default_uses_sqlite_under_var_and_runs_tasks_in_process():
    probe = _probe()
    assert probe["engine"] == "django.db.backends.sqlite3"
    assert probe["name"] == str(ROOT / "var" / "annotator.sqlite3")
    assert probe["eager"] is True
    assert probe["cache"].endswith("LocMemCache")


def test_database_url_and_redis_url_select_postgresql_and_a_real_broker():
    probe = _probe(
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/annotator", REDIS_URL="redis://127.0.0.1:6379/3"
    )
    assert probe["engine"] == "config.postgresql"
    assert probe["name"] == "annotator"
    assert probe["eager"] is False
    assert probe["broker"] == "redis://127.0.0.1:6379/3"
    assert probe["cache"].endswith("RedisCache")
    assert probe["cache_location"] == "redis://127.0.0.1:6379/4"  # the broker's database + 1


def test_redis_cache_url_names_the_cache_database():
    probe = _probe(REDIS_URL="redis://127.0.0.1:6379/3", REDIS_CACHE_URL="redis://127.0.0.1:6379/9")
    assert probe["cache_location"] == "redis://127.0.0.1:6379/9"


@pytest.mark.parametrize(
    ("redis_url", "cache_url", "message"),
    [
        ("redis://127.0.0.1:6379/3", "redis://127.0.0.1:6379/3", "must name another Redis database"),
        ("redis://127.0.0.1:6379", "redis://127.0.0.1:6379/0", "must name another Redis database"),
        ("redis://127.0.0.1:6379/15", "", "names database 15"),
        ("unix:///run/redis.sock?db=1", "", "Set REDIS_CACHE_URL"),
    ],
)
def test_a_cache_sharing_the_brokers_database_or_none_to_derive_refuses_to_start(
    redis_url, cache_url, message
):
    """Clearing the cache empties its whole Redis database: in the broker's, queued jobs would go."""
    result = _run(PROBE, "config.settings.base", REDIS_URL=redis_url, REDIS_CACHE_URL=cache_url)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = _run(PROBE, "config.settings.production", DJANGO_ALLOWED_HOSTS="example.org")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set in production" in result.stderr


@pytest.mark.slow
def test_production_settings_pass_the_deployment_checklist():
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        "config.settings.production",
        DJANGO_SECRET_KEY="a-long-random-value-only-for-this-test-" + "x" * 40,
        DJANGO_ALLOWED_HOSTS="annotate.example.org",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/annotator",
        REDIS_URL="redis://127.0.0.1:6379/3",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


HEADERS_PROBE = (
    "import json, django; django.setup(); from django.test import Client; "
    "secure = Client().get('/healthz/', secure=True); plain = Client().get('/accounts/login/'); "
    "print(json.dumps({'status': secure.status_code, 'headers': dict(secure.items()), "
    "'plain_status': plain.status_code, 'plain_location': plain.get('Location', '')}))"
)


def test_production_answers_carry_the_security_headers():
    result = _run(
        HEADERS_PROBE,
        "config.settings.production",
        DJANGO_SECRET_KEY="a-long-random-value-only-for-this-test-" + "x" * 40,
        DJANGO_ALLOWED_HOSTS="testserver",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/annotator",
        REDIS_URL="redis://127.0.0.1:6379/3",
    )
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    headers = probe["headers"]

    assert probe["status"] == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    policy = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
    assert policy == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data:",
        "object-src": "'none'",
        "frame-ancestors": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
    }
    # Plain HTTP is sent to HTTPS.
    assert probe["plain_status"] == 301
    assert probe["plain_location"] == "https://testserver/accounts/login/"


WSGI_PROBE = (
    "import gc, json, sys; import config.wsgi; "
    "print(json.dumps({'threshold': gc.get_threshold(), 'frozen': gc.get_freeze_count(), "
    "'views_loaded': 'api.views' in sys.modules and 'frontend.views' in sys.modules}))"
)


def test_the_wsgi_module_loads_the_views_and_freezes_what_it_loaded():
    """config.wsgi loads every view before the first request and settles the garbage collector."""
    result = _run(WSGI_PROBE, "config.settings.base")
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["threshold"] == [50_000, 20, 100]
    assert probe["frozen"] > 10_000  # Django, DRF and the project's modules
    assert probe["views_loaded"] is True


def test_clearing_the_cache_leaves_the_brokers_queued_messages(settings):
    """Against the suite's real Redis: cache.clear() (FLUSHDB) empties the cache's database only;
    a message waiting in the broker's database is still there."""
    import redis
    from django.core.cache import cache

    assert settings.CACHES["default"]["LOCATION"] != settings.CELERY_BROKER_URL
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    queue = "test-clearing-the-cache"
    broker.delete(queue)
    try:
        broker.lpush(queue, b"a queued job")
        cache.set("test-clearing-the-cache", 1)
        cache.clear()
        assert cache.get("test-clearing-the-cache") is None
        assert broker.lrange(queue, 0, -1) == [b"a queued job"]
    finally:
        broker.delete(queue)


TLS_PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'proxy_header': settings.SECURE_PROXY_SSL_HEADER, "
    "'cookies': [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE], "
    "'redirect': settings.SECURE_SSL_REDIRECT, 'hsts': settings.SECURE_HSTS_SECONDS, "
    "'conn_max_age': settings.DATABASES['default']['CONN_MAX_AGE']}))"
)
PRODUCTION = {
    "DJANGO_SECRET_KEY": "a-long-random-value-only-for-this-test-" + "x" * 40,
    "DJANGO_ALLOWED_HOSTS": "annotate.example.org",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/annotator",
    "REDIS_URL": "redis://127.0.0.1:6379/3",
}


def _tls_probe(**env: str) -> dict:
    result = _run(TLS_PROBE, "config.settings.production", **PRODUCTION, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_x_forwarded_proto_is_believed_only_behind_a_trusted_proxy():
    assert _tls_probe()["proxy_header"] is None
    assert _tls_probe(DJANGO_TRUSTED_PROXY_COUNT="1")["proxy_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_a_plain_http_site_gets_cookies_it_can_send_back():
    assert _tls_probe() == {
        "proxy_header": None,
        "cookies": [True, True],
        "redirect": True,
        "hsts": 31536000,
        "conn_max_age": 0,
    }
    plain = _tls_probe(DJANGO_TLS="false")
    assert (plain["cookies"], plain["redirect"], plain["hsts"]) == ([False, False], False, 0)


def test_database_connections_are_kept_only_under_gunicorn():
    assert _tls_probe()["conn_max_age"] == 0  # runserver, manage.py, workers
    # gunicorn runs its config file before it loads the application.
    under_gunicorn = "import runpy; runpy.run_path('gunicorn.conf.py'); " + TLS_PROBE
    result = _run(under_gunicorn, "config.settings.production", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["conn_max_age"] == 60


# What loading the application leaves open, as gunicorn's master holds it before forking workers.
LOADED_PROBE = (
    "import json, os, runpy, threading; conf = runpy.run_path('gunicorn.conf.py'); "
    "import config.wsgi; from django.db import connections; "
    "paths = [f'/proc/self/fd/{fd}' for fd in os.listdir('/proc/self/fd')]; "
    "fds = [os.readlink(p) for p in paths if os.path.lexists(p)]; "
    "print(json.dumps({'preload_app': conf['preload_app'], "
    "'databases': [a for a in connections if connections[a].connection is not None], "
    "'threads': [t.name for t in threading.enumerate()], "
    "'sockets': sorted(fd for fd in fds if fd.startswith('socket:'))}))"
)


def test_loading_the_application_opens_no_connection_a_forked_worker_would_share():
    # gunicorn loads the application once and forks its workers from it (preload_app): a
    # database or Redis connection, or a thread, made while loading would be shared or lost.
    result = _run(LOADED_PROBE, "config.settings.production", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "preload_app": True,
        "databases": [],
        "threads": ["MainThread"],
        "sockets": [],
    }

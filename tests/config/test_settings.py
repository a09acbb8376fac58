"""Settings in both run modes, and production's refusal to start without a secret key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'engine': settings.DATABASES['default']['ENGINE'], "
    "'name': str(settings.DATABASES['default']['NAME']), 'eager': settings.CELERY_TASK_ALWAYS_EAGER, "
    "'broker': settings.CELERY_BROKER_URL, 'cache': settings.CACHES['default']['BACKEND'], 'debug': settings.DEBUG}))"
)
# Variables the probes set themselves; DJANGO_ALLOW_ASYNC_UNSAFE comes from the browser tests.
MANAGED = (
    "DATABASE_URL",
    "REDIS_URL",
    "DJANGO_SECRET_KEY",
    "DJANGO_DEBUG",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
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


def test_embedded_default_uses_sqlite_under_var_and_runs_tasks_in_process():
    result = _run(PROBE, "config.settings.base")
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout)
    assert probe["engine"] == "django.db.backends.sqlite3"
    assert probe["name"] == str(ROOT / "var" / "annotator.sqlite3")
    assert probe["eager"] is True
    assert probe["cache"].endswith("LocMemCache")


def test_database_url_and_redis_url_select_postgresql_and_a_real_broker():
    result = _run(
        PROBE,
        "config.settings.base",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/annotator",
        REDIS_URL="redis://127.0.0.1:6379/3",
    )
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout)
    assert probe["engine"] == "config.postgresql"
    assert probe["name"] == "annotator"
    assert probe["eager"] is False
    assert probe["broker"] == "redis://127.0.0.1:6379/3"
    assert probe["cache"].endswith("RedisCache")


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

"""What the bench scripts share: a database of their own, Django, static files, free ports, and
the --smoke size.

Each script that needs PostgreSQL runs against a database of its own: BENCH_DATABASE_URL if set,
else postgres://postgres@127.0.0.1:5432/<the script's default name>. A smoke run (`--smoke`, the
size `make bench-smoke` runs in CI: a few seconds, every code path once) uses that name with
"_smoke" appended, made fresh and dropped when the run ends, so it never touches a full-size
run's data and leaves nothing behind.
"""

from __future__ import annotations

import argparse
import atexit
import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

SERVER = "postgres://postgres@127.0.0.1:5432"
ROOT = Path(__file__).resolve().parent.parent


def add_smoke_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="a few seconds at a small size, on a throwaway database (what CI runs)",
    )


def database_url(default_name: str, *, smoke: bool = False) -> str:
    """The script's database: BENCH_DATABASE_URL or SERVER/`default_name`; `_smoke` appended to
    the name for a smoke run."""
    url = os.environ.get("BENCH_DATABASE_URL", f"{SERVER}/{default_name}")
    if not smoke:
        return url
    base, _, query = url.partition("?")
    return f"{base}_smoke" + (f"?{query}" if query else "")


def _server_and_name(url: str) -> tuple[str, str]:
    base, _, name = url.partition("?")[0].rpartition("/")
    return base, name


def fresh_database(url: str) -> None:
    """Drop the database of `url` if it exists (closing its connections) and create it empty."""
    import psycopg

    server, name = _server_and_name(url)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def ensure_database(url: str) -> bool:
    """Create the database of `url` unless it exists; whether it was created."""
    import psycopg

    server, name = _server_and_name(url)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        connection.execute(f'CREATE DATABASE "{name}"')
        return True


def drop_database(url: str) -> None:
    import psycopg

    server, name = _server_and_name(url)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def throwaway_database(url: str) -> None:
    """Make the database of `url` fresh now and drop it when this process exits (a smoke run's)."""
    fresh_database(url)
    atexit.register(drop_database, url)


def setup_django(url: str | None = None, *, broker: str | None = None) -> None:
    """Set Django up in this process against `url` (None: the DATABASE_URL a parent process set),
    with DEBUG off (it would keep every query's SQL) and tasks in-process, unless `broker` names
    a Redis database to queue them in (where no worker takes them: what is measured then leaves
    out the refreshes a write asks for)."""
    if url is not None:
        os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_DEBUG", "false")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    if broker is None:
        os.environ.pop("REDIS_URL", None)
    else:
        os.environ["REDIS_URL"] = broker
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def collect_static(env: dict[str, str]) -> None:
    """collectstatic, as the Dockerfile runs it, unless nothing changed since it last ran: it
    takes some 35 s however little changed (whitenoise compresses every file again). Needs
    Django set up in this process."""
    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders

    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if manifest.exists():
        collected = manifest.stat().st_mtime
        changed = any(
            os.path.getmtime(storage.path(path)) > collected
            for finder in get_finders()
            for path, storage in finder.list(["CVS", ".*", "*~"])
        )
        if not changed:
            return
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_reference_ms() -> float:
    """How fast this machine runs Python right now: the best of 5 timings of a fixed pure-Python
    loop (sum of 2,000,000 squares), in ms. The same workload took 80 to 130 ms here within
    minutes, so a CPU figure is read against this one, taken in the same run."""
    best = float("inf")
    for _ in range(5):
        began = time.perf_counter()
        sum(i * i for i in range(2_000_000))
        best = min(best, time.perf_counter() - began)
    return best * 1000


def percentile_ms(seconds: Sequence[float], p: float) -> float:
    """The `p` quantile (0..1, nearest rank) of durations in seconds, in milliseconds."""
    ordered = sorted(seconds)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


def timed_gets(client: Any, path: str, repeat: int) -> list[float]:
    """Seconds each of `repeat` GETs of `path` took through a Django test client; each must
    answer 200."""
    durations = []
    for _ in range(repeat):
        began = time.perf_counter()
        response = client.get(path)
        durations.append(time.perf_counter() - began)
        assert response.status_code == 200, (path, response.status_code, response.content[:300])
    return durations


def plain_static_files() -> None:
    """Serve static files by their plain names in this process, so pages render without
    collectstatic's manifest (which only renames them)."""
    from django.conf import settings

    settings.STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

"""What one span create costs in CPU, and what each suspected cause of its variance changes.

Runs span creates in this process through Django's WSGI handler (the code gunicorn calls, less
the HTTP parsing) on PostgreSQL, and measures per create:
- the CPU of this process (the web server's share), and
- the CPU of the PostgreSQL cluster's processes (the database's share, background workers
  included, so an autovacuum would show here).

Each variant changes one thing from the deployed configuration. The variants take turns, in
blocks of creates, for several rounds, so a drift in the machine's speed falls on all of them
alike; each figure is a median over rounds, and its ratio to the deployed one is taken in the
same run. The variants:
- as deployed: parameters bound on the server, a statement prepared after 5 runs, the
  garbage collector frozen after start-up (config/wsgi.py), the connection kept between
  requests, the project schema cached;
- no prepared statements (psycopg's prepare_threshold off);
- parameters bound on the client (Django's default);
- the garbage collector not frozen, at Python's default thresholds;
- a new database connection per request (CONN_MAX_AGE 0);
- the project schema read afresh for every request.
It also prints the first creates of a fresh process, the CPU reference (harness.cpu_reference_ms)
and how often autovacuum ran on the span tables during the run.

    .venv/bin/python bench/span_cost.py [--rounds 5] [--block 300]
    .venv/bin/python bench/span_cost.py --smoke
    .venv/bin/python bench/span_cost.py --profile    # where the deployed create's time goes
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import api_load
import harness
import orjson


def _postgres_cpu_seconds() -> float:
    """CPU used so far by the local PostgreSQL cluster's processes, ended backends included (0
    where /proc hides them)."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                pids.append(int(entry.name))
        except OSError:
            continue
    return api_load._cpu_seconds(pids, ended_children=True)


class Creator:
    """Span creates through the WSGI handler, one request each, filling one layer after another."""

    def __init__(self, token: str, layers: list[int], texts: dict[int, str], spans_per_layer: int) -> None:
        from django.core.handlers.wsgi import WSGIHandler

        self.handler = WSGIHandler()
        self.token = token
        self.layers = layers
        self.texts = texts
        self.spans_per_layer = spans_per_layer
        self.made = 0
        self.status = ""
        self.before_each: Callable[[], None] = lambda: None

    def _start_response(
        self, status: str, _headers: list[tuple[str, str]], _info: object = None
    ) -> Callable[[bytes], object]:
        self.status = status
        return lambda _data: None

    def _environ(self, layer: int, body: bytes) -> dict[str, object]:
        return {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": f"/api/v1/assignments/{layer}/spans/",
            "SCRIPT_NAME": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "HTTP_HOST": "127.0.0.1",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_AUTHORIZATION": f"Token {self.token}",
        }

    def create(self, n: int) -> None:
        for _ in range(n):
            layer = self.layers[self.made // self.spans_per_layer]
            start = (self.made % self.spans_per_layer) * 20 + 3
            text = self.texts[layer][start : start + 11]
            body = orjson.dumps(
                {
                    "label": "OPINION",
                    "start": start,
                    "end": start + 11,
                    "text": text,
                    "client_uuid": str(uuid.uuid4()),
                }
            )
            self.before_each()
            response = self.handler(self._environ(layer, body), self._start_response)
            b"".join(response)
            response.close()
            if not self.status.startswith("201"):
                raise SystemExit(f"span create answered {self.status}")
            self.made += 1

    def cost_ms(self, n: int) -> tuple[float, float]:
        """Create `n` spans; CPU per create of this process and of PostgreSQL, in ms."""
        own, database = time.process_time(), _postgres_cpu_seconds()
        self.create(n)
        return (
            (time.process_time() - own) / n * 1000,
            (_postgres_cpu_seconds() - database) / n * 1000,
        )


def _variants(creator: Creator) -> list[tuple[str, Callable[[], None], Callable[[], None]]]:
    """(name, switch on, switch back) for each variant; the deployed one changes nothing."""
    from django.db import connection

    from annotator.projects import selectors as project_selectors

    options = connection.settings_dict["OPTIONS"]

    def prepare(threshold: int | None) -> Callable[[], None]:
        def switch() -> None:
            connection.ensure_connection()
            connection.connection.prepare_threshold = threshold

        return switch

    def binding(on_server: bool) -> Callable[[], None]:
        def switch() -> None:
            options["server_side_binding"] = on_server
            connection.close()  # the cursor class is chosen when the connection opens

        return switch

    def freeze(frozen: bool) -> Callable[[], None]:
        def switch() -> None:
            gc.collect()
            if frozen:
                gc.freeze()
                gc.set_threshold(50_000, 20, 100)
            else:
                gc.unfreeze()
                gc.set_threshold(700, 10, 10)

        return switch

    def keep_connection(seconds: int) -> Callable[[], None]:
        def switch() -> None:
            connection.settings_dict["CONN_MAX_AGE"] = seconds
            connection.close()  # the age is read when the connection opens

        return switch

    def schema_cache(cold: bool) -> Callable[[], None]:
        def switch() -> None:
            creator.before_each = project_selectors._schema_cache.clear if cold else (lambda: None)

        return switch

    deployed_threshold = options.get("prepare_threshold")
    deployed_max_age = connection.settings_dict["CONN_MAX_AGE"]
    return [
        ("as deployed", lambda: None, lambda: None),
        ("no prepared statements", prepare(None), prepare(deployed_threshold)),
        ("parameters bound on the client", binding(False), binding(True)),
        ("garbage collector not frozen", freeze(False), freeze(True)),
        ("a new connection per request", keep_connection(0), keep_connection(deployed_max_age)),
        ("project schema read every request", schema_cache(True), schema_cache(False)),
    ]


def _autovacuum_runs() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(autovacuum_count + autoanalyze_count), 0) FROM pg_stat_user_tables "
            "WHERE relname IN ('annotator_span', 'annotator_historicalspan')"
        )
        return int(cursor.fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--block", type=int, default=300, help="creates per variant and round")
    parser.add_argument(
        "--profile", action="store_true", help="profile one block as deployed and print where its time goes"
    )
    harness.add_smoke_argument(parser)
    args = parser.parse_args()
    if args.smoke:
        args.rounds, args.block = 1, 20
    first = 50 if not args.smoke else 10

    url = harness.database_url("annotator_bench_span_cost", smoke=args.smoke)
    if args.smoke:
        harness.throwaway_database(url)
    else:
        harness.fresh_database(url)
    os.environ["DJANGO_CONN_MAX_AGE"] = "60"  # as gunicorn.conf.py sets it
    harness.setup_django(url)
    from annotator.models import Layer

    variants_count = 6
    creates = first + 200 + args.rounds * variants_count * (args.block + 5)
    spans_per_layer = api_load.SPANS_PER_LAYER
    tokens, layers, _project, _manager = api_load._setup(1, creates // spans_per_layer + 1)
    texts = dict(Layer.objects.filter(pk__in=layers[0]).values_list("pk", "document__text"))
    from django.db import connection

    connection.close()  # what follows starts as a fresh server process would: no connection yet

    # config/wsgi.py's start-up: every view loaded, then the collector frozen.
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)

    creator = Creator(tokens[0], layers[0], texts, spans_per_layer)
    own, database = creator.cost_ms(first)
    print(
        f"fresh process, its first {first} creates: {own:.2f} ms CPU each here, {database:.2f} ms in PostgreSQL"
    )
    creator.create(200)  # past the prepare threshold and every first-use cache
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(creator.create, args.block)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(
            r"annotator|api/|rest_framework/(views|authentication)", 30
        )
        return

    autovacuum_before = _autovacuum_runs()
    variants = _variants(creator)
    costs: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in variants}
    references = []
    for _ in range(args.rounds):
        references.append(harness.cpu_reference_ms())
        for name, switch_on, switch_back in variants:
            switch_on()
            creator.create(5)  # the variant's first requests (a new connection, say) settle
            costs[name].append(creator.cost_ms(args.block))
            switch_back()
    autovacuum_runs = _autovacuum_runs() - autovacuum_before

    print(
        f"CPU reference (harness.cpu_reference_ms) over the rounds: "
        f"{min(references):.0f}-{max(references):.0f} ms"
    )
    print(f"{args.rounds} rounds of {args.block} creates per variant; median CPU per create:")
    deployed_own = statistics.median(c[0] for c in costs["as deployed"])
    deployed_db = statistics.median(c[1] for c in costs["as deployed"])
    for name, _, _ in variants:
        own = statistics.median(c[0] for c in costs[name])
        database = statistics.median(c[1] for c in costs[name])
        print(
            f"  {name:34} web {own:5.2f} ms ({own / deployed_own:4.2f}x)   "
            f"PostgreSQL {database:5.2f} ms ({database / deployed_db if deployed_db else float('nan'):4.2f}x)"
        )
    print(f"autovacuum and autoanalyze runs on the span tables during the rounds: {autovacuum_runs}")


if __name__ == "__main__":
    main()

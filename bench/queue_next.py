"""Queue Next on a large project: a project of `--documents` articles, every one started (one
layer each, k = 3), and `--calls` annotators who each press Next once, in-process through the
API (token authentication, the view, the service, the rendered layer).

Prints the p50 / p95 of Next and, as a reference measured in the same run, the p50 of
GET /healthz/ through the same test client (no database, no DRF), so machines of different
speed compare.

    .venv/bin/python bench/queue_next.py [--documents 10000] [--calls 300]

It drops and recreates the database named by BENCH_DATABASE_URL
(default postgres://postgres@127.0.0.1:5432/annotator_bench_queue). Target: Next under 10 ms
at 10,000 started documents.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/annotator_bench_queue"
)
os.environ.update(
    DATABASE_URL=DATABASE_URL,
    DJANGO_SETTINGS_MODULE="config.settings.base",
    DJANGO_DEBUG="0",
    DJANGO_ALLOWED_HOSTS="testserver",
)
os.environ.pop("REDIS_URL", None)  # tasks in-process: Next itself sends none
ARTICLE = "The council said the tram extension would cost £48 million, a figure critics called fantasy. " * 30


def _fresh_database() -> None:
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1]
    with psycopg.connect(DATABASE_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _setup(n_documents: int, n_calls: int) -> tuple[int, list[str]]:
    """The project, its started documents (bulk-written, then counted with layers_recount, as a
    bulk load must) and one annotator with a token per Next call."""
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection

    from annotator.accounts.services import token_create
    from annotator.imports import text_sha256
    from annotator.layers.services import layers_recount
    from annotator.models import Document, Layer, Source
    from annotator.projects.services import membership_set, project_create

    call_command("migrate", verbosity=0)
    project = project_create(name="Queue", slug="queue", annotators_per_document=3)
    source = Source.objects.create(name="Bench outlet", slug="bench")
    starter = User.objects.create_user("starter")
    membership_set(project=project, user=starter, role="annotator")
    documents = Document.objects.bulk_create(
        (
            Document(
                project=project,
                source=source,
                text=f"{n}. {ARTICLE}",
                text_sha256=text_sha256(f"{n}. {ARTICLE}"),
            )
            for n in range(n_documents)
        ),
        batch_size=2000,
    )
    Layer.objects.bulk_create((Layer(document=d, user=starter) for d in documents), batch_size=5000)
    layers_recount()
    tokens = []
    for i in range(n_calls):
        user = User.objects.create_user(f"next{i}")
        membership_set(project=project, user=user, role="annotator")
        tokens.append(token_create(user=user, name=f"client {uuid.uuid4()}")[1])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return project.pk, tokens


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--smoke", action="store_true", help="a small run: 300 documents, 30 calls")
    args = parser.parse_args()
    if args.smoke:
        args.documents, args.calls = 300, 30

    _fresh_database()
    import django

    django.setup()
    from django.test import Client

    project_id, tokens = _setup(args.documents, args.calls)
    client = Client()
    reference = []
    for _ in range(500):
        began = time.perf_counter()
        assert client.get("/healthz/").status_code == 200
        reference.append(time.perf_counter() - began)
    latencies = []
    for token in tokens:
        began = time.perf_counter()
        response = client.post(
            f"/api/v1/projects/{project_id}/queue/next/", HTTP_AUTHORIZATION=f"Token {token}"
        )
        latencies.append(time.perf_counter() - began)
        assert response.status_code == 200, response.content
    reference_p50 = _percentile(reference[50:], 0.5)
    print(f"reference, GET /healthz/ in-process: p50 {reference_p50:.2f} ms")
    print(
        f"queue Next at {args.documents:,} started documents, {len(latencies)} annotators: "
        f"p50 {_percentile(latencies, 0.5):.1f} ms, p95 {_percentile(latencies, 0.95):.1f} ms "
        f"(p50 {_percentile(latencies, 0.5) / reference_p50:.1f}x the reference)"
    )


if __name__ == "__main__":
    main()

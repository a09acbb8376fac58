"""Queue Next on a large project: a project of `--documents` articles, every one started (one
layer each, k = 3), and `--calls` annotators who each press Next once, in-process through the
API (token authentication, the view, the service, the rendered layer).

Prints the p50 / p95 of Next and, as a reference measured in the same run, the p50 of
GET /healthz/ through the same test client (no database, no DRF), so machines of different
speed compare. Then the same with panel balance on: three panels, the starter's layers in the
left panel, and as many annotators again, half of them centre and half right (each finds a
document with room for their panel); and the worst case, left annotators for whom every started
document already holds their panel's share, so Next reads them all before it answers 204.

    .venv/bin/python bench/queue_next.py [--documents 10000] [--calls 300] [--smoke]

It drops and recreates the database named by BENCH_DATABASE_URL
(default postgres://postgres@127.0.0.1:5432/annotator_bench_queue; see bench/harness.py); a smoke
run is 300 documents and 30 calls on a throwaway one. Target: Next under 10 ms
at 10,000 started documents.
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from typing import Any

import harness

os.environ.update(DJANGO_ALLOWED_HOSTS="testserver")
ARTICLE = "The council said the tram extension would cost £48 million, a figure critics called fantasy. " * 30


def _annotators(project: Any, prefix: str, n: int, panel: str | None = None) -> list[str]:
    """`n` annotators of the project (in `panel`, if given), one token each."""
    from django.contrib.auth.models import User

    from annotator.accounts.services import token_create
    from annotator.panels.services import member_panel_set
    from annotator.projects.services import membership_set

    tokens = []
    for i in range(n):
        user = User.objects.create_user(f"{prefix}{i}")
        membership_set(project=project, user=user, role="annotator")
        if panel is not None:
            member_panel_set(project=project, user=user, panel_key=panel, actor=user)
        tokens.append(token_create(user=user, name=f"client {uuid.uuid4()}")[1])
    return tokens


def _setup(n_documents: int, n_calls: int) -> tuple[int, list[str]]:
    """The project, its started documents (bulk-written, then counted with layers_recount, as a
    bulk load must) and one annotator with a token per Next call."""
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection

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
    tokens = _annotators(project, "next", n_calls)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return project.pk, tokens


def _with_panels(project_id: int, n_calls: int) -> tuple[list[str], list[str]]:
    """Panel balance on: the starter's layers count for the left panel; tokens of annotators
    in the centre and right panels, and of left ones for whom no started document has room."""
    from django.db import connection

    from annotator.models import Layer, Project
    from annotator.panels.services import panel_create
    from annotator.projects.services import project_update

    project = Project.objects.get(pk=project_id)
    project_update(project=project, changes={"panel_balance": True})
    panels = {
        key: panel_create(project=project, key=key, name=key, order=i)
        for i, key in enumerate(("left", "centre", "right"))
    }
    Layer.objects.filter(document__project=project, user__username="starter").update(panel=panels["left"])
    in_share = _annotators(project, "centre", n_calls // 2, "centre") + _annotators(
        project, "right", n_calls // 2, "right"
    )
    full = _annotators(project, "left", max(10, n_calls // 10), "left")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return in_share, full


def _press_next(client: Any, project_id: int, tokens: list[str], expected: int = 200) -> list[float]:
    latencies = []
    for token in tokens:
        began = time.perf_counter()
        response = client.post(
            f"/api/v1/projects/{project_id}/queue/next/", HTTP_AUTHORIZATION=f"Token {token}"
        )
        latencies.append(time.perf_counter() - began)
        assert response.status_code == expected, response.content
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=300)
    harness.add_smoke_argument(parser)
    args = parser.parse_args()
    url = harness.database_url("annotator_bench_queue", smoke=args.smoke)
    if args.smoke:
        args.documents, args.calls = 300, 30
        harness.throwaway_database(url)
    else:
        harness.fresh_database(url)
    harness.setup_django(url)  # tasks in-process: Next itself sends none
    from django.test import Client

    project_id, tokens = _setup(args.documents, args.calls)
    client = Client()
    reference = []
    for _ in range(500):
        began = time.perf_counter()
        assert client.get("/healthz/").status_code == 200
        reference.append(time.perf_counter() - began)
    latencies = _press_next(client, project_id, tokens)
    in_share, full = _with_panels(project_id, args.calls)
    balanced = _press_next(client, project_id, in_share)
    worst = _press_next(client, project_id, full, expected=204)
    reference_p50 = harness.percentile_ms(reference[50:], 0.5)
    print(f"reference, GET /healthz/ in-process: p50 {reference_p50:.2f} ms")
    for name, measured in (
        ("queue Next", latencies),
        ("queue Next with panel balance", balanced),
        ("  worst case: no started document has room for the panel (204)", worst),
    ):
        print(
            f"{name} at {args.documents:,} started documents, {len(measured)} annotators: "
            f"p50 {harness.percentile_ms(measured, 0.5):.1f} ms, p95 {harness.percentile_ms(measured, 0.95):.1f} ms "
            f"(p50 {harness.percentile_ms(measured, 0.5) / reference_p50:.1f}x the reference)"
        )


if __name__ == "__main__":
    main()

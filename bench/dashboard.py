"""The manager's dashboard on a large project: `--documents` articles, three annotators' layers
on each in every state (assigned, in progress, submitted, skipped, and some sent back by a
reviewer), read as the dashboard reads them, in-process through the test client with a signed-in
manager:

- the documents API's first page with each layer's state (what the dashboard's table loads);
- the same filtered by layer state (returned; in progress) and by annotator;
- a page deep in the list, followed by its keyset cursor (what "More documents" asks for);
- the dashboard page itself (pace per annotator, report freshness, jobs, members), after one
  warm-up call that computes the reports it shows.

Prints p50 / p95 of each and, as a reference measured in the same run, the p50 of GET /healthz/
through the same client, so machines of different speed compare.

    .venv/bin/python bench/dashboard.py [--documents 10000] [--repeat 40] [--smoke]

It drops and recreates the database named by BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/annotator_bench_dashboard; see bench/harness.py); a smoke run
is 300 documents on a throwaway one. Target: p95 under 200 ms at 10,000 documents.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import harness

os.environ.update(DJANGO_ALLOWED_HOSTS="testserver")
ARTICLE = "The council said the tram extension would cost £48 million, a figure critics called fantasy. " * 20
STATES = ("submitted", "submitted", "in_progress", "assigned", "skipped")


def _setup(n_documents: int) -> tuple[int, Any]:
    """The project with its documents, three annotators' layers on each (bulk-written, then
    counted as a bulk load must) and a reviewer's returns on every 50th document."""
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from annotator.imports import text_sha256
    from annotator.layers.services import layers_recount
    from annotator.models import Decision, DecisionAction, Document, Layer, Source
    from annotator.projects.services import membership_set, project_create

    call_command("migrate", verbosity=0)
    manager = User.objects.create_user("manager")
    project = project_create(
        name="Dashboard", slug="dashboard", annotators_per_document=3, created_by=manager
    )
    reviewer = User.objects.create_user("reviewer")
    membership_set(project=project, user=reviewer, role="reviewer")
    annotators = [User.objects.create_user(f"annotator{i}") for i in range(6)]
    for user in annotators:
        membership_set(project=project, user=user, role="annotator")
    sources = [Source.objects.create(name=f"Outlet {i}", slug=f"outlet-{i}") for i in range(8)]
    documents = Document.objects.bulk_create(
        (
            Document(
                project=project,
                source=sources[n % len(sources)],
                title=f"Article {n}",
                text=f"{n}. {ARTICLE}",
                text_sha256=text_sha256(f"{n}. {ARTICLE}"),
            )
            for n in range(n_documents)
        ),
        batch_size=2000,
    )
    now = timezone.now()
    layers = []
    for n, document in enumerate(documents):
        for j in range(3):
            status = STATES[(n + j) % len(STATES)]
            layers.append(
                Layer(
                    document=document,
                    user=annotators[(n + j) % len(annotators)],
                    status=status,
                    submitted_at=now if status == "submitted" else None,
                )
            )
    Layer.objects.bulk_create(layers, batch_size=5000)
    returned = Layer.objects.filter(
        document__project=project, status="in_progress", document_id__in=[d.pk for d in documents[::50]]
    )
    Decision.objects.bulk_create(
        Decision(document_id=layer.document_id, reviewer=reviewer, action=DecisionAction.REOPEN,
                 after={"assignment": layer.pk, "status": "in_progress"}, note="Check the evidence.")
        for layer in returned
    )  # fmt: skip
    layers_recount()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return project.pk, manager


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=40)
    harness.add_smoke_argument(parser)
    args = parser.parse_args()
    url = harness.database_url("annotator_bench_dashboard", smoke=args.smoke)
    if args.smoke:
        args.documents, args.repeat = 300, 5
        harness.throwaway_database(url)
    else:
        harness.fresh_database(url)
    harness.setup_django(url)
    from django.test import Client

    harness.plain_static_files()

    project_id, manager = _setup(args.documents)
    import config.wsgi  # noqa: F401  (the server's start-up: every view loaded, the collector frozen)

    client = Client()
    client.force_login(manager)
    reference = harness.timed_gets(client, "/healthz/", 300)
    documents = f"/api/v1/projects/{project_id}/documents/?page_size=50"
    deep = documents
    for _ in range(min(40, args.documents // 50 - 1)):
        deep = client.get(deep).json()["next"]
    dashboard = f"/projects/{project_id}/work/"
    client.get(dashboard)  # computes the reports the page shows; every later call reads them
    measured = {
        "documents, first page of 50 with layer states": harness.timed_gets(client, documents, args.repeat),
        "  filtered: a layer returned for changes": harness.timed_gets(
            client, f"{documents}&layer_state=returned", args.repeat
        ),
        "  filtered: annotator3's layers in progress": harness.timed_gets(
            client, f"{documents}&annotator=annotator3&layer_state=in_progress", args.repeat
        ),
        "  filtered: one source, a layer submitted": harness.timed_gets(
            client, f"{documents}&source=outlet-5&layer_state=submitted", args.repeat
        ),
        "  page 41, by its keyset cursor": harness.timed_gets(client, deep, args.repeat),
        "dashboard page (pace, freshness, jobs, members)": harness.timed_gets(client, dashboard, args.repeat),
    }
    reference_p50 = harness.percentile_ms(reference[50:], 0.5)
    print(f"reference, GET /healthz/ in-process: p50 {reference_p50:.2f} ms")
    print(f"at {args.documents:,} documents, {3 * args.documents:,} layers, {args.repeat} calls each:")
    for name, latencies in measured.items():
        print(
            f"{name}: p50 {harness.percentile_ms(latencies, 0.5):.1f} ms, p95 {harness.percentile_ms(latencies, 0.95):.1f} ms "
            f"(p50 {harness.percentile_ms(latencies, 0.5) / reference_p50:.0f}x the reference)"
        )


if __name__ == "__main__":
    main()

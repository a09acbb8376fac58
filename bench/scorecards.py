"""Outlet scorecards at scale: `--sources` outlets of `--articles` articles in all, each article
answered by three annotators to four article questions (an ordinal scale, an interval scale,
a choice and a yes/no), with `--resamples` bootstrap resamples per figure.

1. The answers are read from PostgreSQL the way a profile refresh reads them
   (questions.selectors.answers_by_article), then every source's scorecard is computed: its
   figures with intervals, their drift by quarter, and its confidence level.
2. The scorecards are published and a source's public page, the index and the JSON twin are
   read through the test client, first to fill the cache and then warm.

Prints the times and, as references measured in the same run, a fixed pure-Python loop
(harness.cpu_reference_ms) and GET /healthz/ through the same client.

    .venv/bin/python bench/scorecards.py [--sources 200] [--articles 20000] [--resamples 2000] [--smoke]

It drops and recreates the database named by BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/annotator_bench_scorecards; see bench/harness.py); a smoke run
is 10 sources, 500 articles and 200 resamples on a throwaway one. Targets: the scorecards in
under 30 s; a published page under 50 ms at p95 from a warm cache.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import harness

os.environ.update(DJANGO_ALLOWED_HOSTS="testserver")
TEXT = "The council said the tram extension would cost £48 million, a figure critics called fantasy."


def _setup(n_sources: int, n_articles: int) -> int:
    """The project, its questions, and three submitted layers answering them on every article
    (bulk-written)."""
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection

    from annotator.demo.generated import QUESTIONS
    from annotator.imports import text_sha256
    from annotator.models import Answer, Document, Layer, LayerStatus, Source
    from annotator.projects.services import project_create, project_schema_replace
    from annotator.schema import DEFAULT_ATTRIBUTES, DEFAULT_LABELS

    call_command("migrate", verbosity=0)
    project = project_create(name="Scorecards", slug="scorecards", annotators_per_document=3)
    project_schema_replace(
        project=project, labels=DEFAULT_LABELS, attributes=DEFAULT_ATTRIBUTES, questions=QUESTIONS
    )
    questions = {q.key: q for q in project.questions.all()}
    sources = Source.objects.bulk_create(
        Source(name=f"Outlet {i}", slug=f"outlet-{i}") for i in range(n_sources)
    )
    users = [User.objects.create_user(f"rater{i}") for i in range(6)]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    documents = Document.objects.bulk_create(
        (
            Document(
                project=project,
                source=sources[n % n_sources],
                text=f"{n}. {TEXT}",
                text_sha256=text_sha256(f"{n}. {TEXT}"),
                published_at=start + timedelta(days=n * 730 // n_articles),
            )
            for n in range(n_articles)
        ),
        batch_size=5000,
    )
    layers = Layer.objects.bulk_create(
        (
            Layer(
                document=d, user=users[(n + j) % len(users)], status=LayerStatus.SUBMITTED, submitted_at=start
            )
            for n, d in enumerate(documents)
            for j in range(3)
        ),
        batch_size=5000,
    )
    rng = random.Random(7)
    genres = [p["value"] for p in questions["genre"].points]

    def answers(layer: Layer, source: int) -> list[Answer]:
        lean = rng.choice([-3, -2, -1, 0, 1, 2, 3])
        values: dict[str, Any] = {
            "reliability": 1 + (source + rng.randrange(2)) % 5,
            "lean": lean,
            "genre": genres[(source + rng.randrange(2)) % len(genres)],
            "labelled_opinion": rng.random() < 0.3,
        }
        return [Answer(layer=layer, question=questions[key], value=value) for key, value in values.items()]

    Answer.objects.bulk_create(
        (a for n, layer in enumerate(layers) for a in answers(layer, (n // 3) % n_sources)), batch_size=10000
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return project.pk


def _scorecards(project_id: int, n_boot: int) -> tuple[float, float, dict[int, dict[str, Any]]]:
    """Seconds to read the answers and to compute every source's scorecard and confidence."""
    from annotator.models import Question
    from annotator.profiles.maths.figures import Thresholds
    from annotator.profiles.maths.scorecard import QuestionSpec, confidence, scorecard
    from annotator.questions.selectors import answers_by_article

    began = time.perf_counter()
    answers = answers_by_article(project_id=project_id, basis="all")
    read = time.perf_counter() - began
    specs = [
        QuestionSpec(q.key, q.name, q.kind, tuple(p["value"] for p in q.points))
        for q in Question.objects.filter(project_id=project_id).order_by("order")
    ]
    thresholds = Thresholds()
    began = time.perf_counter()
    cards = {}
    for source_id, by_question in answers.items():
        card = scorecard(specs, by_question, thresholds, n_boot=n_boot, seed=1)
        n = len(next(iter(by_question.values())))
        level = confidence(
            n_articles=n, n_annotators=3, double_share=1.0, alpha=0.7, reliability=None, sourced_rate=None,
            thresholds=thresholds,
        )  # fmt: skip
        cards[source_id] = {"questions": card, "confidence": {**level, "rule": ""}, "n": n}
    return read, time.perf_counter() - began, cards


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=200)
    harness.add_smoke_argument(parser)
    args = parser.parse_args()
    url = harness.database_url("annotator_bench_scorecards", smoke=args.smoke)
    if args.smoke:
        args.sources, args.articles, args.resamples, args.repeat = 10, 500, 200, 20
        harness.throwaway_database(url)
    else:
        harness.fresh_database(url)
    harness.setup_django(url)
    from django.test import Client
    from django.utils import timezone

    from annotator.models import ProfileCorpus, SourceProfile
    from annotator.publishing.services import scorecards_publish

    harness.plain_static_files()
    reference = harness.cpu_reference_ms()
    project_id = _setup(args.sources, args.articles)
    read, computed, cards = _scorecards(project_id, args.resamples)
    print(f"reference: pure-Python loop {reference:.0f} ms")
    print(
        f"scorecards of {args.sources} sources, {args.articles:,} articles, {args.resamples} resamples: "
        f"answers read in {read:.1f} s, scorecards computed in {computed:.1f} s, total {read + computed:.1f} s"
    )

    # The stored profiles the public pages read, with these scorecards in them.
    now = timezone.now()
    SourceProfile.objects.bulk_create(
        SourceProfile(
            project_id=project_id, source_id=source_id, basis="all", n_articles=card["n"], computed_at=now,
            metrics={"basis": "all", "coverage": {"articles": card["n"]}, "metrics": {},
                     "scorecard": {"questions": card["questions"], "confidence": card["confidence"]}},
        )
        for source_id, card in cards.items()
    )  # fmt: skip
    ProfileCorpus.objects.create(project_id=project_id, basis="all", metrics={}, computed_at=now)
    from annotator.models import Project

    scorecards_publish(project=Project.objects.get(pk=project_id), basis="all", user=None)
    import config.wsgi  # noqa: F401  (the server's start-up: every view loaded, the collector frozen)

    client = Client()
    healthz = harness.timed_gets(client, "/healthz/", 300)
    print(f"reference: GET /healthz/ in-process p50 {harness.percentile_ms(healthz[50:], 0.5):.2f} ms")
    for name, path in (
        ("a source's page", "/scorecards/scorecards/outlet-7/"),
        ("its JSON twin", "/scorecards/scorecards/outlet-7.json"),
        (f"the index of {args.sources} sources", "/scorecards/scorecards/"),
    ):
        cold = harness.timed_gets(client, path, 1)[0] * 1000
        warm = harness.timed_gets(client, path, args.repeat)
        print(
            f"{name}: first {cold:.1f} ms; warm p50 {harness.percentile_ms(warm, 0.5):.2f} ms, "
            f"p95 {harness.percentile_ms(warm, 0.95):.2f} ms"
        )


if __name__ == "__main__":
    main()

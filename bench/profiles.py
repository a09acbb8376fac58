"""Per-source profiles, end to end (not a test). Run:

    .venv/bin/python bench/profiles.py [--basis all] [--basis consensus] [--sources 200] [--articles 20000]
    .venv/bin/python bench/profiles.py --smoke    # 5 sources x 100 articles, every basis, B = 20

1. Data: 200 sources x 100 articles (20,000 articles of about 550 words in 25 to 35 sentences)
   x 3 submitted annotation layers. Each article has a hidden truth of 12 sentence spans
   (CLAIM, OPINION, DISCLAIMER) whose attributes follow its source's own leanings (evidence
   mix, voice, hedging, 8 stance targets of 40); each layer copies it with boundaries jittered,
   10 % of the spans dropped and 10 % relabelled. Written with COPY into the database named by
   BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/annotator_bench_profiles; see
   bench/harness.py), which is dropped, recreated and migrated first.
2. From the database, in a child process (its peak RSS is its own): the selector alone
   (annotator.profiles.selectors.profile_counts_get), the maths alone on the arrays it read
   (annotator.profiles.maths.profiles), and the whole service (project_profiles_refresh: read,
   2,000 bootstrap resamples per source and for the pooled corpus, store), per basis.
3. From arrays: bench/profiles_maths.py, the same maths on synthetic arrays of the same size.

Target: under 30 s for all profiles of the project from the database. One BLAS thread (set
below, as config/celery.py sets it for workers): the bootstrap's matrix products are small.
"""

from __future__ import annotations

import os

# Before numpy is imported (by profiles_maths or Django's import of the app), as config/celery.py.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import hashlib
import json
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from import_docs import _vocabulary  # noqa: E402

DATABASE_NAME = "annotator_bench_profiles"
PROJECT_SLUG = "bench-profiles"
N_LAYERS = 3
N_TRUTH = 12
N_TARGETS, TARGETS_PER_SOURCE = 40, 8
N_BOOT = 2000
TARGET_SECONDS = 30.0
EVIDENCE = ("NAMED_SOURCE", "ANONYMOUS_SOURCE", "LINK_DOCUMENT", "DATA", "QUOTE", "NONE")


def _peak_kb() -> int:
    """This process's peak RSS (VmHWM; ru_maxrss would survive exec from a bigger parent)."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


# DATA
# ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Leaning:
    """A source's habits: its evidence mix, how often it opines, hedges and quotes, its stance
    targets and how it leans on each (-1 against .. 1 favour)."""

    evidence: list[float]
    opinion: float
    hedged: float
    quoted: float
    targets: list[str]
    lean: dict[str, float]


def _leaning(rng: random.Random, targets: list[str]) -> Leaning:
    return Leaning(
        evidence=[rng.uniform(0.2, 1.0) for _ in EVIDENCE],
        opinion=rng.uniform(0.15, 0.5),
        hedged=rng.uniform(0.05, 0.4),
        quoted=rng.uniform(0.1, 0.5),
        targets=rng.sample(targets, TARGETS_PER_SOURCE),
        lean={t: rng.uniform(-0.6, 0.6) for t in targets},
    )


def _attributes(rng: random.Random, label: str, lean: Leaning) -> dict[str, object]:
    if label == "DISCLAIMER":
        return {}
    voice = "AUTHOR" if rng.random() > lean.quoted else rng.choice(["QUOTED", "PARAPHRASED"])
    attributes: dict[str, object] = {"voice": voice, "hedged": rng.random() < lean.hedged}
    if label == "CLAIM":
        attributes["evidence"] = rng.choices(EVIDENCE, weights=lean.evidence)[0]
        attributes["check_worthy"] = rng.random() < 0.3
    if rng.random() < 0.5:
        target = rng.choice(lean.targets)
        p = lean.lean[target]
        value = rng.choices(["FAVOR", "AGAINST", "NEUTRAL"], weights=[1 + p, 1 - p, 1])[0]
        attributes["stance"] = [{"target": target, "stance": value}]
    return attributes


def generate(n_sources: int, n_articles: int, seed: int = 5) -> int:
    """Write the bench project with COPY; returns its id."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from annotator.models import Label, Source
    from annotator.projects.services import project_create

    rng = random.Random(seed)
    vocabulary = _vocabulary(rng)
    targets = [f"Target {i:02d}" for i in range(N_TARGETS)]
    users = [get_user_model().objects.create(username=f"bench-annotator-{i}") for i in range(N_LAYERS)]
    Source.objects.bulk_create(
        [Source(name=f"Bench Outlet {i:03d}", slug=f"bench-outlet-{i:03d}") for i in range(n_sources)]
    )
    sources = list(Source.objects.order_by("slug").values_list("pk", flat=True))
    project = project_create(name="Profiles bench", slug=PROJECT_SLUG, targets=targets)
    labels = dict(Label.objects.filter(project=project).values_list("key", "pk"))
    leanings = [_leaning(rng, targets) for _ in sources]
    now = datetime.now(UTC)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    document_id = layer_id = span_id = 0
    raw = connection.connection  # psycopg's own connection: COPY
    with raw.cursor() as cursor:
        layers_rows: list[tuple[object, ...]] = []
        spans_rows: list[tuple[object, ...]] = []
        with cursor.copy(
            "COPY annotator_document (id, project_id, source_id, external_id, title, url, author, published_at,"
            " text, text_sha256, metadata, created_at, n_layers, layer_added_at, layers_version, calibration)"
            " FROM STDIN"
        ) as docs:
            for index in range(n_articles):
                s = index % len(sources)
                lean = leanings[s]
                sentences = []
                for _ in range(rng.randint(25, 35)):
                    words = rng.choices(vocabulary, k=rng.randint(12, 25))
                    sentences.append(" ".join(words).capitalize() + ".")
                bounds, at = [], 0
                for sentence in sentences:
                    bounds.append((at, at + len(sentence)))
                    at += len(sentence) + 1
                text = f"Article {index} " + " ".join(sentences)
                offset = len(f"Article {index} ")
                document_id += 1
                published = start + timedelta(seconds=rng.randrange(365 * 86400))
                docs.write_row(
                    (
                        document_id, project.pk, sources[s], f"bench-{index}", f"Bench article {index}", "",
                        "", published, text, hashlib.sha256(text.encode()).hexdigest(), "{}", now,
                        len(users), now, 0, False,
                    )
                )  # fmt: skip
                truth = []
                for k in rng.sample(range(len(sentences)), N_TRUTH):
                    r = rng.random()
                    label = "DISCLAIMER" if r < 0.04 else "OPINION" if r < 0.04 + lean.opinion else "CLAIM"
                    truth.append((bounds[k], label, _attributes(rng, label, lean)))
                for user in users:
                    layer_id += 1
                    layers_rows.append(
                        (
                            layer_id,
                            document_id,
                            user.pk,
                            "annotation",
                            "submitted",
                            "",
                            now,
                            now,
                            now,
                            False,
                            False,
                            False,
                        )
                    )
                    for (a, b), label, attributes in truth:
                        if rng.random() < 0.10:
                            continue  # this annotator missed it
                        if rng.random() < 0.10:
                            label = rng.choice(["CLAIM", "OPINION"])
                        a2 = max(0, a + rng.randint(-3, 3)) + offset
                        b2 = max(a2 + 1, b + rng.randint(-3, 3) + offset)
                        span_id += 1
                        spans_rows.append(
                            (span_id, layer_id, labels[label], a2, b2, text[a2:b2], json.dumps(attributes),
                             _uuid(rng), 1, now, now)
                        )  # fmt: skip
        with cursor.copy(
            "COPY annotator_assignment (id, document_id, user_id, kind, status, skip_reason, created_at,"
            " updated_at, submitted_at, needs_review, outside_panel, suggestions_shown) FROM STDIN"
        ) as copy:
            for row in layers_rows:
                copy.write_row(row)
        with cursor.copy(
            'COPY annotator_span (id, assignment_id, label_id, start, "end", text, attributes, client_uuid,'
            " version, created_at, updated_at) FROM STDIN"
        ) as copy:
            for row in spans_rows:
                copy.write_row(row)
        for table in ("annotator_document", "annotator_assignment", "annotator_span"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
            )
        cursor.execute("ANALYZE")
    print(
        f"  generated {n_articles:,} articles of {len(sources)} sources, {layer_id:,} layers, "
        f"{span_id:,} spans",
        flush=True,
    )
    return project.pk


def _uuid(rng: random.Random) -> str:
    import uuid

    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


# MEASURE
# ------------------------------------------------------------------------------


def child(project_id: int, basis: str, n_boot: int) -> None:
    """In its own process: the selector, the maths on its arrays, the whole service."""
    harness.setup_django()
    from annotator.models import SourceProfile
    from annotator.profiles.maths import profiles
    from annotator.profiles.selectors import profile_counts_get
    from annotator.profiles.services import project_profiles_refresh

    t0, c0 = time.perf_counter(), time.process_time()
    counts = profile_counts_get(project_id=project_id, basis=basis)
    t1, c1 = time.perf_counter(), time.process_time()
    profiles(
        {str(k): v for k, v in counts.sources.items()},
        {str(k): v for k, v in counts.annotators.items()},
        corpus_annotators=counts.corpus_annotators,
        n_boot=n_boot,
        min_articles=15,
        ok_articles=30,
    )
    t2, c2 = time.perf_counter(), time.process_time()
    del counts
    refresh = project_profiles_refresh(project_id=project_id, basis=basis, n_boot=n_boot)
    t3, c3 = time.perf_counter(), time.process_time()
    stored = SourceProfile.objects.filter(project_id=project_id, basis=basis).count()
    print(
        json.dumps(
            {
                "basis": basis,
                "read": t1 - t0,
                "maths": t2 - t1,
                "service": t3 - t2,
                "read_cpu": c1 - c0,
                "maths_cpu": c2 - c1,
                "service_cpu": c3 - c2,
                "sources": stored,
                "articles": refresh.n_articles,
                "peak_mb": _peak_kb() / 1024,
            }
        ),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--basis", action="append", choices=["all", "consensus", "gold"])
    parser.add_argument("--boot", type=int, default=N_BOOT, help="bootstrap resamples per profile")
    parser.add_argument("--child", nargs=2, metavar=("PROJECT_ID", "BASIS"), help=argparse.SUPPRESS)
    harness.add_smoke_argument(parser)
    options = parser.parse_args()
    if options.child:
        child(int(options.child[0]), options.child[1], options.boot)
        return
    url = harness.database_url(DATABASE_NAME, smoke=options.smoke)
    os.environ["DATABASE_URL"] = url  # for this process and the children
    if options.smoke:
        options.sources, options.articles = 5, 100
        options.basis = ["all", "consensus", "gold"]
        options.boot = 20
        harness.throwaway_database(url)
    else:
        harness.fresh_database(url)
    print(f"Database {url} (dropped and recreated); load average {os.getloadavg()[0]:.1f}")
    harness.setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    t = time.perf_counter()
    project_id = generate(options.sources, options.articles)
    print(f"  data written in {time.perf_counter() - t:.1f} s (not part of the figures)")

    print(
        f"\nFrom the database: {options.sources} sources, {options.articles:,} articles, {N_LAYERS} layers, "
        f"B = {options.boot:,} (OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']})"
    )
    for basis in options.basis or ["all"]:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(project_id), basis, "--boot", str(options.boot)],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        verdict = "under" if r["service"] < TARGET_SECONDS else "OVER"
        print(f"  basis {basis}:")
        print(
            f"    selector (read + count)  : {r['read']:6.2f} s wall, {r['read_cpu']:6.2f} s CPU "
            f"({r['articles']:,} articles)"
        )
        print(
            f"    maths on those arrays    : {r['maths']:6.2f} s wall, {r['maths_cpu']:6.2f} s CPU "
            f"({r['sources']} sources + corpus)"
        )
        print(
            f"    service, all profiles    : {r['service']:6.2f} s wall, {r['service_cpu']:6.2f} s CPU "
            f"(read, maths, store; {verdict} the {TARGET_SECONDS:.0f} s target)"
        )
        print(f"    peak RSS of the process  : {r['peak_mb']:6.0f} MB")

    print(f"\nFrom arrays (bench/profiles_maths.py); load average {os.getloadavg()[0]:.1f}:")
    import profiles_maths

    profiles_maths.run(
        n_sources=options.sources, n_articles=options.articles // options.sources, n_boot=options.boot
    )


if __name__ == "__main__":
    main()

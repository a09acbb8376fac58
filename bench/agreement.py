"""Agreement, end to end (not a test). Run:

    .venv/bin/python bench/agreement.py [--documents 10000] [--skip-kernels] [--regenerate] [--smoke]

1. The kernels (bench/agreement_kernels.py): our alpha against `krippendorff.alpha` on 3 coders x
   1,000,000 units, and unitizing alpha_U on 3 annotators x 10,000 spans.
2. A full project recompute from PostgreSQL: 10,000 articles of about 3,000 characters
   (bench/import_docs.py's generator) x 3 submitted layers x 30 spans, with attributes. Each
   layer copies a hidden truth of 30 spans with boundaries jittered by up to 5 characters, 15 %
   relabelled and 10 % replaced by a spurious span. Written with bulk_create once and kept
   (`--regenerate` writes them again). The recompute (`project_agreement_recompute`: every
   document's statistics, then the project and source reports with 1,000 bootstrap
   replicates) runs in a child process, whose peak RSS is its own; the child also times the
   project refresh alone (what each coalesced refresh costs) and one document's refresh
   (median of 20).
3. Agreement by panel: the same project refresh with the three layers of each document in three
   panels (left, centre, right), so the report splits every pair by panel; its extra time is
   quoted against the full recompute.

The database (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/annotator_bench; see
bench/harness.py) is created if missing and migrated. A smoke run measures 30 documents, and the
kernels at their smoke size, on a throwaway database. Targets: recompute under 60 s, one document's refresh under 100 ms, the panel split
adding under 20 % to a full recompute.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import agreement_kernels
import harness
from import_docs import _article, _current_rss_kb, _vocabulary

DATABASE_NAME = "annotator_bench"
PROJECT_SLUG = "bench-agreement"
N_DOCUMENTS = 10_000
N_LAYERS = 3
N_SPANS = 30
TARGETS = ("Harbour City Council", "Tramline Extension")
TARGET_SECONDS = 60.0
PROCESSES = os.cpu_count() or 1
TARGET_DOCUMENT_MS = 100.0
TARGET_PANEL_PERCENT = 20.0


def _layer_spans(
    rng: random.Random, truth: list[tuple[int, int, str]], length: int
) -> list[tuple[int, int, str]]:
    labels = ("CLAIM", "OPINION", "DISCLAIMER")
    spans = []
    for start, end, label in truth:
        if rng.random() < 0.10:  # replaced by a spurious span somewhere else
            start = rng.randrange(0, length - 60)
            end = start + rng.randint(15, 60)
            label = rng.choice(labels)
        else:
            start = max(0, start + rng.randint(-5, 5))
            end = min(length, max(start + 1, end + rng.randint(-5, 5)))
            if rng.random() < 0.15:
                label = rng.choice(labels)
        if (start, end, label) not in spans:  # a layer holds a label at given offsets once
            spans.append((start, end, label))
    return spans


def _attributes(rng: random.Random, label: str) -> dict[str, object]:
    if label == "DISCLAIMER":
        return {}
    values: dict[str, object] = {
        "evidence": rng.choice(["NAMED_SOURCE", "ANONYMOUS_SOURCE", "DATA", "QUOTE", "NONE"]),
        "hedged": rng.random() < 0.3,
        "stance": [{"target": rng.choice(TARGETS), "stance": rng.choice(["FAVOR", "AGAINST", "NEUTRAL"])}],
    }
    if label == "CLAIM":
        values["check_worthy"] = rng.random() < 0.6
    return values


def generate(n_documents: int, seed: int = 11) -> int:
    """Write the bench project; returns its id."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from annotator.models import Document, Label, Layer, LayerStatus, Project, Source, Span
    from annotator.projects.services import project_create

    Project.objects.filter(slug=PROJECT_SLUG).delete()
    rng = random.Random(seed)
    vocabulary = _vocabulary(rng)
    users = [
        get_user_model().objects.get_or_create(username=f"bench-annotator-{i}")[0] for i in range(N_LAYERS)
    ]
    sources = [
        Source.objects.get_or_create(slug=f"bench-outlet-{i}", defaults={"name": f"Bench Outlet {i}"})[0]
        for i in range(20)
    ]
    project = project_create(name="Agreement bench", slug=PROJECT_SLUG, allow_overlap=True, targets=TARGETS)
    labels = {label.key: label.pk for label in Label.objects.filter(project=project)}
    now = timezone.now()
    batch = 500
    for first in range(0, n_documents, batch):
        with transaction.atomic():
            documents = []
            for index in range(first, min(first + batch, n_documents)):
                text = str(_article(rng, vocabulary, index)["text"])
                documents.append(
                    Document(
                        project=project,
                        source=sources[index % len(sources)],
                        title=f"Bench article {index}",
                        text=text,
                        text_sha256=hashlib.sha256(text.encode()).hexdigest(),
                    )
                )
            Document.objects.bulk_create(documents)
            layers = [
                Layer(document=d, user=u, status=LayerStatus.SUBMITTED, submitted_at=now)
                for d in documents
                for u in users
            ]
            Layer.objects.bulk_create(layers)
            spans = []
            for d_index, document in enumerate(documents):
                length = len(document.text)
                slot = length // N_SPANS
                truth = []
                for k in range(N_SPANS):
                    start = k * slot + rng.randint(0, slot // 3)
                    end = min(length, start + rng.randint(slot // 4, slot - slot // 3))
                    truth.append((start, end, rng.choice(("CLAIM", "CLAIM", "OPINION", "DISCLAIMER"))))
                for layer in layers[d_index * N_LAYERS : (d_index + 1) * N_LAYERS]:
                    for start, end, label in _layer_spans(rng, truth, length):
                        spans.append(
                            Span(
                                layer=layer,
                                label_id=labels[label],
                                start=start,
                                end=end,
                                text=document.text[start:end],
                                attributes=_attributes(rng, label),
                            )
                        )
            Span.objects.bulk_create(spans, batch_size=5000)
        print(f"  generated {min(first + batch, n_documents):,} documents", file=sys.stderr, flush=True)
    return project.pk


def _peak_kb() -> int:
    """This process's peak RSS. Not ru_maxrss: that survives exec, so a child started by a big
    parent would report the parent's peak."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def _refresh_with_panels(project_id: int) -> float:
    """The project refresh once every layer is in a panel (one annotator per panel), timed; the
    panels are removed again afterwards, so the data stays as generated."""
    from django.db import transaction

    from annotator.agreement.services import project_agreement_refresh
    from annotator.models import Layer, Panel

    with transaction.atomic():
        users = sorted(
            set(Layer.objects.filter(document__project_id=project_id).values_list("user_id", flat=True))
        )
        panels = [
            Panel.objects.create(project_id=project_id, key=key, name=key, order=order)
            for order, key in enumerate(("left", "centre", "right"))
        ]
        for user_id, panel in zip(users, panels, strict=False):
            Layer.objects.filter(document__project_id=project_id, user_id=user_id).update(panel=panel)
    try:
        started = time.perf_counter()
        report = project_agreement_refresh(project_id=project_id)
        seconds = time.perf_counter() - started
        assert len(report.metrics["panels"]["cells"]) == 3, report.metrics["panels"]["cells"]
    finally:
        with transaction.atomic():
            Layer.objects.filter(document__project_id=project_id).update(panel=None)
            Panel.objects.filter(project_id=project_id).delete()
    return seconds


def child(project_id: int) -> None:
    """Runs in its own process: the recompute, a project refresh, one document's refresh."""
    harness.setup_django()
    from annotator.agreement.services import (
        document_agreement_refresh,
        project_agreement_recompute,
        project_agreement_refresh,
    )
    from annotator.models import Document

    before = _current_rss_kb()
    started = time.perf_counter()
    report = project_agreement_recompute(project_id=project_id, processes=PROCESSES)
    seconds = time.perf_counter() - started
    peak = _peak_kb()
    pool_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest pool process

    started = time.perf_counter()
    project_agreement_refresh(project_id=project_id)
    refresh_seconds = time.perf_counter() - started
    panel_seconds = _refresh_with_panels(project_id)

    ids = list(Document.objects.filter(project_id=project_id).values_list("pk", flat=True))
    sample = random.Random(3).sample(ids, 20)
    document_agreement_refresh(document_id=sample[0])  # warm: imports, connection
    times = []
    for document_id in sample:
        started = time.perf_counter()
        document_agreement_refresh(document_id=document_id)
        times.append(time.perf_counter() - started)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "rss_before_kb": before,
                "rss_peak_kb": peak,
                "pool_rss_peak_kb": pool_peak,
                "refresh_seconds": refresh_seconds,
                "panel_refresh_seconds": panel_seconds,
                "document_ms": statistics.median(times) * 1000,
                "n_documents": report.metrics["n_documents"],
                "n_layers": report.metrics["n_layers"],
                "alpha": report.metrics["overall"]["alpha"],
                "alpha_u": report.metrics["overall"]["alpha_u"]["value"],
                "f1_overlap": report.metrics["overall"]["f1_overlap"]["value"],
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--documents", type=int, default=N_DOCUMENTS)
    parser.add_argument("--regenerate", action="store_true", help="Write the bench project again.")
    parser.add_argument("--skip-kernels", action="store_true")
    parser.add_argument("--child", type=int, metavar="PROJECT_ID", help=argparse.SUPPRESS)
    harness.add_smoke_argument(parser)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return

    if not args.skip_kernels:
        agreement_kernels.run(**(agreement_kernels.SMOKE if args.smoke else {}))

    url = harness.database_url(DATABASE_NAME, smoke=args.smoke)
    if args.smoke:
        args.documents = 30
        harness.throwaway_database(url)
    else:
        harness.ensure_database(url)
    harness.setup_django(url)
    from django.core.management import call_command
    from django.db.models import Count

    from annotator.models import Project, Span

    call_command("migrate", verbosity=0)
    print(f"project recompute, database {os.environ['DATABASE_URL']}")
    project = Project.objects.filter(slug=PROJECT_SLUG).annotate(n=Count("documents")).first()
    if args.regenerate or project is None or project.n != args.documents:
        started = time.perf_counter()
        project_id = generate(args.documents)
        print(f"  data written in {time.perf_counter() - started:.0f} s (bulk_create)")
    else:
        project_id = project.pk
        print("  data from an earlier run (--regenerate writes it again)")
    n_spans = Span.objects.filter(layer__document__project_id=project_id).count()
    print(f"  {args.documents:,} documents x {N_LAYERS} layers, {n_spans:,} spans")

    output = subprocess.run(
        [sys.executable, __file__, "--child", str(project_id)], check=True, capture_output=True, text=True
    ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    growth = (result["rss_peak_kb"] - result["rss_before_kb"]) / 1024
    verdict = "ok" if result["seconds"] < TARGET_SECONDS else "MISSED"
    print(
        f"  full recompute in {PROCESSES} processes: {result['seconds']:.1f} s (target < {TARGET_SECONDS:.0f} s: {verdict})"
    )
    print(
        f"  peak RSS: main process {result['rss_peak_kb'] / 1024:.0f} MB (+{growth:.0f} MB over the "
        f"{result['rss_before_kb'] / 1024:.0f} MB before), largest pool process {result['pool_rss_peak_kb'] / 1024:.0f} MB"
    )
    print(
        f"  project refresh from stored statistics (each coalesced refresh): {result['refresh_seconds']:.1f} s"
    )
    added = result["panel_refresh_seconds"] - result["refresh_seconds"]
    share = added / result["seconds"] * 100
    verdict = "ok" if share < TARGET_PANEL_PERCENT else "MISSED"
    print(
        f"  the same refresh split by panel (three panels): {result['panel_refresh_seconds']:.1f} s, "
        f"{added:+.1f} s = {share:+.1f} % of the full recompute (target < {TARGET_PANEL_PERCENT:.0f} %: {verdict})"
    )
    verdict = "ok" if result["document_ms"] < TARGET_DOCUMENT_MS else "MISSED"
    print(
        f"  one document's refresh: median of 20 {result['document_ms']:.1f} ms (target < {TARGET_DOCUMENT_MS:.0f} ms: {verdict})"
    )
    alpha = result["alpha"]
    print(
        f"  report: {result['n_documents']:,} documents, {result['n_layers']:,} layers, alpha {alpha['value']:.4f} "
        f"(95 % CI {alpha['ci95'][0]:.4f}-{alpha['ci95'][1]:.4f}), alpha_U {result['alpha_u']:.4f}, "
        f"overlap F1 {result['f1_overlap']:.4f}"
    )


if __name__ == "__main__":
    main()

"""Benchmark: annotations_import of other tools' exports.

    .venv/bin/python bench/import_annotations.py [--sizes 1000 10000] [--formats label-studio doccano webanno-tsv spacy-docbin] [--smoke]

Generates N articles of about 3,000 characters (bench/import_docs.py's), each annotated by 3
annotators with 20 spans apiece (CLAIM spans with an evidence choice), offsets in UTF-16 as the
tools count. Label Studio's export is one JSON array; doccano's a zip of one JSONL file per
annotator; WebAnno TSV a zip of one file per article and annotator, and spaCy's DocBins a zip
of files of 200 articles' layers each, as the project's own exports write them. Imports each into a fresh project (as submitted layers,
except doccano's, which carries no attributes and so arrives in progress) and prints documents
and spans per second. Each import is a
process of its own, and its peak RSS is read from /proc/self/status (VmHWM), which starts
afresh with the process: ru_maxrss would carry the parent's peak over the exec. "growth" is the
peak minus the RSS just before the import. Memory is flat in N when growth does not grow with N.
The database (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/annotator_bench_annotations)
is made fresh and migrated; a smoke run imports 100 articles into a throwaway one.
Target: 10,000 articles with 3 layers of 20 spans in under 60 s, memory flat.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

import harness
from import_docs import _article, _current_rss_kb, _vocabulary

DATABASE_NAME = "annotator_bench_annotations"
ANNOTATORS = ("anna", "ben", "carl")
SPANS_PER_LAYER = 20
LABELS = ("CLAIM", "OPINION", "DISCLAIMER")
EVIDENCE = ("NAMED_SOURCE", "ANONYMOUS_SOURCE", "DATA")


def _words(text: str) -> list[tuple[int, int]]:
    """(start, end) in code points of each space-separated word."""
    words, start = [], 0
    for piece in text.split(" "):
        if piece:
            words.append((start, start + len(piece)))
        start += len(piece) + 1
    return words


def _layers(rng: random.Random, text: str) -> dict[str, list[tuple[int, int, str, str | None]]]:
    """Per annotator, SPANS_PER_LAYER spans that do not overlap, in UTF-16 offsets."""
    words = _words(text)
    units = [0]
    for char in text:
        units.append(units[-1] + (2 if ord(char) > 0xFFFF else 1))
    stride = len(words) // SPANS_PER_LAYER
    layers = {}
    for who in ANNOTATORS:
        spans = []
        for n in range(SPANS_PER_LAYER):
            first = n * stride + rng.randrange(max(stride - 3, 1))
            start, end = words[first][0], words[first + rng.randrange(1, 3)][1]
            label = rng.choice(LABELS)
            spans.append(
                (units[start], units[end], label, rng.choice(EVIDENCE) if label == "CLAIM" else None)
            )
        layers[who] = spans
    return layers


def generate(directory: Path, n: int, formats: list[str], seed: int = 11) -> dict[str, Path]:
    """The same N annotated articles as a Label Studio export, a doccano zip, and (when asked)
    WebAnno TSV and spaCy DocBin zips."""
    from annotator.offsets import Utf16Offsets
    from annotator.webanno_tsv import DocumentTsv, TsvSpan

    rng = random.Random(seed)
    vocabulary = _vocabulary(rng)
    studio_path, doccano_path = directory / f"tasks-{n}.json", directory / f"doccano-{n}.zip"
    per_annotator = {who: (directory / f"{who}.jsonl").open("w", encoding="utf-8") for who in ANNOTATORS}
    per_file = {
        name: zipfile.ZipFile(directory / f"{name}-{n}.zip", "w", zipfile.ZIP_DEFLATED)
        for name in ("webanno-tsv", "spacy-docbin")
        if name in formats
    }
    docs = None
    if "spacy-docbin" in per_file:
        from annotator.spacy_docs import SpacyDocs

        docs = SpacyDocs()
    with studio_path.open("w", encoding="utf-8") as studio:
        studio.write("[")
        for index in range(n):
            article = _article(rng, vocabulary, index)
            text = str(article["text"])
            layers = _layers(rng, text)
            annotations = []
            for who, spans in layers.items():
                results = []
                for number, (start, end, label, evidence) in enumerate(spans):
                    place = {"start": start, "end": end}
                    results.append({"id": f"r{number}", "type": "labels", "from_name": "label", "to_name": "text",
                                    "value": {**place, "labels": [label]}})  # fmt: skip
                    if evidence:
                        results.append({"id": f"r{number}", "type": "choices", "from_name": "evidence",
                                        "to_name": "text", "value": {**place, "choices": [evidence]}})  # fmt: skip
                annotations.append({"completed_by": {"username": who}, "result": results})
                line = {"id": index, "text": text, "label": [[s, e, label] for s, e, label, _ in spans]}
                per_annotator[who].write(json.dumps(line, ensure_ascii=False) + "\n")
            if per_file:
                offsets = Utf16Offsets(text)
                in_code_points = {
                    who: [
                        TsvSpan(offsets.code_point(s), offsets.code_point(e), label,  # type: ignore[arg-type]
                                {"evidence": evidence} if evidence else {})
                        for s, e, label, evidence in spans
                    ]
                    for who, spans in layers.items()
                }  # fmt: skip
                if "webanno-tsv" in per_file:
                    tsv = DocumentTsv(text, list(in_code_points.values()), ["evidence"])
                    for who, spans_cp in in_code_points.items():
                        per_file["webanno-tsv"].writestr(f"article {index}/{who}.tsv", tsv.file(spans_cp))
                if docs is not None:
                    for who, spans_cp in in_code_points.items():
                        docs.add(text, spans_cp, {"title": article["title"]}, annotator=who)
                    if docs.count >= 3 * 200:
                        per_file["spacy-docbin"].writestr(f"part-{index:06d}.spacy", docs.take())
            task = {
                "id": index,
                "data": {"text": text, "title": article["title"]},
                "annotations": annotations,
            }
            studio.write(("," if index else "") + json.dumps(task, ensure_ascii=False) + "\n")
        studio.write("]")
    with zipfile.ZipFile(doccano_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for who, lines in per_annotator.items():
            lines.close()
            archive.write(lines.name, f"{who}.jsonl")
            Path(lines.name).unlink()
    if docs is not None and docs.count:
        per_file["spacy-docbin"].writestr("part-last.spacy", docs.take())
    for archive in per_file.values():
        archive.close()
    return {
        "label-studio": studio_path,
        "doccano": doccano_path,
        **{name: directory / f"{name}-{n}.zip" for name in per_file},
    }


# Refreshes the import asks for wait here, untaken: the figures are the import's own.
BROKER = "redis://127.0.0.1:6379/12"


def _peak_rss_kb() -> int:
    """This process's peak resident set size (VmHWM), in kilobytes."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def child(path: Path, n: int, format: str) -> None:
    harness.setup_django(broker=BROKER)
    from django.contrib.auth import get_user_model

    from annotator.imports.annotations.services import AnnotationImportOptions, annotations_import
    from annotator.imports.services import ImportFile
    from annotator.models import Role, Source
    from annotator.projects.services import membership_set, project_create

    source, _ = Source.objects.get_or_create(slug="bench-daily", defaults={"name": "Bench Daily"})
    project = project_create(name=f"Bench {n}", slug=f"bench-{uuid.uuid4().hex[:12]}")
    for who in ANNOTATORS:
        user, _ = get_user_model().objects.get_or_create(username=f"bench-{who}")
        membership_set(project=project, user=user, role=Role.ANNOTATOR)
    # doccano carries no attributes: its layers arrive in progress, as CLAIM requires evidence.
    status = "in_progress" if format == "doccano" else "submitted"
    before = _current_rss_kb()
    started = time.perf_counter()
    summary = annotations_import(
        project=project,
        file=ImportFile.from_path(path),
        options=AnnotationImportOptions(
            format=format, annotators={who: f"bench-{who}" for who in ANNOTATORS}, status=status
        ),
        default_source=source,
    )
    seconds = time.perf_counter() - started
    peak = _peak_rss_kb()
    import redis

    for database in (12, 13):  # the queued refreshes, and the cache's refresh slots
        redis.Redis.from_url(f"redis://127.0.0.1:6379/{database}").flushdb()
    if summary.errors or summary.documents_created != n:
        raise SystemExit(f"import went wrong: {summary.errors[:5]}, {summary.documents_created} documents")
    result = {"seconds": seconds, "spans": summary.spans, "rss_before_kb": before, "rss_peak_kb": peak}
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument(
        "--formats", nargs="+", default=["label-studio", "doccano", "webanno-tsv", "spacy-docbin"]
    )
    parser.add_argument("--child", nargs=3, metavar=("FILE", "N", "FORMAT"), help=argparse.SUPPRESS)
    harness.add_smoke_argument(parser)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), int(args.child[1]), args.child[2])
        return
    url = harness.database_url(DATABASE_NAME, smoke=args.smoke)
    if args.smoke:
        args.sizes = [100]
        harness.throwaway_database(url)
    else:
        harness.fresh_database(url)  # each run's projects stay until the next run
    harness.setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(f"{len(ANNOTATORS)} layers of {SPANS_PER_LAYER} spans per article")
    print(
        f"{'format':>13} {'N':>7} {'MB':>6} {'seconds':>8} {'docs/s':>7} {'spans/s':>8} {'peak RSS':>9} {'growth':>8}"
    )
    with tempfile.TemporaryDirectory() as directory:
        for n in args.sizes:
            files = generate(Path(directory), n, args.formats)
            for format in args.formats:
                path = files[format]
                done = subprocess.run(
                    [sys.executable, __file__, "--child", str(path), str(n), format],
                    capture_output=True,
                    text=True,
                )
                if done.returncode:
                    raise SystemExit(f"the {format} import of {n} articles failed:\n{done.stderr[-3000:]}")
                result = json.loads(done.stdout.strip().splitlines()[-1])
                growth = (result["rss_peak_kb"] - result["rss_before_kb"]) / 1024
                print(
                    f"{format:>13} {n:>7} {path.stat().st_size / 1e6:>6.1f} {result['seconds']:>8.2f} "
                    f"{n / result['seconds']:>7.0f} {result['spans'] / result['seconds']:>8.0f} "
                    f"{result['rss_peak_kb'] / 1024:>7.1f}MB {growth:>6.1f}MB"
                )


if __name__ == "__main__":
    main()

"""Benchmark: documents_import on synthetic JSONL articles.

    .venv/bin/python bench/import_docs.py [--sizes 1000 10000] [--smoke]

Generates N articles of about 3,000 characters (varied words, curly quotes, an accented letter
and now and then an emoji) into a JSONL file, imports them into a fresh project and prints
documents per second. Each N runs in its own process, so its peak RSS (ru_maxrss) is its own:
"peak" is the whole process, "growth" is the peak minus the RSS just before the import, which
is what the import itself added. Memory is flat in N when growth does not grow with N.
The database (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/annotator_bench; see
bench/harness.py) is created if missing and migrated; a smoke run imports 200 documents into a
throwaway one. Target: >= 7,500 documents/s at N = 10,000.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import harness

DATABASE_NAME = "annotator_bench"
SOURCE_SLUG = "bench-daily"

_SYLLABLES = [
    "ka",
    "lo",
    "ri",
    "men",
    "tes",
    "ba",
    "vor",
    "qui",
    "len",
    "da",
    "sto",
    "pre",
    "nu",
    "gal",
    "fi",
    "ort",
]
_EXTRA = ["café", "naïve", "Zürich", "São", "€12", "—", "…", "résumé", "Kraków"]
_EMOJI = ["😀", "📈", "🗳️", "🌍", "⚽"]


def _vocabulary(rng: random.Random, size: int = 4000) -> list[str]:
    words = {"".join(rng.choices(_SYLLABLES, k=rng.randint(1, 4))) for _ in range(size * 2)}
    return sorted(words)[:size] + _EXTRA


def _article(rng: random.Random, vocabulary: list[str], index: int) -> dict[str, object]:
    paragraphs: list[str] = []
    length = 0
    while length < 3000:
        words = rng.choices(vocabulary, k=rng.randint(25, 70))
        words[0] = words[0].capitalize()
        if rng.random() < 0.4:
            at = rng.randrange(len(words) - 3)
            words[at] = "\u201c" + words[at]
            words[at + 2] = words[at + 2] + "\u201d"
        if rng.random() < 0.1:
            words.append(rng.choice(_EMOJI))
        if rng.random() < 0.3:
            words.insert(rng.randrange(len(words)), "it\u2019s")
        paragraph = " ".join(words) + "."
        paragraphs.append(paragraph)
        length += len(paragraph) + 2
    text = f"Article {index}\n\n" + "\n\n".join(paragraphs)
    return {
        "external_id": f"bench-{index}",
        "title": " ".join(rng.choices(vocabulary, k=8)).capitalize(),
        "url": f"https://news.example.com/{index}",
        "author": "Bench Writer",
        "published_at": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00Z",
        "source": SOURCE_SLUG,
        "metadata": {"section": rng.choice(["politics", "economy", "sport"]), "words": len(text.split())},
        "text": text,
    }


def generate(path: Path, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    vocabulary = _vocabulary(rng)
    with path.open("w", encoding="utf-8") as out:
        for index in range(n):
            out.write(json.dumps(_article(rng, vocabulary, index), ensure_ascii=False))
            out.write("\n")


def _rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux


def _current_rss_kb() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)


def child(path: Path, n: int, batch_size: int, writer: str) -> None:
    harness.setup_django()
    from django.conf import settings

    settings.ANNOTATOR_IMPORT_USE_COPY = writer == "copy"
    from annotator.imports.services import ImportFile, documents_import
    from annotator.models import Project, Source

    source, _ = Source.objects.get_or_create(slug=SOURCE_SLUG, defaults={"name": "Bench Daily"})
    project = Project.objects.create(name=f"Bench {n}", slug=f"bench-{uuid.uuid4().hex[:12]}")
    before = _current_rss_kb()
    started = time.perf_counter()
    summary = documents_import(
        project=project, files=[ImportFile.from_path(path)], default_source=source, batch_size=batch_size
    )
    seconds = time.perf_counter() - started
    peak = _rss_kb()
    project.delete()
    if summary.created != n or summary.refused_files:
        raise SystemExit(f"import went wrong: {summary}")
    print(
        json.dumps(
            {
                "n": n,
                "seconds": seconds,
                "created": summary.created,
                "rss_before_kb": before,
                "rss_peak_kb": peak,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument(
        "--writer",
        choices=["copy", "bulk_create"],
        default="copy",
        help="PostgreSQL writes with COPY unless ANNOTATOR_IMPORT_USE_COPY is off; compare the two",
    )
    parser.add_argument("--child", nargs=2, metavar=("FILE", "N"), help=argparse.SUPPRESS)
    harness.add_smoke_argument(parser)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), int(args.child[1]), args.batch_size, args.writer)
        return
    url = harness.database_url(DATABASE_NAME, smoke=args.smoke)
    if args.smoke:
        args.sizes = [200]
        harness.throwaway_database(url)
    else:
        harness.ensure_database(url)
    harness.setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(f"database: {os.environ['DATABASE_URL']}; batch size {args.batch_size}; writer {args.writer}")
    print(f"{'N':>8} {'MB':>7} {'seconds':>8} {'docs/s':>8} {'MB/s':>6} {'peak RSS':>10} {'growth':>9}")
    with tempfile.TemporaryDirectory() as directory:
        for n in args.sizes:
            path = Path(directory) / f"articles-{n}.jsonl"
            generate(path, n)
            megabytes = path.stat().st_size / 1e6
            output = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    str(path),
                    str(n),
                    "--batch-size",
                    str(args.batch_size),
                    "--writer",
                    args.writer,
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            result = json.loads(output.strip().splitlines()[-1])
            rate = n / result["seconds"]
            growth = result["rss_peak_kb"] - result["rss_before_kb"]
            print(
                f"{n:>8} {megabytes:>7.1f} {result['seconds']:>8.2f} {rate:>8.0f} {megabytes / result['seconds']:>6.1f} "
                f"{result['rss_peak_kb'] / 1024:>8.1f}MB {growth / 1024:>7.1f}MB"
            )
    print(f"this (parent) process: peak RSS {_rss_kb() / 1024:.1f} MB")


if __name__ == "__main__":
    main()

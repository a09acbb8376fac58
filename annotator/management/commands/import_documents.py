"""manage.py import_documents PATH [PATH ...] --project SLUG [--source SLUG] [--batch-size N] [--no-progress]

A door onto annotator.imports.services.documents_import. A directory is imported recursively,
its files sorted by path (hidden files and folders skipped). Prints the summary and exits
non-zero if any file was refused.
"""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import reset_queries
from tqdm import tqdm

from annotator.imports.services import ImportFile, documents_import
from annotator.management.options import add_project_argument, counted, project_from_slug
from annotator.models import Source


def _files(paths: list[str]) -> list[ImportFile]:
    files: list[ImportFile] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                (
                    p
                    for p in path.rglob("*")
                    if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
                ),
                key=str,
            )
            files.extend(ImportFile.from_path(p) for p in found)
        elif path.is_file():
            files.append(ImportFile.from_path(path))
        else:
            raise CommandError(f"no such file or directory: {raw}")
    return files


class Command(BaseCommand):
    help = "Import documents from .txt, .jsonl, .json, .csv files and .zip archives of them."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "paths", nargs="+", metavar="PATH", help="Files or directories (read recursively)."
        )
        add_project_argument(parser, help="The project to import into.")
        parser.add_argument(
            "--source", metavar="SLUG", help="Source of documents that name none (needed for .txt files)."
        )
        parser.add_argument(
            "--batch-size", type=int, default=1000, metavar="N", help="Rows per INSERT (default 1000)."
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not show a progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        project = project_from_slug(options["project"])
        source = None
        if options["source"]:
            source = Source.objects.filter(slug=options["source"]).first()
            if source is None:
                raise CommandError(f"unknown source '{options['source']}'")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        files = _files(options["paths"])

        bar = tqdm(
            unit=" docs",
            file=sys.stderr,
            disable=options["no_progress"] or not sys.stderr.isatty(),
            leave=False,
        )

        def progress(processed: int) -> None:
            bar.update(processed - bar.n)
            # With DEBUG on, Django keeps every query's SQL, and a batch INSERT's SQL holds a
            # whole batch of texts: forget them so memory stays flat on a long import.
            if settings.DEBUG:
                reset_queries()

        try:
            summary = documents_import(
                project=project,
                files=files,
                default_source=source,
                progress=progress,
                batch_size=options["batch_size"],
            )
        finally:
            bar.close()

        self.stdout.write(
            f"Created {counted(summary.created, 'document')}, skipped {counted(summary.skipped_duplicates, 'duplicate')} "
            f"in project '{project.slug}'."
        )
        if summary.refused_files:
            refused = counted(len(summary.refused_files), "file")
            self.stdout.write(f"Refused {refused} (nothing imported from them):")
            for name in summary.refused_files:
                self.stdout.write(f"  {name}")
            self.stdout.write("Errors:")
            for issue in summary.errors:
                self.stdout.write(f"  {issue}")
            raise CommandError(f"{refused} refused")

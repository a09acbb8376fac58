"""manage.py import_project FILE [--slug NEW_SLUG]

Rebuilds a project from a file written by export_project (gzip-compressed or not), all or
nothing. Users are matched by username and sources by slug; users that do not exist are created
without a usable password and listed, so staff can set one (manage.py changepassword) or the
person can be sent a reset. Agreement figures and source profiles are not in the file:
recompute them with manage.py compute_agreement.
"""

from __future__ import annotations

import gzip
import io
from argparse import ArgumentParser
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from annotator.backups.services import BackupError, project_import

GZIP_MAGIC = b"\x1f\x8b"


def _lines(path: Path) -> Iterator[str]:
    with path.open("rb") as raw:
        compressed = raw.read(2) == GZIP_MAGIC
    opener: Callable[..., Any] = gzip.open if compressed else open
    with opener(path, "rb") as binary, io.TextIOWrapper(binary, encoding="utf-8", newline="\n") as text:
        yield from text


class Command(BaseCommand):
    help = "Import a project from a backup file written by export_project."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", metavar="FILE", help="A file written by export_project.")
        parser.add_argument(
            "--slug", metavar="SLUG", help="Import under this slug instead of the exported one."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        try:
            report = project_import(lines=_lines(path), slug=options["slug"])
        except (BackupError, UnicodeDecodeError, OSError, EOFError) as error:
            raise CommandError(f"{path}: {error}; nothing was imported.") from None
        counts = ", ".join(
            f"{n} {kind}" for kind, n in report.counts.items() if kind not in ("header", "project", "end")
        )
        self.stdout.write(f"Imported project '{report.project.slug}' (id {report.project.pk}): {counts}.")
        if report.users_created:
            self.stdout.write(
                f"Created {len(report.users_created)} user(s) WITHOUT a usable password "
                f"(set one with manage.py changepassword): {', '.join(report.users_created)}."
            )
        if report.users_matched:
            self.stdout.write(f"Used existing user(s): {', '.join(report.users_matched)}.")
        if report.sources_created:
            self.stdout.write(f"Created source(s): {', '.join(report.sources_created)}.")
        if report.sources_matched:
            self.stdout.write(f"Used existing source(s): {', '.join(report.sources_matched)}.")
        if report.dropped_span_refs:
            self.stdout.write(
                f"{report.dropped_span_refs} reference(s) from decisions to spans deleted before the "
                "export were left out."
            )
        self.stdout.write("Recompute agreement and profiles with manage.py compute_agreement.")

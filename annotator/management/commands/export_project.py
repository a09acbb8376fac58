"""manage.py export_project --project SLUG --output FILE

Writes everything needed to rebuild the project to FILE as JSON lines (annotator.backups.services
describes the format and what is left out), gzip-compressed when FILE ends in .gz. Reads one
consistent snapshot and streams it: memory stays flat however large the project. Prints the
count of each record type.
"""

from __future__ import annotations

import gzip
from argparse import ArgumentParser
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from annotator.backups.services import project_export
from annotator.management.options import add_project_argument, project_from_slug


class Command(BaseCommand):
    help = "Export a project (schema, members, documents, layers, spans, decisions) to a backup file."

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_project_argument(parser)
        parser.add_argument(
            "--output",
            required=True,
            metavar="FILE",
            help="Where to write; gzip-compressed if it ends in .gz.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        project = project_from_slug(options["project"])
        path = Path(options["output"])
        if not path.parent.is_dir():
            raise CommandError(f"{path.parent} is not a directory.")
        partial = path.with_name(path.name + ".partial")
        opener: Callable[..., IO[str]] = gzip.open if path.suffix == ".gz" else open
        # Only a transaction of our own can be given its isolation level (not one a caller began).
        snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
        try:
            with opener(partial, "wt", encoding="utf-8", newline="\n") as out, transaction.atomic():
                if snapshot:
                    # One snapshot for the whole file, even while people keep annotating.
                    with connection.cursor() as cursor:
                        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                counts = project_export(project=project, out=out)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        partial.replace(path)  # a reader never sees half a file under the final name
        summary = ", ".join(f"{n} {kind}" for kind, n in counts.items() if kind not in ("header", "end"))
        self.stdout.write(f"Exported project '{project.slug}' to {path}: {summary}.")

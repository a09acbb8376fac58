"""manage.py recount_layers [--project SLUG]

Sets every document's layer count (Document.n_layers, what queue Next reads) from its layers:
after a bulk load that wrote layers directly, or to repair counts. The layer services keep the
counts as they go; this is the door for everything else.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from annotator.layers.services import layers_recount
from annotator.management.options import add_project_argument, project_from_slug
from annotator.models import Document


class Command(BaseCommand):
    help = "Recount each document's annotation layers (the counts queue Next reads)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_project_argument(parser, required=False, help="Only this project's documents.")

    def handle(self, *args: Any, project: str | None = None, **options: Any) -> None:
        document_ids = None
        if project is not None:
            document_ids = Document.objects.filter(project=project_from_slug(project)).values_list(
                "pk", flat=True
            )
        written = layers_recount(document_ids=document_ids)
        self.stdout.write(f"Recounted the layers of {written} documents.")

"""manage.py import_annotations FILE --project SLUG --format doccano|label-studio|spacy|spacy-docbin|webanno-tsv
    [--annotator NAME=USERNAME ...] [--label NAME=KEY ...] [--placeholders] [--in-progress]
    [--source SLUG]

A door onto annotator.imports.annotations.services.annotations_import: documents with their
annotators' layers from another tool's export (a zip of such files too). All of it imports, or
nothing: the problems are printed, each naming the file, the record and the field, and the
command exits non-zero.
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from annotator.errors import ValidationError
from annotator.imports.annotations.formats import ANNOTATION_FORMATS
from annotator.imports.annotations.services import AnnotationImportOptions, annotations_import, name_pairs
from annotator.imports.services import ImportFile
from annotator.management.options import add_project_argument, counted, project_from_slug
from annotator.models import LayerStatus, Source


def _pairs(values: list[str], option: str) -> dict[str, str]:
    try:
        return name_pairs(values)
    except ValueError as error:
        raise CommandError(f"{option}: {error}") from None


class Command(BaseCommand):
    help = "Import documents with their annotations from a doccano, Label Studio or spaCy export."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", metavar="FILE", help="The export: a file, or a zip of them.")
        add_project_argument(parser, help="The project to import into.")
        parser.add_argument("--format", required=True, choices=sorted(ANNOTATION_FORMATS))
        parser.add_argument(
            "--annotator", action="append", default=[], metavar="NAME=USERNAME",
            help="Map an annotator named in the file to a project member (repeat for each).",
        )  # fmt: skip
        parser.add_argument(
            "--label", action="append", default=[], metavar="NAME=KEY",
            help="Map a label of the file to one of the project's labels (repeat for each).",
        )  # fmt: skip
        parser.add_argument(
            "--placeholders", action="store_true",
            help="Import unmapped annotators as inactive placeholder accounts rather than refuse them.",
        )  # fmt: skip
        parser.add_argument(
            "--in-progress", action="store_true",
            help="Import the layers as in progress, for their annotators to check and submit.",
        )  # fmt: skip
        parser.add_argument("--source", metavar="SLUG", help="Source of documents that name none.")

    def handle(self, *args: Any, **options: Any) -> None:
        project = project_from_slug(options["project"])
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        source = None
        if options["source"]:
            source = Source.objects.filter(slug=options["source"]).first()
            if source is None:
                raise CommandError(f"unknown source '{options['source']}'")
        try:
            summary = annotations_import(
                project=project,
                file=ImportFile.from_path(path),
                options=AnnotationImportOptions(
                    format=options["format"],
                    annotators=_pairs(options["annotator"], "--annotator"),
                    labels=_pairs(options["label"], "--label"),
                    placeholders=options["placeholders"],
                    status=LayerStatus.IN_PROGRESS if options["in_progress"] else LayerStatus.SUBMITTED,
                ),
                default_source=source,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if summary.refused:
            self.stdout.write(f"Nothing imported into project '{project.slug}'. Errors:")
            for issue in summary.errors:
                self.stdout.write(f"  {issue}")
            raise CommandError(counted(len(summary.errors), "error"))
        self.stdout.write(
            f"Imported {counted(summary.layers, 'layer')} with {counted(summary.spans, 'span')} into project "
            f"'{project.slug}': {counted(summary.documents_created, 'new document')}, "
            f"{summary.documents_matched} already there."
        )
        for username in summary.placeholders:
            self.stdout.write(f"  placeholder account (inactive): {username}")

"""manage.py compute_agreement --project SLUG [--resolution token|char] [--bootstrap N] [--processes N]

A door onto annotator.agreement.services.project_agreement_recompute: recomputes every
document's agreement statistics and the project and source reports, here and now (no worker
needed), and prints the project report as JSON (indent 2) on stdout. Progress goes to stderr
with -v 2. `--processes` shares the documents among that many processes.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import reset_queries

from annotator.agreement.services import N_BOOT, project_agreement_recompute
from annotator.models import AgreementResolution, Project


class Command(BaseCommand):
    help = "Recompute a project's inter-annotator agreement and print the report as JSON."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--project", required=True, metavar="SLUG", help="The project.")
        parser.add_argument(
            "--resolution",
            choices=AgreementResolution.values,
            default=AgreementResolution.TOKEN,
            help="Units of per-position alpha: token (default) or char.",
        )
        parser.add_argument(
            "--bootstrap",
            type=int,
            default=N_BOOT,
            metavar="N",
            help=f"Bootstrap replicates for the 95 %% intervals; 0 for none (default {N_BOOT}).",
        )
        parser.add_argument(
            "--processes",
            type=int,
            default=1,
            metavar="N",
            help="Processes that share the documents (default 1; e.g. the number of CPUs).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(f"unknown project '{options['project']}'")
        if options["bootstrap"] < 0:
            raise CommandError("--bootstrap must be 0 or more")
        if options["processes"] < 1:
            raise CommandError("--processes must be at least 1")

        def progress(done: int, total: int) -> None:
            if options["verbosity"] > 1:
                self.stderr.write(f"{done}/{total} documents")
            # With DEBUG on, Django keeps every query's SQL, and an upsert holds a chunk's
            # statistics: forget them so memory stays flat on a large project.
            if settings.DEBUG:
                reset_queries()

        report = project_agreement_recompute(
            project_id=project.pk,
            resolution=options["resolution"],
            n_boot=options["bootstrap"],
            progress=progress,
            processes=options["processes"],
        )
        self.stdout.write(json.dumps(report.metrics, indent=2, ensure_ascii=False))

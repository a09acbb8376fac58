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
from annotator.management.options import (
    add_bootstrap_argument,
    add_project_argument,
    bootstrap_count,
    project_from_slug,
)
from annotator.models import AgreementResolution


class Command(BaseCommand):
    help = "Recompute a project's inter-annotator agreement and print the report as JSON."

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_project_argument(parser)
        parser.add_argument(
            "--resolution",
            choices=AgreementResolution.values,
            default=AgreementResolution.TOKEN,
            help="Units of per-position alpha: token (default) or char.",
        )
        add_bootstrap_argument(parser, default=N_BOOT, what="replicates")
        parser.add_argument(
            "--processes",
            type=int,
            default=1,
            metavar="N",
            help="Processes that share the documents (default 1; e.g. the number of CPUs).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        project = project_from_slug(options["project"])
        n_boot = bootstrap_count(options["bootstrap"])
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
            n_boot=n_boot,
            progress=progress,
            processes=options["processes"],
        )
        self.stdout.write(json.dumps(report.metrics, indent=2, ensure_ascii=False))

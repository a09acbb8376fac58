"""manage.py compute_profiles --project SLUG [--basis all|consensus|gold] [--bootstrap N]

A door onto annotator.profiles.services.project_profiles_refresh: computes every source's
profile and the corpus profile on the basis, here and now (no worker needed), stores them
(SourceProfile, ProfileCorpus) and prints a summary: one line per source with its articles,
status, a few headline figures and its agreement badge, then the corpus and the time taken.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from annotator.management.options import (
    add_bootstrap_argument,
    add_project_argument,
    bootstrap_count,
    project_from_slug,
)
from annotator.models import ProfileBasis
from annotator.profiles.services import (
    DEFAULT_BASIS,
    N_BOOT,
    project_profiles_current,
    project_profiles_refresh,
)

HEADLINES = (
    ("claims/1k", "metrics", "claims_per_1k_words", "{:.1f}"),
    ("opinion share", "metrics", "opinion_share", "{:.2f}"),
    ("sourced", "metrics", "sourced_claim_rate", "{:.2f}"),
)


def _figure(metrics: dict[str, Any], group: str, key: str, form: str) -> str:
    figure = (metrics.get(group) or {}).get(key) or {}
    if figure.get("value") is None:
        return "n/a"
    ci = figure.get("ci95")
    interval = f" [{form.format(ci[0])}, {form.format(ci[1])}]" if ci else ""
    return form.format(figure["value"]) + interval


class Command(BaseCommand):
    help = "Compute a project's per-source profiles and print a summary."

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_project_argument(parser)
        parser.add_argument(
            "--basis",
            choices=ProfileBasis.values,
            default=DEFAULT_BASIS,
            help=f"Which layers are counted (default {DEFAULT_BASIS}).",
        )
        add_bootstrap_argument(parser, default=N_BOOT, what="resamples")

    def handle(self, *args: Any, **options: Any) -> None:
        project = project_from_slug(options["project"])
        n_boot = bootstrap_count(options["bootstrap"])
        basis = options["basis"]

        def progress(done: int, total: int) -> None:
            if options["verbosity"] > 1:
                self.stderr.write(f"{done}/{total} sources")

        refresh = project_profiles_refresh(
            project_id=project.pk, basis=basis, n_boot=n_boot, progress=progress
        )
        stored = project_profiles_current(project_id=project.pk, basis=basis)
        self.stdout.write(
            f"Profiles of {project.slug} on basis {basis}: {len(refresh.refreshed)} sources, "
            f"{refresh.n_articles} articles, {n_boot} resamples, {refresh.seconds:.2f} s"
        )
        rows = [(source.name, profile.metrics) for source, profile in stored.sources]
        rows.append(("(corpus)", refresh.corpus.metrics))
        for name, metrics in rows:
            coverage = metrics.get("coverage") or {}
            agreement = metrics.get("agreement") or {}
            alpha = (agreement.get("alpha") or {}).get("value")
            badge = agreement.get("badge") or "no badge"
            figures = ", ".join(f"{label} {_figure(metrics, *where)}" for label, *where in HEADLINES)
            self.stdout.write(
                f"  {name}: {coverage.get('articles', 0)} articles, {coverage.get('status')}; {figures}; "
                f"alpha {'n/a' if alpha is None else f'{alpha:.3f}'} ({badge})"
            )

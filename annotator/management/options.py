"""What the management commands share: naming a project by its slug, and the bootstrap count."""

from __future__ import annotations

from argparse import ArgumentParser

from django.core.management.base import CommandError

from annotator.models import Project


def counted(number: int, noun: str) -> str:
    """ "1 document", "2 documents"."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def add_project_argument(
    parser: ArgumentParser, *, required: bool = True, help: str = "The project."
) -> None:
    parser.add_argument("--project", required=required, metavar="SLUG", help=help)


def project_from_slug(slug: str) -> Project:
    project = Project.objects.filter(slug=slug).first()
    if project is None:
        raise CommandError(f"No project has the slug '{slug}'.")
    return project


def add_bootstrap_argument(parser: ArgumentParser, *, default: int, what: str) -> None:
    parser.add_argument(
        "--bootstrap",
        type=int,
        default=default,
        metavar="N",
        help=f"Bootstrap {what} for the 95 %% intervals; 0 for none (default {default}).",
    )


def bootstrap_count(value: int) -> int:
    if value < 0:
        raise CommandError("--bootstrap must be 0 or more")
    return value

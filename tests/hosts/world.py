"""Run on a web host once the database is migrated (`python -m tests.hosts.world`): makes the
fault tests' data and prints what the client needs as JSON."""

from __future__ import annotations

import json
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
django.setup()

from annotator.accounts.services import token_create  # noqa: E402
from annotator.layers.services import layer_assign  # noqa: E402
from annotator.models import Role  # noqa: E402
from tests.factories import (  # noqa: E402
    ARTICLE,
    DocumentFactory,
    ProjectFactory,
    SourceFactory,
    member,
    submitted_project,
)


def main() -> None:
    recompute = submitted_project(n_documents=300)
    manager = member(recompute, Role.MANAGER, username="mia")
    live = ProjectFactory(slug="live", annotators_per_document=1)
    annotator = member(live, Role.ANNOTATOR, username="ann")
    source = SourceFactory(slug="hosts-herald")
    layers = [
        layer_assign(
            document=DocumentFactory(project=live, source=source, text=f"{i}. {ARTICLE}"), user=annotator
        ).pk
        for i in range(4)
    ]
    print(
        json.dumps(
            {
                "recompute_project": recompute.pk,
                "manager_token": token_create(user=manager, name="fault tests")[1],
                "annotator_token": token_create(user=annotator, name="fault tests")[1],
                "layers": layers,
                "texts": [f"{i}. {ARTICLE}" for i in range(4)],
            }
        )
    )


if __name__ == "__main__":
    main()

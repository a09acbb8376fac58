"""Document.n_layers, kept by database triggers (annotator.layer_counts): every way of writing
layers keeps it equal to a count of the document's annotation layers that are not skipped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import connection

from annotator import layer_counts
from annotator.layer_counts import COUNTED_LAYER
from annotator.models import Assignment, AssignmentKind, AssignmentStatus, Document
from annotator.services.assignments import assignment_skip
from tests.factories import DocumentFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _stored(document: Document) -> int:
    return Document.objects.values_list("n_layers", flat=True).get(pk=document.pk)


def _counted(document: Document) -> int:
    return Assignment.objects.filter(COUNTED_LAYER, document=document).count()


@pytest.fixture
def documents() -> list[Document]:
    project = ProjectFactory(slug="counts")
    return [DocumentFactory(project=project, text=f"Counts {n}.") for n in range(2)]


def test_every_way_of_writing_layers_keeps_the_count(documents):
    first, second = documents
    users = [UserFactory(username=f"count-{n}") for n in range(4)]
    steps = []

    def check(step: str) -> None:
        steps.append((step, _stored(first), _stored(second)))
        assert (_stored(first), _stored(second)) == (_counted(first), _counted(second)), step

    layer = Assignment.objects.create(document=first, user=users[0])
    check("create")
    Assignment.objects.bulk_create([Assignment(document=first, user=u) for u in users[1:3]])
    check("bulk_create")
    Assignment.objects.create(document=first, user=users[3], kind=AssignmentKind.GOLD)
    check("a gold layer does not count")
    Assignment.objects.filter(pk=layer.pk).update(status=AssignmentStatus.SUBMITTED)
    check("submit changes nothing")
    assignment_skip(assignment=Assignment.objects.get(user=users[1]), reason="not news")
    check("a skip frees its place")
    Assignment.objects.filter(user=users[1]).update(status=AssignmentStatus.ASSIGNED)
    check("an unskip takes it again")
    Assignment.objects.filter(user=users[2]).update(document=second)
    check("a layer moved to another document")
    Assignment.objects.filter(user=users[2]).update(kind=AssignmentKind.GOLD)
    check("a layer turned gold")
    Assignment.objects.filter(pk=layer.pk).delete()
    check("delete")
    User.objects.filter(pk=users[1].pk).delete()  # cascades to the user's layers
    check("cascade")
    assert [(step, a, b) for step, a, b in steps] == [
        ("create", 1, 0),
        ("bulk_create", 3, 0),
        ("a gold layer does not count", 3, 0),
        ("submit changes nothing", 3, 0),
        ("a skip frees its place", 2, 0),
        ("an unskip takes it again", 3, 0),
        ("a layer moved to another document", 2, 1),
        ("a layer turned gold", 2, 0),
        ("delete", 1, 0),
        ("cascade", 0, 0),
    ]


def test_recount_sets_every_count_from_the_layers_and_install_is_repeatable(documents):
    first, _ = documents
    Assignment.objects.create(document=first, user=UserFactory(username="count-a"))
    Document.objects.filter(pk=first.pk).update(n_layers=7)
    layer_counts.recount(connection)
    assert _stored(first) == 1
    layer_counts.install_triggers(connection)  # again, as after every migrate: still one count a layer
    Assignment.objects.create(document=first, user=UserFactory(username="count-b"))
    assert _stored(first) == 2


EMBEDDED = """
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.contrib.auth.models import User
from annotator.importers import text_sha256
from annotator.models import Assignment, Document, Source
from annotator.services.assignments import assignment_skip, queue_next
from annotator.services.projects import project_create
project = project_create(name="Embedded", slug="embedded", annotators_per_document=2)
source = Source.objects.create(name="Herald", slug="herald")
documents = [
    Document.objects.create(project=project, source=source, text=t, text_sha256=text_sha256(t))
    for t in ("One.", "Two.")
]
anna, ben, cara = (User.objects.create_user(name) for name in ("anna", "ben", "cara"))
counts = lambda: list(Document.objects.order_by("pk").values_list("n_layers", flat=True))
seen = []
first = queue_next(project=project, user=anna)
seen.append(counts())
Assignment.objects.filter(pk=first.pk).update(status="submitted")
second = queue_next(project=project, user=ben)  # the started document first
seen.append(counts())
assignment_skip(assignment=second, reason="not news")
seen.append(counts())
Assignment.objects.filter(pk=first.pk).delete()
seen.append(counts())
print(json.dumps({"seen": seen, "same": [first.document_id, second.document_id]}))
"""


def test_the_embedded_sqlite_default_keeps_the_counts_with_its_own_triggers(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DATABASE_URL=f"sqlite:///{tmp_path / 'embedded.sqlite3'}",
    )
    result = subprocess.run(
        [sys.executable, "-c", EMBEDDED], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["seen"] == [[1, 0], [2, 0], [1, 0], [0, 0]]
    assert out["same"][0] == out["same"][1]

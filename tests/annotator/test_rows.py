"""The hand-composed statements of the span hot path (annotator.rows) read and write exactly
what the ORM would: on PostgreSQL here, and on the embedded SQLite default in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import connection

from annotator import rows
from annotator.models import Assignment, AssignmentStatus, Document, Project, Span
from annotator.selectors import assignment_with_role, spans_nearby
from annotator.services.spans import span_create
from tests.factories import AssignmentFactory, DocumentFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
TEXT = "Tram 🚋 news. The council said costs rose 12%. “Fantasy”, critics said."


def _field_values(instance):
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def _read(model, pk):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {rows.columns(model, 'x')} FROM {rows.table(model)} x WHERE x.id = %s", [pk])
        return rows.from_row(model, cursor.fetchone())


def test_from_row_gives_what_the_orm_loads(project):
    layer = AssignmentFactory(document=DocumentFactory(project=project, text=TEXT))
    span, _ = span_create(
        assignment=layer,
        label="CLAIM",
        start=14,
        end=46,
        text=TEXT[14:46],
        attributes={"evidence": "DATA", "check_worthy": True},
    )
    for model, pk in (
        (Span, span.pk),
        (Assignment, layer.pk),
        (Document, layer.document_id),
        (Project, project.pk),
    ):
        from_orm = model.objects.get(pk=pk)
        from_row = _read(model, pk)
        assert _field_values(from_row) == _field_values(from_orm), model.__name__
        assert from_row._state.adding is False
    # JSON, UUID and time fields arrive as Python values, not as their database text.
    loaded = _read(Span, span.pk)
    assert loaded.attributes == {"evidence": "DATA", "check_worthy": True}
    assert isinstance(loaded.client_uuid, uuid.UUID)
    assert loaded.created_at.tzinfo is not None


def test_assignment_with_role_reads_the_layer_its_document_project_and_the_callers_role(project):
    layer = AssignmentFactory(document=DocumentFactory(project=project, text=TEXT))
    MembershipFactory(project=project, user=layer.user, role="annotator")
    outsider = User.objects.create_user("outsider")
    with_role = assignment_with_role(assignment_id=layer.pk, user_id=layer.user_id)
    assert with_role is not None
    assert (with_role.pk, with_role.member_role, with_role.document.text) == (layer.pk, "annotator", TEXT)
    assert with_role.document.project.pk == project.pk
    assert with_role.document.project.allow_overlap == project.allow_overlap
    assert assignment_with_role(assignment_id=layer.pk, user_id=outsider.pk).member_role is None
    assert assignment_with_role(assignment_id=layer.pk, user_id=None).member_role is None
    assert assignment_with_role(assignment_id=layer.pk + 1000, user_id=layer.user_id) is None


def test_spans_nearby_finds_overlaps_and_the_client_uuid_and_nothing_else(project):
    layer = AssignmentFactory(document=DocumentFactory(project=project, text=TEXT))
    far, _ = span_create(assignment=layer, label="CLAIM", start=0, end=4, text=TEXT[:4])
    near, _ = span_create(assignment=layer, label="CLAIM", start=14, end=46, text=TEXT[14:46])
    touching, _ = span_create(assignment=layer, label="OPINION", start=48, end=55, text=TEXT[48:55])
    found = spans_nearby(assignment_id=layer.pk, start=20, end=48)
    assert [s.pk for s in found] == [near.pk]  # [48, 55) starts where [20, 48) ends: no overlap
    found = spans_nearby(assignment_id=layer.pk, start=20, end=48, client_uuid=far.client_uuid)
    assert sorted(s.pk for s in found) == sorted([near.pk, far.pk])
    assert touching.pk not in {s.pk for s in found}


def test_a_span_create_writes_the_span_its_history_row_and_the_layer_status_together(project):
    user = UserFactory(username="writer")
    layer = AssignmentFactory(document=DocumentFactory(project=project, text=TEXT), user=user)
    assert layer.status == AssignmentStatus.ASSIGNED
    span, created = span_create(
        assignment=layer, label="CLAIM", start=14, end=46, text=TEXT[14:46], actor=user
    )
    assert created and layer.status == AssignmentStatus.IN_PROGRESS
    assert Assignment.objects.get(pk=layer.pk).status == AssignmentStatus.IN_PROGRESS
    (history,) = Span.history.filter(id=span.pk)
    assert (history.history_type, history.history_user_id, history.history_change_reason) == (
        "+",
        user.pk,
        None,
    )
    assert history.history_date == span.created_at
    stored = Span.objects.get(pk=span.pk)
    assert {k: getattr(history, k) for k in _field_values(stored)} == _field_values(stored)
    assert _field_values(stored) == _field_values(span)


EMBEDDED = """
import json, uuid, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.authtoken.models import Token
from annotator.importers import text_sha256
from annotator.models import Assignment, Document, Source, Span
from annotator.services.projects import membership_set, project_create
text = %(text)r
project = project_create(name="Embedded", slug="embedded")
user = User.objects.create_user("anna")
membership_set(project=project, user=user, role="annotator")
document = Document.objects.create(
    project=project, source=Source.objects.create(name="Herald", slug="herald"), text=text,
    text_sha256=text_sha256(text),
)
layer = Assignment.objects.create(document=document, user=user)
client = Client(HTTP_AUTHORIZATION="Token " + Token.objects.create(user=user).key)
body = {"client_uuid": str(uuid.uuid4()), "label": "CLAIM", "start": 14, "end": 46, "text": text[14:46],
        "attributes": {"evidence": "DATA"}}
path = "/api/v1/assignments/%%d/spans/" %% layer.pk
first = client.post(path, body, content_type="application/json")
again = client.post(path, body, content_type="application/json")
span = Span.objects.get()
span_path = "/api/v1/spans/%%d/" %% span.pk
changed = client.patch(span_path, {"version": 1, "label": "OPINION"}, content_type="application/json")
stale = client.patch(span_path, {"version": 1, "label": "CLAIM"}, content_type="application/json")
stored_after_change = Span.objects.values_list("label__key", "version").get()
deleted = client.delete(span_path + "?version=2")
print(json.dumps({
    "changes": [changed.status_code, stale.status_code, deleted.status_code],
    "after_change": list(stored_after_change),
    "left": Span.objects.count(),
    "statuses": [first.status_code, again.status_code],
    "same": first.json() == again.json(),
    "answer": first.json(),
    "stored": {"id": span.pk, "attributes": span.attributes, "client_uuid": str(span.client_uuid)},
    "history": list(Span.history.order_by("history_id").values_list("id", "history_type", "history_user_id", "version")),
    "status": Assignment.objects.get(pk=layer.pk).status,
    "user": user.pk,
}))
"""


def test_the_embedded_sqlite_default_creates_spans_with_history_the_same_way(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DATABASE_URL=f"sqlite:///{tmp_path / 'embedded.sqlite3'}",
        DJANGO_ALLOWED_HOSTS="testserver",
    )
    result = subprocess.run(
        [sys.executable, "-c", EMBEDDED % {"text": TEXT}],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["statuses"] == [201, 200] and out["same"]
    assert out["answer"]["text"] == TEXT[14:46]
    assert out["stored"] == {
        "id": out["answer"]["id"],
        "attributes": {"evidence": "DATA"},
        "client_uuid": out["answer"]["client_uuid"],
    }
    assert out["changes"] == [200, 409, 204]
    assert out["after_change"] == ["OPINION", 2]
    assert out["left"] == 0
    span_id, user = out["answer"]["id"], out["user"]
    assert out["history"] == [[span_id, "+", user, 1], [span_id, "~", user, 2], [span_id, "-", user, 2]]
    assert out["status"] == "in_progress"


def test_span_delete_clears_every_relation_that_points_at_spans():
    """span_delete deletes with one hand-composed statement on PostgreSQL and clears the
    decisions that name the span itself (what the ORM's SET_NULL does). A new relation to Span
    must be handled there too: this lists the ones it handles."""
    from annotator.models import Decision

    relations = [
        (rel.related_model, rel.field.name, rel.on_delete.__name__)
        for rel in Span._meta.get_fields(include_hidden=True)
        if rel.auto_created and not rel.concrete  # the relations other models hold to Span
    ]
    assert relations == [(Decision, "gold_span", "SET_NULL")]

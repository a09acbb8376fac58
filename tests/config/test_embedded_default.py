"""The embedded default (`make run`: SQLite, in-process tasks) serves the span API as PostgreSQL
does: create, repeat, change, a stale change, delete, each with its history row, in a
subprocess of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEXT = "Tram 🚋 news. The council said costs rose 12%. “Fantasy”, critics said."


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
from annotator.services.assignments import layer_assign
from annotator.services.projects import membership_set, project_create
text = %(text)r
project = project_create(name="Embedded", slug="embedded")
user = User.objects.create_user("anna")
membership_set(project=project, user=user, role="annotator")
document = Document.objects.create(
    project=project, source=Source.objects.create(name="Herald", slug="herald"), text=text,
    text_sha256=text_sha256(text),
)
layer = layer_assign(document=document, user=user)
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


def test_the_embedded_sqlite_default_writes_spans_with_history_through_the_api(tmp_path):
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

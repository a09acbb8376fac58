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
from annotator.accounts.services import token_create
from annotator.imports import text_sha256
from annotator.models import Document, Layer, Source, Span
from annotator.layers.services import layer_assign
from annotator.projects.services import membership_set, project_create
text = %(text)r
project = project_create(name="Embedded", slug="embedded")
user = User.objects.create_user("anna")
membership_set(project=project, user=user, role="annotator")
document = Document.objects.create(
    project=project, source=Source.objects.create(name="Herald", slug="herald"), text=text,
    text_sha256=text_sha256(text),
)
layer = layer_assign(document=document, user=user)
client = Client(HTTP_AUTHORIZATION="Token " + token_create(user=user, name="script")[1])
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
    "status": Layer.objects.get(pk=layer.pk).status,
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


DEMO_READ = """
import json, django
django.setup()
from annotator.models import Layer, Project
from annotator.agreement.services import project_agreement_current
from annotator.profiles.services import project_profiles_current
project = Project.objects.get(slug="demo")
complete = {
    d for d in project.documents.values_list("pk", flat=True)
    if Layer.objects.filter(document_id=d, kind="annotation", status="submitted").count() >= 2
}
agreement = project_agreement_current(project_id=project.pk)
profiles = project_profiles_current(project_id=project.pk)
print(json.dumps({
    "complete": len(complete),
    "agreement": agreement.report.metrics["n_documents"],
    "pending": agreement.pending,
    "profiled": profiles.corpus.n_articles if profiles.corpus else None,
    "submitted": project.documents.filter(layers__status="submitted").distinct().count(),
}))
"""


def test_after_make_run_the_pages_cover_every_complete_demo_document(tmp_path):
    """`make run` loads the demo in one process and serves it from another: what the loader
    submitted reaches the server's first read of agreement and profiles."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
    )
    for command in (["migrate", "--noinput"], ["load_demo"]):
        loaded = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True,
            timeout=300, check=False,
        )  # fmt: skip
        assert loaded.returncode == 0, loaded.stderr
    read = subprocess.run(
        [sys.executable, "-c", DEMO_READ], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip
    assert read.returncode == 0, read.stderr
    out = json.loads(read.stdout.strip().splitlines()[-1])
    assert out["complete"] >= 10
    assert (out["agreement"], out["pending"]) == (out["complete"], False)
    assert out["profiled"] == out["submitted"]

"""The demo loader: real data for every later feature, and safe to run twice."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from annotator.models import (
    CalibrationScore,
    Document,
    Layer,
    LayerKind,
    LayerStatus,
    Membership,
    Project,
    Source,
    Span,
)

pytestmark = pytest.mark.django_db


def _counts():
    return [m.objects.count() for m in (Project, Source, Document, Membership, Layer, Span)]


def test_demo_loads_submitted_disagreeing_layers_and_running_it_twice_duplicates_nothing(
    settings, tmp_path, capsys
):
    settings.VAR_DIR = tmp_path
    call_command("load_demo")
    first = _counts()
    out = capsys.readouterr().out
    call_command("load_demo")
    assert _counts() == first
    imported, logins = out.split("\n", 1)
    assert capsys.readouterr().out == logins, "the same logins are printed again, nothing imported twice"
    assert imported.startswith("Imported 3 articles with 6 layers and 17 spans from label-studio-export.json")
    project = Project.objects.get(slug="demo")
    assert project.documents.count() == 12
    assert Source.objects.filter(documents__project=project).distinct().count() == 4
    layers = Layer.objects.filter(document__project=project, status=LayerStatus.SUBMITTED)
    assert layers.filter(kind=LayerKind.ANNOTATION).count() == 3 * 12 - 2
    # Three calibration items, adjudicated, each answered by the three other annotators.
    assert layers.filter(kind=LayerKind.GOLD).count() == 3
    assert layers.filter(kind=LayerKind.CALIBRATION).count() == 3 * 3
    assert CalibrationScore.objects.filter(project=project).count() == 9
    assert sorted(project.memberships.values_list("panel__key", flat=True).exclude(panel=None)) == [
        "centre",
        "centre",
        "left",
        "left",
        "right",
        "right",
    ]
    assert "demo-anna" in out
    assert "demo-manager" in out
    # A token to try the API with, the same on a rerun, listed on the manager's tokens page.
    key = out.split("API token of demo-manager ('demo script'): ")[1].split()[0]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/projects/").status_code == 200
    # The project moved from Label Studio: its annotators' layers, submitted, with their choices.
    moved = Layer.objects.filter(document__project__slug="demo-moved", status=LayerStatus.SUBMITTED)
    assert sorted(moved.values_list("user__username", flat=True)) == ["demo-anna"] * 3 + ["demo-ben"] * 3
    evidence = Span.objects.filter(layer__in=moved, label__key="CLAIM").values_list(
        "attributes__evidence", flat=True
    )
    assert "ANONYMOUS_SOURCE" in evidence and None not in evidence
    # The layers disagree somewhere: not every span is matched exactly in every layer.
    keys = Span.objects.filter(layer__document__project=project).values_list(
        "layer__document", "start", "end", "label__key"
    )
    assert len(set(keys)) < len(keys)
    assert len(set(keys)) > len(keys) / 3

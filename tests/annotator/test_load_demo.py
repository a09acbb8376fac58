"""The demo loader: real data for every later feature, and safe to run twice."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db.models import Count
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


def test_the_large_demo_has_fifteen_articles_an_outlet_and_every_source_figure_shows(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    from annotator.profiles.services import project_profiles_current

    settings.VAR_DIR = tmp_path
    # The agreement and profile jobs start when the load commits; run them as a real commit would.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo", "--size", "large", stdout=io.StringIO())
    project = Project.objects.get(slug="demo")
    assert project.min_profile_articles == 15
    per_source = Document.objects.filter(project=project).values("source__slug").annotate(n=Count("pk"))
    assert sorted(row["n"] for row in per_source) == [15, 15, 15, 15]
    layers = Layer.objects.filter(
        document__project=project, kind=LayerKind.ANNOTATION, status=LayerStatus.SUBMITTED
    )
    assert layers.count() == 3 * 60 - 2
    profiles = project_profiles_current(project_id=project.pk)
    for source, profile in profiles.sources:
        figures = profile.metrics["metrics"]
        missing = sorted(name for name, figure in figures.items() if figure["value"] is None)
        assert not missing, f"{source.name}: {missing}"
        assert profile.metrics["agreement"]["alpha"]["value"] is not None
        # The scorecard: every article question answered for every article, and a level with
        # its reasons (15 articles an outlet: medium at best).
        card = profile.metrics["scorecard"]
        assert card["questions"]["reliability"]["mean"]["n"] == 15
        assert card["questions"]["reliability"]["mean"]["ci95"] is not None
        assert card["confidence"]["level"] == "medium"
        assert "15 articles (high needs 30)" in card["confidence"]["reasons"]


def test_the_generated_articles_are_deterministic_and_their_spans_fit_the_schema():
    from annotator.demo.generated import generated_demo
    from annotator.schema import DEFAULT_ATTRIBUTES, DEFAULT_LABELS

    names = ["a", "b", "c"]
    articles, layers = generated_demo(annotators=names, per_source=4)
    assert (articles, layers) == generated_demo(annotators=names, per_source=4)
    assert len(articles) == 16 and len({a["external_id"] for a in articles}) == 16
    labels = {label["key"] for label in DEFAULT_LABELS}
    attributes = {a["key"]: a for a in DEFAULT_ATTRIBUTES}
    texts = {a["external_id"]: a["text"] for a in articles}
    for name in names:
        for external_id, spans in layers[name].items():
            for span in spans:
                assert span["quote"] in texts[external_id]
                assert span["label"] in labels
                for key, value in span["attributes"].items():
                    applies = attributes[key]["applies_to"]
                    assert not applies or span["label"] in applies, (key, span["label"])
                    if attributes[key]["kind"] == "choice":
                        assert value in {v["value"] for v in attributes[key]["values"]}
                if span["label"] == "CLAIM":
                    assert "evidence" in span["attributes"]
    # The layers mostly agree, but not everywhere: most marks are made alike by all three.
    marks = [
        [
            {(s["quote"], s["label"], str(s["attributes"])) for s in layers[name][external_id]}
            for name in names
        ]
        for external_id in texts
    ]
    shared = sum(len(set.intersection(*article)) for article in marks)
    made = sum(len(set.union(*article)) for article in marks)
    assert 0.45 < shared / made < 0.9

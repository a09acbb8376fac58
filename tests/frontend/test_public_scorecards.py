"""Published scorecards: public pages and their JSON twins that need no login, show only the
published project's figures on the published basis and no annotator, and go at once when
unpublished."""

from __future__ import annotations

import io
import json

import pytest
from django.test import Client

from annotator.models import SourceProfile
from annotator.publishing.services import scorecards_publish, scorecards_unpublish
from tests.factories import UserFactory
from tests.frontend.pages import client_for

pytestmark = pytest.mark.django_db

USERNAMES = ("demo-anna", "demo-ben", "demo-chloe", "demo-reviewer", "demo-manager", "demo-dev")


def _visitors(client):
    member = client_for(Client(), "demo-anna")
    stranger = Client()
    stranger.force_login(UserFactory())
    return {"anonymous": Client(), "member": member, "non-member": stranger}


PATHS = (
    "/scorecards/demo/",
    "/scorecards/demo.json",
    "/scorecards/demo/daily-klaxon/",
    "/scorecards/demo/daily-klaxon.json",
)


def test_the_demo_publishes_its_scorecards_and_unpublished_ones_are_found_by_no_one(client, demo):
    assert Client().get("/scorecards/demo/").status_code == 200
    scorecards_unpublish(project=demo)
    for who, visitor in _visitors(client).items():
        for path in PATHS:
            assert visitor.get(path).status_code == 404, (who, path)


def test_published_scorecards_are_public_name_no_annotator_and_go_at_once(client, demo):
    scorecards_publish(project=demo, basis="all", user=None)
    for who, visitor in _visitors(client).items():
        for path in PATHS:
            response = visitor.get(path)
            assert response.status_code == 200, (who, path)
            assert response["Cache-Control"] == "public, no-cache"
            again = visitor.get(path, HTTP_IF_NONE_MATCH=response["ETag"])
            assert again.status_code == 304
            body = response.content.decode()
            assert not [name for name in USERNAMES if name in body], (who, path)
            assert "Sign out" not in body  # the page is the same for everyone
    index = Client().get("/scorecards/demo/").content.decode()
    assert "The Daily Klaxon" in index and "How reliable is this article" in index
    page = Client().get("/scorecards/demo/daily-klaxon/").content.decode()
    for text in ("Confidence", "Article ratings", "Methodology", "Change log", "Krippendorff"):
        assert text in page
    # The JSON twin carries the stored figures of the published basis, nothing else.
    card = Client().get("/scorecards/demo/daily-klaxon.json").json()
    stored = SourceProfile.objects.get(project=demo, source__slug="daily-klaxon", basis="all").metrics
    assert card["basis"] == "all"
    assert (
        card["questions"]["reliability"]["mean"]["value"]
        == stored["scorecard"]["questions"]["reliability"]["mean"]["value"]
    )
    assert set(card) == {
        "source", "articles", "first_published", "last_published", "double_annotated_share",
        "agreement_alpha", "confidence", "questions", "span_figures", "basis", "computed_at", "changes",
    }  # fmt: skip
    assert "layers" not in json.dumps(card) and "annotators" not in json.dumps(card)
    # Another project, not published, stays out of sight; so does a source it has alone.
    assert Client().get("/scorecards/demo-moved/").status_code == 404
    assert Client().get("/scorecards/demo/no-such-outlet/").status_code == 404
    scorecards_unpublish(project=demo)
    for path in PATHS:
        assert Client().get(path).status_code == 404, path


def test_managers_publish_over_the_api_and_others_may_not(client, demo):
    url = f"/api/v1/projects/{demo.pk}/publication/"
    reviewer = client_for(Client(), "demo-reviewer")
    assert reviewer.put(url, {"basis": "all"}, content_type="application/json").status_code == 403
    manager = client_for(Client(), "demo-manager")
    body = manager.put(url, {"basis": "consensus"}, content_type="application/json").json()
    assert (body["published"], body["basis"], body["url"]) == (
        True,
        "consensus",
        "http://testserver/scorecards/demo/",
    )
    assert reviewer.get(url).json()["published"] is True
    assert manager.delete(url).status_code == 204
    assert reviewer.get(url).json() == {"published": False, "basis": None, "published_at": None, "url": None}


def test_the_scorecard_table_comes_as_csv_and_json_for_research(client, demo):
    import csv

    reviewer = client_for(Client(), "demo-reviewer")
    response = reviewer.get(f"/api/v1/projects/{demo.pk}/profiles/export.csv")
    assert response.status_code == 200, response.content
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    klaxon = next(row for row in rows if row["source"] == "daily-klaxon")
    stored = SourceProfile.objects.get(project=demo, source__slug="daily-klaxon", basis="all").metrics[
        "scorecard"
    ]
    assert klaxon["confidence.level"] == stored["confidence"]["level"]
    assert float(klaxon["scorecard.reliability"]) == stored["questions"]["reliability"]["mean"]["value"]
    assert "scorecard.genre:NEWS.low" in klaxon
    body = reviewer.get(f"/api/v1/projects/{demo.pk}/profiles/").json()
    source = next(s for s in body["sources"] if s["source"]["slug"] == "daily-klaxon")
    assert source["profile"]["scorecard"]["confidence"]["level"] == stored["confidence"]["level"]

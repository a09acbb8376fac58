"""Review over the API: the queue, the review state, every action and its Decision, a 409 for a
stale gold edit, who may review, the gold export after adjudication, the decisions' JSONL export
and the agreement report's gold section."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from annotator.agreement.services import document_agreement_refresh
from annotator.layers.services import layer_assign, layer_submit
from annotator.models import Decision, DecisionAction, DocumentAgreement, LayerKind, Span
from tests.annotator.test_review import TEXT, Reviewed, make_reviewed
from tests.factories import DocumentFactory, SourceFactory, span_at

pytestmark = pytest.mark.usefixtures("fresh_cache")


def client(user) -> APIClient:
    api = APIClient()
    if user is not None:
        api.force_authenticate(user)
    return api


@pytest.fixture
def reviewed(db) -> Reviewed:
    return make_reviewed()


@pytest.fixture
def queue(reviewed):
    """Besides the reviewed document (four disagreements): one both annotators agree on, from
    another source, and one with a single submitted layer (not in the queue)."""
    project, users = reviewed.project, reviewed.users
    calm = DocumentFactory(
        project=project, source=SourceFactory(slug="calm-times"), text="Fares stay. Trams run."
    )
    for name in ("anna", "ben"):
        layer = layer_assign(document=calm, user=users[name])
        span_at(layer, "OPINION", "Trams run.")
        layer_submit(layer=layer)
    half = DocumentFactory(project=project, source=reviewed.document.source, text="Half done.")
    layer_submit(layer=layer_assign(document=half, user=users["anna"]))
    for document in (reviewed.document, calm):
        document_agreement_refresh(document_id=document.pk)
    return reviewed, calm, half


def _decide(reviewed: Reviewed, body: dict, who: str = "rita"):
    return client(reviewed.users[who]).post(
        f"/api/v1/documents/{reviewed.document.pk}/decisions/", body, format="json"
    )


def _gold_span(reviewed: Reviewed) -> Span:
    return Span.objects.select_related("label").get(
        layer__document=reviewed.document, layer__kind=LayerKind.GOLD
    )


# THE QUEUE
# ------------------------------------------------------------------------------


def test_the_queue_lists_complete_documents_most_disagreement_first(queue, django_assert_max_num_queries):
    reviewed, calm, _ = queue
    url = f"/api/v1/projects/{reviewed.project.pk}/review/queue/"
    with django_assert_max_num_queries(8):
        response = client(reviewed.users["rita"]).get(url)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    first, second = body["results"]
    assert [first["id"], second["id"]] == [reviewed.document.pk, calm.pk]
    scores = dict(DocumentAgreement.objects.values_list("document_id", "disagreement"))
    assert first["disagreement"] == pytest.approx(scores[reviewed.document.pk])
    assert first["disagreement"] > second["disagreement"]
    assert [layer["username"] for layer in first["layers"]] == ["anna-review", "ben-review"]
    assert [layer["n_spans"] for layer in first["layers"]] == [4, 3]
    assert (first["layers_submitted"], first["gold"], first["adjudicated"]) == (2, None, False)
    assert first["source"]["slug"] == "review-herald"

    def ids(**params):
        response = client(reviewed.users["max"]).get(url, params)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["results"]]

    assert ids(source="calm-times") == [calm.pk]
    assert ids(label="CLAIM") == [reviewed.document.pk]
    assert ids(label="OPINION") == [reviewed.document.pk, calm.pk]
    assert ids(annotator="ben-review") == [reviewed.document.pk, calm.pk]
    assert ids(page_size="1", page="2") == [calm.pk]
    assert ids(adjudicated="true") == []
    _decide(reviewed, {"action": "adjudicate"})
    assert ids(adjudicated="true") == [reviewed.document.pk]
    assert ids(adjudicated="false") == [calm.pk]


def test_the_queue_refuses_unknown_filters(queue):
    reviewed = queue[0]
    url = f"/api/v1/projects/{reviewed.project.pk}/review/queue/"
    response = client(reviewed.users["rita"]).get(
        url, {"label": "RUMOUR", "annotator": "nobody", "source": "x"}
    )
    assert response.status_code == 400
    assert set(response.json()) == {"label", "annotator", "source"}
    assert client(reviewed.users["rita"]).get(url, {"page_size": "lots"}).status_code == 400
    assert client(reviewed.users["rita"]).get(url, {"adjudicated": "maybe"}).status_code == 400
    assert client(reviewed.users["rita"]).get(url, {"adjudicated": ""}).status_code == 400


# THE REVIEW STATE AND THE ACTIONS
# ------------------------------------------------------------------------------


def test_the_review_state_shows_every_layer_with_its_annotator(reviewed, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        response = client(reviewed.users["rita"]).get(f"/api/v1/documents/{reviewed.document.pk}/review/")
    assert response.status_code == 200
    body = response.json()
    assert body["document"]["text"] == TEXT
    assert body["annotators_per_document"] == 2
    assert [(la["username"], la["status"]) for la in body["layers"]] == [
        ("anna-review", "submitted"),
        ("ben-review", "submitted"),
    ]
    assert [s["text"] for s in body["layers"][1]["spans"]] == [
        "Tram costs rose.",
        "Critics fumed.",
        "council said costs rose 12%.",
    ]
    assert (body["gold"], body["adjudicated"], body["decisions"]) == (None, False, [])
    assert [(g["kinds"], g["agreed"]) for g in body["groups"]] == [
        ([], True),
        (["label", "attribute"], False),
        (["boundary", "attribute"], False),
        (["missing"], False),
    ]
    assert body["groups"][0]["spans"] == [reviewed.spans["tram_a"].pk, reviewed.spans["tram_b"].pk]


def test_every_action_through_the_api_writes_its_decision(reviewed):
    spans = reviewed.spans
    # accept: the span with its attributes; the answer holds the decision and the new state.
    response = _decide(reviewed, {"action": "accept", "span_id": spans["council_b"].pk, "note": "closest"})
    assert response.status_code == 200, response.content
    (decision,) = response.json()["decisions"]
    assert (decision["action"], decision["reviewer"], decision["note"]) == (
        "accept",
        "rita-review",
        "closest",
    )
    assert decision["source_span_ids"] == [spans["council_b"].pk]
    assert decision["before"] is None
    assert decision["after"]["text"] == "council said costs rose 12%."
    review = response.json()["review"]
    (gold_span,) = review["gold"]["spans"]
    assert decision["gold_span"] == gold_span["id"]
    assert review["gold"]["username"] == "rita-review"
    assert review["groups"][2]["gold_spans"] == [gold_span["id"]]

    # accept_agreed: the tram sentence only.
    response = _decide(reviewed, {"action": "accept_agreed"}, who="max")
    (agreed,) = response.json()["decisions"]
    assert agreed["action"] == "accept_agreed"
    assert sorted(agreed["source_span_ids"]) == sorted([spans["tram_a"].pk, spans["tram_b"].pk])
    assert response.json()["review"]["gold"]["username"] == "rita-review"  # still the one gold layer

    # edit: boundaries move with the text; the version read goes along.
    phrase = "The council said costs rose 12%."
    start = TEXT.index(phrase)
    response = _decide(
        reviewed,
        {
            "action": "edit",
            "gold_span_id": gold_span["id"],
            "version": 1,
            "start": start,
            "end": start + len(phrase),
            "text": phrase,
        },
    )
    (edit,) = response.json()["decisions"]
    assert (edit["before"]["start"], edit["after"]["start"], edit["after"]["version"]) == (36, start, 2)
    # The span's history names the reviewer who made each change.
    history = Span.history.filter(id=gold_span["id"]).order_by("history_id")
    assert [(h.history_type, h.history_user.username) for h in history] == [
        ("+", "rita-review"),
        ("~", "rita-review"),
    ]

    # take_attributes: anna's values replace ben's.
    response = _decide(
        reviewed,
        {
            "action": "take_attributes",
            "gold_span_id": gold_span["id"],
            "version": 2,
            "span_id": spans["council_a"].pk,
        },
    )
    (taken,) = response.json()["decisions"]
    assert taken["before"]["attributes"] == {"evidence": "ANONYMOUS_SOURCE"}
    assert taken["after"]["attributes"] == {"evidence": "NAMED_SOURCE", "hedged": False}

    # add: a span of the reviewer's own.
    response = _decide(
        reviewed,
        {
            "action": "add",
            "label": "OPINION",
            "start": 17,
            "end": 31,
            "text": "Critics fumed.",
            "attributes": {},
        },
    )
    (added,) = response.json()["decisions"]
    assert (added["action"], added["after"]["label"], added["source_span_ids"]) == ("add", "OPINION", [])

    # reject: ben's CLAIM on the critics sentence (recorded) and then a gold span (removed).
    response = _decide(reviewed, {"action": "reject", "span_id": spans["critics_b"].pk, "note": "opinion"})
    (rejected,) = response.json()["decisions"]
    assert rejected["source_span_ids"] == [spans["critics_b"].pk]
    assert (rejected["before"]["annotator"], rejected["after"]) == ("ben-review", None)
    response = _decide(reviewed, {"action": "reject", "gold_span_id": added["gold_span"], "version": 1})
    (removed,) = response.json()["decisions"]
    assert (removed["before"]["text"], removed["gold_span"]) == ("Critics fumed.", None)

    # reopen: ben's layer, with a comment.
    response = _decide(
        reviewed, {"action": "reopen", "assignment_id": reviewed.layers["ben"].pk, "note": "12%?"}
    )
    (reopened,) = response.json()["decisions"]
    assert (reopened["action"], reopened["note"]) == ("reopen", "12%?")
    assert response.json()["review"]["layers"][1]["status"] == "in_progress"

    # adjudicate: the gold layer is submitted.
    response = _decide(reviewed, {"action": "adjudicate", "note": "final"})
    assert response.json()["review"]["adjudicated"] is True
    assert response.json()["review"]["gold"]["status"] == "submitted"

    actions = list(Decision.objects.filter(document=reviewed.document).values_list("action", flat=True))
    assert actions == [
        "accept",
        "accept_agreed",
        "edit",
        "take_attributes",
        "add",
        "reject",
        "reject",
        "reopen",
        "adjudicate",
    ]
    # After adjudication every action but reopen is a conflict.
    response = _decide(reviewed, {"action": "accept", "span_id": spans["fares_a"].pk})
    assert response.status_code == 409
    assert "reopen its gold layer" in response.json()["detail"]


def test_a_stale_edit_of_a_gold_span_by_a_second_reviewer_is_a_409(reviewed):
    _decide(reviewed, {"action": "accept", "span_id": reviewed.spans["tram_a"].pk})
    # Both reviewers read the review state: the gold span is at version 1.
    (gold_span,) = (
        client(reviewed.users["max"])
        .get(f"/api/v1/documents/{reviewed.document.pk}/review/")
        .json()["gold"]["spans"]
    )
    first = _decide(
        reviewed,
        {
            "action": "edit",
            "gold_span_id": gold_span["id"],
            "version": gold_span["version"],
            "attributes": {"evidence": "QUOTE"},
        },
    )
    second = _decide(
        reviewed,
        {
            "action": "edit",
            "gold_span_id": gold_span["id"],
            "version": gold_span["version"],
            "label": "OPINION",
        },
        who="max",
    )
    assert first.status_code == 200
    assert second.status_code == 409
    assert second.json()["current"]["version"] == 2
    assert second.json()["current"]["attributes"] == {"evidence": "QUOTE"}
    current = _gold_span(reviewed)
    assert (current.label.key, current.attributes, current.version) == ("CLAIM", {"evidence": "QUOTE"}, 2)
    assert Decision.objects.filter(action=DecisionAction.EDIT).count() == 1
    # A gold span removed meanwhile is a conflict too.
    _decide(reviewed, {"action": "reject", "gold_span_id": gold_span["id"], "version": 2})
    gone = _decide(
        reviewed,
        {"action": "edit", "gold_span_id": gold_span["id"], "version": 2, "label": "OPINION"},
        who="max",
    )
    assert gone.status_code == 409


def test_bad_actions_answer_400_with_a_message_per_field(reviewed):
    assert _decide(reviewed, {"action": "approve"}).status_code == 400
    assert _decide(reviewed, {"span_id": 1}).json() == {"action": ["This field is required."]}
    assert _decide(reviewed, {"action": "accept"}).json() == {"span_id": ["accept needs span_id."]}
    response = _decide(reviewed, {"action": "accept_agreed", "label": "CLAIM"})
    assert response.json() == {"label": ["accept_agreed does not take label."]}
    response = _decide(reviewed, {"action": "edit", "gold_span_id": 1})
    assert response.status_code == 400
    assert response.json() == {"version": ["edit needs version."]}
    response = _decide(reviewed, {"action": "add", "label": "CLAIM", "start": 0, "end": 4, "text": "Tram!"})
    assert response.status_code == 400
    assert "text does not match" in response.json()["text"][0]
    response = _decide(reviewed, {"action": "accept", "span_id": 2**31 - 1})
    assert response.status_code == 400
    response = _decide(reviewed, {"action": "adjudicate"}, who="rita")
    assert response.status_code == 200


# WHO MAY REVIEW
# ------------------------------------------------------------------------------


def test_annotators_cannot_review_and_outsiders_see_nothing(reviewed):
    other = make_reviewed("other")
    project, document = reviewed.project, reviewed.document
    paths = [
        ("get", f"/api/v1/projects/{project.pk}/review/queue/", None),
        ("get", f"/api/v1/projects/{project.pk}/decisions/export/", None),
        ("get", f"/api/v1/documents/{document.pk}/review/", None),
        ("post", f"/api/v1/documents/{document.pk}/decisions/", {"action": "accept_agreed"}),
    ]
    for method, path, body in paths:
        assert (
            getattr(client(reviewed.users["anna"]), method)(path, body, format="json").status_code == 403
        ), path
        assert (
            getattr(client(reviewed.users["olga"]), method)(path, body, format="json").status_code == 404
        ), path
        # A reviewer of another project is an outsider here.
        assert getattr(client(other.users["rita"]), method)(path, body, format="json").status_code == 404, (
            path
        )
        assert getattr(client(None), method)(path, body, format="json").status_code == 401, path
    assert not Decision.objects.exists()


def test_the_gold_layer_changes_only_through_decisions(reviewed):
    _decide(reviewed, {"action": "accept", "span_id": reviewed.spans["tram_a"].pk})
    gold_span = _gold_span(reviewed)
    rita = client(reviewed.users["rita"])
    assert rita.get(f"/api/v1/spans/{gold_span.pk}/").status_code == 200  # reviewers read it
    response = rita.patch(f"/api/v1/spans/{gold_span.pk}/", {"version": 1, "label": "OPINION"}, format="json")
    assert response.status_code == 403
    assert "decisions" in response.json()["detail"]
    layer = gold_span.layer_id
    assert (
        rita.post(
            f"/api/v1/assignments/{layer}/spans/",
            {"label": "OPINION", "start": 0, "end": 4, "text": "Tram"},
            format="json",
        ).status_code
        == 403
    )
    assert rita.post(f"/api/v1/assignments/{layer}/submit/").status_code == 403
    assert client(reviewed.users["anna"]).get(f"/api/v1/spans/{gold_span.pk}/").status_code == 404


# EXPORTS AND THE REPORT
# ------------------------------------------------------------------------------


def test_the_gold_export_after_adjudication_contains_exactly_the_gold_spans(reviewed):
    spans = reviewed.spans
    _decide(reviewed, {"action": "accept", "span_id": spans["tram_b"].pk})
    _decide(reviewed, {"action": "accept", "span_id": spans["council_a"].pk})
    _decide(reviewed, {"action": "add", "label": "OPINION", "start": 17, "end": 31, "text": "Critics fumed."})
    assert _decide(reviewed, {"action": "adjudicate"}).status_code == 200
    response = client(reviewed.users["rita"]).get(
        f"/api/v1/projects/{reviewed.project.pk}/export/", {"basis": "gold", "format": "jsonl"}
    )
    assert response.status_code == 200
    (record,) = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]
    assert record["document_id"] == reviewed.document.pk
    gold = {
        (s.label.key, s.start, s.end, s.text)
        for s in Span.objects.filter(layer__kind="gold").select_related("label")
    }
    assert {(s["label"], s["start"], s["end"], s["text"]) for s in record["spans"]} == gold
    assert len(record["spans"]) == 3


def test_the_decisions_export_streams_the_audit_trail_as_jsonl(reviewed):
    _decide(reviewed, {"action": "accept", "span_id": reviewed.spans["tram_a"].pk, "note": "obvious"})
    _decide(reviewed, {"action": "reject", "span_id": reviewed.spans["critics_b"].pk}, who="max")
    url = f"/api/v1/projects/{reviewed.project.pk}/decisions/export/"
    response = client(reviewed.users["rita"]).get(url)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/jsonl; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="review-decisions.jsonl"'
    rows = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]
    assert [(r["action"], r["reviewer"], r["document_id"]) for r in rows] == [
        ("accept", "rita-review", reviewed.document.pk),
        ("reject", "max-review", reviewed.document.pk),
    ]
    first = Decision.objects.order_by("pk").first()
    assert rows[0] == {
        "id": first.pk,
        "document_id": reviewed.document.pk,
        "external_id": "",
        "reviewer": "rita-review",
        "action": "accept",
        "gold_span_id": first.gold_span_id,
        "source_span_ids": [reviewed.spans["tram_a"].pk],
        "before": None,
        "after": first.after,
        "note": "obvious",
        "created_at": first.created_at.isoformat(),
    }
    rejected = client(reviewed.users["rita"]).get(url, {"action": "reject"})
    assert len(b"".join(rejected.streaming_content).splitlines()) == 1
    later = (timezone.now() + timedelta(hours=1)).isoformat()
    assert b"".join(client(reviewed.users["rita"]).get(url, {"since": later}).streaming_content) == b""
    assert client(reviewed.users["rita"]).get(url, {"action": "approve"}).status_code == 400
    assert client(reviewed.users["rita"]).get(url, {"since": ""}).status_code == 400


def test_the_agreement_report_shows_each_annotator_against_gold(reviewed, django_capture_on_commit_callbacks):
    _decide(reviewed, {"action": "accept_agreed"})
    _decide(reviewed, {"action": "accept", "span_id": reviewed.spans["critics_a"].pk})
    _decide(reviewed, {"action": "accept", "span_id": reviewed.spans["council_a"].pk})
    _decide(reviewed, {"action": "accept", "span_id": reviewed.spans["fares_a"].pk})
    with django_capture_on_commit_callbacks(execute=True):
        assert _decide(reviewed, {"action": "adjudicate"}).status_code == 200
    response = client(reviewed.users["max"]).get(f"/api/v1/projects/{reviewed.project.pk}/agreement/")
    assert response.status_code == 200
    body = response.json()
    gold = body["metrics"]["gold"]
    anna, ben = str(reviewed.users["anna"].pk), str(reviewed.users["ben"].pk)
    assert gold["n_documents"] == 1
    assert body["annotators"][anna] == "anna-review"
    assert body["annotators"][ben] == "ben-review"
    # Gold is anna's layer exactly; ben matches the tram sentence exactly and the council one
    # by overlap: exact F1 = 2 * 1 / (4 + 3), overlap F1 = 2 * 2 / (4 + 3).
    assert gold["annotators"][anna]["overall"]["f1_exact"]["value"] == 1.0
    assert gold["annotators"][ben]["overall"]["f1_exact"]["value"] == pytest.approx(2 / 7)
    assert gold["annotators"][ben]["overall"]["f1_overlap"]["value"] == pytest.approx(4 / 7)
    assert gold["annotators"][ben]["labels"]["OPINION"]["f1_exact"]["value"] == 0.0


# THE PAGES
# ------------------------------------------------------------------------------


def test_the_review_pages_are_for_reviewers_and_managers(client, queue):
    reviewed, calm, _ = queue
    pages = [f"/projects/{reviewed.project.pk}/review/", f"/review/{reviewed.document.pk}/"]
    for path in pages:
        assert client.get(path).status_code == 302  # to the login page
        client.force_login(reviewed.users["anna"])
        assert client.get(path).status_code == 403
        client.force_login(reviewed.users["olga"])
        assert client.get(path).status_code == 404
        client.force_login(reviewed.users["rita"])
        assert client.get(path).status_code == 200
        client.logout()
    client.force_login(reviewed.users["max"])
    html = client.get(pages[0]).content.decode()
    assert html.index(f'data-document="{reviewed.document.pk}"') < html.index(f'data-document="{calm.pk}"')
    assert "anna-review (4)" in html
    filtered = client.get(pages[0], {"source": "calm-times"}).content.decode()
    assert f'data-document="{reviewed.document.pk}"' not in filtered
    assert "No label" in client.get(pages[0], {"label": "RUMOUR"}).content.decode()
    review = client.get(pages[1]).content.decode()
    assert 'id="review-config"' in review
    assert "Keyboard shortcuts" in review


def test_the_agreement_page_shows_annotators_against_gold(
    client, reviewed, django_capture_on_commit_callbacks
):
    _decide(reviewed, {"action": "accept_agreed"})
    with django_capture_on_commit_callbacks(execute=True):
        _decide(reviewed, {"action": "adjudicate"})
    client.force_login(reviewed.users["rita"])
    html = client.get(f"/projects/{reviewed.project.pk}/agreement/").content.decode()
    assert "Against gold" in html
    assert "anna-review" in html


def test_the_schema_shows_what_each_review_action_needs():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    mapping = components["DecisionInput"]["discriminator"]["mapping"]
    assert set(mapping) == {
        "accept", "accept_agreed", "edit", "add", "reject", "take_attributes", "reopen", "adjudicate", "answer"
    }  # fmt: skip

    def required(action: str) -> set[str]:
        return set(components[mapping[action].rsplit("/", 1)[1]].get("required", []))

    assert required("accept") == {"action", "span_id"}
    assert required("add") == {"action", "label", "start", "end", "text"}
    assert required("take_attributes") == {"action", "gold_span_id", "version", "span_id"}
    assert required("reopen") == {"action", "assignment_id"}
    assert required("adjudicate") == {"action"}
    assert required("answer") == {"action", "question", "value"}

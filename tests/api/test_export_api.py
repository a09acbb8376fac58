"""GET /api/v1/projects/{id}/export/: each format over HTTP, the bases, the filters and their
errors, who may export, the OpenAPI description, and streaming 100,000 spans in bounded memory."""

from __future__ import annotations

import hashlib
import io
import json
import tracemalloc
from datetime import UTC, datetime

import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from annotator.agreement.maths.competence import NO_SPAN, MaceModel
from annotator.layers.services import layer_assign, layer_submit
from annotator.models import CompetenceReport, Document, Layer, LayerKind, LayerStatus, Role, Span
from annotator.review.services import review_adjudicate
from annotator.spans.services import span_create
from tests.annotator.test_exporters import ATTRIBUTE_KEYS, CSV_COLUMNS
from tests.api.conftest import PHRASE, TEXT
from tests.factories import DocumentFactory, ProjectFactory, SourceFactory, UserFactory, member, span_at

MIB = 1024 * 1024
BEN_TEXT = "council said costs rose 12%."


def _url(world) -> str:
    return f"/api/v1/projects/{world.project.pk}/export/"


def _get(world, who: str = "reviewer", **params: str):
    return world.client(who).get(_url(world), params)


def _body(response) -> str:
    assert response.status_code == 200
    assert response.streaming
    return b"".join(response.streaming_content).decode("utf-8")


def _jsonl(response) -> list[dict]:
    return [json.loads(line) for line in _body(response).splitlines()]


@pytest.fixture
def labelled(world):
    """anna: the CLAIM of the world plus an OPINION right after the emoji; ben: a shorter CLAIM.
    Both layers submitted."""
    span_at(world.layer_a, "OPINION", "🚋 news", hedged=True)  # at 5 to 11
    span_at(world.layer_b, "CLAIM", BEN_TEXT, evidence="DATA")
    layer_submit(layer=world.layer_a)
    layer_submit(layer=world.layer_b)
    return world


def _add_layer(world, username: str, spans, *, kind=LayerKind.ANNOTATION, submit=True) -> Layer:
    if kind == LayerKind.ANNOTATION:
        user = member(world.project, Role.ANNOTATOR, username=username)
    else:
        user = UserFactory(username=username)
    layer = Layer.objects.create(document=world.document, user=user, kind=kind)
    for label, text, attributes in spans:
        span_at(layer, label, text, **attributes)
    if submit:
        layer_submit(layer=layer)
    return layer


# FORMATS
# ------------------------------------------------------------------------------


def test_jsonl_export_is_a_streamed_attachment_of_every_submitted_layer(labelled):
    response = _get(labelled)
    assert response["Content-Type"] == "application/jsonl; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="world-all.jsonl"'
    (record,) = _jsonl(response)
    assert record["document_id"] == labelled.document.pk
    assert (record["source"], record["title"], record["text"]) == ("herald", "Tram costs", TEXT)
    assert record["annotators"] == ["anna", "ben"]
    assert [(s["annotator"], s["label"], s["start"], s["end"], s["text"]) for s in record["spans"]] == [
        ("anna", "OPINION", 5, 11, "🚋 news"),
        ("anna", "CLAIM", 39, 71, PHRASE),
        ("ben", "CLAIM", 43, 71, BEN_TEXT),
    ]
    assert record["spans"][1]["attributes"] == {"evidence": "NAMED_SOURCE"}


def test_layers_not_submitted_are_not_exported(world):
    assert _body(_get(world)) == ""  # the world's layers are still in progress


def test_csv_export_reads_back_with_pandas(labelled):
    response = _get(labelled, format="csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="world-all.csv"'
    frame = pd.read_csv(io.StringIO(_body(response)))
    assert list(frame.columns) == [*CSV_COLUMNS, *ATTRIBUTE_KEYS]
    assert list(zip(frame["annotator"], frame["start"], frame["end"], frame["text"], strict=True)) == [
        ("anna", 5, 11, "🚋 news"),
        ("anna", 39, 71, PHRASE),
        ("ben", 43, 71, BEN_TEXT),
    ]
    assert list(frame["evidence"].fillna("")) == ["", "NAMED_SOURCE", "DATA"]


def test_conll_export_tags_each_layers_tokens(labelled):
    response = _get(labelled, format="conll")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="world-all.conll"'
    body = _body(response)
    anna, ben = body.split("# document_id = ")[1:]
    assert anna.splitlines()[:7] == [
        str(labelled.document.pk),
        "# external_id = ",
        "# source = herald",
        "# annotator = anna",
        "Tram\t0\t4\tO",
        "🚋\t5\t6\tB-OPINION",
        "news\t7\t11\tI-OPINION",
    ]
    assert "The\t39\t42\tB-CLAIM" in anna.splitlines()
    assert "The\t39\t42\tO" in ben.splitlines()
    assert "council\t43\t50\tB-CLAIM" in ben.splitlines()


def test_webanno_tsv_export_is_a_zip_of_a_file_per_layer(labelled):
    import zipfile

    from annotator.webanno_tsv import read_tsv

    response = _get(labelled, format="webanno-tsv")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].endswith('.zip"')
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = sorted(archive.namelist())
    assert [name.rsplit("/", 1)[1] for name in names] == ["anna.tsv", "ben.tsv"]
    anna = archive.read(names[0]).decode().split("\n")
    document = read_tsv(enumerate(anna[:-1], start=1))
    assert document.text == TEXT
    assert sorted(label for _, label, _ in document.spans()) == ["CLAIM", "OPINION"]


def test_csv_export_neutralises_formulas_in_span_text(world):
    text = '=HYPERLINK("http://evil.example") said the mayor.\n-5 percent, she said.'
    document = DocumentFactory(project=world.project, source=world.document.source, text=text)
    layer = layer_assign(document=document, user=world.users["annotator"])
    for start, end in ((0, 33), (50, 60)):
        span_create(
            layer=layer,
            label="OPINION",
            start=start,
            end=end,
            text=text[start:end],
            attributes={"voice": "AUTHOR"},
        )
    layer_submit(layer=layer)
    frame = pd.read_csv(io.StringIO(_body(_get(world, format="csv"))))
    assert list(frame["text"]) == ["'" + text[0:33], "'-5 percent"]


# BASES
# ------------------------------------------------------------------------------


def test_consensus_export_keeps_what_a_majority_of_layers_matches(labelled):
    _add_layer(labelled, "cara", [("CLAIM", PHRASE, {"evidence": "DATA"})])
    response = _get(labelled, basis="consensus")
    assert response["Content-Disposition"] == 'attachment; filename="world-consensus.jsonl"'
    (record,) = _jsonl(response)
    assert record["annotators"] == ["anna", "ben", "cara"]
    # CLAIM: all three layers; boundaries (39, 71) twice against (43, 71); evidence DATA twice
    # against NAMED_SOURCE. anna's OPINION has no match and is left out.
    assert record["spans"] == [
        {
            "label": "CLAIM",
            "start": 39,
            "end": 71,
            "text": PHRASE,
            "attributes": {"evidence": "DATA"},
            "model_version": None,
            "basis": "consensus",
        }
    ]


def test_model_export_weighs_each_annotator_by_the_stored_fit(labelled):
    response = _get(labelled, basis="model")
    assert response.status_code == 400
    assert response.json()["basis"][0].startswith("No competence estimate yet: estimate annotator competence")
    cara = _add_layer(labelled, "cara", [("CLAIM", PHRASE, {"evidence": "DATA"})])
    # A hand-made MACE fit: anna knows the answer 90% of the time; ben and cara spam 80% of the
    # time and, spamming, mark a span 90% of the time.
    people = {"anna": labelled.layer_a.user_id, "ben": labelled.layer_b.user_id, "cara": cara.user_id}
    annotators = {str(people["anna"]): (0.1, 0.9, (1 / 3, 1 / 3, 1 / 3))}
    annotators |= {str(people[name]): (0.8, 0.2, (0.45, 0.45, 0.1)) for name in ("ben", "cara")}
    model = MaceModel(values=("CLAIM", "OPINION", NO_SPAN), annotators=annotators)
    CompetenceReport.objects.create(
        project=labelled.project, metrics={"model": model.to_dict()}, computed_at=timezone.now()
    )
    response = _get(labelled, basis="model")
    assert response["Content-Disposition"] == 'attachment; filename="world-model.jsonl"'
    (record,) = _jsonl(response)
    assert record["annotators"] == ["anna", "ben", "cara"]
    # The CLAIM all three marked stands, as in the consensus. anna's OPINION, hers alone, stands
    # too: OPINION 0.933 * 0.08^2 against no span 0.033 * 0.28^2.
    assert [(s["label"], s["start"], s["end"], s["attributes"], s["basis"]) for s in record["spans"]] == [
        ("OPINION", 5, 11, {"hedged": True}, "model"),
        ("CLAIM", 39, 71, {"evidence": "DATA"}, "model"),
    ]


def test_consensus_skips_documents_with_a_single_submitted_layer(world):
    layer_submit(layer=world.layer_a)
    assert _body(_get(world, basis="consensus")) == ""


def test_gold_export_is_refused_until_a_document_is_adjudicated(labelled):
    """Gold is the adjudicated layer: a gold layer a reviewer is still working on is not gold."""
    response = _get(labelled, basis="gold")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["basis"][0].startswith("No gold layer yet: ")
    gold = _add_layer(
        labelled,
        "rita",
        [("CLAIM", PHRASE, {"evidence": "DATA"})],
        kind=LayerKind.GOLD,
        submit=False,
    )
    assert _get(labelled, basis="gold").status_code == 400
    review_adjudicate(document=labelled.document, reviewer=gold.user)
    response = _get(labelled, basis="gold", format="csv")
    assert response["Content-Disposition"] == 'attachment; filename="world-gold.csv"'
    frame = pd.read_csv(io.StringIO(_body(response)))
    assert list(zip(frame["basis"], frame["start"], frame["end"], strict=True)) == [("gold", 39, 71)]


# FILTERS
# ------------------------------------------------------------------------------


def test_filter_by_source_slug_or_id(labelled):
    SourceFactory(slug="gazette")
    assert len(_jsonl(_get(labelled, source="herald"))) == 1
    assert len(_jsonl(_get(labelled, source=str(labelled.document.source_id)))) == 1
    assert _body(_get(labelled, source="gazette")) == ""


def test_filter_by_label_keeps_only_its_spans(labelled):
    (record,) = _jsonl(_get(labelled, label="OPINION"))
    assert [(s["label"], s["annotator"]) for s in record["spans"]] == [("OPINION", "anna")]


def test_filter_by_annotator_keeps_only_their_layer(labelled):
    (record,) = _jsonl(_get(labelled, annotator="ben"))
    assert record["annotators"] == ["ben"]
    assert [s["annotator"] for s in record["spans"]] == ["ben"]


def test_filter_since_keeps_documents_whose_layers_changed_since(labelled):
    Layer.objects.update(updated_at=datetime(2024, 1, 1, tzinfo=UTC))
    assert len(_jsonl(_get(labelled, since="2023-12-31T23:00:00Z"))) == 1
    assert len(_jsonl(_get(labelled, since="2024-01-01"))) == 1  # a date is its midnight, UTC
    assert _body(_get(labelled, since="2024-01-01T00:00:01+00:00")) == ""


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"format": "xml"}, "format", '"xml" is not a valid choice.'),
        ({"basis": "silver"}, "basis", '"silver" is not a valid choice.'),
        ({"since": "yesterday"}, "since", "Datetime has wrong format."),
        ({"source": "nowhere"}, "source", "No source has the slug or id 'nowhere'."),
        ({"label": "FACT"}, "label", "No label 'FACT' in this project"),
        ({"annotator": "nobody"}, "annotator", "No annotator called 'nobody' in this project."),
        ({"annotator": "ben", "basis": "consensus"}, "annotator", "The annotator filter goes with basis all"),
    ],
)
def test_bad_parameters_answer_400_with_a_message_per_field(labelled, params, field, message):
    response = _get(labelled, **params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert list(body) == [field]
    assert body[field][0].startswith(message)


# ACCESS
# ------------------------------------------------------------------------------


def test_annotators_of_a_blind_project_may_not_export(labelled):
    for basis in ("all", "consensus", "gold"):
        assert _get(labelled, "annotator", basis=basis).status_code == 403


def test_annotators_of_an_open_project_export_layers_but_not_gold(labelled):
    labelled.project.blind = False
    labelled.project.save()
    assert len(_jsonl(_get(labelled, "annotator_b"))) == 1
    assert _get(labelled, "annotator_b", basis="consensus").status_code == 200
    assert _get(labelled, "annotator_b", basis="gold").status_code == 403


def test_outsiders_and_anonymous_callers_see_nothing(labelled):
    assert _get(labelled, "outsider").status_code == 404
    assert _get(labelled, None).status_code == 401
    assert _get(labelled, "manager", basis="silver").status_code == 400  # checked before any file


# OPENAPI
# ------------------------------------------------------------------------------


def test_openapi_describes_the_export_parameters_and_the_file(db):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/projects/{project_id}/export/"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert parameters["format"]["schema"]["enum"] == [
        "conll",
        "csv",
        "doccano",
        "jsonl",
        "label-studio",
        "spacy",
        "spacy-docbin",
        "webanno-tsv",
    ]
    assert parameters["basis"]["schema"]["enum"] == ["all", "consensus", "gold", "model"]
    assert parameters["since"]["schema"]["format"] == "date-time"
    assert "replaces documents by document_id" in parameters["since"]["description"]
    assert set(parameters) >= {"source", "label", "annotator"}
    assert set(operation["responses"]["200"]["content"]) == {
        "application/jsonl",
        "text/csv",
        "text/plain",
        "application/json",
        "application/zip",
    }
    assert "400" in operation["responses"]


# STREAMING
# ------------------------------------------------------------------------------

SENTENCE = "Costs rose. "  # 12 code points; each span covers "Costs"


def _big_project(n_documents: int = 500, spans_per_layer: int = 100):
    """n_documents documents x 2 submitted layers x spans_per_layer spans, made with bulk_create."""
    project = ProjectFactory(slug="big")
    reviewer = member(project, Role.REVIEWER, username="big-reviewer")
    annotators = [UserFactory(username=f"big-annotator-{i}") for i in range(2)]
    source = SourceFactory(slug="wire")
    claim = project.labels.get(key="CLAIM")
    texts = [f"{n}. " + SENTENCE * spans_per_layer for n in range(n_documents)]
    documents = Document.objects.bulk_create(
        Document(
            project=project,
            source=source,
            title=f"Wire {n}",
            text=text,
            text_sha256=hashlib.sha256(text.encode()).hexdigest(),
        )
        for n, text in enumerate(texts)
    )
    now = datetime.now(UTC)
    layers = Layer.objects.bulk_create(
        Layer(document=d, user=u, status=LayerStatus.SUBMITTED, submitted_at=now)
        for d in documents
        for u in annotators
    )
    for k in range(0, len(layers), 50):
        batch = []
        for layer in layers[k : k + 50]:
            offset = len(f"{layer.document.text.split('.', 1)[0]}. ")
            for i in range(spans_per_layer):
                start = offset + 12 * i
                batch.append(
                    Span(
                        layer=layer,
                        label=claim,
                        start=start,
                        end=start + 5,
                        text="Costs",
                        attributes={"evidence": "DATA", "hedged": False},
                    )
                )
        Span.objects.bulk_create(batch)
    return project, reviewer


@pytest.mark.slow
def test_100000_spans_stream_in_pages_with_bounded_memory(db):
    project, reviewer = _big_project()
    assert Span.objects.filter(layer__document__project=project).count() == 100_000
    client = APIClient()
    client.force_authenticate(reviewer)
    response = client.get(f"/api/v1/projects/{project.pk}/export/", {"format": "csv"})
    assert response.status_code == 200
    assert response.streaming
    rows = 0
    with CaptureQueriesContext(connection) as queries:
        tracemalloc.start()
        try:
            for chunk in response.streaming_content:
                rows += chunk.count(b"\n")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert rows == 1 + 100_000  # the header, then a row per span
    # The label keys; 200 spans a document: pages stop at 5,000 spans (25 documents), five
    # queries a page; then the empty page that ends the export. Nothing is read before the
    # stream is consumed.
    assert len(queries) == 1 + 20 * 5 + 1
    # A page's worth (about 4.5 MiB); holding the 100,000 spans at once would take twenty times that.
    assert peak < 8 * MIB

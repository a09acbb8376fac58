"""Round trips through the other tools' formats: our export in doccano's or Label Studio's
format, imported into a fresh project, gives back the same documents, layers, spans and (as far
as the format carries them) attributes. On text with emoji, combining marks, CRLF and
right-to-left script."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from annotator.exports.services import ExportFilters, export_stream
from annotator.imports.annotations.services import AnnotationImportOptions, annotations_import
from annotator.imports.services import ImportFile
from annotator.models import Membership, Role, Source, Span
from tests.factories import MembershipFactory, ProjectFactory, SourceFactory, UserFactory

TEXTS = [
    "Officials 🚋 said: “the cafe\u0301 is closed”.\r\nThe council said costs rose 12%.",
    "قال المجلس إن التكلفة 48 مليون 💶. Critics called it “fantasy”.",
    "𝐁old move: rents rose 9% in 2025, the mayor said.",
]
# (document, needle, label, attributes) per annotator
SPANS = {
    "anna": [
        (0, "“the cafe\u0301 is closed”", "OPINION", {}),
        (0, "costs rose 12%", "CLAIM", {"evidence": "NAMED_SOURCE"}),
        (
            1,
            "48 مليون 💶",
            "CLAIM",
            {"evidence": "LINK_DOCUMENT"},
        ),
    ],
    "ben": [
        (0, "costs rose 12%", "CLAIM", {"evidence": "LINK_DOCUMENT"}),
        (2, "𝐁old move", "OPINION", {}),
    ],
}


def utf16(text: str, index: int) -> int:
    return len(text[:index].encode("utf-16-le")) // 2


def _label_studio_source() -> bytes:
    """A Label Studio export holding TEXTS and SPANS, as its browser page would have counted."""
    tasks = []
    for number, text in enumerate(TEXTS):
        annotations = []
        for who, spans in SPANS.items():
            results = []
            for index, (document, needle, label, attributes) in enumerate(spans):
                if document != number:
                    continue
                start = text.index(needle)
                place = {"start": utf16(text, start), "end": utf16(text, start + len(needle))}
                results.append({"id": f"{who}{index}", "type": "labels", "from_name": "label", "to_name": "text",
                                "value": {**place, "text": needle, "labels": [label]}})  # fmt: skip
                if "evidence" in attributes:
                    results.append({"id": f"{who}{index}", "type": "choices", "from_name": "evidence", "to_name": "text",
                                    "value": {**place, "choices": [attributes["evidence"]]}})  # fmt: skip
            if results:
                annotations.append({"completed_by": {"username": who}, "result": results})
        tasks.append(
            {"id": number + 1, "data": {"text": text, "source": "herald"}, "annotations": annotations}
        )
    return json.dumps(tasks).encode()


def _project(users: dict[str, Any]) -> Any:
    project = ProjectFactory()
    for user in users.values():
        MembershipFactory(project=project, user=user, role=Role.ANNOTATOR)
    return project


def _import(project: Any, name: str, content: bytes, format: str, default_source: Any = None) -> Any:
    members = Membership.objects.filter(project=project).values_list("user__username", flat=True)
    usernames = {username: username for username in members}
    summary = annotations_import(
        project=project,
        file=ImportFile(name=name, stream=io.BytesIO(content)),
        options=AnnotationImportOptions(format=format, annotators=usernames),
        default_source=default_source,
    )
    assert summary.errors == [], [str(e) for e in summary.errors]
    return summary


def _spans(project: Any, *, attributes: bool = True) -> set[tuple[Any, ...]]:
    rows = Span.objects.filter(layer__document__project=project).select_related(
        "label", "layer__user", "layer__document"
    )
    return {
        (
            s.layer.document.text,
            s.layer.user.username,
            s.layer.status,
            s.label.key,
            s.start,
            s.end,
            s.text,
            json.dumps(s.attributes, sort_keys=True) if attributes else None,
        )
        for s in rows
    }


def _export(project: Any, format: str) -> bytes:
    return b"".join(export_stream(project=project, format=format, filters=ExportFilters()).chunks)


@pytest.fixture
def users(db: None) -> dict[str, Any]:
    SourceFactory(slug="herald")
    return {name: UserFactory(username=name) for name in SPANS}


def test_label_studio_round_trip_keeps_layers_spans_and_choices(users: dict[str, Any]) -> None:
    first = _project(users)
    _import(first, "tasks.json", _label_studio_source(), "label-studio")
    original = _spans(first)
    assert len(original) == 5
    second = _project(users)
    _import(second, "export.json", _export(first, "label-studio"), "label-studio")
    assert _spans(second) == original


def test_doccano_round_trip_keeps_layers_and_spans(users: dict[str, Any]) -> None:
    first = _project(users)
    _import(first, "tasks.json", _label_studio_source(), "label-studio")
    second = _project(users)
    summary = annotations_import(
        project=second, file=ImportFile(name="export.jsonl", stream=io.BytesIO(_export(first, "doccano"))),
        options=AnnotationImportOptions(format="doccano", annotators={u: u for u in users}, status="in_progress"),
    )  # fmt: skip
    assert summary.errors == []
    assert summary.documents_created == 3
    assert {row[:7] for row in _spans(second, attributes=False)} == {
        (*row[:2], "in_progress", *row[3:7]) for row in _spans(first)
    }


def test_an_export_of_no_documents_is_an_empty_array_and_imports_nothing(users: dict[str, Any]) -> None:
    project = _project(users)
    assert json.loads(_export(project, "label-studio")) == []
    assert _export(project, "doccano") == b""


def test_label_studio_regions_count_utf16_and_leave_out_what_choices_cannot_hold() -> None:
    from annotator.exports import ExportContext, ExportDocument, ExportLayer, ExportSpan, formatter_for

    text = "𝐁old 🚋 move"
    attributes = {"evidence": "DATA", "checked": True, "stance": [{"target": "x", "stance": "FAVOR"}]}
    span = ExportSpan("CLAIM", 7, 11, "move", attributes)
    layer = ExportLayer(name="anna", spans=[span], annotators=("anna",), email="anna@example.org")
    document = ExportDocument(1, "", "", "", "herald", None, text, [layer])
    formatter = formatter_for("label-studio", ExportContext())
    (task,) = json.loads("".join([*formatter.begin(), *formatter.document(document), *formatter.end()]))
    (annotation,) = task["annotations"]
    assert annotation["completed_by"] == {"username": "anna", "email": "anna@example.org"}
    labels, *choices = annotation["result"]
    assert (labels["value"]["start"], labels["value"]["end"]) == (9, 13)
    assert {c["from_name"]: c["value"]["choices"] for c in choices} == {
        "evidence": ["DATA"],
        "checked": ["true"],
    }


def _spacy_source() -> bytes:
    """SPANS as spaCy JSONL, one line per annotator and text, stance toward a target included."""
    lines = []
    for who, spans in SPANS.items():
        for number, text in enumerate(TEXTS):
            entries = []
            for document, needle, label, attributes in spans:
                if document == number:
                    start = text.index(needle)
                    extensions = dict(attributes)
                    if label == "CLAIM":
                        extensions["stance"] = [{"target": "Harbour City Council", "stance": "AGAINST"}]
                    entries.append(
                        {"start": start, "end": start + len(needle), "label": label, "_": extensions}
                    )
            lines.append(
                json.dumps(
                    {"text": text, "spans": entries, "_annotator_id": who, "meta": {"source": "herald"}}
                )
            )
    return "\n".join(lines).encode()


def _spacy_project(users: dict[str, Any]) -> tuple[Any, set[tuple[Any, ...]]]:
    """A project holding _spacy_source's layers (stance included), and its spans."""
    project = _project(users)
    _import(project, "spans.jsonl", _spacy_source(), "spacy")
    return project, _spans(project)


def test_spacy_round_trip_keeps_every_attribute(users: dict[str, Any]) -> None:
    first, original = _spacy_project(users)
    assert len(original) == 5
    assert any("Harbour City Council" in row[-1] for row in original)
    second = _project(users)
    _import(second, "export.jsonl", _export(first, "spacy"), "spacy")
    assert _spans(second) == original


def test_webanno_tsv_round_trip_keeps_every_attribute_and_the_exact_text(users: dict[str, Any]) -> None:
    import zipfile

    first, original = _spacy_project(users)
    export = _export(first, "webanno-tsv")
    # A file per document and layer, in a folder named by the title made safe as a file name.
    assert sorted(zipfile.ZipFile(io.BytesIO(export)).namelist()) == [
        "Officials 🚋 said- “the cafe\u0301 is closed”/anna.tsv",
        "Officials 🚋 said- “the cafe\u0301 is closed”/ben.tsv",
        "قال المجلس إن التكلفة 48 مليون 💶. Critics called it “fantasy”/anna.tsv",
        "𝐁old move- rents rose 9% in 2025, the mayor said/ben.tsv",
    ]
    second = _project(users)
    # TSV carries no document fields: the source is given, as for plain text.
    _import(second, "export.zip", export, "webanno-tsv", default_source=Source.objects.get(slug="herald"))
    assert _spans(second) == original
    assert "Officials 🚋 said- “the cafe\u0301 is closed”" in set(
        second.documents.values_list("title", flat=True)
    )


def test_spacy_docbin_round_trip_keeps_every_attribute_and_reads_in_spacy(users: dict[str, Any]) -> None:
    import zipfile

    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    first, original = _spacy_project(users)
    export = _export(first, "spacy-docbin")
    archive = zipfile.ZipFile(io.BytesIO(export))
    assert archive.namelist() == ["part-0001.spacy"]
    # spaCy reads the file as it reads training data: a document per layer, spans in group sc.
    docs = list(DocBin(store_user_data=True).from_bytes(archive.read("part-0001.spacy")).get_docs(Vocab()))
    assert sorted(doc.user_data["_annotator_id"] for doc in docs) == ["anna", "anna", "ben", "ben"]
    assert {(doc.text, s.label_, s.text) for doc in docs for s in doc.spans["sc"]} == {
        (row[0], row[3], row[6]) for row in original
    }
    second = _project(users)
    _import(second, "export.zip", export, "spacy-docbin")
    assert _spans(second) == original
    assert set(second.documents.values_list("source__slug", flat=True)) == {"herald"}

"""Annotation import (annotator.imports.annotations): doccano and Label Studio exports into
documents and layers, offsets converted from UTF-16 and checked, nothing half-imported."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from annotator.imports.annotations.services import AnnotationImportOptions, annotations_import
from annotator.imports.rows import NormalisedOffsets, normalize_text, text_sha256
from annotator.imports.services import ImportFile
from annotator.models import Document, Layer, LayerStatus, Span
from annotator.offsets import Utf16Offsets
from tests.factories import DocumentFactory, SourceFactory

# Emoji (two UTF-16 units each), a combining mark, right-to-left script and a CRLF.
TEXT = "Officials 🚋 said: “the cafe\u0301 is closed”.\r\nالمجلس قال إن 💶 48 million is enough."


def utf16(text: str, index: int) -> int:
    """The UTF-16 offset of code point `index`, as a browser-based tool counts."""
    return len(text[:index].encode("utf-16-le")) // 2


def span(text: str, needle: str) -> tuple[int, int]:
    start = text.index(needle)
    return utf16(text, start), utf16(text, start + len(needle))


def zip_of(members: dict[str, str]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    buffer.seek(0)
    return buffer


def doccano_line(text: str, labels: list[tuple[str, str]], **extra: Any) -> str:
    return json.dumps(
        {"id": 7, "text": text, "label": [[*span(text, n), label] for n, label in labels], **extra}
    )


def label_studio(text: str, annotations: list[tuple[Any, list[dict[str, Any]]]], **data: Any) -> str:
    tasks = [
        {
            "id": 3,
            "data": {"text": text, **data},
            "annotations": [{"completed_by": who, "result": result} for who, result in annotations],
        }
    ]
    return json.dumps(tasks)


def region(text: str, needle: str, label: str, rid: str, **choices: list[str]) -> list[dict[str, Any]]:
    start, end = span(text, needle)
    results = [
        {"id": rid, "type": "labels", "from_name": "label", "to_name": "text",
         "value": {"start": start, "end": end, "text": needle, "labels": [label]}},
    ]  # fmt: skip
    for name, values in choices.items():
        results.append({"id": rid, "type": "choices", "from_name": name, "to_name": "text",
                        "value": {"start": start, "end": end, "choices": values}})  # fmt: skip
    return results


OPTION_NAMES = ("annotators", "labels", "placeholders", "status")


def run(project: Any, name: str, content: str | io.BytesIO, format: str, **options: Any) -> Any:
    """Import `content` as `name`; `options` are AnnotationImportOptions' and annotations_import's."""
    stream = content if isinstance(content, io.BytesIO) else io.BytesIO(content.encode())
    read_as = AnnotationImportOptions(
        format=format, **{k: options.pop(k) for k in OPTION_NAMES if k in options}
    )
    options.setdefault("default_source", SourceFactory())
    file = ImportFile(name=name, stream=stream)
    return annotations_import(project=project, file=file, options=read_as, **options)


def counts() -> tuple[int, int, int, int]:
    from django.contrib.auth import get_user_model

    return (
        Document.objects.count(),
        Layer.objects.count(),
        Span.objects.count(),
        get_user_model().objects.count(),
    )


# -- pure conversions ---------------------------------------------------------------------


def test_utf16_offsets_become_code_points_and_refuse_the_middle_of_a_pair() -> None:
    offsets = Utf16Offsets("a😀b")
    assert [offsets.code_point(o) for o in range(6)] == [0, 1, None, 2, 3, None]
    assert Utf16Offsets("plain").code_point(5) == 5
    assert Utf16Offsets("plain").code_point(-1) is None
    text = "a😀b𝐁c"
    offsets = Utf16Offsets(text)
    for index in range(len(text) + 1):
        assert offsets.utf16(index) == len(text[:index].encode("utf-16-le")) // 2
        assert offsets.code_point(offsets.utf16(index)) == index


def test_offsets_follow_line_ending_normalisation() -> None:
    text = "\ufeffab\r\ncd\re"
    moved = NormalisedOffsets(text)
    normal = normalize_text(text)
    assert normal == "ab\ncd\ne"
    # every character that stays lands on itself
    for index, char in enumerate(text):
        if char != "\ufeff" and text[index : index + 2] != "\r\n":
            assert normal[moved(index)] == ("\n" if char == "\r" else char)
    assert normal[moved(text.index("cd")) : moved(text.index("cd") + 2)] == "cd"
    assert normal[moved(1) : moved(3)] == "ab"
    assert moved(len(text)) == len(normal)


# -- imports that land ----------------------------------------------------------------------


def test_doccano_zip_imports_one_submitted_layer_per_annotator(project: Any, members: dict[str, Any]) -> None:
    archive = zip_of(
        {
            "export/alice.jsonl": doccano_line(
                TEXT, [("“the cafe\u0301 is closed”", "OPINION"), ("💶 48 million", "DISCLAIMER")]
            ),
            "export/bob.jsonl": doccano_line(TEXT, [("المجلس قال", "OPINION")]),
        }
    )
    annotator, reviewer = members["annotator"], members["reviewer"]
    summary = run(
        project, "export.zip", archive, "doccano",
        annotators={"alice": annotator.username, "bob": reviewer.username}, actor=members["manager"],
    )  # fmt: skip
    assert summary.errors == []
    assert (summary.documents_created, summary.layers, summary.spans) == (1, 2, 3)
    document = Document.objects.get(project=project)
    assert document.text == normalize_text(TEXT)
    assert document.n_layers == 2
    assert document.layers_version == 1
    alice = Layer.objects.get(document=document, user=annotator)
    assert alice.status == LayerStatus.SUBMITTED
    assert alice.submitted_at is not None
    texts = {(s.label.key, s.text) for s in Span.objects.filter(layer=alice)}
    assert texts == {("OPINION", "“the cafe\u0301 is closed”"), ("DISCLAIMER", "💶 48 million")}
    for stored in Span.objects.filter(layer__document=document):
        assert document.text[stored.start : stored.end] == stored.text
    history = Span.history.filter(layer_id=alice.pk)
    assert history.count() == 2
    assert {h.history_user_id for h in history} == {members["manager"].pk}


def test_label_studio_regions_carry_their_attributes(project: Any, members: dict[str, Any]) -> None:
    claim = region(TEXT, "48 million", "CLAIM", "r1", evidence=["NAMED_SOURCE"])
    opinion = region(TEXT, "the cafe\u0301 is closed", "OPINION", "r2")
    content = json.loads(
        label_studio(TEXT, [({"id": 4, "email": "ann@example.org"}, claim + opinion), (9, opinion)])
    )
    content[0]["annotations"].append(
        {"completed_by": 11, "was_cancelled": True, "result": [{"type": "bogus"}]}
    )
    summary = run(
        project, "tasks.json", json.dumps(content), "label-studio",
        annotators={"ann@example.org": members["annotator"].username, "9": members["reviewer"].username},
    )  # fmt: skip
    assert summary.errors == []
    assert (summary.layers, summary.spans) == (2, 3)
    stored = Span.objects.get(layer__user=members["annotator"], label__key="CLAIM")
    assert stored.attributes == {"evidence": "NAMED_SOURCE"}
    assert stored.text == "48 million"
    assert Document.objects.get().external_id == "3"


def test_a_known_text_gets_layers_added_not_a_second_copy(project: Any, members: dict[str, Any]) -> None:
    existing = DocumentFactory(
        project=project, text=normalize_text(TEXT), text_sha256=text_sha256(normalize_text(TEXT))
    )
    summary = run(
        project, "alice.jsonl", doccano_line(TEXT, [("المجلس قال", "OPINION")]), "doccano",
        annotators={"alice": members["annotator"].username},
    )  # fmt: skip
    assert summary.errors == []
    assert (summary.documents_created, summary.documents_matched) == (0, 1)
    assert Document.objects.count() == 1
    assert Layer.objects.get().document_id == existing.pk


def test_in_progress_layers_may_leave_required_attributes_open(project: Any, members: dict[str, Any]) -> None:
    content = doccano_line(TEXT, [("48 million", "CLAIM")])
    summary = run(
        project,
        "alice.jsonl",
        content,
        "doccano",
        annotators={"alice": members["annotator"].username},
        status="in_progress",
    )
    assert summary.errors == []
    layer = Layer.objects.get()
    assert layer.status == LayerStatus.IN_PROGRESS
    assert layer.submitted_at is None


def test_unmapped_annotators_can_become_inactive_placeholders(project: Any) -> None:
    from django.contrib.auth import get_user_model

    from annotator.models import Membership, Role

    summary = run(
        project, "Zoë K.jsonl", doccano_line(TEXT, [("48 million", "OPINION")]), "doccano", placeholders=True
    )
    assert summary.errors == []
    user = get_user_model().objects.get(username="imported-zoe-k")
    assert summary.placeholders == ["imported-zoe-k"]
    assert not user.is_active
    assert not user.has_usable_password()
    assert Membership.objects.get(project=project, user=user).role == Role.ANNOTATOR


def test_a_placeholder_never_takes_over_a_persons_account(project: Any) -> None:
    from tests.factories import UserFactory

    person = UserFactory(username="imported-zoe-k")
    summary = run(
        project, "Zoë K.jsonl", doccano_line(TEXT, [("48 million", "OPINION")]), "doccano", placeholders=True
    )
    assert "'Zoë K' would become the placeholder 'imported-zoe-k', but that is a person's account" in str(
        summary.errors[0]
    )
    assert not Layer.objects.filter(user=person).exists()
    assert not person.memberships.exists()


# -- refused whole, nothing written ------------------------------------------------------------

MAPPED = {"alice": "annotator", "bob": "reviewer"}


PLAIN = "The council said the tram would cost 48 million."


def _doccano(labels: list[list[Any]], text: object = PLAIN, **extra: Any) -> str:
    return json.dumps({"id": 1, "text": text, "label": labels, **extra})


EMOJI_TEXT = "Tram 🚋 fares rise 🚋 again"


def webanno_tsv(*rows: str, version: str = "3.3", text: str = EMOJI_TEXT) -> str:
    header = [f"#FORMAT=WebAnno TSV {version}", "#T_SP=webanno.custom.Span|label|evidence", "", ""]
    return "\n".join([*header, f"#Text={text}", *rows]) + "\n"


REFUSED: dict[str, tuple[str, str, str, str]] = {
    # case: (file name, content, format, words the message must hold)
    "offsets outside the text": (
        "alice.jsonl",
        _doccano([[3, 900, "OPINION"]]),
        "doccano",
        "does not fit the text",
    ),
    "offsets inside an emoji": (
        "alice.jsonl",
        _doccano([[6, 9, "OPINION"]], EMOJI_TEXT),
        "doccano",
        "inside a character beyond U+FFFF",
    ),
    "code points where UTF-16 is expected": (
        "tasks.json",
        label_studio(
            EMOJI_TEXT,
            [
                (
                    "alice",
                    [
                        {
                            "id": "a",
                            "type": "labels",
                            "value": {"start": 18, "end": 23, "text": "again", "labels": ["OPINION"]},
                        }
                    ],
                )
            ],
        ),
        "label-studio",
        "the file says the span's text is 'again'",
    ),
    "an unknown label": (
        "alice.jsonl",
        _doccano([[0, 9, "PERSON"], [10, 11, "ORG"]]),
        "doccano",
        "labels not in this project's schema: 'ORG', 'PERSON'",
    ),
    "an unmapped annotator": (
        "carol.jsonl",
        _doccano([[0, 9, "OPINION"]]),
        "doccano",
        "not mapped to project members: 'carol'",
    ),
    "overlapping spans where overlaps are refused": (
        "alice.jsonl",
        _doccano([[0, 9, "OPINION"], [5, 12, "CLAIM"]]),
        "doccano",
        "does not allow overlaps",
    ),
    "the same span twice": (
        "alice.jsonl",
        _doccano([[0, 9, "OPINION"], [0, 9, "OPINION"]]),
        "doccano",
        "already exists in this layer",
    ),
    "a truncated file": ("tasks.json", label_studio(TEXT, [])[:-5], "label-studio", "invalid JSON"),
    "offsets given as strings": (
        "alice.jsonl",
        _doccano([["0", "9", "OPINION"]]),
        "doccano",
        "must be integers, not a string",
    ),
    "a span that is not a triple": ("alice.jsonl", _doccano([[0, 9]]), "doccano", "must be integers"),
    "a reversed span": ("alice.jsonl", _doccano([[9, 2, "OPINION"]]), "doccano", "is empty or reversed"),
    "a line without labels": (
        "alice.jsonl",
        json.dumps({"id": 1, "text": TEXT}),
        "doccano",
        "`label` (or `entities`)",
    ),
    "text that is not a string": (
        "alice.jsonl",
        _doccano([], 42),
        "doccano",
        "must be a string, not a number",
    ),
    "a required attribute left open": (
        "alice.jsonl",
        _doccano([[0, 9, "CLAIM"]]),
        "doccano",
        "must answer evidence",
    ),
    "an attribute value outside the schema": (
        "tasks.json",
        label_studio(TEXT, [("alice", region(TEXT, "48 million", "CLAIM", "r", evidence=["HEARSAY"]))]),
        "label-studio",
        "'HEARSAY' is not one of",
    ),
    "an attribute the schema lacks": (
        "tasks.json",
        label_studio(TEXT, [("alice", region(TEXT, "48 million", "OPINION", "r", mood=["grim"]))]),
        "label-studio",
        "unknown attribute 'mood'",
    ),
    "a result type not read": (
        "tasks.json",
        label_studio(TEXT, [("alice", [{"id": "x", "type": "rectanglelabels", "value": {}}])]),
        "label-studio",
        "type 'rectanglelabels' is not read",
    ),
    "a task without text": (
        "tasks.json",
        json.dumps([{"id": 1, "data": {"html": "<p>x</p>"}, "annotations": []}]),
        "label-studio",
        "data.text",
    ),
    "annotations that are not a list": (
        "tasks.json",
        json.dumps([{"id": 1, "data": {"text": TEXT}, "annotations": {}}]),
        "label-studio",
        "must be an array",
    ),
    "a span naming two labels": (
        "tasks.json",
        label_studio(
            TEXT,
            [
                (
                    "alice",
                    [
                        {
                            "id": "x",
                            "type": "labels",
                            "value": {"start": 0, "end": 9, "labels": ["CLAIM", "OPINION"]},
                        }
                    ],
                )
            ],
        ),
        "label-studio",
        "must name exactly one label",
    ),
    "an empty file": ("alice.jsonl", "", "doccano", "is empty (0 bytes)"),
    "a TSV file counting code points": (
        "alice.tsv",
        webanno_tsv("1-1\t0-4\tTram\t_\t_\t", "1-2\t5-6\t🚋\t_\t_\t", "1-3\t7-12\tfares\tOPINION\t*\t"),
        "webanno-tsv",
        "the token is 'fares', but the text has ' fare'",
    ),
    "a file that is not a DocBin": ("alice.spacy", "not msgpack", "spacy-docbin", "is not a spaCy DocBin"),
    "a TSV file of an older version": (
        "alice.tsv",
        webanno_tsv("1-1\t0-4\tTram\t_\t_\t", version="3.1"),
        "webanno-tsv",
        "WebAnno TSV 3.0 or 3.1",
    ),
    "a file of the wrong kind": ("alice.csv", "text\nx\n", "doccano", "is not a .jsonl file"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_a_bad_file_is_refused_whole_naming_the_problem(
    case: str, project: Any, members: dict[str, Any]
) -> None:
    name, content, format, words = REFUSED[case]
    project.allow_overlap = case != "overlapping spans where overlaps are refused"
    project.save(update_fields=["allow_overlap"])
    good = "bob.jsonl" if format == "doccano" else None
    annotators = {k: members[v].username for k, v in MAPPED.items()}
    before = counts()
    if good:  # a good file beside the bad one: it is not imported either
        archive = zip_of({good: doccano_line(TEXT, [("48 million", "OPINION")]), name: content})
        summary = run(project, "export.zip", archive, format, annotators=annotators)
    else:
        summary = run(project, name, content, format, annotators=annotators)
    assert summary.refused
    text = " | ".join(str(issue) for issue in summary.errors)
    assert words in text, text
    assert name.rsplit("/", 1)[-1] in text or "export.zip" in text
    assert counts() == before
    assert (summary.documents_created, summary.layers, summary.spans) == (0, 0, 0)


def test_problems_name_the_line_and_the_span(project: Any, members: dict[str, Any]) -> None:
    content = "\n".join(
        [doccano_line(TEXT, [("48 million", "OPINION")]), _doccano([[0, 9, "OPINION"], [3, 999, "CLAIM"]])]
    )
    summary = run(
        project, "alice.jsonl", content, "doccano", annotators={"alice": members["annotator"].username}
    )
    assert len(summary.errors) == 1
    assert str(summary.errors[0]).startswith("alice.jsonl:2: label[1]: [3, 999) does not fit the text")


def test_a_file_of_no_documents_is_refused(project: Any) -> None:
    summary = run(project, "tasks.json", "[]", "label-studio")
    assert [str(issue) for issue in summary.errors] == ["tasks.json: has no documents"]


def test_an_annotator_mapped_to_a_non_member_is_refused(project: Any) -> None:
    from tests.factories import UserFactory

    stranger = UserFactory(username="stranger")
    summary = run(
        project,
        "alice.jsonl",
        doccano_line(TEXT, [("48 million", "OPINION")]),
        "doccano",
        annotators={"alice": stranger.username},
    )
    assert "'alice' is mapped to 'stranger', who is not a member of this project" in str(summary.errors[0])
    assert Layer.objects.count() == 0


def test_a_second_layer_of_the_same_annotator_is_refused(project: Any, members: dict[str, Any]) -> None:
    content = doccano_line(TEXT, [("48 million", "OPINION")])
    mapping = {"alice": members["annotator"].username}
    assert not run(project, "alice.jsonl", content, "doccano", annotators=mapping).errors
    summary = run(project, "alice.jsonl", content, "doccano", annotators=mapping)
    assert "already has a layer on this document" in str(summary.errors[0])
    assert Layer.objects.count() == 1


def test_webanno_tsv_files_of_one_document_become_its_layers(project: Any, members: dict[str, Any]) -> None:
    alice = webanno_tsv(
        "1-1\t0-4\tTram\t_\t_\t", "1-2\t5-7\t🚋\t_\t_\t",
        "1-3\t8-13\tfares\tCLAIM[1]\tDATA[1]\t", "1-4\t14-18\trise\tCLAIM[1]\tDATA[1]\t",
        "1-5\t19-21\t🚋\t_\t_\t", "1-6\t22-27\tagain\t_\t_\t",
    )  # fmt: skip
    bob = webanno_tsv(
        "1-1\t0-4\tTram\t_\t_\t", "1-2\t5-7\t🚋\t_\t_\t", "1-3\t8-13\tfares\t_\t_\t",
        "1-4\t14-18\trise\t_\t_\t", "1-5\t19-21\t🚋\t_\t_\t", "1-6\t22-27\tagain\tOPINION\t*\t",
        "1-6.1\t22-25\taga\tDISCLAIMER\t*\t",
    )  # fmt: skip
    archive = zip_of({"annotation/fares.txt/alice.tsv": alice, "annotation/fares.txt/bob.tsv": bob})
    mapping = {k: members[v].username for k, v in MAPPED.items()}
    summary = run(project, "inception.zip", archive, "webanno-tsv", annotators=mapping)
    assert summary.errors == []
    assert (summary.documents_created, summary.layers, summary.spans) == (1, 2, 3)
    document = Document.objects.get(project=project)
    assert (document.title, document.text) == ("fares.txt", EMOJI_TEXT)
    assert {
        (s.layer.user.username, s.label.key, s.text, json.dumps(s.attributes)) for s in Span.objects.all()
    } == {
        (members["annotator"].username, "CLAIM", "fares rise", '{"evidence": "DATA"}'),
        (members["reviewer"].username, "OPINION", "again", "{}"),
        (members["reviewer"].username, "DISCLAIMER", "aga", "{}"),
    }


# -- the tools' own exports ----------------------------------------------------------------------
# Made by bench/tool_round_trip.py --write-fixtures: SAMPLE annotated through doccano's and
# Label Studio's own APIs by anna and ben, then exported by the tools themselves.

TOOLS = Path(__file__).parent / "fixtures" / "tools"
SAMPLE_SPANS = {
    ("anna", "OPINION", "“the cafe\u0301 is closed”"),
    ("anna", "CLAIM", "costs rose 12%"),
    ("anna", "CLAIM", "48 مليون 💶"),
    ("ben", "CLAIM", "costs rose 12%"),
    ("ben", "OPINION", "𝐁old move"),
    ("ben", "CLAIM", "rents rose 9% in 2025"),
}


def _tool_annotators(project: Any) -> dict[str, Any]:
    from annotator.models import Role
    from tests.factories import MembershipFactory, UserFactory

    users = {name: UserFactory(username=f"{name}-{project.slug}") for name in ("anna", "ben")}
    for user in users.values():
        MembershipFactory(project=project, user=user, role=Role.ANNOTATOR)
    return users


def _imported(project: Any, users: dict[str, Any]) -> set[tuple[str, str, str]]:
    names = {user.pk: name for name, user in users.items()}
    return {
        (names[s.layer.user_id], s.label.key, s.text)
        for s in Span.objects.filter(layer__document__project=project).select_related("label", "layer")
    }


def test_doccanos_own_export_imports_with_its_annotators(project: Any) -> None:
    users = _tool_annotators(project)
    archive = io.BytesIO((TOOLS / "doccano-1.8.4.zip").read_bytes())
    mapping = {name: user.username for name, user in users.items()}
    # doccano has no attributes, so CLAIM spans arrive without the evidence they require.
    summary = run(project, "doccano-1.8.4.zip", archive, "doccano", annotators=mapping, status="in_progress")
    assert summary.errors == []
    assert (summary.documents_created, summary.layers) == (3, 4)  # admin.jsonl holds no spans
    assert _imported(project, users) == SAMPLE_SPANS
    for stored in Span.objects.filter(layer__document__project=project).select_related("layer__document"):
        assert stored.layer.document.text[stored.start : stored.end] == stored.text


def test_label_studios_own_export_imports_with_its_annotators_and_choices(project: Any) -> None:
    users = _tool_annotators(project)
    content = (TOOLS / "label-studio-1.23.2.json").read_text()
    ids = sorted({a["completed_by"] for task in json.loads(content) for a in task["annotations"]})
    mapping = dict(zip(map(str, ids), (users["anna"].username, users["ben"].username), strict=True))
    summary = run(project, "label-studio-1.23.2.json", content, "label-studio", annotators=mapping)
    assert summary.errors == []
    assert _imported(project, users) == SAMPLE_SPANS
    evidence = {
        (s.layer.user_id, s.text): s.attributes.get("evidence")
        for s in Span.objects.filter(layer__document__project=project, label__key="CLAIM").select_related(
            "layer"
        )
    }
    assert evidence[(users["ben"].pk, "costs rose 12%")] == "DATA"
    assert evidence[(users["anna"].pk, "48 مليون 💶")] == "LINK_DOCUMENT"


def test_the_bulk_create_path_of_other_databases_writes_what_copy_writes(
    project: Any, members: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from annotator.imports.annotations import services
    from tests.factories import ProjectFactory

    def imported(target: Any) -> set[tuple[Any, ...]]:
        mapping = {"alice": members["annotator"].username}
        content = doccano_line(TEXT, [("48 million", "OPINION"), ("المجلس قال", "DISCLAIMER")])
        assert not run(
            target, "alice.jsonl", content, "doccano", annotators=mapping, actor=members["manager"]
        ).errors
        history = Span.history.filter(layer__document__project=target)
        return {
            (
                h.label_id,
                h.start,
                h.end,
                h.text,
                h.version,
                h.history_type,
                h.history_user_id,
                h.history_change_reason,
            )
            for h in history
        } | {
            ("span", s.start, s.end, s.text, s.version)
            for s in Span.objects.filter(layer__document__project=target)
        }

    with_copy = imported(project)
    other = ProjectFactory()
    from annotator.models import Membership

    Membership.objects.create(project=other, user=members["annotator"], role="annotator")
    monkeypatch.setattr(services, "copy_supported", lambda using: False)
    without = imported(other)
    same_labels = {label.pk: label.key for label in project.labels.all()} | {
        label.pk: label.key for label in other.labels.all()
    }
    normal = lambda rows: {(same_labels.get(r[0], r[0]), *r[1:]) for r in rows}  # noqa: E731
    assert normal(with_copy) == normal(without)
    assert len(with_copy) == 4


def test_spacy_lines_in_every_shape_count_code_points(project: Any, members: dict[str, Any]) -> None:
    text = "Tram 🚋 fares rise; 𝐁old claims follow."
    start = text.index("fares rise")
    bold = text.index("𝐁old claims")
    lines = [
        {"text": text, "spans": [{"start": start, "end": start + 10, "label": "OPINION", "text": "fares rise"}],
         "_annotator_id": "alice"},
        {"text": text, "spans": {"sc": [{"start": bold, "end": bold + 11, "label": "OPINION"}]}, "_annotator_id": "bob"},
    ]  # fmt: skip
    mapping = {"alice": members["annotator"].username, "bob": members["reviewer"].username}
    summary = run(project, "spans.jsonl", "\n".join(map(json.dumps, lines)), "spacy", annotators=mapping)
    assert summary.errors == []
    assert {s.text for s in Span.objects.filter(layer__document__project=project)} == {
        "fares rise",
        "𝐁old claims",
    }
    ents = json.dumps(
        {
            "text": text,
            "ents": [{"start": start + 1, "end": start + 11, "label": "OPINION", "text": "fares rise"}],
        }
    )
    refused = run(project, "carol.jsonl", ents, "spacy", placeholders=True)
    assert "the document has 'ares rise;' at [" in str(refused.errors[0])
    assert "(code points)" in str(refused.errors[0])

"""Export formats (pure: hand-made rows in, exact text out), the consensus rule, and the export
selector that reads the database a page at a time."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from annotator.agreement.maths.consensus import ConsensusSpan, LayerSpan, consensus_spans
from annotator.agreement.maths.positions import tokenize
from annotator.exports import (
    FORMATTERS,
    ExportContext,
    ExportDocument,
    ExportLayer,
    ExportSpan,
    encode_chunks,
    formatter_for,
    write_chunks,
)
from annotator.exports.formats import neutralise, sentence_starts
from tests.without_django import assert_runs_without_django

TEXT = "Tram 🚋 news. 𝐁old move: café vs cafe\u0301.\nThe council said costs rose 12%."
ATTRIBUTE_KEYS = ("stance", "evidence", "voice", "hedged", "check_worthy")
# The columns a CSV export starts with, before one per attribute.
CSV_COLUMNS = [
    "document_id",
    "external_id",
    "source",
    "annotator",
    "label",
    "start",
    "end",
    "text",
    "model_version",
]


def _span(label: str, start: int, end: int, **attributes: object) -> ExportSpan:
    return ExportSpan(label, start, end, TEXT[start:end], attributes)


def _document(*layers: ExportLayer, text: str = TEXT, external_id: str = "ext-1") -> ExportDocument:
    return ExportDocument(
        document_id=7,
        external_id=external_id,
        title="Tram costs",
        url="https://herald.example/tram",
        source="herald",
        published_at=datetime(2024, 5, 1, 9, 30, tzinfo=UTC),
        text=text,
        layers=layers,
    )


ANNA = ExportLayer(
    "anna",
    [
        _span("OPINION", 5, 11, hedged=True),  # 🚋 news: right after the emoji
        _span(
            "CLAIM",
            39,
            71,
            evidence="NAMED_SOURCE",
            stance=[{"target": "Harbour City Council", "stance": "NEUTRAL"}],
        ),
    ],
    ("anna",),
)
BEN = ExportLayer("ben", [_span("CLAIM", 43, 71, evidence="DATA")], ("ben",), answers={"reliability": 4})


def _export(name: str, *documents: ExportDocument, basis: str = "all") -> str:
    context = ExportContext(basis=basis, attribute_keys=ATTRIBUTE_KEYS)  # type: ignore[arg-type]
    return b"".join(write_chunks(formatter_for(name, context), documents)).decode("utf-8")


# REGISTRY AND WRITER
# ------------------------------------------------------------------------------


def test_formats_and_consensus_import_without_django():
    assert_runs_without_django("import annotator.exports, annotator.agreement.maths.consensus")


def test_every_format_is_registered_with_a_content_type_and_an_extension():
    assert {name: (f.content_type, f.extension) for name, f in FORMATTERS.items()} == {
        "jsonl": ("application/jsonl", "jsonl"),
        "csv": ("text/csv", "csv"),
        "conll": ("text/plain", "conll"),
        "doccano": ("application/jsonl", "jsonl"),
        "label-studio": ("application/json", "json"),
        "spacy": ("application/jsonl", "jsonl"),
        "spacy-docbin": ("application/zip", "zip"),
        "webanno-tsv": ("application/zip", "zip"),
    }


def test_writer_joins_small_pieces_into_bounded_chunks_and_keeps_multibyte_characters_whole():
    chunks = list(encode_chunks(["🚋" * 3] * 10, chunk_chars=7))
    assert [len(c.decode("utf-8")) for c in chunks] == [9, 9, 9, 3]
    assert b"".join(chunks).decode("utf-8") == "🚋" * 30
    assert list(encode_chunks([])) == []


# JSONL
# ------------------------------------------------------------------------------


def test_jsonl_writes_one_document_a_line_with_spans_at_code_point_offsets():
    lines = _export("jsonl", _document(ANNA, BEN)).splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record == {
        "document_id": 7,
        "external_id": "ext-1",
        "title": "Tram costs",
        "url": "https://herald.example/tram",
        "source": "herald",
        "published_at": "2024-05-01T09:30:00+00:00",
        "text": TEXT,
        "annotators": ["anna", "ben"],
        "spans": [
            {
                "label": "OPINION",
                "start": 5,
                "end": 11,
                "text": "🚋 news",
                "attributes": {"hedged": True},
                "model_version": None,
                "annotator": "anna",
            },
            {
                "label": "CLAIM",
                "start": 39,
                "end": 71,
                "text": "The council said costs rose 12%.",
                "attributes": {
                    "evidence": "NAMED_SOURCE",
                    "stance": [{"target": "Harbour City Council", "stance": "NEUTRAL"}],
                },
                "model_version": None,
                "annotator": "anna",
            },
            {
                "label": "CLAIM",
                "start": 43,
                "end": 71,
                "text": "council said costs rose 12%.",
                "attributes": {"evidence": "DATA"},
                "model_version": None,
                "annotator": "ben",
            },
        ],
        "answers": [{"question": "reliability", "value": 4, "annotator": "ben"}],
    }
    for span in record["spans"]:
        assert TEXT[span["start"] : span["end"]] == span["text"]
    assert "🚋" in lines[0]  # UTF-8, not \\u escapes


def test_jsonl_names_the_basis_instead_of_an_annotator_for_consensus_and_gold():
    layer = ExportLayer("consensus", [_span("CLAIM", 39, 71)], ("anna", "ben"))
    record = json.loads(_export("jsonl", _document(layer), basis="consensus"))
    assert record["spans"][0]["basis"] == "consensus"
    assert "annotator" not in record["spans"][0]
    assert record["annotators"] == ["anna", "ben"]


def test_jsonl_escapes_the_characters_line_readers_split_on():
    text = "One\u2028two\u2029three\x85four"
    output = _export("jsonl", _document(ExportLayer("anna", [], ("anna",)), text=text))
    assert output.count("\n") == 1
    assert len(output.splitlines()) == 1  # str.splitlines splits on U+2028, U+2029 and U+0085 too
    assert json.loads(output)["text"] == text


def test_jsonl_reads_back_with_pandas():
    output = _export("jsonl", _document(ANNA, BEN), _document(ExportLayer("anna", [], ("anna",))))
    frame = pd.read_json(io.StringIO(output), lines=True)
    assert list(frame["document_id"]) == [7, 7]
    assert frame["text"][0] == TEXT
    assert [s["start"] for s in frame["spans"][0]] == [5, 39, 43]
    assert frame["spans"][1] == []


# CSV
# ------------------------------------------------------------------------------


def test_csv_writes_a_header_and_one_row_per_span_with_a_column_per_attribute():
    rows = list(csv.reader(io.StringIO(_export("csv", _document(ANNA, BEN)), newline="")))
    assert rows[0] == [*CSV_COLUMNS, *ATTRIBUTE_KEYS]
    assert rows[1] == [
        "7",
        "ext-1",
        "herald",
        "anna",
        "OPINION",
        "5",
        "11",
        "🚋 news",
        "",  # model_version: a person marked it
        "",
        "",
        "",
        "true",
        "",
    ]
    assert rows[2] == [
        "7",
        "ext-1",
        "herald",
        "anna",
        "CLAIM",
        "39",
        "71",
        "The council said costs rose 12%.",
        "",
        '[{"target": "Harbour City Council", "stance": "NEUTRAL"}]',
        "NAMED_SOURCE",
        "",
        "",
        "",
    ]
    assert rows[3][3:8] == ["ben", "CLAIM", "43", "71", "council said costs rose 12%."]
    assert len(rows) == 4


def test_csv_names_the_basis_column_for_consensus_and_renames_attribute_keys_that_clash():
    context = ExportContext(basis="gold", attribute_keys=("evidence", "text"))
    header = next(iter(formatter_for("csv", context).begin()))
    assert (
        header
        == "document_id,external_id,source,basis,label,start,end,text,model_version,evidence,attribute_text\r\n"
    )


@pytest.mark.parametrize("cell", ["=1+2", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_csv_neutralises_cells_a_spreadsheet_would_run_as_a_formula(cell):
    assert neutralise(cell) == "'" + cell


def test_csv_leaves_ordinary_cells_alone():
    assert neutralise("council said") == "council said"
    assert neutralise("") == ""
    assert neutralise("a=b") == "a=b"


def test_csv_neutralises_text_external_ids_and_attribute_values():
    text = '=HYPERLINK("http://evil")  -5 percent'
    layer = ExportLayer(
        "@anna",
        [ExportSpan("CLAIM", 0, 26, text[:26], {"evidence": "+DATA", "voice": "AUTHOR"})],
        ("@anna",),
    )
    rows = list(
        csv.reader(io.StringIO(_export("csv", _document(layer, text=text, external_id="-1")), newline="")),
    )
    assert rows[1][:4] == ["7", "'-1", "herald", "'@anna"]
    assert rows[1][7] == "'" + text[:26]
    assert rows[1][10:12] == ["'+DATA", "AUTHOR"]


def test_csv_reads_back_with_pandas_including_line_breaks_commas_and_quotes_in_text():
    text = 'He said, "rates\nrose" 12%.'
    layer = ExportLayer("anna", [ExportSpan("CLAIM", 0, len(text), text, {"hedged": False})], ("anna",))
    output = _export("csv", _document(ANNA, BEN), _document(layer, text=text))
    frame = pd.read_csv(io.StringIO(output))
    assert list(frame.columns[:9]) == CSV_COLUMNS
    assert list(frame["start"]) == [5, 39, 43, 0]
    assert frame["start"].dtype.kind == "i"
    assert list(frame["text"]) == [
        "🚋 news",
        "The council said costs rose 12%.",
        "council said costs rose 12%.",
        text,
    ]
    assert json.loads(frame["stance"][1]) == [{"target": "Harbour City Council", "stance": "NEUTRAL"}]
    assert list(frame["hedged"].astype(object).where(frame["hedged"].notna(), None)) == [
        True,
        None,
        None,
        False,
    ]


# CONLL
# ------------------------------------------------------------------------------


def test_conll_tags_tokens_with_bio_per_layer_with_comment_lines_and_code_point_offsets():
    output = _export("conll", _document(ANNA, BEN))
    blocks = output.split("# document_id")
    assert blocks[0] == ""
    anna = "# document_id" + blocks[1]
    assert anna == (
        "# document_id = 7\n"
        "# external_id = ext-1\n"
        "# source = herald\n"
        "# annotator = anna\n"
        "Tram\t0\t4\tO\n"
        "🚋\t5\t6\tB-OPINION\n"
        "news\t7\t11\tI-OPINION\n"
        ".\t11\t12\tO\n"
        "\n"
        "𝐁old\t13\t17\tO\n"
        "move\t18\t22\tO\n"
        ":\t22\t23\tO\n"
        "café\t24\t28\tO\n"
        "vs\t29\t31\tO\n"
        "cafe\t32\t36\tO\n"
        "\u0301\t36\t37\tO\n"
        ".\t37\t38\tO\n"
        "\n"
        "The\t39\t42\tB-CLAIM\n"
        "council\t43\t50\tI-CLAIM\n"
        "said\t51\t55\tI-CLAIM\n"
        "costs\t56\t61\tI-CLAIM\n"
        "rose\t62\t66\tI-CLAIM\n"
        "12\t67\t69\tI-CLAIM\n"
        "%\t69\t70\tI-CLAIM\n"
        ".\t70\t71\tI-CLAIM\n"
        "\n"
    )
    ben = ("# document_id" + blocks[2]).splitlines()
    assert ben[3:5] == ["# annotator = ben", "# answer.reliability = 4"]  # the layer's article answers
    assert ben[-9:] == [
        "The\t39\t42\tO",
        "council\t43\t50\tB-CLAIM",
        "said\t51\t55\tI-CLAIM",
        "costs\t56\t61\tI-CLAIM",
        "rose\t62\t66\tI-CLAIM",
        "12\t67\t69\tI-CLAIM",
        "%\t69\t70\tI-CLAIM",
        ".\t70\t71\tI-CLAIM",
        "",
    ]
    # Every layer of a document has the same token lines, so blocks line up.
    assert [line.split("\t")[:3] for line in anna.splitlines()[4:]] == [
        line.split("\t")[:3] for line in ben[5:]
    ]


def _tags(text: str, *spans: tuple[str, int, int]) -> list[str]:
    layer = ExportLayer("anna", [ExportSpan(label, s, e, text[s:e], {}) for label, s, e in spans], ("anna",))
    lines = _export("conll", _document(layer, text=text)).splitlines()
    return [line.split("\t")[3] for line in lines if "\t" in line]


def test_conll_overlapping_spans_the_first_starting_span_wins():
    text = "aa bb cc dd ee"
    # OPINION starts first; CLAIM takes only the tokens OPINION leaves.
    assert _tags(text, ("CLAIM", 3, 14), ("OPINION", 0, 8)) == [
        "B-OPINION",
        "I-OPINION",
        "I-OPINION",
        "B-CLAIM",
        "I-CLAIM",
    ]
    # Equal starts: the longer span wins.
    assert _tags(text, ("CLAIM", 0, 5), ("OPINION", 0, 8)) == [
        "B-OPINION",
        "I-OPINION",
        "I-OPINION",
        "O",
        "O",
    ]


def test_conll_a_token_partly_inside_a_span_takes_its_label_and_adjacent_spans_begin_again():
    text = "aa bb cc"
    assert _tags(text, ("CLAIM", 1, 4)) == ["B-CLAIM", "I-CLAIM", "O"]
    assert _tags(text, ("CLAIM", 0, 2), ("CLAIM", 3, 8)) == ["B-CLAIM", "B-CLAIM", "I-CLAIM"]


def test_conll_sentences_end_after_terminal_punctuation_and_line_breaks_and_spans_begin_again():
    text = 'He left. "She stayed." Rates rose 3.5 percent\nNext one'
    bounds = tokenize(text)
    tokens = [text[s:e] for s, e in bounds.tolist()]
    firsts = [t for t, first in zip(tokens, sentence_starts(text, bounds), strict=True) if first]
    assert firsts == ["He", '"', "Rates", "Next"]
    # A span over a sentence end begins again in the next sentence.
    assert _tags("One. Two", ("CLAIM", 0, 8)) == ["B-CLAIM", "I-CLAIM", "B-CLAIM"]


def test_conll_names_the_basis_and_the_layers_behind_it():
    layer = ExportLayer("consensus", [], ("anna", "ben"))
    lines = _export("conll", _document(layer), basis="consensus").splitlines()
    assert lines[3:5] == ["# basis = consensus", "# annotators = anna, ben"]


def test_conll_of_an_empty_text_is_the_comment_lines_and_a_blank_line():
    layer = ExportLayer("anna", [], ("anna",))
    assert _export("conll", _document(layer, text="  \n")).endswith("# annotator = anna\n\n")


# CONSENSUS (pure)
# ------------------------------------------------------------------------------

THREE_LAYERS = [
    [
        LayerSpan(0, 10, "CLAIM", {"evidence": "DATA", "hedged": True, "voice": "AUTHOR"}),
        LayerSpan(20, 30, "OPINION", {"stance": [{"target": "A", "stance": "FAVOR"}]}),
        LayerSpan(40, 50, "CLAIM", {"evidence": "NONE"}),
    ],
    [
        LayerSpan(0, 10, "CLAIM", {"evidence": "DATA", "hedged": False, "voice": None}),
        LayerSpan(21, 30, "OPINION", {"stance": [{"target": "A", "stance": "FAVOR"}]}),
        LayerSpan(60, 70, "CLAIM", {"evidence": "DATA"}),
    ],
    [
        LayerSpan(1, 10, "CLAIM", {"evidence": "QUOTE"}),
        LayerSpan(20, 30, "CLAIM", {"evidence": "DATA"}),  # a CLAIM where the others saw an OPINION
    ],
]


def test_consensus_keeps_the_spans_a_majority_of_layers_matches():
    assert consensus_spans(THREE_LAYERS) == [
        # 3 of 3: boundaries (0, 10) twice against (1, 10) once; evidence DATA 2 against QUOTE 1;
        # hedged True against False is a tie and is left out; voice has one answer (null is none).
        ConsensusSpan(0, 10, "CLAIM", {"evidence": "DATA", "voice": "AUTHOR"}, support=3),
        # 2 of 3: boundaries tie, the earlier start wins.
        ConsensusSpan(20, 30, "OPINION", {"stance": [{"target": "A", "stance": "FAVOR"}]}, support=2),
    ]


def test_consensus_boundary_ties_go_to_the_earliest_start_then_the_shortest_span():
    layers = [[LayerSpan(5, 15, "CLAIM")], [LayerSpan(5, 12, "CLAIM")]]
    assert [(s.start, s.end) for s in consensus_spans(layers)] == [(5, 12)]
    layers = [[LayerSpan(6, 12, "CLAIM")], [LayerSpan(5, 12, "CLAIM")]]
    assert [(s.start, s.end) for s in consensus_spans(layers)] == [(5, 12)]


def test_consensus_needs_more_than_half_of_the_layers_and_at_least_two():
    pair = [LayerSpan(0, 10, "CLAIM")]
    assert consensus_spans([pair]) == []
    assert len(consensus_spans([pair, pair])) == 1
    assert consensus_spans([pair, pair, [], []]) == []  # 2 of 4 is not a majority; empty layers vote
    assert len(consensus_spans([pair, pair, pair, []])) == 1
    assert consensus_spans([[], []]) == []


def test_consensus_needs_the_same_label_and_half_the_longer_span():
    assert consensus_spans([[LayerSpan(0, 10, "CLAIM")], [LayerSpan(0, 10, "OPINION")]]) == []
    assert consensus_spans([[LayerSpan(0, 10, "CLAIM")], [LayerSpan(0, 4, "CLAIM")]]) == []
    assert len(consensus_spans([[LayerSpan(0, 10, "CLAIM")], [LayerSpan(0, 5, "CLAIM")]])) == 1


def test_consensus_compares_list_values_regardless_of_order():
    layers = [
        [LayerSpan(0, 10, "CLAIM", {"sources": ["named", "data"]})],
        [LayerSpan(0, 10, "CLAIM", {"sources": ["data", "named"]})],
        [LayerSpan(0, 10, "CLAIM", {"sources": ["data"]})],
    ]
    assert consensus_spans(layers)[0].attributes == {"sources": ["named", "data"]}


# THE SELECTOR (database)
# ------------------------------------------------------------------------------


@pytest.fixture
def setup(db):
    from annotator.models import Layer, LayerKind, LayerStatus
    from annotator.spans.services import span_create
    from tests.factories import DocumentFactory, ProjectFactory, SourceFactory, UserFactory

    project = ProjectFactory(slug="selector")
    herald, gazette = SourceFactory(slug="herald"), SourceFactory(slug="gazette")
    users = [UserFactory(username=name) for name in ("anna", "ben", "cara", "rita")]
    documents = [
        DocumentFactory(project=project, source=herald if n % 2 == 0 else gazette, text=f"Doc {n}. {TEXT}")
        for n in range(5)
    ]

    def layer(document, user, spans, *, kind=LayerKind.ANNOTATION, submitted=True):
        layer = Layer.objects.create(document=document, user=user, kind=kind)
        for label, start, end, attributes in spans:
            text = document.text[start:end]
            span_create(layer=layer, label=label, start=start, end=end, text=text, attributes=attributes)
        if submitted:
            Layer.objects.filter(pk=layer.pk).update(
                status=LayerStatus.SUBMITTED, submitted_at=datetime.now(UTC)
            )
        return layer

    claim = ("CLAIM", 7, 11, {"evidence": "DATA"})
    for n, document in enumerate(documents):
        for user in users[: 1 + n % 3]:
            layer(document, user, [claim])
    layer(documents[0], users[3], [claim], submitted=False)  # a layer in progress never counts
    return project, documents, users, layer


def _iter(project, **filters):
    from annotator.exports.services import export_documents_iter, export_filters_resolve

    return list(
        export_documents_iter(project=project, filters=export_filters_resolve(project=project, **filters))
    )


def test_selector_yields_each_document_once_in_id_order_across_pages(setup):
    from annotator.exports.services import ExportFilters, export_documents_iter

    project, documents, _, _ = setup
    every = list(export_documents_iter(project=project, filters=ExportFilters(), page_size=2))
    assert [d.document_id for d in every] == [d.pk for d in documents]
    assert [[layer.name for layer in d.layers] for d in every] == [
        ["anna"],
        ["anna", "ben"],
        ["anna", "ben", "cara"],
        ["anna"],
        ["anna", "ben"],
    ]
    # A page stops early at its span budget, but always takes at least one document.
    small = list(export_documents_iter(project=project, filters=ExportFilters(), max_page_spans=1))
    assert [d.document_id for d in small] == [d.pk for d in documents]


def test_selector_pages_never_split_a_document_whatever_the_span_budget(setup):
    """A page ends before a document its span read did not finish; a document over the budget
    on its own still comes whole, in a page of its own."""
    from annotator.exports.services import ExportFilters, export_documents_iter

    project, _, _, _ = setup
    whole = list(export_documents_iter(project=project, filters=ExportFilters()))
    assert sum(len(layer.spans) for d in whole for layer in d.layers) > 3
    for budget in (1, 2, 3, 5, 8):
        for page_size in (1, 2, 100):
            paged = list(
                export_documents_iter(
                    project=project, filters=ExportFilters(), page_size=page_size, max_page_spans=budget
                )
            )
            assert paged == whole, (budget, page_size)


def test_selector_counts_the_span_budget_after_the_label_filter(setup):
    """With a label filter, a page's budget counts only the spans it will export."""
    from annotator.exports.services import export_documents_iter, export_filters_resolve

    project, documents, users, layer = setup
    layer(documents[2], users[3], [("OPINION", 0, 3, {}), ("OPINION", 4, 6, {})])
    filters = export_filters_resolve(project=project, label="OPINION")
    whole = list(export_documents_iter(project=project, filters=filters))
    one_a_page = list(export_documents_iter(project=project, filters=filters, max_page_spans=1))
    assert one_a_page == whole
    assert [sum(len(layer.spans) for layer in d.layers) for d in whole] == [0, 0, 2, 0, 0]


def test_selector_reads_a_label_added_while_the_export_runs(setup):
    """Spans carry their label's id; a label the export has not seen yet is read when a span
    first uses it (the schema is frozen once spans exist, but an admin can still add one)."""
    from annotator.exports.services import ExportFilters, export_documents_iter
    from annotator.models import Label, Span

    project, documents, users, layer = setup
    exported = export_documents_iter(project=project, filters=ExportFilters(), page_size=1)
    assert next(exported).document_id == documents[0].pk
    rumour = Label.objects.create(project=project, key="RUMOUR", name="Rumour", order=9)
    added = layer(documents[4], users[3], [])
    Span.objects.create(layer=added, label=rumour, start=0, end=3, text=documents[4].text[:3])
    last = list(exported)[-1]
    assert [(layer.name, [s.label for s in layer.spans]) for layer in last.layers][-1] == ("rita", ["RUMOUR"])


def test_selector_pages_cost_five_queries_each(setup, django_assert_num_queries):
    from annotator.exports.services import ExportFilters, export_documents_iter

    project, _, _, _ = setup
    # The label keys, pages of 2, 2 and 1 document (layers, spans, answers, documents and the
    # page plan), then an empty plan.
    with django_assert_num_queries(1 + 5 * 3 + 1):
        list(export_documents_iter(project=project, filters=ExportFilters(), page_size=2))


def test_consensus_basis_skips_documents_with_fewer_than_two_submitted_layers(setup):
    project, documents, _, _ = setup
    exported = _iter(project, basis="consensus")
    assert [d.document_id for d in exported] == [documents[1].pk, documents[2].pk, documents[4].pk]
    layer = exported[1].layers[0]
    assert (layer.name, layer.annotators) == ("consensus", ("anna", "ben", "cara"))
    assert [(s.label, s.start, s.end, s.text, dict(s.attributes)) for s in layer.spans] == [
        ("CLAIM", 7, 11, "Tram", {"evidence": "DATA"})
    ]


def test_gold_basis_takes_the_adjudicated_gold_layer_changed_last(setup):
    """Gold layers still being worked on (not submitted) are not gold: the newest of the
    adjudicated ones counts, and a document with none is left out."""
    from annotator.models import Layer, LayerKind

    project, documents, users, layer = setup
    layer(documents[3], users[3], [("OPINION", 7, 11, {})], kind=LayerKind.GOLD, submitted=False)
    older = layer(documents[3], users[1], [("OPINION", 0, 3, {})], kind=LayerKind.GOLD)
    newer = layer(documents[3], users[2], [("CLAIM", 7, 11, {"evidence": "NONE"})], kind=LayerKind.GOLD)
    Layer.objects.filter(pk=older.pk).update(updated_at=datetime(2020, 1, 1, tzinfo=UTC))
    Layer.objects.filter(pk=newer.pk).update(updated_at=datetime(2021, 1, 1, tzinfo=UTC))
    layer(documents[4], users[3], [("OPINION", 7, 11, {})], kind=LayerKind.GOLD, submitted=False)
    exported = _iter(project, basis="gold")
    assert [d.document_id for d in exported] == [documents[3].pk]
    gold = exported[0].layers[0]
    assert (gold.name, gold.annotators, [s.label for s in gold.spans]) == ("gold", ("cara",), ["CLAIM"])


def test_filters_by_source_label_annotator_and_since(setup):
    from annotator.models import Layer

    project, documents, users, layer = setup
    herald = documents[0].source
    assert [d.document_id for d in _iter(project, source="herald")] == [
        d.pk for d in documents if d.source_id == herald.pk
    ]
    assert [d.document_id for d in _iter(project, source=str(herald.pk))] == [
        d.pk for d in documents if d.source_id == herald.pk
    ]
    layer(documents[2], users[3], [("OPINION", 0, 3, {})])
    by_label = _iter(project, label="OPINION")
    assert [[len(layer.spans) for layer in d.layers] for d in by_label][2] == [0, 0, 0, 1]
    by_annotator = _iter(project, annotator="cara")
    assert [(d.document_id, [layer.name for layer in d.layers]) for d in by_annotator] == [
        (documents[2].pk, ["cara"])
    ]
    Layer.objects.update(updated_at=datetime(2024, 1, 1, tzinfo=UTC))
    Layer.objects.filter(document=documents[4], user=users[1]).update(
        updated_at=datetime(2024, 3, 1, tzinfo=UTC)
    )
    since = datetime(2024, 2, 1, tzinfo=UTC)
    changed = _iter(project, since=since)
    assert [d.document_id for d in changed] == [documents[4].pk]
    assert [layer.name for layer in changed[0].layers] == ["anna", "ben"]  # the whole document
    assert _iter(project, since=since + timedelta(days=60)) == []


@pytest.mark.parametrize(
    ("filters", "field", "message"),
    [
        ({"basis": "silver"}, "basis", "Unknown basis 'silver'"),
        ({"source": "nowhere"}, "source", "No source has the slug or id 'nowhere'."),
        ({"source": "999999"}, "source", "No source has the slug or id '999999'."),
        ({"label": "FACT"}, "label", "No label 'FACT' in this project; its labels are CLAIM, OPINION"),
        ({"annotator": "nobody"}, "annotator", "No annotator called 'nobody' in this project."),
        ({"annotator": "anna", "basis": "consensus"}, "annotator", "basis all only"),
        ({"basis": "gold"}, "basis", "No gold layer yet: "),
    ],
)
def test_bad_filters_are_refused_with_a_message_per_field(setup, filters, field, message):
    from annotator.errors import ValidationError
    from annotator.exports.services import export_filters_resolve

    project = setup[0]
    with pytest.raises(ValidationError) as caught:
        export_filters_resolve(project=project, **filters)
    assert list(caught.value.message_dict) == [field]
    assert message in caught.value.message_dict[field][0]


@pytest.mark.parametrize("source", ["²", "99999999999999999999999", "0"])
def test_odd_source_values_are_refused_not_crashed_on(setup, source):
    from annotator.errors import ValidationError
    from annotator.exports.services import export_filters_resolve

    with pytest.raises(ValidationError) as caught:
        export_filters_resolve(project=setup[0], source=source)
    assert list(caught.value.message_dict) == ["source"]


def test_spacy_docbin_export_comes_in_parts_of_a_bounded_number_of_documents(monkeypatch):
    import io
    import zipfile

    from annotator.exports import ExportDocument, ExportLayer, ExportSpan, write_chunks
    from annotator.exports.tool_formats import SpacyDocBinFormatter

    monkeypatch.setattr(SpacyDocBinFormatter, "BATCH", 2)
    span = ExportSpan("CLAIM", 0, 5, "Costs", {"evidence": "DATA"})
    documents = [
        ExportDocument(n, "", f"T{n}", "", "herald", None, "Costs rose.", [ExportLayer("anna", [span])])
        for n in range(5)
    ]
    formatter = formatter_for("spacy-docbin", ExportContext(attribute_keys=("evidence",)))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(write_chunks(formatter, documents))))
    assert archive.namelist() == ["part-0001.spacy", "part-0002.spacy", "part-0003.spacy"]

"""WebAnno TSV 3.3 (annotator.webanno_tsv): files in the shapes INCEpTION writes are read into
the document's text and its span annotations; what we write reads back exactly. The files here
follow the format's documentation: UTF-16 offsets, sub-tokens, stacked and multi-token
annotations with their [N] numbers, escapes, layers that are not read."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.offsets import Utf16Offsets
from annotator.webanno_tsv import (
    DocumentTsv,
    TsvProblem,
    TsvSpan,
    escape_text,
    escape_value,
    read_tsv,
    unescape_text,
    unescape_value,
    value_text,
)


def lines(content: str) -> list[tuple[int, str]]:
    rows = content.split("\n")
    if rows and rows[-1] == "":
        rows.pop()
    return list(enumerate(rows, start=1))


def spans(content: str) -> list[tuple[str, str, dict[str, str]]]:
    """(covered text, label, attributes) of each annotation, offsets turned into code points."""
    document = read_tsv(lines(content))
    offsets = Utf16Offsets(document.text)
    found = []
    for annotation, label, attributes in document.spans():
        start, end = offsets.code_point(annotation.begin), offsets.code_point(annotation.end)
        assert start is not None and end is not None
        found.append((document.text[start:end], label, attributes))
    return found


def tsv(*body: str, header: str = "#T_SP=webanno.custom.Claim|value|Evidence") -> str:
    return "\n".join(["#FORMAT=WebAnno TSV 3.3", *([header] if header else []), "", "", *body]) + "\n"


def test_offsets_count_utf16_units_so_an_emoji_takes_two() -> None:
    content = tsv(
        "#Text=Fares 🚋 rise again .",
        "1-1\t0-5\tFares\t_\t_\t",
        "1-2\t6-8\t🚋\t_\t_\t",
        "1-3\t9-13\trise\tCLAIM[1]\tDATA[1]\t",
        "1-4\t14-19\tagain\tCLAIM[1]\tDATA[1]\t",
        "1-5\t20-21\t.\t_\t_\t",
    )
    assert read_tsv(lines(content)).text == "Fares 🚋 rise again ."
    assert spans(content) == [("rise again", "CLAIM", {"Evidence": "DATA"})]


def test_stacked_annotations_and_sub_tokens_keep_apart() -> None:
    content = tsv(
        "#Text=The tram-line costs rose .",
        "1-1\t0-3\tThe\t_\t_\t",
        "1-2\t4-13\ttram-line\tOPINION[1]\t*[1]\t",
        "1-2.1\t4-8\ttram\tCLAIM[2]|OPINION[3]\t*[2]|*[3]\t",
        "1-3\t14-19\tcosts\tOPINION[1]|CLAIM[4]\t*[1]|NAMED\\_SOURCE[4]\t",
        "1-4\t20-24\trose\tCLAIM[4]\tNAMED\\_SOURCE[4]\t",
        "1-4.1\t22-24\tse\tOPINION\t*\t",
        "1-5\t25-26\t.\t_\t_\t",
    )
    assert sorted(spans(content)) == [
        ("costs rose", "CLAIM", {"Evidence": "NAMED_SOURCE"}),
        ("se", "OPINION", {}),
        ("tram", "CLAIM", {}),
        ("tram", "OPINION", {}),
        ("tram-line costs", "OPINION", {}),
    ]


def test_the_text_is_rebuilt_from_sentences_as_inception_rebuilds_it() -> None:
    content = tsv(
        "#Sentence.id=s1",
        "#Text=One\\tline",
        "#Text=and the next .",
        "1-1\t0-3\tOne\t_\t_\t",
        "1-2\t4-8\tline\t_\t_\t",
        "1-3\t9-12\tand\t_\t_\t",
        "1-4\t13-16\tthe\t_\t_\t",
        "1-5\t17-21\tnext\t_\t_\t",
        "1-6\t22-23\t.\t_\t_\t",
        "",
        "#Text=Far",
        "2-1\t27-30\tFar\tOPINION\t*\t",
        "",
        "#Text=away",
        "3-1\t30-34\taway\t_\t_\t",
    )
    # A line break after each sentence, spaces up to the next; none where the next starts at once.
    assert read_tsv(lines(content)).text == "One\tline\nand the next .\n   Faraway"
    assert spans(content) == [("Far", "OPINION", {})]


def test_escaped_values_come_back_whole() -> None:
    content = tsv(
        "#Text=Odd value",
        "1-1\t0-3\tOdd\tCLAIM\ta\\|b\\[1\\]\\*\\_\\;\\->x\\\\y\t",
        "1-2\t4-9\tvalue\t_\t_\t",
    )
    assert spans(content) == [("Odd", "CLAIM", {"Evidence": "a|b[1]*_;->x\\y"})]


def test_only_the_projects_own_layers_and_named_entities_are_read() -> None:
    content = tsv(
        "#Text=Mayor Vance spoke",
        "1-1\t0-5\tMayor\tNN\t*\t*[1]\tPERSON[1]\t_\t_\t_\t_\t_\t",
        "1-2\t6-11\tVance\tNNP\t*\t*[1]\tPERSON[1]\t_\t_\t_\tsubj\t1-1\t",
        "1-3\t12-17\tspoke\tVBD\t*\t_\t_\t*\tagent\t1-2\t_\t_\t",
        header="\n".join(
            [
                "#T_SP=de.tudarmstadt.ukp.dkpro.core.api.lexmorph.type.pos.POS|PosValue|coarseValue",
                "#T_SP=de.tudarmstadt.ukp.dkpro.core.api.ner.type.NamedEntity|identifier|value",
                "#T_SP=webanno.custom.Claim|",
                "#T_SP=webanno.custom.Frame|ROLE_webanno.custom.Frame:Roles_webanno.custom.FrameRolesLink|webanno.custom.Lu",
                "#T_RL=webanno.custom.Rel|value|BT_webanno.custom.Claim",
            ]
        ),
    )
    # POS is left out, the entity's label is its value, the featureless layer's label its name,
    # the slot feature's columns and the relation are not spans.
    assert spans(content) == [("Mayor Vance", "PERSON", {}), ("spoke", "Claim", {})]


@pytest.mark.parametrize(
    ("body", "header", "where", "words"),
    [
        (["#Text=x", "1-1\t0-1\tx\t_\t_\t"], "#FORMAT=WebAnno TSV 3.1", "#FORMAT", "3.0 or 3.1"),
        (["#Text=x", "1-1\t0-1\tx\t_\t_\t"], "#FORMAT=CoNLL", "#FORMAT", "WebAnno TSV 3"),
        (["#Text=Fares rise", "1-1\t0-5\tFares\t_"], None, "line 6", "need 5"),
        (["1-1\t0-5\tFares\t_\t_\t"], None, "1-1", "must start with its #Text"),
        (["#Text=Fares", "1-1\t0-9\tFares\t_\t_\t"], None, "1-1", "does not fit the text"),
        (
            ["#Text=🚋 rise", "1-1\t0-2\t🚋\t_\t_\t", "1-2\t2-6\trise\tCLAIM\t*\t"],
            None,
            "1-2",
            "were the offsets",
        ),
        (["#Text=Fares", "1-1\t0-5\tFares\tCLAIM[x]\t_\t"], None, "1-1", "not a number"),
        (["#Text=Fares", "1-1\t0-5\tFares\t_\t_\t", "#Text=again"], None, "line 7", "follow a blank line"),
        (["#Text=Fares", "1-1\tzero-5\tFares\t_\t_\t"], None, "1-1", "are not begin-end"),
    ],
    ids=[
        "3.1",
        "not tsv",
        "too few fields",
        "no #Text",
        "past the end",
        "code points",
        "bad number",
        "header after a row",
        "bad offsets",
    ],
)
def test_a_bad_file_is_refused_naming_the_line(
    body: list[str], header: str | None, where: str, words: str
) -> None:
    content = tsv(*body)
    if header:
        content = content.replace("#FORMAT=WebAnno TSV 3.3", header)
    with pytest.raises(TsvProblem) as caught:
        read_tsv(lines(content))
    problem = caught.value
    assert words in problem.message
    assert where == (f"line {problem.line}" if where.startswith("line") else problem.where)


TEXTS = [
    "Officials 🚋 said: “the cafe\u0301 is closed”.\nThe council\tsaid costs rose 12%.\n\n  Second para",
    "قال المجلس إن التكلفة 48 مليون 💶. Critics called it “fantasy”.\n",
    "\n\tIndented start, trailing spaces   ",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(TEXTS),
    st.lists(
        st.tuples(st.integers(0, 90), st.integers(1, 30), st.sampled_from(["CLAIM", "OPINION"])), max_size=6
    ),
    st.dictionaries(
        st.sampled_from(["evidence", "checked"]), st.text(min_size=1, max_size=8) | st.booleans()
    ),
)
def test_what_we_write_reads_back_exactly(
    text: str, raw: list[tuple[int, int, str]], attributes: dict
) -> None:
    layer = []
    for start, length, label in raw:
        start = min(start, len(text) - 1)
        layer.append(TsvSpan(start, min(start + length, len(text)), label, attributes))
    document = read_tsv(lines(DocumentTsv(text, [layer], ["evidence", "checked"]).file(layer)))
    assert document.text == text
    offsets = Utf16Offsets(text)
    written = {(k, value_text(v)) for k, v in attributes.items()}
    assert {
        (offsets.code_point(a.begin), offsets.code_point(a.end), label, frozenset(values.items()))
        for a, label, values in document.spans()
    } == {(s.start, s.end, s.label, frozenset(written)) for s in layer}


@given(st.text())
def test_escapes_undo_exactly(text: str) -> None:
    assert unescape_value(escape_value(text)) == text
    assert unescape_text(escape_text(text)) == text
    assert "\t" not in escape_value(text) and "\n" not in escape_text(text)

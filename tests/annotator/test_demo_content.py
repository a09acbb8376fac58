"""Consistency checks for the demo content in annotator/demo/demo.json.

Pure JSON checks: no database and no Django, so they run with `-p no:django`.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from itertools import combinations, pairwise
from pathlib import Path
from urllib.parse import urlparse

import pytest

from annotator.schema import DEFAULT_ATTRIBUTES

DEMO_PATH = Path(__file__).resolve().parents[2] / "annotator" / "demo" / "demo.json"
DATA = json.loads(DEMO_PATH.read_text(encoding="utf-8"))

LABELS = {"CLAIM", "OPINION", "DISCLAIMER"}
EVIDENCE = {"NAMED_SOURCE", "ANONYMOUS_SOURCE", "LINK_DOCUMENT", "DATA", "QUOTE", "NONE"}
VOICES = {"AUTHOR", "QUOTED", "PARAPHRASED"}
STANCES = {"FAVOR", "AGAINST", "NEUTRAL"}

FOOTER_SOURCE = "harbour-herald"
FOOTER = "The views expressed here are the author’s own and do not necessarily reflect those of the Harbour Herald."
COMBINING_E_ACUTE = "e\u0301"

ARTICLES = DATA["articles"]
ARTICLE_BY_ID = {a["external_id"]: a for a in ARTICLES}
ANNOTATORS = DATA["users"]["annotators"]
TARGET_NAMES = {t["name"] if isinstance(t, dict) else t for t in DATA["targets"]}
SOURCE_SLUGS = {s["slug"] for s in DATA["sources"]}


def _layer_spans():
    """(annotator, external_id, span) for every span of every layer."""
    return [
        (annotator, external_id, span)
        for annotator, layer in DATA["layers"].items()
        for external_id, spans in layer.items()
        for span in spans
    ]


SPANS = _layer_spans()
SPAN_IDS = [f"{a}-{e}-{i}" for i, (a, e, _) in enumerate(SPANS)]


def _start(text: str, quote: str, occurrence: int) -> int:
    """Offset of the `occurrence`-th (1-based) occurrence of `quote` in `text`, or -1."""
    index = -1
    for _ in range(occurrence):
        index = text.find(quote, index + 1)
        if index < 0:
            return -1
    return index


def _offsets(external_id: str, span: dict) -> tuple[int, int]:
    text = ARTICLE_BY_ID[external_id]["text"]
    start = _start(text, span["quote"], span["occurrence"])
    assert start >= 0, f"{span['quote']!r} not found {span['occurrence']} time(s) in {external_id}"
    return start, start + len(span["quote"])


def _is_emoji(char: str) -> bool:
    code = ord(char)
    return 0x1F300 <= code <= 0x1FAFF or 0x2600 <= code <= 0x27BF


def _keyed_layer(annotator: str, external_id: str) -> list[tuple[int, int, dict]]:
    return sorted((*_offsets(external_id, span), span) for span in DATA["layers"][annotator][external_id])


# --------------------------------------------------------------------------- project, users, sources


def test_project_metadata() -> None:
    project = DATA["project"]
    assert project["name"] == "Harbour City Transit Debate (demo)"
    assert project["slug"] == "demo"
    assert project["description"].strip()
    lines = project["guidelines"].strip().splitlines()
    assert 25 <= len(lines) <= 50
    for word in ("CLAIM", "OPINION", "DISCLAIMER", "evidence", "voice", "hedged", "check_worthy", "stance"):
        assert word in project["guidelines"]


def test_targets() -> None:
    assert 4 <= len(TARGET_NAMES) <= 5
    assert len(TARGET_NAMES) == len(DATA["targets"])


def test_users() -> None:
    users = DATA["users"]
    assert users["manager"] == "demo-manager"
    assert users["reviewer"] == "demo-reviewer"
    assert users["annotators"] == ["demo-anna", "demo-ben", "demo-chloe"]


def test_four_sources() -> None:
    sources = DATA["sources"]
    assert len(sources) == 4
    assert len(SOURCE_SLUGS) == 4
    for source in sources:
        assert set(source) == {"slug", "name", "domain", "country", "language"}
        assert source["domain"].endswith(".example")
        assert len(source["country"]) == 2
        assert source["language"] == "en"


# --------------------------------------------------------------------------- articles


def test_about_twelve_articles() -> None:
    assert 10 <= len(ARTICLES) <= 14
    assert len(ARTICLE_BY_ID) == len(ARTICLES), "external_id values must be unique"
    assert len({a["text"] for a in ARTICLES}) == len(ARTICLES), "texts must be unique"


@pytest.mark.parametrize("article", ARTICLES, ids=[a["external_id"] for a in ARTICLES])
def test_article_fields(article: dict) -> None:
    assert article["source"] in SOURCE_SLUGS
    assert article["title"].strip()
    assert article["author"].strip()
    assert article["published_at"].endswith("Z")
    assert datetime.fromisoformat(article["published_at"]).tzinfo is not None
    domain = next(s["domain"] for s in DATA["sources"] if s["slug"] == article["source"])
    assert urlparse(article["url"]).netloc == domain
    assert 600 <= len(article["text"]) <= 1400
    assert "\n\n" in article["text"]


def test_articles_spread_over_sources() -> None:
    per_source = {slug: sum(a["source"] == slug for a in ARTICLES) for slug in SOURCE_SLUGS}
    assert all(count >= 2 for count in per_source.values()), per_source


def test_typographic_and_unicode_oddities_present() -> None:
    texts = [a["text"] for a in ARTICLES]
    everything = "\n".join(texts)
    for char in "“”‘’–—":
        assert char in everything, f"{char!r} missing"
    assert "%" in everything
    assert "£" in everything
    assert COMBINING_E_ACUTE in everything
    assert sum(any(_is_emoji(c) for c in text) for text in texts) >= 2


def test_emoji_directly_before_a_claim() -> None:
    for _annotator, external_id, span in SPANS:
        if span["label"] != "CLAIM":
            continue
        start, _ = _offsets(external_id, span)
        before = ARTICLE_BY_ID[external_id]["text"][:start].rstrip()
        if before and _is_emoji(before[-1]):
            return
    pytest.fail("no CLAIM span starts right after an emoji")


def test_footer_repeated_on_every_article_of_one_outlet() -> None:
    articles = [a for a in ARTICLES if a["source"] == FOOTER_SOURCE]
    assert len(articles) >= 2
    for article in articles:
        assert article["text"].endswith("\n\n" + FOOTER), article["external_id"]
    others = [a for a in ARTICLES if a["source"] != FOOTER_SOURCE]
    assert not any(FOOTER in a["text"] for a in others)


def test_sponsorship_or_correction_note_in_another_outlet() -> None:
    others = [a["text"].lower() for a in ARTICLES if a["source"] != FOOTER_SOURCE]
    assert any("sponsored by" in text or "correction" in text for text in others)


# --------------------------------------------------------------------------- layers


def test_every_annotator_has_a_layer_on_every_article() -> None:
    assert set(DATA["layers"]) == set(ANNOTATORS)
    for annotator in ANNOTATORS:
        assert set(DATA["layers"][annotator]) == set(ARTICLE_BY_ID), annotator
        for external_id, spans in DATA["layers"][annotator].items():
            assert 4 <= len(spans) <= 9, (annotator, external_id, len(spans))


@pytest.mark.parametrize(("annotator", "external_id", "span"), SPANS, ids=SPAN_IDS)
def test_span_is_well_formed(annotator: str, external_id: str, span: dict) -> None:
    text = ARTICLE_BY_ID[external_id]["text"]
    assert span["quote"], "empty quote"
    assert span["quote"] == span["quote"].strip(), "quote has surrounding whitespace"
    assert isinstance(span["occurrence"], int)
    assert span["occurrence"] >= 1
    assert text.count(span["quote"]) >= 1
    assert _start(text, span["quote"], span["occurrence"]) >= 0

    assert span["label"] in LABELS
    attributes = span["attributes"]
    applicable = {a["key"] for a in DEFAULT_ATTRIBUTES if span["label"] in a["applies_to"]}
    assert set(attributes) <= applicable, "an attribute that does not apply to the label"
    if span["label"] == "CLAIM":
        assert attributes.get("evidence") in EVIDENCE
    elif span["label"] == "OPINION":
        assert attributes.get("evidence", "NONE") in EVIDENCE
    if "voice" in applicable:
        assert attributes["voice"] in VOICES
        assert isinstance(attributes["hedged"], bool)
    if "check_worthy" in applicable:
        assert isinstance(attributes["check_worthy"], bool)
    stance = attributes.get("stance", [])
    targets = [item["target"] for item in stance]
    assert len(targets) == len(set(targets)), "a target appears twice"
    for item in stance:
        assert set(item) == {"target", "stance"}
        assert item["target"] in TARGET_NAMES
        assert item["stance"] in STANCES


@pytest.mark.parametrize("annotator", ANNOTATORS)
def test_no_overlapping_spans_within_a_layer(annotator: str) -> None:
    for external_id in ARTICLE_BY_ID:
        keyed = _keyed_layer(annotator, external_id)
        for (_, end, left), (start, _, right) in pairwise(keyed):
            assert end <= start, f"{annotator} {external_id}: {left['quote']!r} overlaps {right['quote']!r}"


def test_footer_disclaimers_are_marked() -> None:
    marked = sum(
        span["quote"] == FOOTER and span["label"] == "DISCLAIMER"
        for _, external_id, span in SPANS
        if ARTICLE_BY_ID[external_id]["source"] == FOOTER_SOURCE
    )
    assert marked >= 1


def _canonical(annotator: str, external_id: str) -> list[tuple]:
    return [
        (start, end, span["label"], json.dumps(span["attributes"], sort_keys=True))
        for start, end, span in _keyed_layer(annotator, external_id)
    ]


def test_layers_disagree_on_at_least_half_the_articles() -> None:
    disagreeing = [
        external_id
        for external_id in ARTICLE_BY_ID
        if len({tuple(_canonical(a, external_id)) for a in ANNOTATORS}) > 1
    ]
    assert len(disagreeing) >= math.ceil(len(ARTICLES) / 2), disagreeing


def test_layers_mostly_agree() -> None:
    """Most spans of each layer are matched exactly (offsets and label) by another annotator."""
    for annotator in ANNOTATORS:
        total = matched = 0
        for external_id in ARTICLE_BY_ID:
            others = {
                (start, end, label)
                for other in ANNOTATORS
                if other != annotator
                for start, end, label, _ in _canonical(other, external_id)
            }
            for start, end, label, _ in _canonical(annotator, external_id):
                total += 1
                matched += (start, end, label) in others
        assert matched / total >= 0.6, (annotator, matched, total)


def _disagreement_kinds() -> set[str]:
    kinds: set[str] = set()
    for external_id in ARTICLE_BY_ID:
        for first, second in combinations(ANNOTATORS, 2):
            left, right = _keyed_layer(first, external_id), _keyed_layer(second, external_id)
            for one, other in ((left, right), (right, left)):
                for start, end, span in one:
                    overlapping = [s for s in other if s[0] < end and start < s[1]]
                    if not overlapping:
                        kinds.add("missing")
                        continue
                    o_start, o_end, o_span = overlapping[0]
                    if (o_start, o_end) != (start, end):
                        kinds.add("boundary")
                    if o_span["label"] != span["label"]:
                        kinds.add("label")
                        continue
                    a, b = span["attributes"], o_span["attributes"]
                    if a.get("evidence") != b.get("evidence"):
                        kinds.add("evidence")
                    if sorted(map(json.dumps, a.get("stance", []))) != sorted(
                        map(json.dumps, b.get("stance", []))
                    ):
                        kinds.add("stance")
    return kinds


def test_disagreements_cover_the_realistic_kinds() -> None:
    assert _disagreement_kinds() >= {"missing", "boundary", "label", "evidence", "stance"}

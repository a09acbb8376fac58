"""The headline alpha over label sets, checked against nltk's AnnotationTask with the same
distance, and the degenerate cases: no variation, unused labels, intervals from too little data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nltk.metrics.agreement import AnnotationTask
from nltk.metrics.distance import jaccard_distance

from annotator.agreement.maths.labelsets import LabelSetCoincidences, jaccard_distances
from annotator.agreement.maths.positions import character_units, tokenize, unit_ranges
from annotator.agreement.maths.report import report_from_statistics
from annotator.agreement.maths.stats import SpanInput, document_statistics

DEMO = json.loads(
    (Path(__file__).parents[3] / "annotator" / "demo" / "demo.json").read_text(encoding="utf-8")
)
TEXT = (
    "The minister said the reform will cut taxes for most families. Critics called it reckless, "
    "and the budget office has not published its figures. This article was corrected on Monday."
)
Layers = dict[str, list[SpanInput]]


def nltk_alpha(layers: Layers, text: str, labels: tuple[str, ...], tokens: Any | None) -> float:
    """nltk's alpha with one item per position and the set of labels covering it as the value;
    Jaccard distance, 0 between two empty sets (nltk's own divides by their empty union)."""
    units = character_units(len(text)) if tokens is None else tokens
    data = []
    for coder, spans in layers.items():
        covering: list[set[str]] = [set() for _ in range(len(units))]
        for span in spans:
            first, stop, _ = unit_ranges(units, [(span[0], span[1], 1)])
            for position in range(int(first[0]), int(stop[0])):
                covering[position].add(str(span[2]))
        data += [(coder, str(p), frozenset(value)) for p, value in enumerate(covering)]

    def distance(a: frozenset[str], b: frozenset[str]) -> float:
        return float(jaccard_distance(a, b)) if a or b else 0.0

    return float(AnnotationTask(data=data, distance=distance).alpha())


def random_layers(rng: np.random.Generator, text_length: int, labels: tuple[str, ...], coders: int) -> Layers:
    layers: Layers = {}
    for coder in range(coders):
        spans: list[SpanInput] = []
        for _ in range(int(rng.integers(1, 9))):
            start = int(rng.integers(0, text_length - 1))
            end = int(rng.integers(start + 1, min(text_length, start + 80) + 1))
            spans.append((start, end, str(labels[int(rng.integers(0, len(labels)))])))
        layers[f"c{coder}"] = spans
    return layers


def headline(layers: Layers, labels: tuple[str, ...], text: str = TEXT, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("tokens", tokenize(text))
    statistics = document_statistics(layers, labels, text_length=len(text), allow_overlap=True, **kwargs)
    return report_from_statistics([statistics])["overall"]["alpha"]


def demo_layers(external_id: str) -> tuple[str, Layers]:
    """A demo article's text and its annotators' layers (the demo names spans by quote)."""
    text = next(a["text"] for a in DEMO["articles"] if a["external_id"] == external_id)
    layers: Layers = {}
    for user, documents in DEMO["layers"].items():
        spans: list[SpanInput] = []
        for span in documents.get(external_id, []):
            start = -1
            for _ in range(span.get("occurrence", 1)):
                start = text.index(span["quote"], start + 1)
            spans.append((start, start + len(span["quote"]), span["label"]))
        layers[user] = spans
    return text, layers


def test_jaccard_distances():
    d = jaccard_distances([(), (0,), (1,), (0, 1)])
    np.testing.assert_allclose(d, [[0, 1, 1, 1], [1, 0, 1, 0.5], [1, 1, 0, 0.5], [1, 0.5, 0.5, 0]])


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("resolution", ["token", "character"])
def test_headline_matches_nltk_with_the_jaccard_distance_on_random_data(seed, resolution):
    rng = np.random.default_rng(seed)
    labels = ("CLAIM", "OPINION", "DISCLAIMER")
    layers = random_layers(rng, len(TEXT), labels, int(rng.integers(2, 5)))
    tokens = tokenize(TEXT) if resolution == "token" else None
    ours = headline(layers, labels, tokens=tokens)
    assert ours["value"] == pytest.approx(nltk_alpha(layers, TEXT, labels, tokens), abs=1e-9)


@pytest.mark.parametrize("article", [a["external_id"] for a in DEMO["articles"][:6]])
def test_headline_matches_nltk_on_the_demo_news_articles(article):
    text, layers = demo_layers(article)
    labels = ("CLAIM", "OPINION", "DISCLAIMER")  # the default schema, which the demo uses
    rng = np.random.default_rng(len(text))
    # The demo's own layers, and the same with random spans added, most of them overlapping others.
    noisy = {user: spans + random_layers(rng, len(text), labels, 1)["c0"] for user, spans in layers.items()}
    for data in (layers, noisy):
        ours = headline(data, labels, text)
        assert ours["value"] == pytest.approx(nltk_alpha(data, text, labels, tokenize(text)), abs=1e-9)


def test_without_overlaps_the_headline_is_the_single_variable_alpha():
    layers: Layers = {
        "a": [(0, 62, "CLAIM"), (63, 89, "OPINION")],
        "b": [(4, 62, "CLAIM"), (63, 143, "CLAIM")],
        "c": [(0, 62, "CLAIM"), (144, 181, "DISCLAIMER")],
    }
    labels = ("CLAIM", "OPINION", "DISCLAIMER")
    tokens = tokenize(TEXT)
    single = document_statistics(layers, labels, text_length=len(TEXT), tokens=tokens, allow_overlap=False)
    overlap = document_statistics(layers, labels, text_length=len(TEXT), tokens=tokens, allow_overlap=True)
    assert report_from_statistics([overlap])["overall"]["alpha"]["value"] == pytest.approx(
        report_from_statistics([single])["overall"]["alpha"]["value"], abs=1e-12
    )


def test_every_annotator_marking_the_whole_text_with_one_label_has_no_variation():
    labels = ("CLAIM", "OPINION", "DISCLAIMER")
    layers: Layers = {name: [(0, len(TEXT), "CLAIM")] for name in ("a", "b", "c")}
    documents = [
        document_statistics(layers, labels, text_length=len(TEXT), tokens=tokenize(TEXT), allow_overlap=True)
    ] * 12
    for report in (report_from_statistics(documents[:1]), report_from_statistics(documents, n_boot=200)):
        overall = report["overall"]["alpha"]
        assert (overall["value"], overall["reason"]) == (None, "no variation")
        assert report["labels"]["CLAIM"]["alpha"]["reason"] == "no variation"
        assert report["fleiss_kappa"]["reason"] == "no variation"
        assert report["overall"]["alpha_u"]["value"] != 1.0
    assert report["overall"]["alpha"]["ci95"] is None
    assert report["overall"]["alpha"]["ci95_reason"] == "no variation"


# Three annotators' CLAIM spans on TEXT's tokens; only the schema's size changes below.
CLAIMS: Layers = {
    "a": [(0, 62, "CLAIM"), (91, 143, "CLAIM")],
    "b": [(4, 40, "CLAIM"), (63, 89, "CLAIM")],
    "c": [(0, 62, "CLAIM")],
}


def test_the_schema_does_not_move_the_headline():
    schemas = [("CLAIM",), ("CLAIM", "OPINION"), ("CLAIM", "OPINION", "DISCLAIMER")]
    schemas.append(("CLAIM", "OPINION", "DISCLAIMER", "SATIRE", "QUOTE"))
    expected = nltk_alpha(CLAIMS, TEXT, ("CLAIM",), tokenize(TEXT))
    for labels in schemas:
        stats = document_statistics(
            CLAIMS, labels, text_length=len(TEXT), tokens=tokenize(TEXT), allow_overlap=True
        )
        report = report_from_statistics([stats])
        assert report["overall"]["alpha"]["value"] == pytest.approx(expected, abs=1e-12)
        assert report["labels"]["CLAIM"]["alpha"]["value"] == pytest.approx(expected, abs=1e-12)
        for unused in labels[1:]:
            assert report["labels"][unused]["alpha"] == {"value": None, "reason": "not used"}
            assert report["labels"][unused]["alpha_u"] == {"value": None, "reason": "not used"}
            assert report["fleiss_kappa"]["categories"][unused] == {"value": None, "reason": "not used"}


def _figures(report: dict[str, Any], used: tuple[str, ...]) -> dict[str, Any]:
    """Every figure of a report that can exist whatever the schema: all but the unused labels'
    entries (which say "not used") and the confusion matrix's rows and columns of them."""
    out = {key: value for key, value in report.items() if key not in ("labels", "fleiss_kappa", "confusion")}
    out["labels"] = {key: report["labels"][key] for key in used}
    fleiss = report["fleiss_kappa"]
    out["fleiss_kappa"] = {**fleiss, "categories": {k: fleiss["categories"][k] for k in ("none", *used)}}
    at = [report["confusion"]["labels"].index(key) for key in used]
    out["confusion"] = [[report["confusion"]["counts"][i][j] for j in at] for i in at]
    return out


def _flat(tree: Any, path: str = "") -> dict[str, Any]:
    """Nested dicts and lists as {path: leaf}, so that approx compares every leaf."""
    if isinstance(tree, dict):
        return {k: v for key, value in tree.items() for k, v in _flat(value, f"{path}/{key}").items()}
    if isinstance(tree, list):
        return {k: v for i, value in enumerate(tree) for k, v in _flat(value, f"{path}/{i}").items()}
    return {path: tree}


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    extra=st.lists(st.sampled_from(["SATIRE", "QUOTE", "RUMOUR", "AD"]), min_size=1, max_size=4, unique=True),
    allow_overlap=st.booleans(),
    resolution=st.sampled_from(["token", "character"]),
)
def test_adding_unused_labels_leaves_every_figure_unchanged(seed, extra, allow_overlap, resolution):
    rng = np.random.default_rng(seed)
    used = ("CLAIM", "OPINION", "DISCLAIMER")
    tokens = tokenize(TEXT) if resolution == "token" else None
    documents = [random_layers(rng, len(TEXT), used, 3) for _ in range(12)]

    def report(labels: tuple[str, ...]) -> dict[str, Any]:
        stats = [
            document_statistics(d, labels, text_length=len(TEXT), tokens=tokens, allow_overlap=allow_overlap)
            for d in documents
        ]
        return report_from_statistics(stats, n_boot=100, seed=1)

    # An unused label may stand anywhere in the schema: first, between, or last.
    wider = (extra[0], "CLAIM", *extra[1:2], "OPINION", "DISCLAIMER", *extra[2:])
    with np.errstate(all="ignore"):
        before, after = report(used), report(wider)
    assert _flat(_figures(after, used)) == pytest.approx(_flat(_figures(before, used)), abs=1e-12)


def test_a_single_document_has_no_interval():
    labels = ("CLAIM", "OPINION", "DISCLAIMER")
    rng = np.random.default_rng(4)
    documents = [
        document_statistics(
            random_layers(rng, len(TEXT), labels, 3), labels, text_length=len(TEXT), allow_overlap=True
        )
        for _ in range(10)
    ]
    alone = report_from_statistics(documents[:1], n_boot=200)["overall"]["alpha"]
    assert alone["value"] is not None
    assert (alone["ci95"], alone["ci95_reason"]) == (None, "too few documents for an interval")
    nine = report_from_statistics(documents[:9], n_boot=200)["overall"]["f1_overlap"]
    assert nine["ci95_reason"] == "too few documents for an interval"
    ten = report_from_statistics(documents, n_boot=200)["overall"]["alpha"]
    assert ten["ci95_reason"] is None
    assert ten["ci95"][0] <= ten["value"] <= ten["ci95"][1]
    assert report_from_statistics(documents[:3], n_boot=200, min_documents=3)["overall"]["alpha"]["ci95"]


def test_an_interval_undefined_in_many_replicates_is_withheld():
    # OPINION varies in one document of twelve: a resample without that document has no
    # variation in OPINION, which happens in about (11/12)^12 = 35 % of the resamples.
    labels = ("CLAIM", "OPINION")
    claims: Layers = {"a": [(0, 62, "CLAIM")], "b": [(0, 40, "CLAIM")]}
    opinion: Layers = {"a": [(0, 62, "CLAIM"), (63, 89, "OPINION")], "b": [(0, 40, "CLAIM")]}
    documents = [
        document_statistics(layers, labels, text_length=len(TEXT), allow_overlap=True)
        for layers in [opinion] + [claims] * 11
    ]
    report = report_from_statistics(documents, n_boot=500, seed=2)
    entry = report["labels"]["OPINION"]["alpha"]
    assert entry["value"] is not None and entry["ci95"] is None
    assert entry["ci95_reason"].startswith("undefined in 3")
    assert entry["ci95_reason"].endswith("of the bootstrap resamples (more than 5%)")
    assert report["labels"]["CLAIM"]["alpha"]["ci95_reason"] is None


def test_label_set_coincidences_add_up_over_documents_and_round_trip():
    labels = ("CLAIM", "OPINION", "DISCLAIMER")
    rng = np.random.default_rng(9)
    docs = [random_layers(rng, len(TEXT), labels, 3) for _ in range(4)]
    stats = [document_statistics(d, labels, text_length=len(TEXT), allow_overlap=True) for d in docs]
    total = stats[3] + stats[1] + stats[0] + stats[2]
    # The four texts one after the other, as one document at character resolution.
    joined: Layers = {
        coder: [
            (s + n * len(TEXT), e + n * len(TEXT), lab) for n, d in enumerate(docs) for s, e, lab in d[coder]
        ]
        for coder in docs[0]
    }
    whole = document_statistics(joined, labels, text_length=4 * len(TEXT), allow_overlap=True)
    assert total.label_sets.values == whole.label_sets.values
    np.testing.assert_allclose(total.label_sets.matrix, whole.label_sets.matrix)
    again = type(total).from_dict(json.loads(json.dumps(total.to_dict())))
    assert again.label_sets.values == total.label_sets.values
    np.testing.assert_array_equal(again.label_sets.matrix, total.label_sets.matrix)
    empty = LabelSetCoincidences.empty() + total.label_sets
    assert empty.values == total.label_sets.values

"""Agreement within and between panels from the per-document statistics, checked against the
krippendorff package on the same positions, and the flag of a partisan reading."""

from __future__ import annotations

import krippendorff
import numpy as np
import pytest

from annotator.agreement.maths.attributes import AttributeSpec
from annotator.agreement.maths.panels import FLAG_GAP, panel_pairs, panel_report, panel_value_counts
from annotator.agreement.maths.stats import add_keywise, document_statistics

LABELS = ("CLAIM", "OPINION")
STANCE = AttributeSpec("stance", "target", ("FAVOR", "AGAINST", "NEUTRAL"))
HEDGED = AttributeSpec("hedged", "boolean")
PANEL_OF = {"l1": "left", "l2": "left", "r1": "right", "r2": "right"}


def random_layers(rng, names, length=60):
    layers = {}
    for name in names:
        spans, cursor = [], 0
        while cursor < length - 6 and len(spans) < 4:
            start = cursor + int(rng.integers(0, 6))
            end = min(length, start + int(rng.integers(2, 12)))
            stance = [{"target": "Mayor", "stance": str(rng.choice(STANCE.values))}]
            spans.append(
                (start, end, str(rng.choice(LABELS)), {"stance": stance, "hedged": bool(rng.random() < 0.5)})
            )
            cursor = end
        layers[name] = spans
    return layers


def codes(spans, length):
    """Each character's value: 0 none, 1 + the label's index (the spans do not overlap)."""
    row = np.zeros(length)
    for start, end, label, _ in spans:
        row[start:end] = 1 + LABELS.index(label)
    return row


def split(documents):
    cells, counts = {}, {}
    for stats in documents:
        cells = add_keywise(cells, panel_pairs(stats.pairs, PANEL_OF))
        counts = add_keywise(counts, panel_value_counts(stats.value_counts, PANEL_OF))
    return panel_report(cells, counts, panels=["left", "right"], labels=LABELS, attributes=[STANCE, HEDGED])


def statistics(layers, length=60):
    return document_statistics(layers, LABELS, text_length=length, attributes=[STANCE, HEDGED])


@pytest.mark.parametrize("seed", range(4))
def test_alpha_within_and_between_panels_equals_krippendorff_over_the_same_pairs(seed):
    rng = np.random.default_rng(seed)
    documents = [random_layers(rng, PANEL_OF) for _ in range(12)]
    report = split(statistics(layers) for layers in documents)

    def reference(pairs):
        # Every (document, pair) is a set of units of two coders: the positions of that document.
        rows = [(codes(layers[a], 60), codes(layers[b], 60)) for layers in documents for a, b in pairs]
        data = np.array([np.concatenate([r[0] for r in rows]), np.concatenate([r[1] for r in rows])])
        return krippendorff.alpha(
            reliability_data=data, level_of_measurement="nominal", value_domain=[0, 1, 2]
        )

    cells = {tuple(c["panels"]): c for c in report["cells"]}
    assert cells["left", "left"]["alpha"]["value"] == pytest.approx(reference([("l1", "l2")]), abs=1e-9)
    between = [("l1", "r1"), ("l1", "r2"), ("l2", "r1"), ("l2", "r2")]
    assert cells["left", "right"]["alpha"]["value"] == pytest.approx(reference(between), abs=1e-9)
    assert report["between"]["alpha"]["value"] == pytest.approx(reference(between), abs=1e-9)
    within = [("l1", "l2"), ("r1", "r2")]
    assert report["within"]["alpha"]["value"] == pytest.approx(reference(within), abs=1e-9)
    assert report["within"]["n_document_pairs"] == 24 and report["between"]["n_document_pairs"] == 48


def test_a_pair_alone_has_the_attribute_figures_of_a_two_annotator_document():
    rng = np.random.default_rng(5)
    layers = random_layers(rng, ["l1", "r1"])
    stats = statistics(layers)
    (pair,) = stats.pairs.values()
    for spec in (STANCE, HEDGED):
        np.testing.assert_allclose(pair.attributes[spec.key], stats.attributes[spec.key].coincidences)


def test_a_partisan_reading_is_flagged_and_stance_is_counted_per_panel():
    text_length = 40
    documents = []
    for _ in range(12):
        # Each side marks its own reading and agrees with its own side exactly.
        left = [(0, 10, "CLAIM", {"stance": [{"target": "Mayor", "stance": "FAVOR"}]})]
        right = [(0, 10, "OPINION", {"stance": [{"target": "Mayor", "stance": "AGAINST"}]})]
        documents.append(statistics({"l1": left, "l2": left, "r1": right, "r2": right}, text_length))
    report = split(documents)
    flagged = {(f["figure"], f["key"]) for f in report["flags"]}
    assert ("alpha", "") in flagged and ("label", "CLAIM") in flagged
    for flag in report["flags"]:
        assert flag["within"] - flag["between"] >= FLAG_GAP
    assert report["within"]["f1_overlap"]["value"] == 1.0 and report["between"]["f1_overlap"]["value"] == 0.0
    assert report["values"]["left"]["stance"] == {"Mayor": {"FAVOR": 24}}
    assert report["values"]["right"]["stance"] == {"Mayor": {"AGAINST": 24}}
    assert report["stance_attributes"] == ["stance"]  # the target attribute, not "hedged"


def test_too_few_document_pairs_are_not_flagged_and_annotators_without_a_panel_are_left_out():
    left = [(0, 10, "CLAIM", {})]
    right = [(0, 10, "OPINION", {})]
    report = split([statistics({"l1": left, "l2": left, "r1": right, "r2": right, "x": left}, 40)])
    assert report["flags"] == []
    assert {tuple(c["panels"]) for c in report["cells"]} == {
        ("left", "left"),
        ("right", "right"),
        ("left", "right"),
    }
    assert sum(c["n_document_pairs"] for c in report["cells"]) == 6  # four annotators: six pairs

"""Span grouping and attribute alpha over the groups."""

import krippendorff
import numpy as np
import pytest

from annotator.agreement.maths.alpha import coincidences
from annotator.agreement.maths.attributes import (
    AttributeSpec,
    AttributeStats,
    attribute_alpha,
    attribute_codes,
    coverage,
    group_spans,
    statistics_of,
)
from annotator.agreement.maths.core import INSUFFICIENT_DATA, NO_SPANS, Estimate
from annotator.agreement.maths.spans import SpanSet

LABELS = ("CLAIM", "OPINION")
STANCE = ("FAVOR", "AGAINST", "NEUTRAL")

# (owner, start, end, label index, attributes)
SPANS = [
    (
        0,
        0,
        10,
        0,
        {"evidence": "quote", "sources": ["named"], "stance": [{"target": "plan", "stance": "FAVOR"}]},
    ),
    (0, 20, 30, 1, {"hedged": True, "stance": [{"target": "plan", "stance": "AGAINST"}]}),
    (0, 40, 48, 0, {"evidence": "data", "sources": ["data", "link"]}),
    (
        1,
        1,
        10,
        0,
        {
            "evidence": "quote",
            "sources": ["named", "link"],
            "stance": [{"target": "plan", "stance": "FAVOR"}],
        },
    ),
    (1, 20, 29, 1, {"hedged": False, "stance": [{"target": "tax", "stance": "NEUTRAL"}]}),
    (1, 40, 47, 0, {"evidence": "data", "sources": []}),
    (1, 70, 80, 0, {"evidence": "quote"}),
    (
        2,
        0,
        9,
        0,
        {"evidence": "anonymous", "sources": ["named"], "stance": [{"target": "plan", "stance": "bogus"}]},
    ),
    (2, 21, 30, 0, {"evidence": "data"}),  # a CLAIM where the others saw an OPINION: its own group
    (2, 41, 48, 0, {"evidence": "data", "sources": "not a list"}),
]


def attribute_statistics(spec, spans, raw, groups, labels, n_owners):
    """The attribute's statistics over one document, as document_statistics builds them."""
    return statistics_of(attribute_codes(spec, spans, raw, groups, labels, n_owners), groups)


@pytest.fixture
def doc():
    spans = SpanSet(*(np.array([s[i] for s in SPANS], dtype=np.int64) for i in (1, 2, 3, 0)))
    raw = [s[4] for s in SPANS]
    return spans, raw, group_spans(spans)


def test_groups_are_overlap_matched_same_label_one_span_per_annotator(doc):
    _, _, groups = doc
    g = groups.tolist()
    assert g[0] == g[3] == g[7]  # three CLAIMs at 0-10
    assert g[1] == g[4] != g[8]  # two OPINIONs at 20-30; annotator 2's CLAIM there stays alone
    assert g[2] == g[5] == g[9]
    assert len(set(g)) == 5  # the three groups above plus two singletons (70-80, annotator 2's CLAIM)


def expected_codes(doc, values):
    """Owners x groups codes written out by hand: rows annotators 0-2, columns the three groups."""
    _, _, groups = doc
    out = np.full((3, groups.max() + 1), -1)
    for column, first_span in enumerate((0, 1, 2)):
        out[:, groups[first_span]] = values[column]
    return out


def test_choice_attribute_alpha_and_coverage(doc):
    spans, raw, groups = doc
    spec = AttributeSpec("evidence", "choice", ("quote", "anonymous", "data"), applies_to=("CLAIM",))
    stats = attribute_statistics(spec, spans, raw, groups, LABELS, 3)
    # the OPINION group is not coded (evidence does not apply to OPINION)
    codes = expected_codes(doc, [[0, 0, 1], [-1, -1, -1], [2, 2, 2]])
    np.testing.assert_allclose(stats.coincidences, coincidences(codes, 3))
    data = np.where(codes < 0, np.nan, codes.astype(float))
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert attribute_alpha(stats)[0].value == pytest.approx(expected, abs=1e-12)
    assert (stats.n_spans, stats.n_grouped) == (8, 6)  # CLAIM spans; 70-80 and the lone CLAIM are unmatched
    assert coverage(stats) == Estimate(0.75)


def test_boolean_attribute(doc):
    spans, raw, groups = doc
    stats = attribute_statistics(AttributeSpec("hedged", "boolean"), spans, raw, groups, LABELS, 3)
    np.testing.assert_allclose(stats.coincidences, [[0, 1], [1, 0]])  # one group: True vs False
    assert attribute_alpha(stats)[0] == Estimate(0.0)  # D_o = D_e = 1 for a single disagreeing pair


def test_stance_per_target_and_pooled(doc):
    spans, raw, groups = doc
    spec = AttributeSpec("stance", "target", STANCE)
    stats = attribute_statistics(spec, spans, raw, groups, LABELS, 3)
    assert sorted(stats.parts) == ["plan", "tax"]
    # plan: FAVOR, FAVOR, (bogus -> missing) in the first group; AGAINST alone in the OPINION group
    plan = expected_codes(doc, [[0, 0, -1], [1, -1, -1], [-1, -1, -1]])
    np.testing.assert_allclose(stats.parts["plan"], coincidences(plan, 3))
    np.testing.assert_allclose(stats.coincidences, stats.parts["plan"] + stats.parts["tax"])
    overall, per_target = attribute_alpha(stats)
    assert per_target["plan"].reason == "no variation"  # only FAVOR is pairable
    assert per_target["tax"] == Estimate(None, INSUFFICIENT_DATA)  # nobody else rated "tax"
    assert overall.reason == "no variation"


def test_multi_valued_attribute_is_one_binary_variable_per_option(doc):
    spans, raw, groups = doc
    spec = AttributeSpec("sources", "multi", ("named", "link", "data"), applies_to=("CLAIM",))
    stats = attribute_statistics(spec, spans, raw, groups, LABELS, 3)
    assert sorted(stats.parts) == ["data", "link", "named"]
    link = expected_codes(doc, [[0, 1, 0], [-1, -1, -1], [1, 0, -1]])  # "not a list" is missing
    np.testing.assert_allclose(stats.parts["link"], coincidences(link, 2))
    _, per_option = attribute_alpha(stats)
    assert per_option["named"] == Estimate(1.0)  # all in the first group, nobody in the third
    data = np.where(link < 0, np.nan, link.astype(float))
    assert per_option["link"].value == pytest.approx(krippendorff.alpha(data, level_of_measurement="nominal"))


def test_statistics_add_up_and_round_trip(doc):
    spans, raw, groups = doc
    spec = AttributeSpec("stance", "target", STANCE)
    stats = attribute_statistics(spec, spans, raw, groups, LABELS, 3)
    twice = AttributeStats.from_dict(stats.to_dict()) + stats
    assert (twice.n_spans, twice.n_grouped) == (2 * stats.n_spans, 2 * stats.n_grouped)
    np.testing.assert_allclose(twice.parts["tax"], 2 * stats.parts["tax"])


def test_attribute_nobody_used():
    spans = SpanSet.of([])
    stats = attribute_statistics(
        AttributeSpec("evidence", "choice", ("quote",)), spans, [], group_spans(spans), LABELS, 2
    )
    assert attribute_alpha(stats) == (Estimate(None, INSUFFICIENT_DATA), {})
    assert coverage(stats) == Estimate(None, NO_SPANS)

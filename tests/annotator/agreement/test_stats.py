"""Per-document statistics, their sum, JSON round trip, and the report built from them."""

import json

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from annotator.agreement.maths.attributes import AttributeSpec
from annotator.agreement.maths.kappa import fleiss_kappa, fleiss_sums
from annotator.agreement.maths.positions import character_units, code_matrix, tokenize
from annotator.agreement.maths.report import report_from_statistics
from annotator.agreement.maths.stats import DocumentStatistics, SpanInput, combine, document_statistics

LABELS = ("CLAIM", "OPINION", "DISCLAIMER")
SPECS = (
    AttributeSpec("evidence", "choice", ("named", "anonymous", "data", "none"), applies_to=("CLAIM",)),
    AttributeSpec("stance", "target", ("FAVOR", "AGAINST", "NEUTRAL")),
    AttributeSpec("hedged", "boolean"),
)
TEXT = (
    "The minister said the reform will cut taxes for most families. Critics called it reckless, "
    "and the budget office has not published its figures. This article was corrected on Monday."
)


def claim(start, end, evidence="named", stance="FAVOR"):
    return (start, end, "CLAIM", {"evidence": evidence, "stance": [{"target": "reform", "stance": stance}]})


# sentence 1 [0, 62), "Critics called it reckless" [63, 89), sentence 2 [63, 143), sentence 3 [144, 181)
LAYERS = {
    "ann": [claim(0, 62), (63, 89, "OPINION", {"hedged": False}), (144, 181, "DISCLAIMER", {})],
    "bob": [claim(4, 62), (63, 80, "OPINION", {"hedged": True}), (91, 143, "CLAIM", {"evidence": "none"})],
    "cy": [
        claim(0, 62, evidence="data", stance="AGAINST"),
        (63, 89, "CLAIM", {}),
        (144, 181, "DISCLAIMER", {}),
    ],
}


def stats_of(layers=LAYERS, text=TEXT, **kwargs):
    kwargs.setdefault("tokens", tokenize(text))
    return document_statistics(layers, LABELS, text_length=len(text), attributes=SPECS, **kwargs)


def value(entry):
    return entry["value"]


def test_position_alpha_matches_krippendorff_on_the_token_codes():
    stats = stats_of()
    units = tokenize(TEXT)
    layers = [[(s, e, LABELS.index(lab) + 1) for s, e, lab, _ in LAYERS[a]] for a in ("ann", "bob", "cy")]
    codes = code_matrix(units, layers)
    expected = krippendorff.alpha(reliability_data=codes, level_of_measurement="nominal")
    report = report_from_statistics([stats])
    assert value(report["overall"]["alpha"]) == pytest.approx(expected, abs=1e-12)
    assert report["resolution"] == "token"
    assert (report["n_documents"], report["n_layers"]) == (1, 3)
    pair = next(p for p in report["pairs"] if p["annotators"] == ["ann", "cy"])
    assert value(pair["cohen_kappa"]) == pytest.approx(cohen_kappa_score(codes[0], codes[2]), abs=1e-12)
    assert value(report["fleiss_kappa"]) == pytest.approx(
        fleiss_kappa(fleiss_sums(np.stack([np.bincount(c, minlength=4) for c in codes.T])))[0].value
    )


def test_character_resolution_when_no_tokens_are_given():
    stats = stats_of(tokens=None)
    assert stats.resolution == "character"
    codes = code_matrix(
        character_units(len(TEXT)),
        [[(s, e, LABELS.index(lab) + 1) for s, e, lab, _ in LAYERS[a]] for a in ("ann", "bob", "cy")],
    )
    expected = krippendorff.alpha(reliability_data=codes, level_of_measurement="nominal")
    assert value(report_from_statistics([stats])["overall"]["alpha"]) == pytest.approx(expected, abs=1e-12)


def test_json_round_trip_is_lossless():
    stats = stats_of()
    data = json.loads(json.dumps(stats.to_dict()))
    again = DocumentStatistics.from_dict(data)
    assert again.to_dict() == stats.to_dict()
    assert report_from_statistics([again]) == report_from_statistics([stats])
    # What agreement by panel reads travels apart, and comes back whole.
    whole = DocumentStatistics.from_dict(data, json.loads(json.dumps(stats.by_panel_dict())))
    assert whole.by_panel_dict() == stats.by_panel_dict() and again.value_counts == {}


def random_document(rng, annotators=("a", "b", "c")):
    words = rng.choice(["alpha", "beta", "it's", "state-run", ",", "42", "."], size=int(rng.integers(5, 60)))
    text = " ".join(words)
    layers = {}
    for name in annotators:
        spans = []
        for _ in range(int(rng.integers(0, 5))):
            start = int(rng.integers(0, len(text) - 1))
            end = int(rng.integers(start + 1, min(len(text), start + 40) + 1))
            attrs = {"evidence": str(rng.choice(["named", "data"])), "hedged": bool(rng.random() < 0.5)}
            spans.append((start, end, str(rng.choice(LABELS)), attrs))
        layers[name] = spans
    return text, layers


@pytest.mark.parametrize("seed", range(8))
def test_summed_statistics_equal_those_of_the_concatenated_document(seed):
    rng = np.random.default_rng(seed)
    (t1, l1), (t2, l2) = random_document(rng), random_document(rng)
    glued_text = t1 + " " + t2
    shift = len(t1) + 1
    glued = {a: l1[a] + [(s + shift, e + shift, lab, x) for s, e, lab, x in l2[a]] for a in l1}
    summed = stats_of(l1, t1) + stats_of(l2, t2)
    whole = stats_of(glued, glued_text)
    np.testing.assert_allclose(summed.coincidences, whole.coincidences, atol=1e-9)
    np.testing.assert_allclose(summed.label_coincidences, whole.label_coincidences, atol=1e-9)
    for key, pair in whole.pairs.items():
        np.testing.assert_array_equal(summed.pairs[key].table, pair.table)
        assert summed.pairs[key].spans.to_dict() == pair.spans.to_dict()
    assert summed.by_raters[3].fleiss.to_dict() == whole.by_raters[3].fleiss.to_dict()
    assert (summed.n_spans, summed.n_grouped) == (whole.n_spans, whole.n_grouped)
    for key, attribute in whole.attributes.items():
        np.testing.assert_allclose(summed.attributes[key].coincidences, attribute.coincidences, atol=1e-9)
    assert summed.n_documents == 2


def test_identical_layers_agree_perfectly():
    same = dict.fromkeys(("x", "y", "z"), LAYERS["ann"])
    report = report_from_statistics([stats_of(same)])
    overall = report["overall"]
    assert [value(overall[k]) for k in ("alpha", "alpha_u", "f1_exact", "f1_overlap", "coverage")] == [
        1.0
    ] * 5
    assert value(report["labels"]["CLAIM"]["alpha"]) == 1.0
    assert value(report["labels"]["CLAIM"]["alpha_u"]) == 1.0
    assert all(value(p["cohen_kappa"]) == 1.0 and value(p["overlap"]["f1"]) == 1.0 for p in report["pairs"])
    assert stats_of(same).disagreement() == {"observed_disagreement": 0.0, "unmatched_spans": 0, "score": 0.0}


def test_all_layers_empty_gives_reasons_not_numbers():
    report = report_from_statistics([stats_of({"x": [], "y": []})])
    assert report["overall"]["alpha"] == {"value": None, "reason": "no variation"}
    assert report["overall"]["alpha_u"] == {"value": None, "reason": "no variation"}
    assert report["overall"]["f1_overlap"] == {"value": None, "reason": "no spans"}
    assert report["pairs"][0]["cohen_kappa"] == {"value": None, "reason": "no variation"}
    assert report["fleiss_kappa"]["value"] is None
    assert report["overall"]["observed_disagreement"] == {"value": 0.0, "reason": None}


def test_documents_with_fewer_than_two_layers_are_skipped():
    single = stats_of({"x": LAYERS["ann"]})
    assert (single.n_documents, single.n_layers, single.pairs) == (0, 0, {})
    report = report_from_statistics([single])
    assert report["overall"]["alpha"] == {"value": None, "reason": "insufficient data"}
    assert report["rater_basis"] == {"raters": None, "n_documents": 0}
    assert report["fleiss_kappa"] == {"value": None, "reason": "insufficient data", "categories": {}}
    both = combine([single, stats_of()])
    assert both.to_dict() == stats_of().to_dict()


def test_rater_basis_defaults_to_the_layer_count_with_most_documents():
    two = stats_of({k: LAYERS[k] for k in ("ann", "bob")})
    three = stats_of()
    report = report_from_statistics([two, two, three])
    assert report["rater_basis"] == {"raters": 2, "n_documents": 2}
    chosen = report_from_statistics([two, two, three], raters=3)
    assert chosen["rater_basis"] == {"raters": 3, "n_documents": 1}
    assert chosen["overall"]["alpha_u"] == report_from_statistics([three])["overall"]["alpha_u"]


def test_report_shape_and_labels():
    report = report_from_statistics([stats_of()])
    json.dumps(report)
    assert set(report) == {
        "resolution", "allow_overlap", "threshold", "n_documents", "n_layers", "rater_basis", "overall",
        "labels", "attributes", "pairs", "fleiss_kappa", "confusion",
    }  # fmt: skip
    assert set(report["labels"]) == set(LABELS)
    assert set(report["labels"]["CLAIM"]) == {"alpha", "alpha_u", "f1_exact", "f1_overlap"}
    assert set(report["fleiss_kappa"]["categories"]) == {"none", *LABELS}
    assert set(report["attributes"]["stance"]) == {"alpha", "coverage", "targets"}
    assert [p["annotators"] for p in report["pairs"]] == [["ann", "bob"], ["ann", "cy"], ["bob", "cy"]]
    # All mark "Critics called it ...": OPINION-OPINION once (ann-bob), OPINION-CLAIM twice (ann-cy,
    # bob-cy); plus three CLAIM-CLAIM pairs on sentence 1 and ann-cy's DISCLAIMER pair.
    counts = report["confusion"]["counts"]
    assert counts == [[3, 2, 0], [2, 1, 0], [0, 0, 1]]


def test_span_scores_in_the_report():
    report = report_from_statistics([stats_of()])
    ann_bob = report["pairs"][0]
    assert value(ann_bob["exact"]["f1"]) == 0.0
    assert value(ann_bob["overlap"]["f1"]) == pytest.approx(2 * 2 / 6)  # CLAIM 58/62 and OPINION 17/26 >= .5
    assert value(ann_bob["overlap"]["precision"]) == pytest.approx(2 / 3)
    # DISCLAIMER: one exact match (ann-cy) over 1 + 0, 1 + 1 and 0 + 1 spans in the three pairs
    assert value(report["labels"]["DISCLAIMER"]["f1_exact"]) == pytest.approx(2 * 1 / 4)
    assert stats_of().disagreement()["unmatched_spans"] == 2  # bob's CLAIM 91-143 and cy's CLAIM 63-89


def test_overlap_mode_uses_binary_variables_per_label():
    # x nests an OPINION inside its CLAIM, y has the CLAIM only. As one variable the OPINION wins
    # on its tokens and the CLAIMs disagree there; as binary variables the CLAIMs agree everywhere.
    nested: dict[str, list[SpanInput]] = {
        "x": [(0, 62, "CLAIM", {}), (4, 30, "OPINION", {})],
        "y": [(0, 62, "CLAIM", {})],
    }
    plain = report_from_statistics([stats_of(nested)])
    overlap = report_from_statistics([stats_of(nested, allow_overlap=True)])
    codes = code_matrix(tokenize(TEXT), [[(0, 62, 1), (4, 30, 2)], [(0, 62, 1)]])
    as_one_variable = krippendorff.alpha(
        reliability_data=(codes == 1).astype(float), level_of_measurement="nominal"
    )
    assert value(plain["labels"]["CLAIM"]["alpha"]) == pytest.approx(as_one_variable, abs=1e-12)
    assert as_one_variable < 0.7
    assert value(overlap["labels"]["CLAIM"]["alpha"]) == 1.0
    assert overlap["labels"]["OPINION"]["alpha"]["value"] == pytest.approx(
        value(plain["labels"]["OPINION"]["alpha"])  # OPINION positions are the same in both codings
    )
    assert overlap["allow_overlap"] is True
    disjoint = report_from_statistics([stats_of(allow_overlap=True)])
    assert (
        disjoint["labels"] == report_from_statistics([stats_of()])["labels"]
    )  # no overlaps: same as collapse


def test_bootstrap_intervals_are_seeded_and_bracket_the_estimate():
    rng = np.random.default_rng(3)
    docs = [stats_of(*reversed(random_document(rng))) for _ in range(25)]
    report = report_from_statistics(docs, n_boot=300, seed=11)
    for entry in (
        report["overall"]["alpha"],
        report["labels"]["CLAIM"]["f1_overlap"],
        report["overall"]["f1_exact"],
    ):
        low, high = entry["ci95"]
        assert low <= entry["value"] <= high
    assert report == report_from_statistics(docs, n_boot=300, seed=11)
    assert report != report_from_statistics(docs, n_boot=300, seed=12)
    assert report["bootstrap"] == {
        "replicates": 300,
        "seed": 11,
        "level": 0.95,
        "min_documents": 10,
        "max_undefined_share": 0.05,
    }


def test_invalid_spans_and_mixed_settings_are_rejected():
    with pytest.raises(ValueError, match="outside"):
        stats_of({"x": [(5, 5, "CLAIM", {})], "y": []})
    with pytest.raises(ValueError, match="unknown label"):
        stats_of({"x": [(0, 5, "FACT", {})], "y": []})
    with pytest.raises(ValueError, match="differ"):
        _ = stats_of() + stats_of(tokens=None)
    with pytest.raises(ValueError, match="at least one"):
        report_from_statistics([])

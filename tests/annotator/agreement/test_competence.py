"""Annotator competence: the wrapper against crowd-kit run directly, a simulation, the edge cases."""

import json

import numpy as np
import pandas as pd
import pytest
from crowdkit.aggregation import MACE, DawidSkene
from scipy.stats import spearmanr

from annotator.agreement.maths.competence import (
    LABEL,
    NO_SPAN,
    Competence,
    MaceModel,
    dawid_skene,
    mace,
    model_consensus_spans,
    model_from_dict,
    observation_frame,
    span_group_observations,
)
from annotator.agreement.maths.consensus import LayerSpan, consensus_spans
from tests.without_django import assert_runs_without_django

# crowd-kit 1.4.2 still passes keywords (inplace=, copy=) that pandas 3 deprecates.
pytestmark = pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning:crowdkit")

VALUES = ("neg", "neu", "pos")
# Annotator ids whose order of first appearance differs from their sorted order.
ANNOTATORS = (105, 3, 42, 7, 88)


def random_matrix(seed, *, n_units=60, missing=0.3):
    """Answers of the five ANNOTATORS on `n_units` units, each answer missing with probability `missing`."""
    rng = np.random.default_rng(seed)
    accuracy = rng.uniform(0.4, 0.95, size=len(ANNOTATORS))
    truth = rng.integers(len(VALUES), size=n_units)
    observations = []
    for unit in range(n_units):
        for annotator, p in zip(ANNOTATORS, accuracy, strict=True):
            if rng.random() < missing:
                continue
            value = truth[unit] if rng.random() < p else rng.integers(len(VALUES))
            observations.append((("doc", unit), annotator, VALUES[value]))
    return observations


def coded_frame(observations):
    """crowd-kit's frame, built with pandas' own factorize, and the names of the codes."""
    raw = pd.DataFrame({"task": pd.Series([o[0] for o in observations], dtype=object)})
    raw["worker"] = [o[1] for o in observations]
    raw["label"] = [o[2] for o in observations]
    frame = pd.DataFrame()
    names = {}
    for column in ("task", "worker", "label"):
        codes, uniques = pd.factorize(raw[column])
        frame[column] = codes.astype(np.int64)
        names[column] = list(uniques)
    return frame, names


def assert_close_dicts(actual, expected):
    assert actual.keys() == expected.keys()
    for key, value in expected.items():
        if isinstance(value, dict):
            assert_close_dicts(actual[key], value)
        else:
            assert actual[key] == pytest.approx(value, abs=1e-9), key


def crowd_kit_labels_and_posteriors(model, names):
    labels = {names["task"][u]: names["label"][v] for u, v in model.labels_.items()}
    posteriors = {
        names["task"][u]: {names["label"][v]: float(model.probas_.loc[u, v]) for v in model.probas_.columns}
        for u in model.probas_.index
    }
    return labels, posteriors


@pytest.mark.parametrize("seed", [3, 11])
def test_frame_is_pandas_factorize(seed):
    observations = random_matrix(seed)
    frame = observation_frame(observations)
    expected, names = coded_frame(observations)
    pd.testing.assert_frame_equal(frame.data, expected)
    assert (frame.units, frame.annotators, frame.values) == (names["task"], names["worker"], names["label"])


@pytest.mark.parametrize("seed", [3, 11])
def test_dawid_skene_equals_crowd_kit(seed):
    observations = random_matrix(seed)
    result = dawid_skene(observations)
    frame, names = coded_frame(observations)
    model = DawidSkene(n_iter=100, tol=1e-5).fit(frame)

    labels, posteriors = crowd_kit_labels_and_posteriors(model, names)
    per_value, overall = {}, {}
    for w, annotator in enumerate(names["worker"]):
        diagonal = {}
        for v, value in enumerate(names["label"]):
            # errors_.loc[(worker, said), true]; a value the worker never said has no row: probability 0.
            diagonal[value] = float(model.errors_.loc[(w, v), v]) if (w, v) in model.errors_.index else 0.0
        per_value[annotator] = diagonal
        overall[annotator] = sum(
            float(model.priors_[v]) * diagonal[value] for v, value in enumerate(names["label"])
        )

    assert result.method == "dawid_skene"
    assert result.labels == labels
    assert_close_dicts(result.posteriors, posteriors)
    assert_close_dicts(result.per_value, per_value)
    assert_close_dicts(result.annotators, overall)
    assert set(result.annotators) == set(ANNOTATORS)


@pytest.mark.parametrize("seed", [3, 11])
def test_mace_equals_crowd_kit(seed):
    observations = random_matrix(seed)
    result = mace(observations, seed=7)
    frame, names = coded_frame(observations)
    model = MACE(n_restarts=1, random_state=7).fit(frame)

    labels, posteriors = crowd_kit_labels_and_posteriors(model, names)
    # spamming_[worker] = [P(spamming), P(knowing)]: competence is the second column.
    overall = {annotator: float(model.spamming_[w, 1]) for w, annotator in enumerate(names["worker"])}
    answered, agreed = {}, {}
    for unit, annotator, value in observations:
        key = (annotator, labels[unit])
        answered[key] = answered.get(key, 0) + 1
        agreed[key] = agreed.get(key, 0) + (value == labels[unit])
    per_value = {annotator: {} for annotator in names["worker"]}
    for (annotator, value), n in answered.items():
        per_value[annotator][value] = agreed[(annotator, value)] / n

    assert result.method == "mace"
    assert result.labels == labels
    assert_close_dicts(result.posteriors, posteriors)
    assert_close_dicts(result.annotators, overall)
    assert_close_dicts(result.per_value, per_value)


def test_mace_restarts_repeat_the_first():
    """crowd-kit seeds every restart with the same random_state, so its default of ten restarts
    gives what one gives: the reason `mace` defaults to one."""
    observations = random_matrix(5, n_units=30)
    frame, _ = coded_frame(observations)
    model = MACE(n_iter=10, random_state=0).fit(frame)  # ten restarts, fewer iterations for speed
    assert model.n_restarts == 10
    once = mace(observations, seed=0, n_iter=10)
    competence = dict(zip(observation_frame(observations).annotators, model.spamming_[:, 1], strict=True))
    assert once.annotators == competence


def test_crowd_kit_mace_on_raw_ids_depends_on_their_order():
    """The behaviour the integer codes avoid: on raw ids whose sorted order differs from their
    order of first appearance, crowd-kit 1.4.2's MACE pairs workers with other workers' spamming
    strategies (the Dawid-Skene fit does not depend on it)."""
    observations = random_matrix(3)
    raw = pd.DataFrame(
        {
            "task": [o[0][1] for o in observations],
            "worker": [o[1] for o in observations],
            "label": [o[2] for o in observations],
        }
    )
    competence = mace(observations).annotators
    on_raw = MACE(n_restarts=1, random_state=0).fit(raw)
    raw_competence = dict(zip(pd.factorize(raw["worker"])[1], on_raw.spamming_[:, 1], strict=True))
    assert max(abs(competence[a] - raw_competence[a]) for a in ANNOTATORS) > 1e-4
    on_raw_ds = DawidSkene().fit(raw)
    assert dawid_skene(observations).labels == {("doc", u): v for u, v in on_raw_ds.labels_.items()}


def simulate(seed, accuracies, n_items=200):
    """Each annotator gives the true class with its accuracy, else one of the other two classes."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(3, size=n_items)
    observations = []
    for item in range(n_items):
        for annotator, accuracy in accuracies.items():
            value = truth[item] if rng.random() < accuracy else (truth[item] + rng.integers(1, 3)) % 3
            observations.append((item, annotator, "abc"[value]))
    return observations, truth


@pytest.mark.parametrize("fit", [dawid_skene, mace])
def test_simulation_recovers_the_ranking(fit):
    # The three named annotators (0.9, 0.7, 0.5) are joined by two more (0.8, 0.6). Three annotators
    # are the minimum with which a confusion matrix per annotator is identifiable at all, and on 200
    # items the ranking of three alone flipped in 2-3 of 50 seeds; with five it held in all 50.
    accuracies = {"a90": 0.9, "a70": 0.7, "a50": 0.5, "a80": 0.8, "a60": 0.6}
    observations, truth = simulate(2024, accuracies)
    result = fit(observations)
    estimated = result.annotators
    assert estimated["a90"] > estimated["a70"] > estimated["a50"]
    rho = spearmanr(list(accuracies.values()), [estimated[a] for a in accuracies]).statistic
    # One swap of neighbours among five gives exactly 0.9, which floating point makes 0.8999999999999998.
    assert rho >= 0.9 - 1e-9
    # The consensus labels: a plain majority vote gets 88% of this draw right, DS 88.5%, MACE 90.5%.
    correct = sum(result.labels[item] == "abc"[t] for item, t in enumerate(truth))
    assert correct / len(truth) > 0.85
    if fit is dawid_skene:  # the figure is an accuracy: near the true one (0.103 off at worst here)
        for annotator, accuracy in accuracies.items():
            assert estimated[annotator] == pytest.approx(accuracy, abs=0.12)
    else:  # competence theta, P(correct) = theta + (1 - theta) / 3 for a uniform spammer (0.15 off at worst here)
        for annotator, accuracy in accuracies.items():
            assert estimated[annotator] == pytest.approx((3 * accuracy - 1) / 2, abs=0.2)


@pytest.mark.parametrize("fit", [dawid_skene, mace])
def test_empty_input(fit):
    result = fit([])
    assert result == Competence(fit.__name__, {}, {}, {}, {})
    assert result.to_dict() == {
        "method": fit.__name__,
        "annotators": {},
        "per_value": {},
        "labels": {},
        "posteriors": {},
        "model": None,
    }


@pytest.mark.parametrize("fit", [dawid_skene, mace])
def test_single_value(fit):
    result = fit([(unit, annotator, "x") for unit in range(5) for annotator in (1, 2, 3)])
    assert result.labels == dict.fromkeys(range(5), "x")
    assert result.posteriors == {unit: {"x": 1.0} for unit in range(5)}
    assert result.per_value == {annotator: {"x": 1.0} for annotator in (1, 2, 3)}
    if fit is dawid_skene:
        assert result.annotators == {1: 1.0, 2: 1.0, 3: 1.0}
    else:
        assert all(0.0 < c < 1.0 for c in result.annotators.values())


@pytest.mark.parametrize("fit", [dawid_skene, mace])
def test_single_annotator(fit):
    answers = {unit: "ab"[unit % 2] for unit in range(6)}
    result = fit([(unit, 7, value) for unit, value in answers.items()])
    assert result.labels == answers
    assert result.per_value == {7: {"a": pytest.approx(1.0), "b": pytest.approx(1.0)}}
    assert list(result.annotators) == [7]
    if fit is dawid_skene:
        assert result.annotators[7] == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("fit", [dawid_skene, mace])
def test_units_with_one_answer(fit):
    observations = random_matrix(3)
    # Two units only annotator 88 answered, one of them with a value no one else gave there.
    observations += [(("solo", 1), 88, "pos"), (("solo", 2), 88, "neg")]
    result = fit(observations)
    assert {("solo", 1), ("solo", 2)} <= result.labels.keys()
    for unit in (("solo", 1), ("solo", 2)):
        assert sum(result.posteriors[unit].values()) == pytest.approx(1.0, abs=1e-9)
    # A lone answer by a reliable annotator carries the unit.
    reliable = max(result.annotators, key=result.annotators.__getitem__)
    solo = fit([*observations, (("solo", 3), reliable, "neu")])
    assert solo.labels[("solo", 3)] == "neu"


@pytest.mark.parametrize("fit", [dawid_skene, mace])
def test_to_dict_is_json(fit):
    result = fit(random_matrix(11))
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["method"] == fit.__name__
    assert set(data["annotators"]) == {str(a) for a in ANNOTATORS}
    assert data["annotators"]["105"] == result.annotators[105]
    assert data["per_value"]["3"] == result.per_value[3]
    assert data["labels"]["('doc', 0)"] == result.labels[("doc", 0)]
    assert data["posteriors"]["('doc', 0)"] == result.posteriors[("doc", 0)]


def test_imports_without_django():
    assert_runs_without_django(
        "from annotator.agreement.maths.competence import dawid_skene, mace\n"
        "observations = [(0, 1, 'a'), (0, 2, 'a'), (1, 1, 'b'), (1, 2, 'a')]\n"
        "assert dawid_skene(observations).labels[0] == 'a'\n"
        "assert set(mace(observations).annotators) == {1, 2}\n"
    )


# THE FITTED MODELS AND THE MODEL CONSENSUS
# ------------------------------------------------------------------------------


def _answers_by_unit(observations):
    answers = {}
    for unit, annotator, value in observations:
        answers.setdefault(unit, []).append((annotator, value))
    return answers


@pytest.mark.parametrize("seed", [3, 11])
def test_dawid_skene_model_posterior_is_crowd_kits_e_step(seed):
    observations = random_matrix(seed)
    result = dawid_skene(observations)
    frame, names = coded_frame(observations)
    model = DawidSkene(n_iter=100, tol=1e-5).fit(frame)
    # crowd-kit's probas_ come from the E-step before the last M-step; the stored parameters
    # are the last M-step's, so the posterior they give is one more E-step.
    expected = DawidSkene._e_step(frame, model.priors_.copy(), model.errors_)
    answers = _answers_by_unit(observations)
    for u, row in expected.iterrows():
        posterior = result.model.posterior(answers[names["task"][u]])
        assert_close_dicts(posterior, {names["label"][v]: float(p) for v, p in row.items()})


@pytest.mark.parametrize("seed", [3, 11])
def test_mace_model_posterior_is_crowd_kits(seed):
    observations = random_matrix(seed)
    result = mace(observations, seed=7)
    answers = _answers_by_unit(observations)
    for unit, expected in result.posteriors.items():
        assert_close_dicts(result.model.posterior(answers[unit]), expected)


@pytest.mark.parametrize("fit", [dawid_skene, mace])
def test_a_model_survives_json_and_ignores_what_it_never_saw(fit):
    observations = random_matrix(3)
    model = fit(observations).model
    stored = model_from_dict(json.loads(json.dumps(model.to_dict(), allow_nan=False)))
    assert stored == model
    answers = [(105, "pos"), (3, "neg"), (42, "pos")]
    assert_close_dicts(stored.posterior(answers), model.posterior(answers))
    # An annotator the fit never saw, and a value it never saw, carry no evidence.
    assert_close_dicts(model.posterior([*answers, (999, "neg"), (7, "unheard")]), model.posterior(answers))


# Hand-built: annotator 1 knows the answer 90% of the time; 2 and 3 spam 80% of the time and,
# spamming, mark a span 90% of the time.
CAREFUL_AND_TWO_SPAMMERS = MaceModel(
    values=("CLAIM", NO_SPAN),
    annotators={"1": (0.1, 0.9, (0.5, 0.5)), "2": (0.8, 0.2, (0.9, 0.1)), "3": (0.8, 0.2, (0.9, 0.1))},
)


def test_mace_posterior_by_hand():
    # Only 1 marks: CLAIM 0.95 * (0.8 * 0.1)^2 = 0.00608, no span 0.05 * (0.08 + 0.2)^2 = 0.00392.
    posterior = CAREFUL_AND_TWO_SPAMMERS.posterior([("1", "CLAIM"), ("2", NO_SPAN), ("3", NO_SPAN)])
    assert posterior["CLAIM"] == pytest.approx(0.00608 / 0.01, abs=1e-12)
    # 2 and 3 mark: CLAIM 0.05 * 0.92^2 = 0.04232, no span 0.95 * 0.72^2 = 0.49248.
    posterior = CAREFUL_AND_TWO_SPAMMERS.posterior([("1", NO_SPAN), ("2", "CLAIM"), ("3", "CLAIM")])
    assert posterior["CLAIM"] == pytest.approx(0.04232 / (0.04232 + 0.49248), abs=1e-12)


def test_model_consensus_weighs_the_careful_annotator_where_the_majority_counts_heads():
    layers = {
        1: [LayerSpan(0, 20, "CLAIM", {"evidence": "DATA"}), LayerSpan(60, 80, "CLAIM")],
        2: [LayerSpan(1, 20, "CLAIM", {"evidence": "QUOTE"}), LayerSpan(30, 50, "CLAIM")],
        3: [LayerSpan(0, 20, "CLAIM", {"evidence": "DATA"}), LayerSpan(31, 50, "CLAIM")],
    }
    majority = [(s.start, s.end) for s in consensus_spans(list(layers.values()))]
    model = model_consensus_spans(layers, CAREFUL_AND_TWO_SPAMMERS)
    assert majority == [(0, 20), (30, 50)]
    # All three: kept, with the majority's boundaries and attributes; 2 and 3 alone: dropped;
    # 1 alone: kept.
    assert [(s.start, s.end, s.label, s.attributes, s.support) for s in model] == [
        (0, 20, "CLAIM", {"evidence": "DATA"}, 3),
        (60, 80, "CLAIM", {}, 1),
    ]
    assert model_consensus_spans({1: layers[1]}, CAREFUL_AND_TWO_SPAMMERS) == []


def test_mace_model_consensus_beats_the_majority_with_one_careful_annotator_and_two_careless():
    # bench/consensus_bases.py's second crew on 400 documents (the bench runs 2,000: majority
    # 0.806, MACE 0.926); and with three careful annotators the model matches the majority.
    import random

    from bench.consensus_bases import CREWS, annotate, counts, f1, truth_spans

    for crew, better in (("one careful, two careless", 0.08), ("three careful", -0.01)):
        rng = random.Random(5)
        documents = []
        for _ in range(400):
            truth = truth_spans(rng)
            documents.append((truth, {a: annotate(rng, truth, *care) for a, care in enumerate(CREWS[crew])}))
        observations = []
        for d, (_, layers) in enumerate(documents):
            inputs = {a: [(s.start, s.end, s.label) for s in spans] for a, spans in layers.items()}
            observations += span_group_observations(d, inputs, ("CLAIM", "OPINION"), text_length=1000)[LABEL]
        model = mace(observations).model
        majority = f1([counts(truth, consensus_spans(list(layers.values()))) for truth, layers in documents])
        weighed = f1([counts(truth, model_consensus_spans(layers, model)) for truth, layers in documents])
        assert weighed - majority > better, crew


def test_a_document_the_fit_never_saw_anyone_of_falls_back_to_the_majority():
    layers = {
        8: [LayerSpan(0, 20, "CLAIM"), LayerSpan(30, 50, "OPINION")],
        9: [LayerSpan(0, 20, "CLAIM")],
        10: [LayerSpan(31, 50, "OPINION"), LayerSpan(60, 70, "CLAIM")],
    }
    assert model_consensus_spans(layers, CAREFUL_AND_TWO_SPAMMERS) == consensus_spans(list(layers.values()))
    # One annotator the fit saw is enough for the model to decide; the others are no evidence:
    # annotator 1 alone marked the first claim (kept), did not mark the opinion (dropped).
    layers[1] = [LayerSpan(0, 20, "CLAIM")]
    assert [(s.start, s.label) for s in model_consensus_spans(layers, CAREFUL_AND_TWO_SPAMMERS)] == [
        (0, "CLAIM")
    ]

"""Annotator competence: the wrapper against crowd-kit run directly, a simulation, the edge cases."""

import json

import numpy as np
import pandas as pd
import pytest
from crowdkit.aggregation import MACE, DawidSkene
from scipy.stats import spearmanr

from annotator.agreement.maths.competence import Competence, dawid_skene, mace, observation_frame
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

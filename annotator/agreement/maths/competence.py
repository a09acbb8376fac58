"""Annotator competence: Dawid-Skene and MACE, fitted by crowd-kit, as plain dictionaries.

Pure Python + numpy + pandas + crowd-kit, no Django. A thin wrapper: it builds the frame crowd-kit
takes (columns task, worker, label), calls `fit` and reads the fitted attributes back.

Input: observations `(unit, annotator, value)`. A unit is any hashable id of one item (a span group
on a document, a document), an annotator any hashable id (a user id), a value a string (a label
key, an attribute value). Annotators may miss units. Every observation is one row of the frame, so
a repeated (unit, annotator) pair counts twice: give one answer per annotator and unit.

Frame. Units, annotators and values are replaced by integer codes in order of first appearance
before crowd-kit sees them (`observation_frame`), and mapped back afterwards. With such codes the
first-appearance order and the sorted order coincide, which crowd-kit 1.4.2's MACE needs: it
indexes its spamming-strategy matrix by first-appearance position but fills it from a group-by in
sorted order, so raw ids whose two orders differ would pair annotators and values with each
other's strategies. Dawid-Skene gives the same result either way.

Figures of a `Competence` (the same keys for both methods):

* `model`: the fitted parameters (`DawidSkeneModel`, `MaceModel`), which give the posterior of
  any unit from its answers, including units the fit never saw (`posterior`).
* `labels`: the aggregated value per unit (crowd-kit's `labels_`, the most probable value of
  `posteriors`; ties go to the first value in order of first appearance).
* `posteriors`: per unit, the probability of each value (crowd-kit's `probas_`). Dawid-Skene
  floors every probability at 1e-10 without renormalising, so a row may sum to slightly more
  than 1.
* `annotators`, overall reliability:
  - Dawid-Skene: the accuracy implied by the annotator's confusion matrix under the estimated class
    priors, sum_c prior[c] * P(says c | true c), with `priors_` and `errors_` (errors_.loc[(a, said),
    true] = P(says `said` | true `true`)).
  - MACE: the competence theta_a of Hovy et al. (2013), the probability that the annotator knows the
    answer and gives it rather than spamming, which is crowd-kit's `spamming_[a, 1]`
    (`spamming_[a, 0]` is the spamming probability; with the default variational M-step the two
    need not add up to exactly 1). crowd-kit's `thetas_` is the spamming strategy (which value a
    spammer picks), not a reliability, and is not exposed.
* `per_value`, reliability per annotator and value:
  - Dawid-Skene: P(says v | true v), the diagonal of the confusion matrix, for every value in the
    input; 0.0 for a value the annotator never gave (crowd-kit leaves that row out: probability 0).
  - MACE has no per-value reliability, so this is the annotator's agreement with the MACE labels:
    among the units the annotator answered whose MACE label is v, the share where the annotator
    said v. A value with no such unit is left out of the annotator's dictionary.

Determinism: Dawid-Skene starts from the majority vote and has no randomness. MACE draws its
starting point from `seed`. crowd-kit 1.4.2 seeds every restart with that same seed, so restarts
after the first repeat it exactly; `n_restarts` therefore defaults to 1 here (crowd-kit's default
is 10, at ten times the cost for the same result).

Edge cases (no exceptions):

* No observations: every dictionary is empty.
* One value: every unit gets it with probability 1; Dawid-Skene reliabilities are 1.0, MACE
  competences are whatever its fit gives (the data cannot tell a spammer from a knower).
* One annotator, or units with a single answer: fitted as they come. A lone annotator's answers
  become the labels (Dawid-Skene rates it 1.0, less the 1e-10 floor). A unit with one answer
  follows it as far as the annotator's estimated reliability allows; on very little data
  Dawid-Skene can leave such a unit at even odds, and the tie goes to the first value.

Model consensus (`model_consensus_spans`): a document's spans as a fitted model of the span
labels reads them. The spans are grouped as the majority consensus groups them
(consensus.span_groups); in each group every annotator answers the group's label (a span in it) or
NO_SPAN, exactly as the fit's LABEL observations; the group becomes a span when the group's label
is the most probable value of the model's posterior. Boundaries and attributes are the group's, as
the majority consensus takes them (consensus.group_consensus). So where the majority counts heads,
the model weighs each answer by what the fit says the annotator is worth: a careful annotator can
outvote two careless ones. A group whose most probable value is another label is left out, since
that label's attributes would not fit the spans of this one. Annotators the fit never saw (who
joined after it) are no evidence; a document none of whose annotators the fit saw falls back to
the majority rule, so a stale fit never empties a new annotator's documents.

D. Hovy, T. Berg-Kirkpatrick, A. Vaswani and E. Hovy. Learning Whom to Trust with MACE. NAACL-HLT
2013. A. P. Dawid and A. M. Skene. Maximum Likelihood Estimation of Observer Error-Rates Using the
EM Algorithm. Applied Statistics 28 (1979).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

from .attributes import WHOLE, AttributeSpec, attribute_codes, group_spans
from .consensus import ConsensusSpan, LayerSpan, group_consensus, span_groups
from .core import IntArray
from .stats import SpanInput, parse_layer

Observation = tuple[Hashable, Hashable, str]  # (unit, annotator, value)
Annotator = TypeVar("Annotator", bound=Hashable)

DAWID_SKENE = "dawid_skene"
MACE_METHOD = "mace"
FLOOR = 1e-10  # crowd-kit's Dawid-Skene floor (its _EPS) on priors and confusion entries


class _Posterior:
    values: tuple[str, ...]

    def knows(self, annotator: Hashable) -> bool:
        raise NotImplementedError

    def posterior(self, answers: Iterable[tuple[Hashable, str]]) -> dict[str, float]:
        raise NotImplementedError

    def most_probable(self, answers: Iterable[tuple[Hashable, str]]) -> str:
        """The value of highest posterior; a tie goes to the first in `values` order."""
        posterior = self.posterior(answers)
        return max(self.values, key=lambda value: posterior[value])


@dataclass(frozen=True)
class DawidSkeneModel(_Posterior):
    """Fitted Dawid-Skene parameters (crowd-kit's `priors_` and `errors_`): the prior of each
    true value, in `values` order, and per annotator (str(id), as stored in JSON) and value they
    gave, P(says it | true value) for each true value."""

    values: tuple[str, ...]
    priors: tuple[float, ...]
    errors: Mapping[str, Mapping[str, tuple[float, ...]]]

    def posterior(self, answers: Iterable[tuple[Hashable, str]]) -> dict[str, float]:
        """P(true value | the unit's answers), as crowd-kit's E-step computes it: log2 of the
        floored prior plus the log2 confusion entries of the answers, shifted to the largest and
        normalised. An answer of an annotator, or of a value, the fit never saw is no evidence
        (crowd-kit's join leaves it out too)."""
        log = np.log2(np.maximum(np.asarray(self.priors, dtype=np.float64), FLOOR))
        for annotator, said in answers:
            row = self.errors.get(str(annotator), {}).get(said)
            if row is not None:
                log = log + np.log2(np.asarray(row, dtype=np.float64))
        scaled = np.exp2(log - log.max())
        return dict(zip(self.values, (scaled / scaled.sum()).tolist(), strict=True))

    def knows(self, annotator: Hashable) -> bool:
        return str(annotator) in self.errors

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": DAWID_SKENE,
            "values": list(self.values),
            "priors": list(self.priors),
            "errors": {a: {said: list(row) for said, row in rows.items()} for a, rows in self.errors.items()},
        }


@dataclass(frozen=True)
class MaceModel(_Posterior):
    """Fitted MACE parameters (crowd-kit's `spamming_` and `thetas_`), per annotator (str(id)):
    the probability they spam, the probability they know, and the strategy a spammer follows,
    P(picks value) in `values` order."""

    values: tuple[str, ...]
    annotators: Mapping[str, tuple[float, float, tuple[float, ...]]]

    def posterior(self, answers: Iterable[tuple[Hashable, str]]) -> dict[str, float]:
        """P(true value | the unit's answers), as crowd-kit's E-step computes it: true values
        equally likely a priori, and each answer `said` given true value t has probability
        spamming * strategy[said] + knowing * [said == t]. An answer of an annotator, or of a
        value, the fit never saw is no evidence."""
        index = {value: i for i, value in enumerate(self.values)}
        marginal = np.full(len(self.values), 1.0 / len(self.values))
        for annotator, said in answers:
            fitted = self.annotators.get(str(annotator))
            if fitted is None or said not in index:
                continue
            spamming, knowing, strategy = fitted
            likelihood = np.full(len(self.values), spamming * strategy[index[said]])
            likelihood[index[said]] += knowing
            marginal = marginal * likelihood
        return dict(zip(self.values, (marginal / marginal.sum()).tolist(), strict=True))

    def knows(self, annotator: Hashable) -> bool:
        return str(annotator) in self.annotators

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": MACE_METHOD,
            "values": list(self.values),
            "annotators": {
                a: [spam, know, list(strategy)] for a, (spam, know, strategy) in self.annotators.items()
            },
        }


ConsensusModel = DawidSkeneModel | MaceModel


def model_from_dict(data: Mapping[str, Any]) -> ConsensusModel:
    """A model as its `to_dict` stored it."""
    if data["method"] == DAWID_SKENE:
        return DawidSkeneModel(
            values=tuple(data["values"]),
            priors=tuple(data["priors"]),
            errors={
                str(a): {said: tuple(row) for said, row in rows.items()} for a, rows in data["errors"].items()
            },
        )
    return MaceModel(
        values=tuple(data["values"]),
        annotators={
            str(a): (float(spam), float(know), tuple(strategy))
            for a, (spam, know, strategy) in data["annotators"].items()
        },
    )


@dataclass(frozen=True)
class ObservationFrame:
    """The frame crowd-kit fits (integer codes in columns task, worker, label) and the code tables:
    code i of a column stands for `units[i]`, `annotators[i]` or `values[i]`."""

    data: pd.DataFrame
    units: list[Hashable]
    annotators: list[Hashable]
    values: list[str]


@dataclass(frozen=True)
class Competence:
    """Fitted competence figures; see the module docstring for each one's definition."""

    method: str
    annotators: dict[Hashable, float]
    per_value: dict[Hashable, dict[str, float]]
    labels: dict[Hashable, str]
    posteriors: dict[Hashable, dict[str, float]]
    model: ConsensusModel | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: annotator and unit ids become strings (str(id)), figures plain floats."""
        return {
            "method": self.method,
            "annotators": {str(a): value for a, value in self.annotators.items()},
            "per_value": {str(a): dict(values) for a, values in self.per_value.items()},
            "labels": {str(u): value for u, value in self.labels.items()},
            "posteriors": {str(u): dict(values) for u, values in self.posteriors.items()},
            "model": self.model.to_dict() if self.model is not None else None,
        }


def observation_frame(observations: Iterable[Observation]) -> ObservationFrame:
    """The observations as crowd-kit's frame, coded in order of first appearance."""
    codes: tuple[dict[Hashable, int], dict[Hashable, int], dict[Hashable, int]] = ({}, {}, {})
    rows = [
        tuple(table.setdefault(item, len(table)) for table, item in zip(codes, observation, strict=True))
        for observation in observations
    ]
    import pandas as pd  # imported on use, like crowd-kit: pages read this module's names only

    data = pd.DataFrame(np.array(rows, dtype=np.int64).reshape(-1, 3), columns=["task", "worker", "label"])
    units, annotators, values = (list(table) for table in codes)
    return ObservationFrame(data, units, annotators, [str(value) for value in values])


def dawid_skene(observations: Iterable[Observation], *, n_iter: int = 100, tol: float = 1e-5) -> Competence:
    """Dawid-Skene (crowd-kit's `DawidSkene`, its defaults): confusion matrices by EM."""
    from crowdkit.aggregation import DawidSkene  # imported on use: it loads scipy and scikit-learn

    frame = observation_frame(observations)
    if frame.data.empty:
        return _empty(DAWID_SKENE)
    with _quiet_crowdkit():
        model = DawidSkene(n_iter=n_iter, tol=tol).fit(frame.data)
    assert model.errors_ is not None
    assert model.priors_ is not None
    assert model.probas_ is not None
    assert model.labels_ is not None
    n_annotators, n_values = len(frame.annotators), len(frame.values)
    import pandas as pd

    full = pd.MultiIndex.from_product([range(n_annotators), range(n_values)], names=["worker", "label"])
    errors = (
        model.errors_.reindex(index=full, columns=range(n_values), fill_value=0.0)
        .to_numpy(dtype=np.float64)
        .reshape(n_annotators, n_values, n_values)
    )  # [annotator, said, true]
    diagonal = errors[:, np.arange(n_values), np.arange(n_values)]
    priors = model.priors_.reindex(range(n_values), fill_value=0.0).to_numpy(dtype=np.float64)
    return Competence(
        method=DAWID_SKENE,
        annotators=dict(zip(frame.annotators, (diagonal @ priors).tolist(), strict=True)),
        per_value={
            annotator: dict(zip(frame.values, row, strict=True))
            for annotator, row in zip(frame.annotators, diagonal.tolist(), strict=True)
        },
        labels=_labels(frame, model.labels_),
        posteriors=_posteriors(frame, model.probas_),
        model=DawidSkeneModel(
            values=tuple(frame.values),
            priors=tuple(priors.tolist()),
            errors={
                str(frame.annotators[int(annotator)]): {
                    frame.values[int(said)]: tuple(row)
                    for said, row in zip(
                        group.index.get_level_values("label"),
                        group.reindex(columns=range(n_values), fill_value=FLOOR)
                        .to_numpy(dtype=np.float64)
                        .tolist(),
                        strict=True,
                    )
                }
                for annotator, group in model.errors_.groupby(level="worker", sort=True)
            },
        ),
    )


def mace(
    observations: Iterable[Observation],
    *,
    seed: int = 0,
    n_restarts: int = 1,
    n_iter: int = 50,
    method: Literal["vb", "em"] = "vb",
) -> Competence:
    """MACE (crowd-kit's `MACE`, its defaults but `n_restarts`): competence and spamming strategy
    by variational Bayes ("vb") or plain EM ("em"), started from `seed`."""
    from crowdkit.aggregation import MACE

    frame = observation_frame(observations)
    if frame.data.empty:
        return _empty(MACE_METHOD)
    with _quiet_crowdkit():
        model = MACE(n_restarts=n_restarts, n_iter=n_iter, method=method, random_state=seed).fit(frame.data)
    assert model.labels_ is not None
    assert model.probas_ is not None
    competence = np.asarray(model.spamming_, dtype=np.float64)[:, 1]
    labels = model.labels_.reindex(range(len(frame.units))).to_numpy(dtype=np.int64)
    return Competence(
        method=MACE_METHOD,
        annotators=dict(zip(frame.annotators, competence.tolist(), strict=True)),
        per_value=_agreement_with_labels(frame, labels),
        labels=_labels(frame, model.labels_),
        posteriors=_posteriors(frame, model.probas_),
        model=MaceModel(
            values=tuple(frame.values),
            annotators={
                str(annotator): (float(spamming[0]), float(spamming[1]), tuple(strategy))
                for annotator, spamming, strategy in zip(
                    frame.annotators,
                    np.asarray(model.spamming_, dtype=np.float64).tolist(),
                    np.asarray(model.thetas_, dtype=np.float64).tolist(),
                    strict=True,
                )
            },
        ),
    )


@contextlib.contextmanager
def _quiet_crowdkit() -> Iterator[None]:
    """crowd-kit 1.4.2 calls pandas with keywords pandas 4 will remove, warning on every call of
    every iteration; requirements.txt pins pandas 3, where they work."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module=r"crowdkit\.")
        yield


def _agreement_with_labels(frame: ObservationFrame, labels: IntArray) -> dict[Hashable, dict[str, float]]:
    """Per annotator and value v: the share of the annotator's answers on units labelled v that are v."""
    n_values = len(frame.values)
    worker = frame.data["worker"].to_numpy(dtype=np.int64)
    said = frame.data["label"].to_numpy(dtype=np.int64)
    consensus = labels[frame.data["task"].to_numpy(dtype=np.int64)]
    cells = worker * n_values + consensus
    size = len(frame.annotators) * n_values
    answered = np.bincount(cells, minlength=size).reshape(-1, n_values)
    agreed = np.bincount(cells, weights=(said == consensus), minlength=size).reshape(-1, n_values)
    return {
        annotator: {
            value: float(agreed[a, v] / answered[a, v])
            for v, value in enumerate(frame.values)
            if answered[a, v]
        }
        for a, annotator in enumerate(frame.annotators)
    }


def _labels(frame: ObservationFrame, labels: pd.Series[Any]) -> dict[Hashable, str]:
    return {frame.units[int(u)]: frame.values[int(v)] for u, v in labels.items()}


def _posteriors(frame: ObservationFrame, probas: pd.DataFrame) -> dict[Hashable, dict[str, float]]:
    names = [frame.values[int(v)] for v in probas.columns]
    return {
        frame.units[int(u)]: dict(zip(names, row, strict=True))
        for u, row in zip(probas.index, probas.to_numpy(dtype=np.float64).tolist(), strict=True)
    }


def _empty(method: str) -> Competence:
    return Competence(method=method, annotators={}, per_value={}, labels={}, posteriors={})


NO_SPAN = "(no span)"  # an annotator's answer on a span group where they marked nothing
LABEL = "label"  # the variable of the span groups' labels


def span_group_observations(
    document_id: Hashable,
    layers: Mapping[Annotator, Sequence[SpanInput]],
    label_keys: Sequence[str],
    attributes: Sequence[AttributeSpec] = (),
    *,
    text_length: int,
    threshold: float = 0.5,
) -> dict[str, list[Observation]]:
    """The observations of one document, per variable, over the span groups the agreement
    engine builds (`attributes.group_spans`: overlap-matched, same label, one span per annotator).

    * LABEL: each group is a unit (document_id, group); every annotator who submitted the
      document answers it, with their span's label or NO_SPAN.
    * each attribute: the groups (for multi and target attributes, each group and option or
      target) are the units; an annotator answers with the value on their span in the group, and
      does not answer where they have no span or gave no value."""
    annotators = sorted(layers, key=str)
    labels = tuple(label_keys)
    parsed = [parse_layer(layers[a], labels, text_length, owner) for owner, a in enumerate(annotators)]
    if not parsed:
        return {LABEL: []}
    spans = reduce(lambda x, y: x + y, (s for s, _ in parsed))
    raw = [values for _, layer_raw in parsed for values in layer_raw]
    groups = group_spans(spans, threshold)
    n_groups = int(groups.max(initial=-1)) + 1
    answers = np.full((len(annotators), n_groups), -1, dtype=np.int64)
    answers[spans.owners, groups] = spans.labels
    out: dict[str, list[Observation]] = {
        LABEL: [
            ((document_id, g), annotators[a], labels[int(code)] if code >= 0 else NO_SPAN)
            for a in range(len(annotators))
            for g, code in enumerate(answers[a].tolist())
        ]
    }
    for spec in attributes:
        codes = attribute_codes(spec, spans, raw, groups, labels, len(annotators))
        out[spec.key] = [
            (
                (document_id, g) if part == WHOLE else (document_id, g, part),
                annotators[a],
                spec.value_name(code),
            )
            for part, matrix in codes.parts.items()
            for a in range(len(annotators))
            for g, code in enumerate(matrix[a].tolist())
            if code >= 0
        ]
    return out


def model_consensus_spans(
    layers: Mapping[Annotator, Sequence[LayerSpan]], model: ConsensusModel, *, threshold: float = 0.5
) -> list[ConsensusSpan]:
    """The model consensus of one document's submitted layers (annotator id -> spans), sorted
    by start, end and label; see the module docstring. Fewer than two layers: no consensus, as
    with the majority."""
    if len(layers) < 2:
        return []
    annotators = list(layers)
    known = any(model.knows(a) for a in annotators)
    agreed = []
    for members in span_groups([layers[a] for a in annotators], threshold=threshold):
        label = members[0][1].label
        inside = {owner for owner, _ in members}
        answers = [(a, label if owner in inside else NO_SPAN) for owner, a in enumerate(annotators)]
        if model.most_probable(answers) == label if known else 2 * len(members) > len(annotators):
            agreed.append(group_consensus([span for _, span in members]))
    return sorted(agreed, key=lambda s: (s.start, s.end, s.label))

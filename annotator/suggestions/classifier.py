"""Suggestions trained on a project's own annotations. Plain Python and scikit-learn, no Django.

The unit is the sentence (annotator.suggestions.sentences). A sentence carries a label when a
truth span of that label covers at least half of the shorter of the two; it then also carries
that span's choice attributes. Each label gets a classifier over every sentence (TF-IDF of
words and word pairs, then logistic regression), and each choice attribute of a label one over
the sentences of that label. A suggestion is a whole sentence whose probability reaches
THRESHOLD, with that probability as its confidence and the likeliest value of each attribute as
a hint. No class weights: the probabilities stay calibrated, so the confidence shown means what
it says, and the calibration curve in the evaluation checks it.

Annotators' rejections are data: a rejected sentence in a document with no truth yet is one
more negative example for its label (where truth exists, truth decides).

`evaluate` splits documents, not sentences, holding out TEST_SHARE of them by a seeded hash of their text,
fits on the rest and scores the held-out ones: precision, recall and F1 over sentences, span F1
as the agreement engine computes it (annotator.agreement.maths.gold), and a calibration curve.
The baseline is marking every sentence with the label; a label is suggested only where the
model's span F1 beats it. The model kept is then fitted on every document.

Models are saved with skops, which loads only the types it trusts (scikit-learn's, NumPy's,
SciPy's), never an arbitrary pickle.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import skops.io
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from annotator.agreement.maths.gold import gold_statistics
from annotator.suggestions.sentences import sentence_bounds

FORMAT = 1
THRESHOLD = 0.5
TEST_SHARE = 0.2
MIN_DOCUMENTS = 10  # with truth, to train and hold some out
MIN_EXAMPLES = 5  # positive and negative sentences a label needs
MIN_VALUE_EXAMPLES = 3  # sentences each value of an attribute needs
CALIBRATION_BINS = 10
BASELINE = "Every sentence marked with the label"

TruthSpan = tuple[int, int, str, Mapping[str, Any]]
Model = dict[str, Any]


class NotEnoughData(ValueError):
    pass


@dataclass(frozen=True)
class TrainingDocument:
    key: int  # the document's id
    text: str
    spans: Sequence[TruthSpan] | None  # None: no truth yet (only its rejections count)
    rejected: Sequence[tuple[int, int, str]] = ()  # (start, end, label) suggestions rejected


@dataclass(frozen=True)
class Suggestion:
    label: str
    start: int
    end: int
    confidence: float
    attributes: dict[str, tuple[str, float]] = field(default_factory=dict)  # key -> (value, confidence)


@dataclass
class _Rows:
    texts: list[str] = field(default_factory=list)
    carried: list[dict[str, Mapping[str, Any]]] = field(default_factory=list)  # label -> attributes
    only: list[str | None] = field(default_factory=list)  # a rejection row counts for one label


def sentence_labels(
    bounds: Sequence[tuple[int, int]], spans: Sequence[TruthSpan]
) -> list[dict[str, Mapping[str, Any]]]:
    """For each sentence, the labels it carries and the attributes of the span that gives each."""
    carried: list[dict[str, Mapping[str, Any]]] = [{} for _ in bounds]
    for index, (s_start, s_end) in enumerate(bounds):
        for start, end, label, attributes in spans:
            overlap = min(s_end, end) - max(s_start, start)
            if overlap > 0 and 2 * overlap >= min(s_end - s_start, end - start):
                carried[index].setdefault(label, attributes)
    return carried


def _rows(documents: Sequence[TrainingDocument]) -> _Rows:
    rows = _Rows()
    for document in documents:
        bounds = sentence_bounds(document.text)
        if document.spans is not None:
            for (start, end), carried in zip(bounds, sentence_labels(bounds, document.spans), strict=True):
                rows.texts.append(document.text[start:end])
                rows.carried.append(carried)
                rows.only.append(None)
        else:
            for start, end, label in document.rejected:
                rows.texts.append(document.text[start:end])
                rows.carried.append({})
                rows.only.append(label)
    return rows


def fit(
    documents: Sequence[TrainingDocument], labels: Sequence[str], attributes: Mapping[str, Sequence[str]]
) -> Model:
    """Fit the classifiers. `attributes` gives each label's choice attribute keys. A label with
    fewer than MIN_EXAMPLES positive or negative sentences gets no classifier."""
    rows = _rows(documents)
    if not rows.texts:
        raise NotEnoughData("No sentence to learn from.")
    vectorizer = TfidfVectorizer(
        ngram_range=(1, 2), min_df=2, sublinear_tf=True, strip_accents="unicode", max_features=300_000
    )
    try:
        features = vectorizer.fit_transform(rows.texts)
    except ValueError:  # every word is in one sentence only
        vectorizer.set_params(min_df=1)
        features = vectorizer.fit_transform(rows.texts)
    model: Model = {"format": FORMAT, "vectorizer": vectorizer, "labels": {}, "attributes": {}}
    for label in labels:
        mask = np.array([only is None or only == label for only in rows.only])
        y = np.array([label in carried for carried in rows.carried])[mask]
        if min(int(y.sum()), int((~y).sum())) < MIN_EXAMPLES:
            continue
        model["labels"][label] = LogisticRegression(C=4.0, max_iter=1000).fit(features[mask], y)
        for key in attributes.get(label, ()):
            chosen = [
                (index, str(carried[label][key]))
                for index, carried in enumerate(rows.carried)
                if isinstance(carried.get(label, {}).get(key), str)
            ]
            values, counts = np.unique([value for _, value in chosen], return_counts=True)
            if len(values) < 2 or counts.min() < MIN_VALUE_EXAMPLES:
                continue
            model["attributes"].setdefault(label, {})[key] = LogisticRegression(C=4.0, max_iter=1000).fit(
                features[[index for index, _ in chosen]], [value for _, value in chosen]
            )
    if not model["labels"]:
        raise NotEnoughData(f"No label has {MIN_EXAMPLES} sentences with it and {MIN_EXAMPLES} without.")
    return model


def probabilities(model: Model, texts: Sequence[str]) -> dict[str, np.ndarray]:
    """Label -> the probability of each sentence carrying it."""
    if not texts:
        return {label: np.zeros(0) for label in model["labels"]}
    features = model["vectorizer"].transform(texts)
    return {label: clf.predict_proba(features)[:, 1] for label, clf in model["labels"].items()}


def suggest(model: Model, text: str, *, labels: Sequence[str] | None = None) -> list[Suggestion]:
    """The sentences of `text` worth suggesting, for `labels` (default: every label the model
    has), in text order."""
    bounds = sentence_bounds(text)
    texts = [text[start:end] for start, end in bounds]
    wanted = model["labels"] if labels is None else [label for label in labels if label in model["labels"]]
    found = probabilities(model, texts)
    out = []
    features = None
    for label in wanted:
        hits = np.flatnonzero(found[label] >= THRESHOLD)
        if not len(hits):
            continue
        hints: dict[int, dict[str, tuple[str, float]]] = {int(i): {} for i in hits}
        for key, clf in model["attributes"].get(label, {}).items():
            features = features if features is not None else model["vectorizer"].transform(texts)
            chances = clf.predict_proba(features[hits])
            for i, row in zip(hits.tolist(), chances, strict=True):
                best = int(np.argmax(row))
                hints[i][key] = (str(clf.classes_[best]), round(float(row[best]), 3))
        for i in hits.tolist():
            start, end = bounds[i]
            out.append(Suggestion(label, start, end, round(float(found[label][i]), 3), hints[i]))
    return sorted(out, key=lambda s: (s.start, s.end, s.label))


def held_out(text: str, *, seed: int = 0, share: float = TEST_SHARE) -> bool:
    """Whether the document with this text is held out. The split follows the text, not an id, so
    a training on the same documents holds out the same ones in any database (a restore gives
    new ids), and copies of one text fall on the same side."""
    digest = hashlib.sha256(f"{seed}:{text}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def evaluate(
    documents: Sequence[TrainingDocument],
    labels: Sequence[str],
    attributes: Mapping[str, Sequence[str]],
    *,
    seed: int = 0,
) -> dict[str, Any]:
    """Fit on the documents not held out and score the held-out ones with truth (module
    docstring). Raises NotEnoughData below MIN_DOCUMENTS documents with truth."""
    with_truth = [d for d in documents if d.spans is not None]
    if len(with_truth) < MIN_DOCUMENTS:
        raise NotEnoughData(
            f"{len(with_truth)} documents have gold or consensus; training needs {MIN_DOCUMENTS}."
        )
    test = [d for d in with_truth if held_out(d.text, seed=seed)]
    if not test:  # a tiny project can hash nothing out: hold out its last documents
        test = with_truth[-max(1, len(with_truth) // 5) :]
    test_keys = {d.key for d in test}
    model = fit([d for d in documents if d.key not in test_keys], labels, attributes)
    trained = list(model["labels"])
    keys = tuple(labels)
    k = len(keys)
    counts = {
        name: np.zeros((3, k), dtype=np.int64) for name in ("model", "baseline")
    }  # tp, n_truth, n_marked
    y_true: dict[str, list[bool]] = {label: [] for label in trained}
    y_prob: dict[str, list[float]] = {label: [] for label in trained}
    for document in test:
        assert document.spans is not None
        bounds = sentence_bounds(document.text)
        found = probabilities(model, [document.text[s:e] for s, e in bounds])
        carried = sentence_labels(bounds, document.spans)
        marked: dict[str, list[TruthSpan]] = {"model": [], "baseline": []}
        for label in trained:
            y_true[label].extend(label in c for c in carried)
            y_prob[label].extend(found[label].tolist())
            for (start, end), p in zip(bounds, found[label].tolist(), strict=True):
                marked["baseline"].append((start, end, label, {}))
                if p >= THRESHOLD:
                    marked["model"].append((start, end, label, {}))
        truth = [span for span in document.spans if span[2] in keys]
        for name, spans in marked.items():
            stats = gold_statistics(
                truth, spans, keys, text_length=len(document.text), allow_overlap=True
            ).spans
            counts[name] += np.array([stats.tp_overlap, stats.n_a, stats.n_b], dtype=np.int64)
    per_label: dict[str, dict[str, Any]] = {}
    for index, label in enumerate(keys):
        if label not in trained:
            per_label[label] = {"trained": False, "used": False}
            continue
        truth_y = np.array(y_true[label], dtype=bool)
        marked_y = np.array(y_prob[label]) >= THRESHOLD
        tp = int((truth_y & marked_y).sum())
        span_f1 = _f1(*counts["model"][:, index])
        baseline_f1 = _f1(*counts["baseline"][:, index])
        per_label[label] = {
            "trained": True,
            "sentences": len(truth_y),
            "positives": int(truth_y.sum()),
            "precision": tp / int(marked_y.sum()) if marked_y.any() else None,
            "recall": tp / int(truth_y.sum()) if truth_y.any() else None,
            "f1": 2 * tp / int(truth_y.sum() + marked_y.sum()) if (truth_y.any() or marked_y.any()) else None,
            "span_f1": span_f1,
            "baseline_span_f1": baseline_f1,
            "used": span_f1 is not None and (baseline_f1 is None or span_f1 > baseline_f1),
        }
    return {
        "n_documents": len(with_truth),
        "n_test_documents": len(test),
        "baseline": BASELINE,
        "threshold": THRESHOLD,
        "labels": per_label,
        "span_f1": _f1(*counts["model"].sum(axis=1)),
        "baseline_span_f1": _f1(*counts["baseline"].sum(axis=1)),
        "calibration": calibration_curve(
            np.concatenate([np.array(y_true[label], dtype=bool) for label in trained] or [np.zeros(0, bool)]),
            np.concatenate([np.array(y_prob[label]) for label in trained] or [np.zeros(0)]),
        ),
    }


def _f1(tp: int, n_truth: int, n_marked: int) -> float | None:
    return 2 * int(tp) / int(n_truth + n_marked) if n_truth + n_marked else None


def calibration_curve(
    y_true: np.ndarray, y_prob: np.ndarray, *, bins: int = CALIBRATION_BINS
) -> list[dict[str, Any]]:
    """Per probability bin with sentences in it: the mean predicted probability, the share that
    truly carried the label, and how many sentences."""
    which = np.minimum((y_prob * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        inside = which == b
        n = int(inside.sum())
        if n:
            out.append(
                {
                    "bin": [b / bins, (b + 1) / bins],
                    "predicted": float(y_prob[inside].mean()),
                    "observed": float(y_true[inside].mean()),
                    "n": n,
                }
            )
    return out


def dumps(model: Model) -> bytes:
    return bytes(skops.io.dumps(model))


def loads(data: bytes) -> Model:
    """Refuses any type beyond scikit-learn's, NumPy's, SciPy's and Python's plain containers,
    which skops trusts by default (it raises UntrustedTypesFoundException)."""
    return skops.io.loads(data)  # type: ignore[no-any-return]

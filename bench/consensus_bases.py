"""Majority and model consensus against a known truth (not a test). Run:

    .venv/bin/python bench/consensus_bases.py [--documents 2000] [--seed 0] [--smoke]

Pure maths, no database. Each document holds a hidden truth of 10 spans (CLAIM or OPINION, 20 to 60
characters, apart). Three annotators copy it, each with its own care: a truth span is marked with
probability `recall` (boundaries jittered by up to 3 characters, relabelled with probability
`relabel`), and `spurious` made-up spans are added per document on average. For each crew below the
script fits Dawid-Skene and MACE on the span groups (annotator.agreement.maths.competence), builds
every document's majority consensus (consensus_spans) and model consensus with each fit
(model_consensus_spans; basis model uses MACE's), and prints the span F1 against the truth,
pooled over documents, of every single layer, the majority and each model; then the time per
document of each consensus, and of each fit. The reference in the same run is the majority
consensus: the models' figures are read against it.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotator.agreement.maths.competence import (
    LABEL,
    dawid_skene,
    mace,
    model_consensus_spans,
    span_group_observations,
)
from annotator.agreement.maths.consensus import LayerSpan, consensus_spans
from annotator.agreement.maths.gold import gold_statistics

LABELS = ("CLAIM", "OPINION")
LENGTH = 1000
THRESHOLD = 0.5

# name -> [(recall, relabel, spurious) per annotator]
CREWS = {
    "three careful": [(0.9, 0.05, 0.5), (0.9, 0.05, 0.5), (0.9, 0.05, 0.5)],
    "one careful, two careless": [(0.95, 0.03, 0.3), (0.6, 0.2, 3.0), (0.6, 0.2, 3.0)],
    "0.9 / 0.7 / 0.5": [(0.9, 0.05, 0.5), (0.7, 0.15, 1.5), (0.5, 0.3, 3.0)],
}


def truth_spans(rng: random.Random) -> list[LayerSpan]:
    spans, start = [], rng.randint(0, 20)
    for _ in range(10):
        length = rng.randint(20, 60)
        spans.append(LayerSpan(start, start + length, rng.choice(LABELS)))
        start += length + rng.randint(30, 40)
    return spans


def annotate(
    rng: random.Random, truth: list[LayerSpan], recall: float, relabel: float, spurious: float
) -> list[LayerSpan]:
    layer = []
    for span in truth:
        if rng.random() >= recall:
            continue
        start = max(0, span.start + rng.randint(-3, 3))
        end = min(LENGTH, max(start + 1, span.end + rng.randint(-3, 3)))
        label = rng.choice([x for x in LABELS if x != span.label]) if rng.random() < relabel else span.label
        layer.append(LayerSpan(start, end, label))
    for _ in range(int(spurious) + (rng.random() < spurious % 1)):
        start = rng.randint(0, LENGTH - 40)
        layer.append(LayerSpan(start, start + rng.randint(15, 40), rng.choice(LABELS)))
    return layer


def counts(truth: list[LayerSpan], spans: list[LayerSpan]) -> tuple[int, int]:
    stats = gold_statistics(
        [(s.start, s.end, s.label) for s in truth],
        [(s.start, s.end, s.label) for s in spans],
        LABELS,
        text_length=LENGTH,
        threshold=THRESHOLD,
    )
    return int(stats.spans.tp_overlap.sum()), int(stats.spans.n_a.sum() + stats.spans.n_b.sum())


def f1(pairs: list[tuple[int, int]]) -> float:
    return 2 * sum(tp for tp, _ in pairs) / sum(n for _, n in pairs)


def run(crew: list[tuple[float, float, float]], n_documents: int, seed: int) -> None:
    rng = random.Random(seed)
    documents = []
    for _ in range(n_documents):
        truth = truth_spans(rng)
        documents.append((truth, {a: annotate(rng, truth, *care) for a, care in enumerate(crew)}))
    observations = []
    for d, (_, layers) in enumerate(documents):
        inputs = {a: [(s.start, s.end, s.label) for s in spans] for a, spans in layers.items()}
        observations += span_group_observations(d, inputs, LABELS, text_length=LENGTH, threshold=THRESHOLD)[
            LABEL
        ]
    models, fit_seconds = {}, {}
    for name, method in (("Dawid-Skene", dawid_skene), ("MACE", mace)):
        started = time.perf_counter()
        fitted = method(observations).model
        assert fitted is not None
        models[name] = fitted
        fit_seconds[name] = time.perf_counter() - started
    singles: dict[int, list[tuple[int, int]]] = {a: [] for a in range(len(crew))}
    found: dict[str, list[tuple[int, int]]] = {"majority": [], **{name: [] for name in models}}
    seconds = dict.fromkeys(found, 0.0)
    for truth, layers in documents:
        for a, spans in layers.items():
            singles[a].append(counts(truth, spans))
        for name in found:
            started = time.perf_counter()
            if name == "majority":
                agreed = consensus_spans(list(layers.values()), threshold=THRESHOLD)
            else:
                agreed = model_consensus_spans(layers, models[name], threshold=THRESHOLD)
            seconds[name] += time.perf_counter() - started
            found[name].append(counts(truth, [LayerSpan(s.start, s.end, s.label) for s in agreed]))
    layers_f1 = " / ".join(f"{f1(pairs):.3f}" for pairs in singles.values())
    print(
        f"  span F1: layers {layers_f1}; "
        + ", ".join(f"{name} {f1(pairs):.3f}" for name, pairs in found.items())
    )
    per_document = 1e6 / n_documents
    print(
        "  per document: "
        + ", ".join(f"{name} {seconds[name] * per_document:.0f} us" for name in found)
        + "; fit: "
        + ", ".join(f"{name} {fit_seconds[name]:.2f} s" for name in models)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smoke", action="store_true", help="a small run: 100 documents")
    args = parser.parse_args()
    if args.smoke:
        args.documents = 100
    print(f"Span F1 against the truth, {args.documents} documents of 10 true spans, 3 annotators")
    for name, crew in CREWS.items():
        print(f"{name}:")
        run(crew, args.documents, args.seed)


if __name__ == "__main__":
    main()

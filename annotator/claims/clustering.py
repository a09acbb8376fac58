"""The same claim in different words, found across outlets. Plain Python, NumPy and
scikit-learn, no Django, no model (the vectors come from annotator.claims.embedding).

Claims are clustered by the cosine distance of their sentence embeddings: agglomerative
clustering with average linkage, cut at `distance` (the setting ANNOTATOR_CLAIM_DISTANCE), over
a graph of each claim's nearest neighbours so that 20,000 claims cluster in well under a minute.
Embeddings place claims by topic, so "unemployment fell to 4.1%" and "unemployment rose to
5.3%" sit close: a cluster is then split where its claims state different figures. Claims of
opposite polarity without figures ("the ceasefire holds" / "has collapsed") can still share a
cluster; a reviewer splits them, and a claim a reviewer placed keeps its place (services).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from scipy.sparse.csgraph import connected_components
from sklearn.cluster import AgglomerativeClustering
from sklearn.neighbors import kneighbors_graph

NEIGHBOURS = 15
DISTANCE = 0.5
# A figure: digits with their separators, then an optional scale word ("£2m", "2 million").
_FIGURE = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(million|billion|bn|m|k|thousand)?\b", re.IGNORECASE)
_SCALE = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9}


def figures(text: str) -> frozenset[float]:
    """The numbers a claim states, with scale words applied: "3,000" and "3000" are one
    figure, "£2 million" and "£2m" another."""
    found = set()
    for digits, scale in _FIGURE.findall(text):
        value = float(digits.replace(",", ""))
        found.add(value * _SCALE.get(scale.lower(), 1.0) if scale else value)
    return frozenset(found)


def cluster(vectors: np.ndarray, texts: Sequence[str], *, distance: float = DISTANCE) -> np.ndarray:
    """A cluster number for each claim (unit vectors `vectors`, its `texts`); see the module
    docstring."""
    n = len(texts)
    if n <= 1:
        return np.zeros(n, dtype=np.int64)
    connectivity = kneighbors_graph(vectors, n_neighbors=min(NEIGHBOURS, n - 1), include_self=False)
    labels = AgglomerativeClustering(
        n_clusters=None,
        distance_threshold=distance,
        metric="cosine",
        linkage="average",
        connectivity=connectivity,
    ).fit_predict(vectors)
    return _split_by_figures(labels, vectors, [figures(t) for t in texts])


def _split_by_figures(labels: np.ndarray, vectors: np.ndarray, stated: list[frozenset[float]]) -> np.ndarray:
    """Within each cluster, claims that state figures stay together only when they share one;
    a claim without figures joins the group it is closest to."""
    out = labels.copy()
    next_label = int(labels.max()) + 1 if len(labels) else 0
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        counted = [i for i in members if stated[i]]
        if len(counted) < 2:
            continue
        share = np.array([[bool(stated[a] & stated[b]) for b in counted] for a in counted])
        n_groups, group_of = connected_components(share, directed=False)
        if n_groups == 1:
            continue
        groups = {g: [counted[k] for k in np.flatnonzero(group_of == g)] for g in range(n_groups)}
        centres = {g: vectors[idx].mean(axis=0) for g, idx in groups.items()}
        assignment = {i: g for g, idx in groups.items() for i in idx}
        for i in members:
            if i not in assignment:  # no figures: the nearest group
                assignment[i] = max(centres, key=lambda g: float(vectors[i] @ centres[g]))
        new_label = {0: int(label)} | {g: next_label + g - 1 for g in range(1, n_groups)}
        next_label += n_groups - 1
        for i in members:
            out[i] = new_label[assignment[i]]
    return out

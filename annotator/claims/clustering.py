"""The same claim in different words, found across outlets. Plain Python, NumPy and
scikit-learn, no Django, no model (the vectors come from annotator.claims.embedding).

Claims are clustered by the cosine distance of their sentence embeddings: agglomerative
clustering with average linkage, cut at `distance` (the setting ANNOTATOR_CLAIM_DISTANCE),
along a graph of each claim's NEIGHBOURS nearest neighbours, one connected piece of that graph
at a time, so that 20,000 claims cluster in seconds and in little memory.
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
DISTANCE = 0.4
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
    graph = kneighbors_graph(vectors, n_neighbors=min(NEIGHBOURS, n - 1), include_self=False)
    graph = graph.maximum(graph.T)
    # Claims with no neighbour link between them are far apart: each piece of the neighbour graph
    # is clustered on its own, which keeps memory to the size of the largest piece.
    n_pieces, piece_of = connected_components(graph, directed=False)
    labels = np.zeros(n, dtype=np.int64)
    next_label = 0
    for piece in range(n_pieces):
        members = np.flatnonzero(piece_of == piece)
        if len(members) == 1:
            found = np.zeros(1, dtype=np.int64)
        else:
            found = AgglomerativeClustering(
                n_clusters=None,
                distance_threshold=distance,
                metric="cosine",
                linkage="average",
                connectivity=graph[members][:, members],
            ).fit_predict(vectors[members])
        labels[members] = found + next_label
        next_label += int(found.max()) + 1
    return _split_by_figures(labels, vectors, [figures(t) for t in texts])


def _split_by_figures(labels: np.ndarray, vectors: np.ndarray, stated: list[frozenset[float]]) -> np.ndarray:
    """Within each cluster, claims that state figures stay together only when one's figures are
    among the other's (a paraphrase may leave a figure out, never change one): each starts a
    group or joins the first group whose first claim it agrees with, most figures first. A claim
    without figures joins the group it is closest to."""
    out = labels.copy()
    next_label = int(labels.max()) + 1 if len(labels) else 0
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label).tolist()
        counted = sorted((i for i in members if stated[i]), key=lambda i: (-len(stated[i]), i))
        groups: list[list[int]] = []
        for i in counted:
            home = next((g for g in groups if stated[i] <= stated[g[0]] or stated[g[0]] <= stated[i]), None)
            if home is None:
                groups.append([i])
            else:
                home.append(i)
        if len(groups) < 2:
            continue
        centres = [vectors[g].mean(axis=0) for g in groups]
        assignment = {i: n for n, g in enumerate(groups) for i in g}
        for i in members:
            if i not in assignment:  # no figures: the nearest group
                assignment[i] = max(range(len(groups)), key=lambda n: float(vectors[i] @ centres[n]))
        # The group holding the cluster's first member keeps its number.
        keeper = assignment[members[0]]
        new_label: dict[int, int] = {}
        for n in range(len(groups)):
            if n == keeper:
                new_label[n] = int(label)
            else:
                new_label[n] = next_label
                next_label += 1
        for i in members:
            out[i] = new_label[assignment[i]]
    return out

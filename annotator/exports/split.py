"""Train and test parts that share no source: a model trained on an outlet's articles and tested
on other articles of the same outlet learns the outlet (SemEval-2019 Task 4 split its data by
publisher for that reason). Plain data: no Django."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

PARTS = ("train", "test")


def held_out_sources(documents: Mapping[int, int], *, test_share: float, seed: int = 0) -> frozenset[int]:
    """The sources of the test part, given each source's document count: sources in an order
    fixed by `seed` join the test part until it holds `test_share` of the documents. With two
    sources or more, each part keeps at least one. The same counts and seed give the same part."""
    order = sorted(documents, key=lambda source: hashlib.sha256(f"{seed}:{source}".encode()).hexdigest())
    total = sum(documents.values())
    chosen: list[int] = []
    held = 0
    for source in order:
        if held >= test_share * total or (len(order) > 1 and len(chosen) == len(order) - 1):
            break
        chosen.append(source)
        held += documents[source]
    return frozenset(chosen)

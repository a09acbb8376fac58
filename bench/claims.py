"""Speed of claims across outlets (not a test). Run:

    .venv/bin/python bench/claims.py [--smoke]

20,000 CLAIM texts written by the demo's generator (annotator.demo.generated). Times the
embedding (annotator.claims.embedding: all-MiniLM-L6-v2 in NumPy) in claims per second, which
the claims job pays once per new claim, then the clustering of all 20,000 from their vectors
(annotator.claims.clustering), which it runs each time. The reference, measured in the same
run, is the nearest-neighbour graph alone, the first step of the clustering. Prints the model's
load time and the peak resident memory. A smoke run is 300 claims.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import harness
from sklearn.neighbors import kneighbors_graph

from annotator.claims.clustering import DISTANCE, NEIGHBOURS, cluster
from annotator.claims.embedding import encoder
from annotator.demo.generated import generated_demo

N_CLAIMS = 20_000


def claim_texts(n: int) -> list[str]:
    per_source = 50
    while True:
        articles, layers = generated_demo(annotators=["truth"], per_source=per_source)
        texts = [
            span["quote"]
            for article in articles
            for span in layers["truth"][article["external_id"]]
            if span["label"] == "CLAIM"
        ]
        if len(texts) >= n:
            return texts[:n]
        per_source *= 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    harness.add_smoke_argument(parser)
    args = parser.parse_args()
    n = 300 if args.smoke else N_CLAIMS
    texts = claim_texts(n)
    started = time.perf_counter()
    model = encoder()
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    vectors = model.embed(texts)
    embedded = time.perf_counter() - started
    started = time.perf_counter()
    kneighbors_graph(vectors, n_neighbors=NEIGHBOURS, include_self=False)
    reference = time.perf_counter() - started
    started = time.perf_counter()
    labels = cluster(vectors, texts, distance=DISTANCE)
    clustered = time.perf_counter() - started
    sizes = np.bincount(labels)
    print(
        json.dumps(
            {
                "claims": n,
                "distinct_texts": len(set(texts)),
                "model_load_s": round(loaded, 2),
                "embed_s": round(embedded, 1),
                "embed_claims_per_s": round(n / embedded),
                "reference_neighbour_graph_s": round(reference, 1),
                "cluster_s": round(clustered, 1),
                "clusters": len(sizes),
                "clusters_of_two_or_more": int((sizes >= 2).sum()),
                "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()

"""Speed of the per-source profile maths (not a test). Run:

    .venv/bin/python bench/profiles_maths.py [--smoke]

200 sources x 100 articles (20,000 articles), 8 stance targets per source out of 40 in the
corpus, B = 2,000 resamples: every source profile plus the pooled corpus profile, from arrays
(the database part is not included). Prints the time per phase and the peak resident memory.

The per-source matrices are small (2,000 x 100), where OpenBLAS's threads cost more than they
save on a busy machine: compare with OPENBLAS_NUM_THREADS=1 (one thread per worker process).
A smoke run (--smoke) is 5 sources x 10 articles with B = 20.
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

from annotator.profiles.maths import ArticleCounts, corpus_profile, source_profile

N_SOURCES, N_ARTICLES, N_TARGETS, TARGETS_PER_SOURCE, N_BOOT = 200, 100, 40, 8, 2000
SMOKE = {"n_sources": 5, "n_articles": 20, "n_boot": 20}


def synthetic_source(rng: np.random.Generator, n: int) -> ArticleCounts:
    words = rng.integers(300, 2500, n).astype(float)
    claims = rng.poisson(words / 100)
    opinions = rng.poisson(words / 250)
    evidence = rng.multinomial(claims, [0.3, 0.1, 0.15, 0.1, 0.1, 0.25])
    evidence[:, 5] -= rng.binomial(evidence[:, 5], 0.1)  # some claims without an evidence value
    stance = rng.poisson(0.6, (n, TARGETS_PER_SOURCE, 2, 3)).astype(float)
    targets = [f"Q{t}" for t in rng.choice(N_TARGETS, TARGETS_PER_SOURCE, replace=False)]
    start = np.datetime64("2024-01-01T00:00:00")
    return ArticleCounts.of(
        words,
        claims=claims,
        opinions=opinions,
        disclaimers=rng.poisson(0.3, n),
        evidence=evidence,
        author_voice_unsupported=rng.binomial(evidence[:, 5], 0.5),
        hedged_claims=rng.binomial(claims, 0.2),
        check_worthy_claims=rng.binomial(claims, 0.3),
        stance=stance.sum(axis=2) + rng.poisson(0.1, (n, TARGETS_PER_SOURCE, 3)),  # some without voice
        stance_by_voice=stance,
        n_layers=rng.integers(1, 4, n),
        published=start + rng.integers(0, 365 * 86400, n).astype("timedelta64[s]"),
        targets=targets,
    )


def run(*, n_sources: int = N_SOURCES, n_articles: int = N_ARTICLES, n_boot: int = N_BOOT) -> None:
    """Time every profile of `n_sources` synthetic sources of `n_articles` articles each."""
    rng = np.random.default_rng(0)
    sources = [synthetic_source(rng, n_articles) for _ in range(n_sources)]
    data_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux

    t0, cpu0 = time.perf_counter(), time.process_time()
    per_source = [source_profile(s, n_annotators=5, n_boot=n_boot) for s in sources]
    t1 = time.perf_counter()
    corpus = corpus_profile(sources, n_annotators=50, n_boot=n_boot)
    t2 = time.perf_counter()
    text = json.dumps({"corpus": corpus, "sources": per_source}, allow_nan=False)
    t3, cpu3 = time.perf_counter(), time.process_time()

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    print(
        f"{n_sources} sources x {n_articles} articles = {n_sources * n_articles:,} articles, B = {n_boot:,}"
    )
    print(f"  source profiles : {t1 - t0:6.2f} s  ({(t1 - t0) / n_sources * 1000:.1f} ms per source)")
    print(
        f"  corpus profile  : {t2 - t1:6.2f} s  ({corpus['coverage']['articles']:,} articles pooled, "
        f"{len(corpus['stance'])} targets)"
    )
    print(f"  json.dumps      : {t3 - t2:6.2f} s  ({len(text) / 1e6:.1f} MB)")
    print(f"  total           : {t3 - t0:6.2f} s wall, {cpu3 - cpu0:.2f} s CPU (all threads)")
    print(f"  peak RSS        : {peak_mb:6.0f} MB  ({data_mb:.0f} MB after building the input arrays)")
    m = corpus["metrics"]["claims_per_1k_words"]
    figure = (
        f"{m['value']:.3f} [{m['ci95'][0]:.3f}, {m['ci95'][1]:.3f}]"
        if m["value"] is not None
        else m["reason"]
    )
    print(f"  corpus claims per 1k words: {figure}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help=f"a small run: {SMOKE}")
    args = parser.parse_args()
    run(**(SMOKE if args.smoke else {}))


if __name__ == "__main__":
    main()

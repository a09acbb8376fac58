"""Speed of the agreement kernels (not a test). Run: .venv/bin/python bench/agreement_kernels.py [--smoke]

1. Per-position alpha (bincount coincidences) against `krippendorff.alpha` on 3 coders x 1,000,000
   units, 4 labels, each coder copying a hidden truth with p = .8, 5 % missing; nominal, ordinal and
   interval; best of 3 runs; data generation excluded.
2. Unitizing alpha_U on 3 annotators x 10,000 spans: a synthetic continuum of spans of 20-200
   characters with gaps of 5-100; each annotator jitters both boundaries by +-5, relabels 15 %,
   drops 10 % and adds 10 % spurious spans.

The reference in the same run is the `krippendorff` package on the same data. A smoke run uses
10,000 units and 300 spans.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

import krippendorff
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotator.agreement.maths.alpha import Level, alpha
from annotator.agreement.maths.unitizing import category_statistics, unitizing_alpha

T = TypeVar("T")


def best_of(fn: Callable[[], T], runs: int = 3) -> tuple[float, T]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def coding_data(n_units: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 4, n_units)
    codes = np.where(rng.random((3, n_units)) < 0.8, truth, rng.integers(0, 4, (3, n_units)))
    return np.where(rng.random((3, n_units)) < 0.05, -1, codes)


def span_layers(n_spans: int, n_raters: int, seed: int = 0) -> tuple[list[list[tuple[int, int, int]]], int]:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(20, 201, n_spans)
    gaps = rng.integers(5, 101, n_spans)
    starts = np.cumsum(gaps) + np.concatenate([[0], np.cumsum(lengths)[:-1]])
    ends = starts + lengths
    labels = rng.integers(0, 3, n_spans)
    total = int(ends[-1] + 100)
    layers = []
    for _ in range(n_raters):
        keep = rng.random(n_spans) >= 0.10
        s = starts + rng.integers(-5, 6, n_spans)
        e = ends + rng.integers(-5, 6, n_spans)
        lab = np.where(rng.random(n_spans) < 0.15, rng.integers(0, 3, n_spans), labels)
        n_extra = int(0.10 * n_spans)
        xs = rng.integers(0, total - 200, n_extra)
        xe = xs + rng.integers(20, 201, n_extra)
        spans = list(zip(s[keep].tolist(), e[keep].tolist(), lab[keep].tolist(), strict=True))
        spans += list(zip(xs.tolist(), xe.tolist(), rng.integers(0, 3, n_extra).tolist(), strict=True))
        layers.append([(max(a, 0), min(b, total), c) for a, b, c in spans if min(b, total) > max(a, 0)])
    return layers, total


def unitizing(layers: list[list[tuple[int, int, int]]], total: int) -> float | None:
    by_label = {}
    for label in range(3):
        raters = []
        for spans in layers:
            arr = np.array([(s, e) for s, e, c in spans if c == label], dtype=np.int64).reshape(-1, 2)
            raters.append((arr[:, 0], arr[:, 1]))
        by_label[str(label)] = category_statistics(raters, 0, total)
    return unitizing_alpha(by_label)[0].value


def run(*, n: int = 1_000_000, n_spans: int = 10_000) -> None:
    codes = coding_data(n)
    data = np.where(codes < 0, np.nan, codes.astype(float))
    print(f"alpha, 3 coders x {n:,} units, 4 values, 5 % missing (best of 3)")
    levels: tuple[Level, ...] = ("nominal", "ordinal", "interval")
    for level in levels:
        ours_t, ours = best_of(partial(alpha, codes, level, n_values=4))
        ref_t, ref = best_of(partial(krippendorff.alpha, reliability_data=data, level_of_measurement=level))
        assert ours.value is not None
        diff = abs(ours.value - ref)
        print(
            f"  {level:8s} ours {ours_t:.3f} s  krippendorff {ref_t:.3f} s  "
            f"ratio {ref_t / ours_t:.1f}x faster  alpha {ours.value:.9f}  |diff| {diff:.1e}"
        )
    layers, total = span_layers(n_spans, 3)
    t, value = best_of(lambda: unitizing(layers, total))
    n_marked = sum(len(x) for x in layers)
    print(f"alpha_U, 3 annotators x {n_spans:,} spans ({n_marked:,} spans, L = {total:,} characters)")
    print(f"  {t:.3f} s  alpha_U {value}")


SMOKE = {"n": 10_000, "n_spans": 300}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help=f"a small run: {SMOKE}")
    run(**(SMOKE if parser.parse_args().smoke else {}))


if __name__ == "__main__":
    main()

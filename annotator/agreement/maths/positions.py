"""Per-position coding of a document's submitted layers: the units of per-position alpha.

Positions are tokens (default) or characters. Both are given as a (n, 2) int array of half-open
code-point bounds [start, end), sorted and non-overlapping; characters are `character_units(len)`.

Tokenizer: one fixed regex, `TOKEN_PATTERN`. A token is either a word, a maximal run of `\\w`
(Unicode letters, digits, underscore) in which single apostrophes (' or U+2019) and hyphens may
join runs ("don't", "state-run", "3-2"), or any other single non-space character (punctuation,
symbols, emoji each stand alone). Whitespace is never a token, so a span that covers only
whitespace covers no token.

Resolution: a position takes label L if any of its characters lies in an L span. Spans are
(start, end, value) with code-point offsets and value 1..K (0 is "none").

* Single variable (one value per position): where spans of different labels meet on a position,
  the span that starts later wins; on equal starts the shorter one; on equal extent the higher
  label value. Spans are painted in that order, so the result does not depend on input order.
  Nested spans thus show the inner one.
* Binary per label (for projects that allow overlapping spans): one 0/1 variable per label, with
  no winner needed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from .core import IntArray

TOKEN_PATTERN = re.compile(r"\w+(?:['\u2019-]\w+)*|[^\w\s]")

Spans = Sequence[tuple[int, int, int]]  # (start, end, value 1..K) of one layer


def tokenize(text: str) -> IntArray:
    """Bounds (n, 2) of the tokens of `text` under TOKEN_PATTERN, in code points."""
    bounds = [m.span() for m in TOKEN_PATTERN.finditer(text)]
    return np.array(bounds, dtype=np.int64).reshape(-1, 2)


def character_units(length: int) -> IntArray:
    """Bounds (length, 2) of the characters of a text of `length` code points."""
    starts = np.arange(length, dtype=np.int64)
    return np.stack([starts, starts + 1], axis=1)


def unit_ranges(units: IntArray, spans: Spans) -> tuple[IntArray, IntArray, IntArray]:
    """(first, stop, value): the half-open range of positions each span touches, and its value.

    A position [s, e) is touched by span [a, b) iff s < b and e > a; since positions are sorted
    and disjoint, two binary searches give the range."""
    arr = np.array(spans, dtype=np.int64).reshape(-1, 3)
    first = np.searchsorted(units[:, 1], arr[:, 0], side="right")
    stop = np.searchsorted(units[:, 0], arr[:, 1], side="left")
    return first, stop, arr[:, 2]


def layer_codes(units: IntArray, spans: Spans) -> IntArray:
    """One value per position (0 = none) for one layer, with the winner rule of the module doc."""
    codes = np.zeros(len(units), dtype=np.int64)
    if not spans:
        return codes
    arr = np.array(spans, dtype=np.int64).reshape(-1, 3)
    first, stop, value = unit_ranges(units, spans)
    # Painting order: start ascending, end descending, value ascending; the last paint wins.
    for k in np.lexsort((value, -arr[:, 1], arr[:, 0])):
        codes[first[k] : stop[k]] = value[k]
    return codes


def layer_indicators(units: IntArray, spans: Spans, n_labels: int) -> IntArray:
    """0/1 per label and position (n_labels, n_positions) for one layer; label value v is row v-1."""
    diff = np.zeros((n_labels, len(units) + 1), dtype=np.int64)
    if spans:
        first, stop, value = unit_ranges(units, spans)
        np.add.at(diff, (value - 1, first), 1)
        np.add.at(diff, (value - 1, np.maximum(first, stop)), -1)  # an empty range adds nothing
    return (np.cumsum(diff[:, :-1], axis=1) > 0).astype(np.int64)


def code_matrix(units: IntArray, layers: Sequence[Spans]) -> IntArray:
    """Codes (layers x positions), the coders x units input of `alpha.coincidences`."""
    return np.stack([layer_codes(units, spans) for spans in layers]).reshape(len(layers), len(units))


def indicator_tensor(units: IntArray, layers: Sequence[Spans], n_labels: int) -> IntArray:
    """Binary codes (labels x layers x positions), the input of `alpha.binary_coincidences`."""
    stacked = [layer_indicators(units, spans, n_labels) for spans in layers]
    return np.stack(stacked, axis=1).reshape(n_labels, len(layers), len(units))

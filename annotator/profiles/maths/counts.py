"""Per-article counts of one source: the only input of the profile maths.

One row per article on the chosen basis (gold, consensus or all layers); the caller decides what
a row counts. Every array is float64 (counts may be fractional, e.g. weighted consensus spans).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
DateArray = npt.NDArray[np.datetime64]

EVIDENCE_VALUES = ("NAMED_SOURCE", "ANONYMOUS_SOURCE", "LINK_DOCUMENT", "DATA", "QUOTE", "NONE")
STANCE_VALUES = ("FAVOR", "AGAINST", "NEUTRAL")
VOICE_GROUPS = ("author", "quoted")  # AUTHOR | QUOTED + PARAPHRASED
ANONYMOUS = EVIDENCE_VALUES.index("ANONYMOUS_SOURCE")
NONE = EVIDENCE_VALUES.index("NONE")

_PER_ARTICLE = (
    "words",
    "claims",
    "opinions",
    "disclaimers",
    "author_voice_unsupported",
    "hedged_claims",
    "check_worthy_claims",
    "n_layers",
)


def as_datetimes(published: npt.ArrayLike) -> DateArray:
    """datetime64[s] from datetime64 values or POSIX seconds (float; nan = unknown -> NaT)."""
    x = np.asarray(published)
    if x.dtype.kind == "M":
        return x.astype("datetime64[s]")
    seconds = np.asarray(x, dtype=float)
    out = np.full(seconds.shape, np.datetime64("NaT"), dtype="datetime64[s]")
    known = np.isfinite(seconds)
    out[known] = np.round(seconds[known]).astype(np.int64).astype("datetime64[s]")
    return out


@dataclass(frozen=True)
class ArticleCounts:
    """Counts per article for one source; n = number of articles, T = len(targets).

    * words, claims, opinions, disclaimers (DISCLAIMER spans), n_layers (submitted layers): (n,)
    * evidence: (n, 6) CLAIMs per EVIDENCE_VALUES column; a claim with no evidence value is in no
      column, so a row sums to at most `claims`
    * author_voice_unsupported: (n,) AUTHOR-voice CLAIMs with evidence NONE (<= evidence NONE)
    * hedged_claims, check_worthy_claims: (n,) CLAIMs with the flag set (<= claims). The flags are
      checkboxes, so an unticked flag means "no" and the denominator of both shares is all claims.
    * stance: (n, T, 3) stance spans per target and STANCE_VALUES, whatever the span's voice
    * stance_by_voice: (n, T, 2, 3) the same split by VOICE_GROUPS (author, quoted = QUOTED or
      PARAPHRASED); spans without a voice are only in `stance`, so the voices sum to <= `stance`
    * published: (n,) datetime64[s], NaT when unknown
    * targets: T canonical target ids

    Construction converts to float64 / datetime64 and raises ValueError on a wrong shape, a
    negative or non-finite count, or a count that exceeds the one it is a part of."""

    words: FloatArray
    claims: FloatArray
    opinions: FloatArray
    disclaimers: FloatArray
    evidence: FloatArray
    author_voice_unsupported: FloatArray
    hedged_claims: FloatArray
    check_worthy_claims: FloatArray
    stance: FloatArray
    stance_by_voice: FloatArray
    n_layers: FloatArray
    published: DateArray
    targets: tuple[str, ...]

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "targets", tuple(str(t) for t in self.targets))
        set_(self, "published", as_datetimes(self.published))
        n, t = len(self.words), len(self.targets)
        if len(set(self.targets)) != t:
            raise ValueError("targets must be distinct")
        shapes: dict[str, tuple[int, ...]] = dict.fromkeys(_PER_ARTICLE, (n,))
        shapes |= {"evidence": (n, 6), "stance": (n, t, 3), "stance_by_voice": (n, t, 2, 3)}
        for name, shape in shapes.items():
            value = np.array(getattr(self, name), dtype=np.float64)  # a copy: frozen below
            if value.shape != shape:
                raise ValueError(f"{name} has shape {value.shape}, expected {shape}")
            if not np.all(np.isfinite(value)) or np.any(value < 0):
                raise ValueError(f"{name} must hold finite counts >= 0")
            value.setflags(write=False)
            set_(self, name, value)
        if self.published.shape != (n,):
            raise ValueError(f"published has shape {self.published.shape}, expected {(n,)}")
        parts = [
            ("evidence per article", self.evidence.sum(axis=1), self.claims),
            ("author_voice_unsupported", self.author_voice_unsupported, self.evidence[:, NONE]),
            ("hedged_claims", self.hedged_claims, self.claims),
            ("check_worthy_claims", self.check_worthy_claims, self.claims),
            ("stance_by_voice summed over voices", self.stance_by_voice.sum(axis=2), self.stance),
        ]
        for name, part, whole in parts:
            if np.any(part > whole + 1e-9):
                raise ValueError(f"{name} exceeds the count it is part of")

    @property
    def n_articles(self) -> int:
        return len(self.words)

    @classmethod
    def of(
        cls,
        words: npt.ArrayLike,
        *,
        targets: Sequence[str] = (),
        published: npt.ArrayLike | None = None,
        **counts: npt.ArrayLike,
    ) -> ArticleCounts:
        """ArticleCounts with every count not given set to zero, n_layers to 1 and published to NaT."""
        w = np.asarray(words, dtype=np.float64)
        n, t = len(w), len(targets)
        zeros: dict[str, Any] = {
            name: np.zeros(n) for name in _PER_ARTICLE if name not in ("words", "n_layers")
        }
        zeros |= {
            "n_layers": np.ones(n),
            "evidence": np.zeros((n, 6)),
            "stance": np.zeros((n, t, 3)),
            "stance_by_voice": np.zeros((n, t, 2, 3)),
        }
        unknown = set(counts) - set(zeros)
        if unknown:
            raise TypeError(f"unknown counts: {sorted(unknown)}")
        dates = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]") if published is None else published
        return cls(words=w, published=as_datetimes(dates), targets=tuple(targets), **(zeros | counts))

    def take(self, index: npt.ArrayLike) -> ArticleCounts:
        """The articles at `index` (an integer or boolean index over articles), same targets."""
        rows = np.asarray(index)
        values = {f.name: getattr(self, f.name)[rows] for f in fields(self) if f.name != "targets"}
        return ArticleCounts(targets=self.targets, **values)


def pool(sources: Sequence[ArticleCounts]) -> ArticleCounts:
    """All articles of `sources` as one source (for the corpus value). Targets are the union in
    order of first appearance; a source that lacks a target has zero stance spans for it."""
    targets = tuple(dict.fromkeys(t for s in sources for t in s.targets))
    column = {t: i for i, t in enumerate(targets)}
    stance, by_voice = [], []
    for s in sources:
        where = [column[t] for t in s.targets]
        st = np.zeros((s.n_articles, len(targets), 3))
        bv = np.zeros((s.n_articles, len(targets), 2, 3))
        st[:, where] = s.stance
        bv[:, where] = s.stance_by_voice
        stance.append(st)
        by_voice.append(bv)
    if not sources:
        return ArticleCounts.of(np.zeros(0))
    values: dict[str, Any] = {
        f.name: np.concatenate([getattr(s, f.name) for s in sources])
        for f in fields(ArticleCounts)
        if f.name not in ("targets", "stance", "stance_by_voice")
    }
    return ArticleCounts(
        targets=targets, stance=np.concatenate(stance), stance_by_voice=np.concatenate(by_voice), **values
    )

"""Reads for per-source profiles: a project's layers turned into the per-article counts of
`annotator.profiles.maths.ArticleCounts`, one per source, on a chosen basis.

Bases (which spans an article's counts come from; the article is always the bootstrap cluster):

* all: every submitted annotation layer. An article's counts are the MEAN over its submitted
  layers (spans of every layer counted, divided by the number of layers), so an article weighs
  the same whether one or three people annotated it, and the per-article rows the maths
  resamples stay one per article (one row per layer would make the bootstrap treat an article's
  layers as independent). Counts may therefore be fractional: 2 claims in one layer and 1 in
  another are 1.5 claims. An article has a disclaimer (for `disclaimer_presence`) when any of
  its layers marked one. Articles with at least one submitted layer count.
* consensus: the consensus layer of each article with two or more submitted annotation layers,
  built exactly as the consensus export builds it (annotator.agreement.maths.consensus).
* model: the same articles; the model consensus of the project's last competence fit, built
  exactly as the model export builds it (annotator.agreement.maths.competence). Its state
  (`profile_state_get`) includes when the fit was made, so a new fit recomputes every source.
* gold: the adjudicated gold layer (a Layer of kind gold, submitted; with several, the one
  changed last: review.selectors.counting_gold_layers) where one exists, else the consensus layer; articles with
  neither are left out. A gold layer still being worked on counts as none.
  `ProfileCounts.layers` says how many articles of each source came from which.

What is counted (the default schema's keys; a project that renamed them counts nothing there):

* labels CLAIM, OPINION and DISCLAIMER (label keys);
* `evidence` of CLAIMs (a choice; a list counts its first value as the primary one), values
  outside EVIDENCE_VALUES or missing put the claim in no evidence column;
* `voice` AUTHOR is the author's voice, QUOTED and PARAPHRASED are quoted; unsupported
  author-voice claims are CLAIMs with voice AUTHOR and evidence NONE;
* `hedged` and `check_worthy` of CLAIMs when exactly true;
* `stance` entries {"target", "stance"} of any span, per target name, split by voice.

Words: the number of matches of WORD_PATTERN in the document text, the word alternative of the
agreement tokenizer's TOKEN_PATTERN (annotator.agreement.maths.positions): a maximal run of \\w in
which single apostrophes (' or U+2019) and hyphens join runs, so "don't", "state-run" and "3-2"
are one word each, and punctuation, symbols and emoji are no words.

Reads are bounded: four queries (labels, targets, the documents, their layer counts) plus
three per chunk of CHUNK_SIZE documents (their texts, their layers, the spans of the layers
counted), whatever the number of documents; memory holds one chunk's texts and spans at a time,
and the per-article counts.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from django.db.models import BooleanField, Count, ExpressionWrapper, Max, Q, QuerySet, Sum
from django.db.models.fields.json import KT

from annotator.agreement.maths.competence import ConsensusModel, model_consensus_spans
from annotator.agreement.maths.consensus import LayerSpan, consensus_spans
from annotator.competence.selectors import consensus_model_fitted_at, consensus_model_get
from annotator.models import (
    Document,
    Label,
    Layer,
    LayerKind,
    LayerStatus,
    ProfileBasis,
    Source,
    Span,
    Target,
)
from annotator.profiles.maths import EVIDENCE_VALUES, STANCE_VALUES, ArticleCounts
from annotator.review.selectors import counting_gold_layers

WORD_PATTERN = re.compile(r"\w+(?:['\u2019-]\w+)*")
CHUNK_SIZE = 1000  # documents per read

CLAIM, OPINION, DISCLAIMER = "CLAIM", "OPINION", "DISCLAIMER"
EVIDENCE, VOICE, HEDGED, CHECK_WORTHY, STANCE = "evidence", "voice", "hedged", "check_worthy", "stance"
VOICE_GROUP = {"AUTHOR": 0, "QUOTED": 1, "PARAPHRASED": 1}  # -> VOICE_GROUPS (author, quoted)

# Per-article scalar columns, in this order.
_CLAIMS, _OPINIONS, _DISCLAIMERS = 0, 1, 2
_EVIDENCE = 3  # six columns, EVIDENCE_VALUES order
_UNSUPPORTED, _HEDGED, _CHECK_WORTHY = 9, 10, 11
N_SCALARS = 12
_EVIDENCE_INDEX = {value: i for i, value in enumerate(EVIDENCE_VALUES)}
_STANCE_INDEX = {value: i for i, value in enumerate(STANCE_VALUES)}
_NONE = _EVIDENCE_INDEX["NONE"]

# (target, stance value index, voice group or -1) -> spans (fractional on basis all)
StanceTally = dict[tuple[str, int, int], float]


def word_count(text: str) -> int:
    """Words of `text` under WORD_PATTERN (see the module docstring)."""
    return len(WORD_PATTERN.findall(text))


# What a span contributes, as read (see `_span_rows`): label key, evidence, voice, hedged,
# check-worthy, stance entries. Reading these five keys in SQL rather than every span's whole
# attributes object halves the time a large project takes to read.
SpanFacts = tuple[str, Any, Any, Any, Any, Any]


def span_facts(label: str, attributes: Mapping[str, Any] | None) -> SpanFacts:
    """The facts of a span given as a label key and its attributes object."""
    a = attributes or {}
    return (label, a.get(EVIDENCE), a.get(VOICE), a.get(HEDGED), a.get(CHECK_WORTHY), a.get(STANCE))


def _facts_attributes(facts: SpanFacts) -> dict[str, Any]:
    """The attributes the counts read of a span of this label (the consensus votes on each key
    apart, and only spans of one label are ever grouped, so leaving the others out changes no
    count and saves most of the consensus's time)."""
    label, evidence, voice, hedged, check_worthy, stance = facts
    if label == CLAIM:
        values = {
            EVIDENCE: evidence,
            VOICE: voice,
            HEDGED: hedged,
            CHECK_WORTHY: check_worthy,
            STANCE: stance,
        }
    elif stance:
        values = {VOICE: voice, STANCE: stance}
    else:
        return {}
    return {key: value for key, value in values.items() if value is not None}


def span_tally(spans: Iterable[SpanFacts]) -> tuple[np.ndarray, StanceTally]:
    """The scalar counts (N_SCALARS) and stance counts of spans (see the module docstring)."""
    scalars = [0.0] * N_SCALARS
    stance: StanceTally = {}
    for label, evidence, voice, hedged, check_worthy, entries in spans:
        if label == CLAIM:
            scalars[_CLAIMS] += 1
            if isinstance(evidence, list):
                evidence = evidence[0] if evidence else None
            column = _EVIDENCE_INDEX.get(evidence) if isinstance(evidence, str) else None
            if column is not None:
                scalars[_EVIDENCE + column] += 1
                if column == _NONE and voice == "AUTHOR":
                    scalars[_UNSUPPORTED] += 1
            if hedged is True:
                scalars[_HEDGED] += 1
            if check_worthy is True:
                scalars[_CHECK_WORTHY] += 1
        elif label == OPINION:
            scalars[_OPINIONS] += 1
        elif label == DISCLAIMER:
            scalars[_DISCLAIMERS] += 1
        if entries and isinstance(entries, list):
            group = VOICE_GROUP.get(voice, -1) if isinstance(voice, str) else -1
            for entry in entries:
                if not isinstance(entry, dict):
                    continue
                value = entry.get("stance")
                target = entry.get("target")
                if isinstance(value, str) and value in _STANCE_INDEX and isinstance(target, str):
                    key = (target, _STANCE_INDEX[value], group)
                    stance[key] = stance.get(key, 0.0) + 1
    return np.array(scalars), stance


def _flag(key: str) -> ExpressionWrapper[Q]:
    """True when the attribute is JSON true; false or null otherwise."""
    return ExpressionWrapper(Q(**{f"attributes__{key}": True}), output_field=BooleanField())


def _span_rows(layer_ids: list[int]) -> Iterable[tuple[int, int, int, int, SpanFacts]]:
    """(layer id, label id, start, end, facts) of the spans of the layers; the facts label is
    left empty for the caller, who knows the label keys."""
    rows = (
        Span.objects.filter(layer_id__in=layer_ids)
        .order_by()
        .annotate(
            evidence=KT(f"attributes__{EVIDENCE}"),
            voice=KT(f"attributes__{VOICE}"),
            hedged=_flag(HEDGED),
            check_worthy=_flag(CHECK_WORTHY),
            stance=KT(f"attributes__{STANCE}"),
        )
        .values_list(
            "layer_id",
            "label_id",
            "start",
            "end",
            "evidence",
            "voice",
            "hedged",
            "check_worthy",
            "stance",
        )
    )
    for layer, label_id, start, end, evidence, voice, hedged, check_worthy, stance in rows:
        if isinstance(evidence, str) and evidence.startswith("["):  # a list: the first is primary
            evidence = json.loads(evidence)
        entries = json.loads(stance) if stance else None
        yield layer, label_id, start, end, ("", evidence, voice, hedged, check_worthy, entries)


@dataclass(frozen=True)
class ProfileCounts:
    """A project's per-article counts on one basis.

    * sources: source id -> ArticleCounts of its articles on the basis (sources with none are
      absent); each source's targets are the ones it has stance spans for, in target order
    * annotators: source id -> distinct annotators with a submitted annotation layer on those
      articles; corpus_annotators the same over every source
    * layers: source id -> articles per origin ("all", "consensus", "model" or "gold")
    * targets: every target with a stance span on the basis: the project's target list order
      (by name), then unknown names as first met"""

    basis: str
    sources: dict[int, ArticleCounts]
    annotators: dict[int, int]
    corpus_annotators: int
    layers: dict[int, dict[str, int]]
    targets: tuple[str, ...]

    @property
    def n_articles(self) -> int:
        return sum(c.n_articles for c in self.sources.values())


@dataclass
class _Articles:
    """Rows gathered chunk by chunk, turned into ArticleCounts at the end."""

    source: list[int]
    words: list[float]
    published: list[float]
    n_layers: list[float]
    scalars: list[np.ndarray]
    stance: list[StanceTally]
    origin: list[str]


def _qualifies(basis: str, n_submitted: int, n_gold: int) -> bool:
    if basis == ProfileBasis.ALL:
        return n_submitted >= 1
    if basis in (ProfileBasis.CONSENSUS, ProfileBasis.MODEL):
        return n_submitted >= 2
    return n_gold >= 1 or n_submitted >= 2


def profile_counts_get(
    *,
    project_id: int,
    basis: str,
    source_ids: Collection[int] | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> ProfileCounts:
    """Per-article counts of the project's documents (of `source_ids` only, when given) on
    `basis` (a ProfileBasis), grouped by source. See the module docstring. Basis model needs
    a competence fit (ValueError without one)."""
    if basis not in ProfileBasis.values:
        raise ValueError(f"unknown basis {basis!r}")
    model = None
    if basis == ProfileBasis.MODEL:
        model = consensus_model_get(project_id=project_id)
        if model is None:
            raise ValueError("basis model needs a competence fit")
    label_keys = dict(Label.objects.filter(project_id=project_id).values_list("pk", "key"))
    target_order = list(
        Target.objects.filter(project_id=project_id).order_by("name").values_list("name", flat=True)
    )
    documents = Document.objects.filter(project_id=project_id)
    if source_ids is not None:
        documents = documents.filter(source_id__in=list(source_ids))
    plan = documents.order_by("pk").values_list("pk", "source_id", "published_at")
    counts = _layer_counts(project_id=project_id, source_ids=source_ids)
    selected = [
        (pk, source_id, published)
        for pk, source_id, published in plan
        if _qualifies(basis, *counts.get(pk, (0, 0)))
    ]
    rows = _Articles([], [], [], [], [], [], [])
    annotators: dict[int, set[int]] = {}
    for start in range(0, len(selected), chunk_size):
        _read_chunk(selected[start : start + chunk_size], basis, model, label_keys, rows, annotators)
    return _grouped(basis, rows, annotators, target_order)


def _layer_counts(*, project_id: int, source_ids: Collection[int] | None) -> dict[int, tuple[int, int]]:
    """document id -> (submitted annotation layers, adjudicated gold layers), for documents with
    any layer."""
    layers = Layer.objects.filter(document__project_id=project_id)
    if source_ids is not None:
        layers = layers.filter(document__source_id__in=list(source_ids))
    rows = (
        layers.order_by()
        .values("document_id")
        .annotate(
            submitted=Count("pk", filter=Q(kind=LayerKind.ANNOTATION, status=LayerStatus.SUBMITTED)),
            gold=Count("pk", filter=Q(kind=LayerKind.GOLD, status=LayerStatus.SUBMITTED)),
        )
        .values_list("document_id", "submitted", "gold")
    )
    return {pk: (submitted, gold) for pk, submitted, gold in rows}


def _read_chunk(
    chunk: list[tuple[int, int, datetime | None]],
    basis: str,
    model: ConsensusModel | None,
    label_keys: dict[int, str],
    rows: _Articles,
    annotators: dict[int, set[int]],
) -> None:
    ids = [pk for pk, _, _ in chunk]
    words = {
        pk: word_count(text) for pk, text in Document.objects.filter(pk__in=ids).values_list("pk", "text")
    }
    submitted: dict[int, list[tuple[int, int]]] = {}  # document -> [(layer id, user id)]
    gold_layers: list[tuple[int, int, datetime]] = []  # (layer id, document id, updated_at)
    layers = (
        Layer.objects.filter(
            document_id__in=ids,
            kind__in=[LayerKind.ANNOTATION, LayerKind.GOLD],
            status=LayerStatus.SUBMITTED,
        )
        .order_by("document_id", "pk")
        .values_list("pk", "document_id", "user_id", "kind", "updated_at")
    )
    for pk, document_id, user_id, kind, updated_at in layers:
        if kind == LayerKind.GOLD:
            gold_layers.append((pk, document_id, updated_at))
        else:
            submitted.setdefault(document_id, []).append((pk, user_id))
    gold = counting_gold_layers(gold_layers)
    # Which layers each document's counts come from: ("all" | "consensus" | "model" | "gold",
    # [(layer id, user id)]).
    use: dict[int, tuple[str, list[tuple[int, int]]]] = {}
    for pk in ids:
        own = submitted.get(pk, [])
        if basis == ProfileBasis.GOLD and pk in gold:
            use[pk] = ("gold", [(gold[pk], 0)])
        elif basis in (ProfileBasis.ALL, ProfileBasis.MODEL):
            use[pk] = (basis, own)
        else:
            use[pk] = ("consensus", own)
    spans: dict[int, list[tuple[int, int, SpanFacts]]] = {
        layer: [] for _, layers_used in use.values() for layer, _ in layers_used
    }
    for layer, label_id, start, end, facts in _span_rows(list(spans)):
        spans[layer].append((start, end, (label_keys.get(label_id, ""), *facts[1:])))
    for pk, source_id, published in chunk:
        origin, layers_used = use[pk]
        if origin in ("consensus", "model"):
            votes = {
                user: [
                    LayerSpan(start, end, facts[0], _facts_attributes(facts))
                    for start, end, facts in spans[layer]
                ]
                for layer, user in layers_used
            }
            if origin == "model":
                assert model is not None
                agreed = model_consensus_spans(votes, model)
            else:
                agreed = consensus_spans(list(votes.values()))
            scalars, stance = span_tally(span_facts(s.label, s.attributes) for s in agreed)
        else:
            n = len(layers_used)
            scalars, stance = span_tally(facts for layer, _ in layers_used for _, _, facts in spans[layer])
            if origin == "all" and n > 1:  # the mean over the layers
                scalars /= n
                stance = {key: count / n for key, count in stance.items()}
        rows.source.append(source_id)
        rows.words.append(float(words[pk]))
        rows.published.append(published.timestamp() if published is not None else np.nan)
        rows.n_layers.append(float(len(submitted.get(pk, []))))
        rows.scalars.append(scalars)
        rows.stance.append(stance)
        rows.origin.append(origin)
        annotators.setdefault(source_id, set()).update(user for _, user in submitted.get(pk, []))


def _grouped(
    basis: str, rows: _Articles, annotators: dict[int, set[int]], target_order: list[str]
) -> ProfileCounts:
    seen = {target for tally in rows.stance for target, _, _ in tally}
    known = [t for t in target_order if t in seen]
    listed = set(known)
    extra = list(dict.fromkeys(t for tally in rows.stance for t, _, _ in tally if t not in listed))
    targets = tuple(known + extra)
    rank = {t: i for i, t in enumerate(targets)}
    source = np.array(rows.source, dtype=np.int64)
    scalars = np.array(rows.scalars).reshape(-1, N_SCALARS)
    words = np.array(rows.words)
    published = np.array(rows.published)
    n_layers = np.array(rows.n_layers)
    by_source: dict[int, ArticleCounts] = {}
    layers: dict[int, dict[str, int]] = {}
    for source_id in dict.fromkeys(rows.source):
        index = np.flatnonzero(source == source_id)
        tallies = [rows.stance[i] for i in index]
        own = sorted({t for tally in tallies for t, _, _ in tally}, key=rank.__getitem__)
        column = {t: j for j, t in enumerate(own)}
        stance = np.zeros((len(index), len(own), 3))
        by_voice = np.zeros((len(index), len(own), 2, 3))
        for row, tally in enumerate(tallies):
            for (target, value, voice), n in tally.items():
                stance[row, column[target], value] += n
                if voice >= 0:
                    by_voice[row, column[target], voice, value] += n
        s = scalars[index]
        by_source[source_id] = ArticleCounts.of(
            words[index],
            targets=own,
            published=published[index],
            claims=s[:, _CLAIMS],
            opinions=s[:, _OPINIONS],
            disclaimers=s[:, _DISCLAIMERS],
            evidence=s[:, _EVIDENCE : _EVIDENCE + 6],
            author_voice_unsupported=s[:, _UNSUPPORTED],
            hedged_claims=s[:, _HEDGED],
            check_worthy_claims=s[:, _CHECK_WORTHY],
            stance=stance,
            stance_by_voice=by_voice,
            n_layers=n_layers[index],
        )
        layers[source_id] = dict(Counter(rows.origin[i] for i in index))
    corpus = set().union(*annotators.values()) if annotators else set()
    return ProfileCounts(
        basis=basis,
        sources=by_source,
        annotators={source_id: len(annotators.get(source_id, ())) for source_id in by_source},
        corpus_annotators=len(corpus),
        layers=layers,
        targets=targets,
    )


# WHAT CHANGED
# ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceState:
    """A fingerprint of the layers a source's profile reads on a basis, and the newest change
    among them. Two equal fingerprints mean the same layers with the same contents: a layer
    submitted, reopened or removed changes the count, the id sum or the newest submission time
    (a submitted layer's spans cannot change); on basis gold, a gold layer or gold span added,
    changed or removed changes the gold part; on basis model, a new competence fit changes the
    model part."""

    fingerprint: str
    watermark: datetime | None


def profile_state_get(
    *, project_id: int, basis: str, source_ids: Collection[int] | None = None
) -> dict[int, SourceState]:
    """source id -> SourceState for every source of the project with a submitted annotation
    layer (or, on basis gold, a gold layer). One aggregate query, three on basis gold, two on
    basis model."""
    layers = Layer.objects.filter(
        document__project_id=project_id, kind=LayerKind.ANNOTATION, status=LayerStatus.SUBMITTED
    )
    if source_ids is not None:
        layers = layers.filter(document__source_id__in=list(source_ids))
    parts: dict[int, list[str]] = {}
    newest: dict[int, datetime | None] = {}
    for source_id, n, ids, last in (
        layers.order_by()
        .values("document__source_id")
        .annotate(n=Count("pk"), ids=Sum("pk"), last=Max("submitted_at"))
        .values_list("document__source_id", "n", "ids", "last")
    ):
        parts[source_id] = [f"a{n}:{ids}:{last.isoformat() if last else ''}"]
        newest[source_id] = last
    if basis == ProfileBasis.GOLD:
        gold = Span.objects.filter(layer__document__project_id=project_id, layer__kind=LayerKind.GOLD)
        gold_layers = Layer.objects.filter(document__project_id=project_id, kind=LayerKind.GOLD)
        if source_ids is not None:
            gold = gold.filter(layer__document__source_id__in=list(source_ids))
            gold_layers = gold_layers.filter(document__source_id__in=list(source_ids))
        tallies: list[tuple[str, QuerySet[Any], str]] = [
            ("g", gold_layers, "document__source_id"),
            ("s", gold, "layer__document__source_id"),
        ]
        for tag, queryset, source_field in tallies:
            for source_id, n, ids, last in (
                queryset.order_by()
                .values(source_field)
                .annotate(n=Count("pk"), ids=Sum("pk"), last=Max("updated_at"))
                .values_list(source_field, "n", "ids", "last")
            ):
                parts.setdefault(source_id, ["a0"]).append(
                    f"{tag}{n}:{ids}:{last.isoformat() if last else ''}"
                )
                newest[source_id] = _later(newest.get(source_id), last)
    if basis == ProfileBasis.MODEL:
        fitted_at = consensus_model_fitted_at(project_id=project_id)
        fit = f"m{fitted_at.isoformat() if fitted_at else ''}"
        for p in parts.values():
            p.append(fit)
    return {source_id: SourceState("|".join(p), newest.get(source_id)) for source_id, p in parts.items()}


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None or b is None:
        return a or b
    return max(a, b)


def profile_source_get(*, project_id: int, source_id: int) -> Source | None:
    """The source, if the project has documents from it."""
    return Source.objects.filter(pk=source_id, documents__project_id=project_id).distinct().first()

"""Suggestions for a layer: DISCLAIMER where the document carries a sentence its source repeats
(annotator.suggestions.boilerplate, no training), and the sentences the project's current
suggestion model picks (annotator.suggestions.classifier). Both leave out what the layer
already marks and what its annotator rejected."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from annotator.models import (
    AttributeKind,
    Document,
    Layer,
    LayerKind,
    LayerStatus,
    Project,
    Span,
    SuggestionModel,
    SuggestionRejection,
)
from annotator.projects.selectors import ProjectSchema, project_schema_get
from annotator.review.selectors import document_truths
from annotator.suggestions import classifier
from annotator.suggestions.boilerplate import boilerplate_in, source_boilerplate
from annotator.suggestions.cues import cue_hints

DISCLAIMER = "DISCLAIMER"
# How many of a document's submitted annotation layers were made with suggestions shown.
EVERY, SOME, NONE = "every", "some", "none"


def suggestions_on(project: Project) -> bool:
    """Suggestions steer people: in a blind project, whose annotators must work independently,
    they are off until a manager turns them on."""
    return not project.blind or project.suggestions_when_blind


def suggestion_exposure(*, project_id: int) -> dict[int, str]:
    """Document id -> EVERY when each of its submitted annotation layers was made with
    suggestions shown, SOME when only some were; documents where none was are left out."""
    rows = (
        Layer.objects.filter(
            document__project_id=project_id, kind=LayerKind.ANNOTATION, status=LayerStatus.SUBMITTED
        )
        .order_by()
        .values("document_id")
        .annotate(n=Count("pk"), shown=Count("pk", filter=Q(suggestions_shown=True)))
        .filter(shown__gt=0)
        .values_list("document_id", "n", "shown")
    )
    return {document_id: EVERY if shown == n else SOME for document_id, n, shown in rows}


def _source_texts(*, project_id: int, source_id: int) -> list[str]:
    return list(
        Document.objects.filter(project_id=project_id, source_id=source_id).values_list("text", flat=True)
    )


@dataclass(frozen=True)
class StandardDisclaimer:
    text: str
    articles: int
    total: int
    share: float  # percent


def standard_disclaimer(*, project_id: int, source_id: int) -> StandardDisclaimer | None:
    """The sentence the source repeats in the most of its articles in the project, if any
    (annotator.suggestions.boilerplate's rule), with how many of its articles carry it."""
    texts = _source_texts(project_id=project_id, source_id=source_id)
    found = source_boilerplate(texts)
    if not found:
        return None
    top = found[0]
    return StandardDisclaimer(top.text, top.articles, len(texts), 100 * top.share)


def disclaimer_suggestions(*, document: Document, schema: ProjectSchema) -> list[dict[str, Any]]:
    """DISCLAIMER suggestions for the document: where it carries a sentence its source repeats
    across its articles. None for a project without a DISCLAIMER label."""
    if DISCLAIMER not in schema.labels:
        return []
    texts = _source_texts(project_id=document.project_id, source_id=document.source_id)
    found = {b.key: b for b in source_boilerplate(texts)}
    return [
        {
            "label": DISCLAIMER,
            "start": sentence.start,
            "end": sentence.end,
            "text": document.text[sentence.start : sentence.end],
            "rule": "boilerplate",
            "articles": found[sentence.key].articles,
            "share": found[sentence.key].share,
        }
        for sentence in boilerplate_in(document.text, found)
    ]


def suggestion_model_current(*, project_id: int) -> SuggestionModel | None:
    """The project's newest model that beat its baseline (its blob not read)."""
    return (
        SuggestionModel.objects.filter(project_id=project_id)
        .exclude(labels_used=[])
        .defer("blob")
        .order_by("-id")
        .first()
    )


def model_version_errors(*, project_id: int, model_version: int | None) -> dict[str, list[str]]:
    """The refusal of a `model_version` that names no suggestion model of the project (a span
    or a rejection may only cite its own project's models); {} when it is fine or absent."""
    if (
        model_version is None
        or SuggestionModel.objects.filter(pk=model_version, project_id=project_id).exists()
    ):
        return {}
    return {"model_version": [f"No suggestion model {model_version} in this project."]}


def suggestion_models_recent(*, project_id: int, limit: int = 20) -> QuerySet[SuggestionModel]:
    """The project's newest models, newest first, their blobs not read."""
    return (
        SuggestionModel.objects.filter(project_id=project_id)
        .defer("blob")
        .select_related("created_by")
        .order_by("-id")[:limit]
    )


@functools.lru_cache(maxsize=16)
def _loaded(model_id: int) -> classifier.Model:
    """A model is never changed once saved, so each process loads it once."""
    blob = SuggestionModel.objects.values_list("blob", flat=True).get(pk=model_id)
    return classifier.loads(bytes(blob))


def model_suggestions(*, document: Document) -> list[dict[str, Any]]:
    """The current model's suggestions for the document, for the labels that beat the baseline.
    Only a model of the document's own project is ever read."""
    current = suggestion_model_current(project_id=document.project_id)
    if current is None:
        return []
    found = classifier.suggest(_loaded(current.pk), document.text, labels=current.labels_used)
    return [
        {
            "label": s.label,
            "start": s.start,
            "end": s.end,
            "text": document.text[s.start : s.end],
            "rule": "model",
            "model_version": current.pk,
            "confidence": s.confidence,
            "attributes": {key: {"value": v, "confidence": c} for key, (v, c) in s.attributes.items()},
        }
        for s in found
    ]


def layer_suggestions(*, layer: Layer) -> list[dict[str, Any]]:
    """What to offer the layer's annotator: boilerplate DISCLAIMERs first, then the model's, with
    a place the layer already marks with that label, or that its annotator rejected, left out.
    Each carries attribute hints: the model's, then the cues in its words (cues.cue_hints) for
    attributes of its label whose values allow them."""
    document = layer.document
    schema = project_schema_get(project=document.project)
    taken = {
        (label, start, end)
        for label, start, end in Span.objects.filter(layer=layer).values_list("label__key", "start", "end")
    }
    rejected = set(SuggestionRejection.objects.filter(layer=layer).values_list("label__key", "start", "end"))
    offered: list[dict[str, Any]] = []
    seen = set()
    offers = [
        *disclaimer_suggestions(document=document, schema=schema),
        *model_suggestions(document=document),
    ]
    for suggestion in offers:
        place = (suggestion["label"], suggestion["start"], suggestion["end"])
        if place in taken or place in rejected or place in seen:
            continue
        seen.add(place)
        suggestion["attributes"] = {**_cue_hints(schema, suggestion), **suggestion.get("attributes", {})}
        offered.append(suggestion)
    return sorted(offered, key=lambda s: (s["start"], s["end"], s["label"]))


def _cue_hints(schema: ProjectSchema, suggestion: dict[str, Any]) -> dict[str, dict[str, Any]]:
    allowed = {a.key: a for a in schema.attributes_for(suggestion["label"])}
    hints = {}
    for key, (value, cue) in cue_hints(suggestion["text"]).items():
        attribute = allowed.get(key)
        if attribute is None:
            continue
        if attribute.kind == AttributeKind.BOOLEAN or value in {v["value"] for v in attribute.values}:
            hints[key] = {"value": value, "cue": cue}
    return hints


def truth_documents(*, project_id: int) -> Iterator[classifier.TrainingDocument]:
    """Every document of the project that has truth (annotator.review.selectors.document_truths),
    and every other one with rejected suggestions, as training data."""
    rejected: dict[int, list[tuple[int, int, str]]] = {}
    for document_id, start, end, label in SuggestionRejection.objects.filter(
        layer__document__project_id=project_id
    ).values_list("layer__document_id", "start", "end", "label__key"):
        rejected.setdefault(document_id, []).append((start, end, label))
    for truth in document_truths(project_id=project_id):
        yield classifier.TrainingDocument(
            truth.document_id, truth.text, truth.spans, rejected.pop(truth.document_id, ())
        )
    texts = dict(Document.objects.filter(pk__in=list(rejected)).values_list("pk", "text"))
    for document_id, places in sorted(rejected.items()):
        yield classifier.TrainingDocument(document_id, texts[document_id], None, places)


def choice_attributes(schema: ProjectSchema) -> dict[str, list[str]]:
    """Label key -> the keys of its choice attributes, which the model learns to hint."""
    return {
        label: [a.key for a in schema.attributes_for(label) if a.kind == AttributeKind.CHOICE]
        for label in schema.labels
    }

"""A project whose truth is the suggestion corpus, with a new article to suggest for."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework.test import APIClient

from annotator.imports import text_sha256
from annotator.layers.services import layer_assign
from annotator.models import Document, Label, Layer, LayerStatus, Role, Span
from tests.annotator.suggestion_corpus import NEW_TEXT, corpus
from tests.factories import ProjectFactory, SourceFactory, member


class SuggestionTeam:
    def __init__(self, slug: str, *, blind: bool = False, n_documents: int = 40) -> None:
        self.project = ProjectFactory(slug=slug, blind=blind, annotators_per_document=1)
        self.annotator = member(self.project, username=f"{slug}-anna")
        self.reviewer = member(self.project, Role.REVIEWER, username=f"{slug}-rita")
        self.manager = member(self.project, Role.MANAGER, username=f"{slug}-max")
        source = SourceFactory(slug=f"{slug}-herald")
        labels = {label.key: label for label in Label.objects.filter(project=self.project)}
        documents = Document.objects.bulk_create(
            Document(project=self.project, source=source, text=d.text, text_sha256=text_sha256(d.text))
            for d in corpus(n_documents)
        )
        layers = Layer.objects.bulk_create(
            Layer(document=d, user=self.annotator, status=LayerStatus.SUBMITTED, submitted_at=timezone.now())
            for d in documents
        )
        Span.objects.bulk_create(
            Span(
                layer=layer,
                label=labels[label],
                start=start,
                end=end,
                text=layer.document.text[start:end],
                attributes=attributes,
            )
            for layer, truth in zip(layers, corpus(n_documents), strict=True)
            for start, end, label, attributes in truth.spans or ()
        )
        # From an outlet of its own: the corpus repeats its sentences across articles, which the
        # boilerplate rule would offer as DISCLAIMERs in an article of the same outlet.
        self.document = Document.objects.create(
            project=self.project,
            source=SourceFactory(slug=f"{slug}-courier"),
            text=NEW_TEXT,
            text_sha256=text_sha256(NEW_TEXT),
        )
        self.layer = layer_assign(document=self.document, user=self.annotator)

    def suggestions(self, who: Any = None) -> dict[str, Any]:
        client = APIClient()
        client.force_authenticate(who or self.annotator)
        response = client.get(f"/api/v1/assignments/{self.layer.pk}/suggestions/")
        assert response.status_code == 200, response.content
        return response.json()

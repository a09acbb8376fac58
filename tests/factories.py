"""factory_boy factories. Projects are made by the project_create service, so they carry the
default schema exactly as real ones do."""

from __future__ import annotations

import hashlib
import io
import zipfile
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.db import transaction

from annotator.layers.services import layer_assign
from annotator.models import Document, Layer, Membership, Project, Role, Source, Span
from annotator.projects.services import project_create
from annotator.spans.services import layer_lock, span_create

DEFAULT_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password(DEFAULT_PASSWORD)


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Outlet {n}")
    slug = factory.Sequence(lambda n: f"outlet-{n}")
    domain = factory.LazyAttribute(lambda s: f"{s.slug}.example")


class ProjectFactory(factory.Factory):
    class Meta:
        model = dict  # built through the service below

    name = factory.Sequence(lambda n: f"Project {n}")
    slug = factory.Sequence(lambda n: f"project-{n}")
    annotators_per_document = 3
    blind = True
    allow_overlap = True
    targets = ("Harbour City Council", "Tramline Extension")

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Any:
        return project_create(**kwargs)

    _build = _create


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.ANNOTATOR


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Document

    project = factory.SubFactory(ProjectFactory)
    source = factory.SubFactory(SourceFactory)
    title = factory.Sequence(lambda n: f"Article {n}")
    text = factory.Sequence(lambda n: f"Article number {n}. The council said the tram costs £48 million.")
    text_sha256 = factory.LazyAttribute(lambda d: hashlib.sha256(d.text.encode()).hexdigest())


class LayerFactory(factory.django.DjangoModelFactory):
    """An annotation layer, handed out as queue Next does (layer_assign), so its document's
    layer count holds."""

    class Meta:
        model = Layer

    document = factory.SubFactory(DocumentFactory)
    user = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class: type[Layer], *args: Any, **kwargs: Any) -> Layer:
        return layer_assign(document=kwargs["document"], user=kwargs["user"])


class SpanFactory(factory.django.DjangoModelFactory):
    """A span over the first `length` code points of its document (no validation: use the
    span services in tests about validation)."""

    class Meta:
        model = Span
        exclude = ("length",)

    layer = factory.SubFactory(LayerFactory)
    length = 7
    start = 0
    end = factory.LazyAttribute(lambda s: s.start + s.length)
    label = factory.LazyAttribute(lambda s: s.layer.document.project.labels.get(key="CLAIM"))
    text = factory.LazyAttribute(lambda s: s.layer.document.text[s.start : s.end])
    attributes = factory.LazyFunction(lambda: {"evidence": "NAMED_SOURCE"})


def member(project: Project, role: str = Role.ANNOTATOR, **user: Any) -> Any:
    """A user (made by UserFactory from `user`) who has `role` in `project`."""
    made = UserFactory(**user)
    MembershipFactory(project=project, user=made, role=role)
    return made


def span_add(layer: Layer, **fields: Any) -> Span:
    """A span written as the API writes one: in a transaction holding the layer's lock."""
    with transaction.atomic():
        span, _ = span_create(layer=layer_lock(layer=layer), **fields)
    return span


def span_at(layer: Layer, label: str, phrase: str, *, actor: Any = None, **attributes: Any) -> Span:
    """A span over the first `phrase` in the layer's document, written by span_add."""
    start = layer.document.text.index(phrase)
    return span_add(
        layer,
        label=label,
        start=start,
        end=start + len(phrase),
        text=phrase,
        attributes=attributes,
        actor=actor,
    )


def zip_bytes(members: dict[str, bytes | str], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A ZIP archive of `members` (name: content, text written as UTF-8)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content.encode("utf-8") if isinstance(content, str) else content)
    return buffer.getvalue()


# A news-like text for bulk test data.
ARTICLE = (
    "The council said the tram extension would cost £48 million – a figure critics called “fantasy”. "
    "Officials, speaking anonymously, expect delays of 12 months. 🚋 Passengers are not convinced. "
) * 8


def submitted_project(
    n_documents: int, n_annotators: int = 3, spans_per_layer: int = 20, text: str = ARTICLE
) -> Project:
    """A project whose documents each have `n_annotators` submitted layers of random spans,
    written in bulk (the agreement jobs only read them)."""
    import random

    from django.utils import timezone

    from annotator.imports import text_sha256
    from annotator.models import Document, Label, LayerStatus, Span

    rng = random.Random(7)
    project = ProjectFactory(slug="recompute", annotators_per_document=n_annotators)
    source = SourceFactory(slug="recompute-herald")
    users = [UserFactory(username=f"coder-{i}") for i in range(n_annotators)]
    labels = {label.key: label for label in Label.objects.filter(project=project)}
    documents = Document.objects.bulk_create(
        Document(project=project, source=source, text=f"{i}. {text}", text_sha256=text_sha256(f"{i}. {text}"))
        for i in range(n_documents)
    )
    layers = Layer.objects.bulk_create(
        Layer(document=d, user=u, status=LayerStatus.SUBMITTED, submitted_at=timezone.now())
        for d in documents
        for u in users
    )
    spans = []
    for layer in layers:
        content = layer.document.text
        placed: set[tuple[str, int, int]] = set()  # a layer holds one span per label and offsets
        for _ in range(spans_per_layer):
            start = rng.randrange(0, len(content) - 30)
            end = start + rng.randint(3, 30)
            label = rng.choice(["CLAIM", "OPINION", "DISCLAIMER"])
            if (label, start, end) in placed:
                continue
            placed.add((label, start, end))
            attributes = {"evidence": rng.choice(["DATA", "QUOTE"])} if label == "CLAIM" else {}
            spans.append(
                Span(
                    layer=layer,
                    label=labels[label],
                    start=start,
                    end=end,
                    text=content[start:end],
                    attributes=attributes,
                )
            )
    Span.objects.bulk_create(spans)
    return project

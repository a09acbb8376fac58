"""factory_boy factories. Projects are made by the project_create service, so they carry the
default schema exactly as real ones do."""

from __future__ import annotations

import hashlib
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.db import transaction

from annotator.layers.services import layer_assign
from annotator.models import Assignment, Document, Membership, Role, Source, Span
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


class AssignmentFactory(factory.django.DjangoModelFactory):
    """An annotation layer, handed out as queue Next does (layer_assign), so its document's
    layer count holds."""

    class Meta:
        model = Assignment

    document = factory.SubFactory(DocumentFactory)
    user = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class: type[Assignment], *args: Any, **kwargs: Any) -> Assignment:
        return layer_assign(document=kwargs["document"], user=kwargs["user"])


class SpanFactory(factory.django.DjangoModelFactory):
    """A span over the first `length` code points of its document (no validation: use the
    span services in tests about validation)."""

    class Meta:
        model = Span
        exclude = ("length",)

    assignment = factory.SubFactory(AssignmentFactory)
    length = 7
    start = 0
    end = factory.LazyAttribute(lambda s: s.start + s.length)
    label = factory.LazyAttribute(lambda s: s.assignment.document.project.labels.get(key="CLAIM"))
    text = factory.LazyAttribute(lambda s: s.assignment.document.text[s.start : s.end])
    attributes = factory.LazyFunction(lambda: {"evidence": "NAMED_SOURCE"})


def span_add(layer: Assignment, **fields: Any) -> Span:
    """A span written as the API writes one: in a transaction holding the layer's lock."""
    with transaction.atomic():
        span, _ = span_create(assignment=layer_lock(assignment=layer), **fields)
    return span

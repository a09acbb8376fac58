"""Thin views: validate input with a serializer, get objects through annotator.access, call one
service, render with a serializer."""

from __future__ import annotations

from typing import Any, cast

import django_filters
from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Length
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotator import access
from annotator.accounts.selectors import api_tokens_list
from annotator.accounts.services import token_create, token_revoke, tokens_revoke_all
from annotator.errors import NotFound
from annotator.imports.rows import unstorable
from annotator.imports.uploads import documents_import_records_upload, documents_import_upload
from annotator.layers.selectors import LAYER_STATES, documents_with_layers
from annotator.layers.services import layer_reopen, layer_skip, layer_submit, layer_withdraw, queue_next
from annotator.models import (
    Document,
    JobRun,
    LayerKind,
    LayerStatus,
    Membership,
    Project,
    ScorecardPublication,
    Source,
)
from annotator.panels.services import member_panel_set
from annotator.projects.selectors import schema_locked, source_id_by_ref
from annotator.projects.services import (
    membership_remove,
    membership_set,
    project_create,
    project_schema_replace,
    project_update,
    source_create,
)
from annotator.publishing.services import scorecards_publish, scorecards_unpublish
from annotator.questions.selectors import layer_answers
from annotator.questions.services import answer_clear, answer_set
from annotator.spans.services import span_create, span_delete, span_update
from api import serializers as s
from api.parsers import JSONParser
from api.throttling import SignInThrottle


class StrictCursorPagination(CursorPagination):
    """Cursor pagination that refuses a malformed page_size instead of quietly ignoring it."""

    page_size_query_param = "page_size"

    def get_page_size(self, request: Request) -> int:
        values = request.query_params.getlist(self.page_size_query_param)
        if not values:
            return self.page_size or 50
        value = values[0]
        if len(values) > 1 or not (value.isascii() and value.isdigit()) or int(value) < 1:
            raise serializers.ValidationError(
                {"page_size": [f"page_size must be one whole number from 1 to {self.max_page_size}."]}
            )
        return min(int(value), self.max_page_size or int(value))


class DocumentCursorPagination(StrictCursorPagination):
    ordering = "id"
    page_size = 50
    max_page_size = 500


class SpanCursorPagination(StrictCursorPagination):
    ordering = ("start", "end", "id")
    page_size = 200
    max_page_size = 1000


def cursor_page(serializer_class: type[serializers.Serializer]) -> serializers.Serializer:
    """The OpenAPI shape of one page of a cursor-paginated list."""
    name = serializer_class.__name__.removesuffix("Serializer")
    return inline_serializer(
        f"Paginated{name}List",
        {
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
        },
    )


# AUTH
# ------------------------------------------------------------------------------


class TokenApi(APIView):
    """Trade a username and password for a named API token (`name`, default "default"; a token
    of the same name is replaced), optionally expiring after `expires_in_days`. DELETE revokes
    every token of the caller."""

    permission_classes = [AllowAny]
    parser_classes = [JSONParser, FormParser]  # `curl -d username=... -d password=...` works too
    throttle_classes = [SignInThrottle]
    throttle_scope = "auth"

    @extend_schema(request=s.TokenInputSerializer, responses={200: s.TokenSerializer}, auth=[])
    def post(self, request: Request) -> Response:
        data = validated(s.TokenInputSerializer, request.data)
        user = authenticate(request._request, username=data["username"], password=data["password"])
        if user is None or not user.is_active:
            raise AuthenticationFailed("Unable to log in with the given username and password.")
        token, key = token_create(user=user, name=data["name"], expires_in_days=data.get("expires_in_days"))
        # A credential: no cache on the way may keep it.
        return Response(
            s.TokenSerializer({"token": key, "name": token.name, "expires_at": token.expires_at}).data,
            headers={"Cache-Control": "no-store"},
        )

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        if not request.user.is_authenticated:
            raise AuthenticationFailed()
        tokens_revoke_all(user=cast(User, request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)

    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    def get_throttles(self) -> list[Any]:
        return super().get_throttles() if self.request.method == "POST" else []


class TokenListApi(APIView):
    @extend_schema(responses=s.ApiTokenSerializer(many=True))
    def get(self, request: Request) -> Response:
        """The caller's tokens: names, dates and last use, never keys."""
        tokens = api_tokens_list(user=cast(User, request.user))
        return Response(s.ApiTokenSerializer(tokens, many=True).data)


class TokenDetailApi(APIView):
    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, token_id: int) -> Response:
        """Revoke one of the caller's tokens."""
        token_revoke(user=cast(User, request.user), token_id=token_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# PROJECTS
# ------------------------------------------------------------------------------


class ProjectListApi(APIView):
    @extend_schema(responses=s.ProjectSerializer(many=True))
    def get(self, request: Request) -> Response:
        projects = list(access.projects_visible(user=request.user).order_by("name"))
        roles = dict(
            Membership.objects.filter(user_id=request.user.pk or 0).values_list("project_id", "role")
        )
        for project in projects:
            project.user_role = "manager" if request.user.is_staff else roles.get(project.pk)  # type: ignore[attr-defined]
        return Response(s.ProjectSerializer(projects, many=True).data)

    @extend_schema(request=s.ProjectCreateSerializer, responses={201: s.ProjectSerializer})
    def post(self, request: Request) -> Response:
        if not access.can_create_project(user=request.user):
            raise PermissionDenied("Only staff and project managers create projects.")
        data = validated(s.ProjectCreateSerializer, request.data)
        project = project_create(created_by=request.user, **data)  # type: ignore[arg-type]
        project.user_role = "manager"  # type: ignore[attr-defined]
        return Response(s.ProjectSerializer(project).data, status=status.HTTP_201_CREATED)


class ProjectDetailApi(APIView):
    @extend_schema(responses=s.ProjectSerializer)
    def get(self, request: Request, project_id: int) -> Response:
        project = access.access_project(user=request.user, project_id=project_id)
        return Response(s.ProjectSerializer(project).data)

    @extend_schema(request=s.ProjectSerializer, responses=s.ProjectSerializer)
    def patch(self, request: Request, project_id: int) -> Response:
        project = access.access_project(user=request.user, project_id=project_id, roles=access.MANAGERS)
        serializer = s.ProjectSerializer(project, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        project = project_update(project=project, changes=serializer.validated_data)
        return Response(s.ProjectSerializer(project).data)


class MemberListApi(APIView):
    @extend_schema(responses=s.MemberSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        project = access.access_project(user=request.user, project_id=project_id, roles=access.REVIEWERS)
        members = project.memberships.select_related("user", "panel", "panel_set_by").order_by(
            "user__username"
        )
        return Response(s.MemberSerializer(members, many=True).data)

    @extend_schema(request=s.MemberInputSerializer, responses={201: s.MemberSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        project = access.access_project(user=request.user, project_id=project_id, roles=access.MANAGERS)
        data = validated(s.MemberInputSerializer, request.data)
        user = access.users_addable(user=request.user).filter(username=data["username"]).first()
        if user is None:
            raise serializers.ValidationError(
                {
                    "username": [
                        f"No one called {data['username']!r} that you can add: add people from your "
                        "other projects, and invite anyone else with a link (POST .../invitations/)."
                    ]
                }
            )
        membership = membership_set(
            project=project, user=user, role=data["role"], actor=cast(User, request.user)
        )
        return Response(s.MemberSerializer(membership).data, status=status.HTTP_201_CREATED)


class MemberDetailApi(APIView):
    def _member(self, request: Request, project_id: int, user_id: int) -> tuple[Project, Membership]:
        project = access.access_project(user=request.user, project_id=project_id, roles=access.MANAGERS)
        membership = (
            project.memberships.select_related("user", "panel", "panel_set_by")
            .filter(user_id=user_id)
            .first()
        )
        if membership is None:
            raise NotFound("No such member of this project.")
        return project, membership

    @extend_schema(request=s.MemberChangeSerializer, responses=s.MemberSerializer)
    def patch(self, request: Request, project_id: int, user_id: int) -> Response:
        """Change a member's role, panel, or both. Only the project's creator or staff demote
        another manager, and a project keeps at least one manager."""
        project, membership = self._member(request, project_id, user_id)
        data = validated(s.MemberChangeSerializer, request.data)
        actor = cast(User, request.user)
        with transaction.atomic():
            if "role" in data:
                membership = membership_set(
                    project=project, user=membership.user, role=data["role"], actor=actor
                )
            if "panel" in data:
                membership = member_panel_set(
                    project=project, user=membership.user, panel_key=data["panel"], actor=actor
                )
        return Response(s.MemberSerializer(membership).data)

    @extend_schema(request=None, responses={200: s.MemberRemovedSerializer})
    def delete(self, request: Request, project_id: int, user_id: int) -> Response:
        """Take a member out of the project. Their submitted layers stay; the ones they had not
        submitted are deleted, and their documents go back to the queue."""
        project, membership = self._member(request, project_id, user_id)
        released = membership_remove(project=project, user=membership.user, actor=cast(User, request.user))
        return Response({"username": membership.user.username, "layers_released": released})


class PublicationApi(APIView):
    """Whether the project's scorecards are published, on which basis and where; managers
    publish them (PUT) and take them down (DELETE)."""

    @extend_schema(responses=s.PublicationSerializer)
    def get(self, request: Request, project_id: int) -> Response:
        project = access.access_project(user=request.user, project_id=project_id)
        return Response(_publication_data(request, project))

    @extend_schema(request=s.PublicationInputSerializer, responses=s.PublicationSerializer)
    def put(self, request: Request, project_id: int) -> Response:
        project = access.access_project(user=request.user, project_id=project_id, roles=access.MANAGERS)
        data = validated(s.PublicationInputSerializer, request.data)
        scorecards_publish(project=project, basis=data["basis"], user=cast(User, request.user))
        return Response(_publication_data(request, project))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, project_id: int) -> Response:
        project = access.access_project(user=request.user, project_id=project_id, roles=access.MANAGERS)
        scorecards_unpublish(project=project)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _publication_data(request: Request, project: Project) -> dict[str, Any]:
    publication = ScorecardPublication.objects.filter(project=project).first()
    if publication is None:
        return {"published": False, "basis": None, "published_at": None, "url": None}
    return {
        "published": True,
        "basis": publication.basis,
        "published_at": publication.published_at,
        "url": request.build_absolute_uri(reverse("public-scorecards", args=[project.slug])),
    }


class SchemaApi(APIView):
    @extend_schema(responses=s.SchemaSerializer)
    def get(self, request: Request, project_id: int) -> Response:
        project = access.access_project(user=request.user, project_id=project_id)
        return Response(_schema_data(project))

    @extend_schema(request=s.SchemaInputSerializer, responses=s.SchemaSerializer)
    def put(self, request: Request, project_id: int) -> Response:
        project = access.access_project(user=request.user, project_id=project_id, roles=access.MANAGERS)
        data = validated(s.SchemaInputSerializer, request.data)
        project_schema_replace(
            project=project,
            labels=data["labels"],
            attributes=data["attributes"],
            targets=data.get("targets"),
            questions=data.get("questions"),
        )
        return Response(_schema_data(project))


def _schema_data(project: Any) -> dict[str, Any]:
    return s.SchemaSerializer(
        {
            "labels": project.labels.all(),
            "attributes": project.attributes.all(),
            "targets": project.targets.all(),
            "questions": project.questions.all(),
            "locked": schema_locked(project=project),
        }
    ).data


# SOURCES
# ------------------------------------------------------------------------------


class SourceListApi(APIView):
    @extend_schema(responses=s.SourceSerializer(many=True))
    def get(self, request: Request) -> Response:
        sources = s.SourceSerializer(Source.objects.order_by("name"), many=True).data
        if not access.can_read_source_notes(user=request.user):
            for source in sources:
                del source["notes"]
        return Response(sources)

    @extend_schema(request=s.SourceSerializer, responses={201: s.SourceSerializer})
    def post(self, request: Request) -> Response:
        if not access.can_create_project(user=request.user):
            raise PermissionDenied("Only staff and project managers add sources.")
        data = validated(s.SourceSerializer, request.data)
        return Response(s.SourceSerializer(source_create(**data)).data, status=status.HTTP_201_CREATED)


# DOCUMENTS
# ------------------------------------------------------------------------------


class WholeNumberFilter(django_filters.NumberFilter):
    """A count: 0.5 is refused (400), as the schema's integer says, not rounded."""

    field_class = forms.IntegerField


class DocumentFilter(django_filters.FilterSet):
    source = django_filters.CharFilter(method="filter_source", help_text="A source id or slug.")
    search = django_filters.CharFilter(
        field_name="title", lookup_expr="icontains", help_text="Words in the title."
    )
    layers_submitted = WholeNumberFilter(
        field_name="layers_submitted", help_text="Exactly this many submitted annotation layers (reviewers)."
    )
    status = django_filters.ChoiceFilter(
        method="filter_status",
        choices=[
            ("unstarted", "no layer submitted"),
            ("partial", "some submitted"),
            ("complete", "k submitted"),
        ],
        help_text="By submitted annotation layers against the project's k (reviewers and managers).",
    )

    class Meta:
        model = Document
        fields = ["source", "search", "layers_submitted", "status"]

    def filter_source(self, queryset: QuerySet[Document], name: str, value: str) -> QuerySet[Document]:
        source_id = source_id_by_ref(value)
        if source_id is None:
            raise serializers.ValidationError({"source": [f"No source has the id or slug {value!r}."]})
        return queryset.filter(source_id=source_id)

    def filter_status(self, queryset: QuerySet[Document], name: str, value: str) -> QuerySet[Document]:
        k = self.request.project.annotators_per_document
        # layers_submitted is an annotation the list view adds; the stubs cannot see it.
        if value == "unstarted":
            return queryset.filter(layers_submitted=0)  # type: ignore[misc]
        if value == "complete":
            return queryset.filter(layers_submitted__gte=k)  # type: ignore[misc]
        return queryset.filter(layers_submitted__gt=0, layers_submitted__lt=k)  # type: ignore[misc]


_SUBMITTED_LAYERS = Count(
    "layers",
    filter=Q(layers__kind=LayerKind.ANNOTATION, layers__status=LayerStatus.SUBMITTED),
)


class DocumentListApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("source", str),
            OpenApiParameter("search", str),
            OpenApiParameter("status", str, enum=["unstarted", "partial", "complete"]),
            OpenApiParameter("layers_submitted", int),
            OpenApiParameter(
                "layer_state",
                str,
                enum=list(LAYER_STATES),
                description="Documents with an annotator's layer in this state (reviewers and managers).",
            ),
            OpenApiParameter(
                "annotator",
                str,
                description="Documents with a layer of this user id or username (reviewers and managers).",
            ),
            OpenApiParameter("cursor", str),
            OpenApiParameter("page_size", int),
        ],
        responses=cursor_page(s.DocumentSerializer),
    )
    def get(self, request: Request, project_id: int) -> Response:
        project = access.access_project(user=request.user, project_id=project_id)
        # django-filter reads a blank value as "no filter"; for these a blank is not a value.
        progress_filters = ("status", "layers_submitted", "layer_state", "annotator")
        blank = [name for name in progress_filters if request.query_params.get(name) == ""]
        if blank:
            raise serializers.ValidationError(
                {name: ["Give a value or leave the parameter out."] for name in blank}
            )
        documents = (
            access.documents_visible(user=request.user, project=project)
            .select_related("source")
            .defer("text", "metadata")
            .annotate(n_chars=Length("text"))
        )
        if access.sees_all_layers(role=project.user_role, project=project):  # type: ignore[attr-defined]
            progress = validated(s.LayerProgressFilterSerializer, request.query_params)
            documents = documents_with_layers(
                documents.annotate(layers_submitted=_SUBMITTED_LAYERS),
                state=progress.get("layer_state"),
                annotator=progress.get("annotator"),
            )
        elif any(request.query_params.get(name) for name in progress_filters):
            raise PermissionDenied("Filtering by other annotators' progress needs the reviewer role.")
        request.project = project  # type: ignore[attr-defined]
        filterset = DocumentFilter(request.query_params, queryset=documents, request=request)
        if not filterset.is_valid():
            raise serializers.ValidationError(filterset.errors)
        paginator = DocumentCursorPagination()
        page: Any = paginator.paginate_queryset(filterset.qs, request, view=self)
        return paginator.get_paginated_response(s.DocumentSerializer(page, many=True).data)


class DocumentDetailApi(APIView):
    @extend_schema(responses=s.DocumentDetailSerializer)
    def get(self, request: Request, document_id: int) -> Response:
        document = access.access_document(user=request.user, document_id=document_id)
        if access.sees_all_layers(role=document.user_role, project=document.project):  # type: ignore[attr-defined]
            document.layers_submitted = document.layers.filter(  # type: ignore[attr-defined]
                kind=LayerKind.ANNOTATION, status=LayerStatus.SUBMITTED
            ).count()
        return Response(s.DocumentDetailSerializer(document).data)


class DocumentImportApi(APIView):
    """Upload files (multipart field `files`, any format of the importer) or post a JSON list of
    documents (or {"documents": [...], "source": slug}). Small imports answer 201 with what was
    created, skipped and refused; large ones 202 with a job to follow."""

    parser_classes = [MultiPartParser, JSONParser]

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer(
                "DocumentUpload",
                {
                    "files": serializers.ListField(child=serializers.FileField()),
                    "source": serializers.CharField(required=False, help_text="Default source slug."),
                },
            ),
            "application/json": inline_serializer(
                "DocumentRecords",
                {
                    "documents": serializers.ListField(child=serializers.DictField()),
                    "source": serializers.CharField(required=False),
                },
            ),
        },
        # A refused import answers 400 with the same summary; the generic error body covers it.
        responses={201: s.ImportSummarySerializer, 202: s.JobSerializer},
    )
    def post(self, request: Request, project_id: int) -> Response:
        project = access.access_project(user=request.user, project_id=project_id, roles=access.MANAGERS)
        data: Any = request.data
        if not isinstance(data, list | dict):  # a JSON scalar or null (a form is a dict too)
            raise serializers.ValidationError(
                {
                    "documents": [
                        "Send files in `files`, a JSON list of documents, or an object with `documents`."
                    ]
                }
            )
        # A list is the documents; an object (or a form) holds them in `documents`, with `source`.
        records, source_slug = (
            (data, None) if isinstance(data, list) else (data.get("documents"), data.get("source"))
        )
        source = None
        if source_slug:
            if not isinstance(source_slug, str) or unstorable(source_slug):
                raise serializers.ValidationError({"source": ["The source must be a source's slug."]})
            source = Source.objects.filter(slug=source_slug).first()
            if source is None:
                raise serializers.ValidationError({"source": [f"No source has the slug {source_slug!r}."]})
        uploads = request.FILES.getlist("files") + request.FILES.getlist("file")
        user = request.user if request.user.is_authenticated else None
        if uploads:
            outcome = documents_import_upload(
                project=project, uploads=uploads, default_source=source, user=user
            )
        else:
            if not isinstance(records, list) or not records:
                raise serializers.ValidationError(
                    {"documents": ["Send files in `files`, or a non-empty JSON list of documents."]}
                )
            outcome = documents_import_records_upload(
                project=project,
                records=records,
                body_size=int(request.headers.get("Content-Length") or 0),
                default_source=source,
                user=user,
            )
        if isinstance(outcome, JobRun):
            return job_accepted(outcome)
        return Response(
            outcome.to_dict(),
            status=status.HTTP_400_BAD_REQUEST if outcome.refused else status.HTTP_201_CREATED,
        )


# JOBS
# ------------------------------------------------------------------------------


class JobDetailApi(APIView):
    @extend_schema(responses=s.JobSerializer)
    def get(self, request: Request, job_id: int) -> Response:
        return Response(s.JobSerializer(access.access_job(user=request.user, job_id=job_id)).data)


# THE QUEUE AND LAYERS
# ------------------------------------------------------------------------------


class QueueNextApi(APIView):
    @extend_schema(
        request=None,
        responses={
            200: s.LayerSerializer,
            204: OpenApiResponse(description="Nothing left to annotate."),
        },
    )
    def post(self, request: Request, project_id: int) -> Response:
        project = access.access_project(user=request.user, project_id=project_id, roles=access.ANNOTATES)
        layer = queue_next(project=project, user=request.user)  # type: ignore[arg-type]
        if layer is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(s.LayerSerializer(layer).data)


class LayerListApi(APIView):
    """The caller's own layers in a project, newest first."""

    @extend_schema(responses=s.LayerBriefSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        access.access_project(user=request.user, project_id=project_id)
        layers = request.user.layers.filter(document__project_id=project_id).order_by("-updated_at")  # type: ignore[union-attr]
        return Response(s.LayerBriefSerializer(layers, many=True).data)


class LayerDetailApi(APIView):
    @extend_schema(responses=s.LayerSerializer)
    def get(self, request: Request, assignment_id: int) -> Response:
        layer = access.access_layer(
            user=request.user, layer_id=assignment_id, related=("document__source", "user")
        )
        return Response(s.LayerSerializer(layer).data)


class SpanListApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("cursor", str), OpenApiParameter("page_size", int)],
        responses=cursor_page(s.SpanSerializer),
    )
    def get(self, request: Request, assignment_id: int) -> Response:
        layer = access.access_layer(user=request.user, layer_id=assignment_id)
        paginator = SpanCursorPagination()
        page: Any = paginator.paginate_queryset(layer.spans.select_related("label"), request, view=self)
        return paginator.get_paginated_response(s.SpanSerializer(page, many=True).data)

    @extend_schema(
        request=s.SpanCreateSerializer,
        responses={201: s.SpanSerializer, 200: OpenApiResponse(s.SpanSerializer, "Repeated client_uuid.")},
    )
    def post(self, request: Request, assignment_id: int) -> Response:
        with transaction.atomic():
            layer = access.access_layer(user=request.user, layer_id=assignment_id, write=True, lock=True)
            data = validated(s.SpanCreateSerializer, request.data)
            span, created = span_create(layer=layer, actor=request.user, **data)  # type: ignore[arg-type]
        return Response(
            s.SpanSerializer(span).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class AnswerListApi(APIView):
    @extend_schema(responses=s.AnswerSerializer(many=True))
    def get(self, request: Request, assignment_id: int) -> Response:
        layer = access.access_layer(user=request.user, layer_id=assignment_id)
        return Response(s.AnswerSerializer(layer_answers(layer=layer), many=True).data)


class AnswerDetailApi(APIView):
    @extend_schema(
        request=s.AnswerInputSerializer,
        responses={200: s.AnswerSerializer, 201: s.AnswerSerializer, 409: s.AnswerConflictSerializer},
    )
    def put(self, request: Request, assignment_id: int, key: str) -> Response:
        with transaction.atomic():
            layer = access.access_layer(user=request.user, layer_id=assignment_id, write=True, lock=True)
            data = validated(s.AnswerInputSerializer, request.data)
            answer, created = answer_set(
                layer=layer, key=key, value=data["value"], version=data.get("version")
            )
        return Response(
            s.AnswerSerializer(answer).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(
        parameters=[OpenApiParameter("version", int, required=True, description="The version you read.")],
        responses={204: None, 409: s.AnswerConflictSerializer},
    )
    def delete(self, request: Request, assignment_id: int, key: str) -> Response:
        with transaction.atomic():
            layer = access.access_layer(user=request.user, layer_id=assignment_id, write=True, lock=True)
            data = validated(s.VersionSerializer, request.query_params)
            answer_clear(layer=layer, key=key, version=data["version"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class SpanDetailApi(APIView):
    @extend_schema(responses=s.SpanSerializer)
    def get(self, request: Request, span_id: int) -> Response:
        return Response(s.SpanSerializer(access.access_span(user=request.user, span_id=span_id)).data)

    @extend_schema(
        request=s.SpanUpdateSerializer, responses={200: s.SpanSerializer, 409: s.SpanConflictSerializer}
    )
    def patch(self, request: Request, span_id: int) -> Response:
        with transaction.atomic():
            span = access.access_span(user=request.user, span_id=span_id, write=True, lock=True)
            data = validated(s.SpanUpdateSerializer, request.data)
            span = span_update(span=span, actor=request.user, **data)  # type: ignore[arg-type]
        return Response(s.SpanSerializer(span).data)

    @extend_schema(
        parameters=[OpenApiParameter("version", int, required=False, description="Or in the body.")],
        request=s.VersionSerializer,
        responses={204: None, 409: s.SpanConflictSerializer},
    )
    def delete(self, request: Request, span_id: int) -> Response:
        with transaction.atomic():
            span = access.access_span(user=request.user, span_id=span_id, write=True, lock=True)
            data = validated(s.VersionSerializer, request.data or request.query_params)
            span_delete(span=span, version=data["version"], actor=cast(User, request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SubmitApi(APIView):
    @extend_schema(
        request=None,
        responses={
            200: s.LayerBriefSerializer,
            400: inline_serializer(
                "IncompleteLayer",
                {
                    "detail": serializers.CharField(),
                    "incomplete": serializers.ListField(child=serializers.DictField()),
                },
            ),
        },
    )
    def post(self, request: Request, assignment_id: int) -> Response:
        layer = access.access_layer(user=request.user, layer_id=assignment_id, write=True)
        return Response(s.LayerBriefSerializer(layer_submit(layer=layer)).data)


class ReopenApi(APIView):
    @extend_schema(request=s.ReopenSerializer, responses=s.LayerBriefSerializer)
    def post(self, request: Request, assignment_id: int) -> Response:
        layer = access.access_layer(user=request.user, layer_id=assignment_id)
        data = validated(s.ReopenSerializer, request.data)
        if access.can_reopen(user=request.user, layer=layer):
            layer = layer_reopen(layer=layer, reviewer=request.user, note=data["note"])  # type: ignore[arg-type]
        elif layer.user_id == request.user.pk:
            layer = layer_withdraw(layer=layer)  # the annotator takes back their own submission
        else:
            raise PermissionDenied("Reviewers and managers reopen layers; an annotator, only their own.")
        return Response(s.LayerBriefSerializer(layer).data)


class SkipApi(APIView):
    @extend_schema(request=s.SkipSerializer, responses=s.LayerBriefSerializer)
    def post(self, request: Request, assignment_id: int) -> Response:
        layer = access.access_layer(user=request.user, layer_id=assignment_id, write=True)
        data = validated(s.SkipSerializer, request.data)
        return Response(s.LayerBriefSerializer(layer_skip(layer=layer, reason=data["reason"])).data)


def job_accepted(job: JobRun) -> Response:
    """202 with the job, and where to follow it: every endpoint that starts a background job."""
    return Response(
        s.JobSerializer(job).data,
        status=status.HTTP_202_ACCEPTED,
        headers={"Location": f"/api/v1/jobs/{job.pk}/"},
    )


def validated(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)

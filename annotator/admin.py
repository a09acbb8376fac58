"""The admin, for managers and staff: search, filters, the schema inline on its project, and
document import. Actions call services; rules are not repeated here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path

from annotator.errors import BackgroundUnavailable, ValidationError
from annotator.forms import AnnotationImportForm, DocumentImportForm
from annotator.imports import normalize_text, text_sha256
from annotator.imports.annotations.services import AnnotationImportSummary
from annotator.imports.services import ImportSummary
from annotator.imports.uploads import annotations_import_upload, documents_import_upload
from annotator.layers.services import layers_delete
from annotator.models import (
    AgreementReport,
    Attribute,
    Decision,
    Document,
    Invitation,
    JobRun,
    Label,
    Layer,
    Membership,
    Panel,
    Project,
    Source,
    SourceProfile,
    Span,
    Target,
)
from annotator.projects.invitations import invitation_revoke
from annotator.projects.selectors import schema_locked
from annotator.projects.services import PROJECT_SETTINGS, project_create, project_update


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Records written by jobs or kept as an audit trail: visible, never edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin[Source]):
    list_display = ["name", "slug", "domain", "country", "language", "n_documents"]
    list_filter = ["country", "language"]
    search_fields = ["name", "slug", "domain"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Source]:
        return super().get_queryset(request).annotate(n_documents=Count("documents"))

    @admin.display(description="documents", ordering="n_documents")
    def n_documents(self, obj: Any) -> int:
        return int(obj.n_documents)


class LabelInline(admin.TabularInline[Label, Project]):
    model = Label
    extra = 0
    fields = ["order", "key", "name", "color", "shortcut", "description"]


class AttributeInline(admin.StackedInline[Attribute, Project]):
    model = Attribute
    extra = 0
    fields = [("order", "key", "name", "kind"), "description", "values", ("applies_to", "required_for")]


class TargetInline(admin.TabularInline[Target, Project]):
    model = Target
    extra = 0
    fields = ["name", "aliases", "description"]


class PanelInline(admin.TabularInline[Panel, Project]):
    model = Panel
    extra = 0
    fields = ["order", "key", "name", "description"]


class MembershipInline(admin.TabularInline[Membership, Project]):
    """Panels are set on the Annotators page or over the API, which record who and when."""

    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "panel", "panel_set_by", "panel_set_at", "created_at"]
    readonly_fields = ["panel", "panel_set_by", "panel_set_at", "created_at"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin[Project]):
    list_display = [
        "name",
        "slug",
        "annotators_per_document",
        "blind",
        "n_documents",
        "n_members",
        "created_at",
    ]
    list_filter = ["blind", "allow_overlap"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PanelInline, MembershipInline, LabelInline, AttributeInline, TargetInline]
    readonly_fields = ["created_at", "created_by"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Project]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_documents=Count("documents", distinct=True), n_members=Count("memberships", distinct=True)
            )
        )

    @admin.display(description="documents", ordering="n_documents")
    def n_documents(self, obj: Any) -> int:
        return int(obj.n_documents)

    @admin.display(description="members", ordering="n_members")
    def n_members(self, obj: Any) -> int:
        return int(obj.n_members)

    def save_model(self, request: HttpRequest, obj: Project, form: Any, change: bool) -> None:
        if change:
            project_update(project=obj, changes={name: form.cleaned_data[name] for name in form.changed_data})
            return
        # A new project as the API makes one: the default schema, its creator a manager.
        created = project_create(
            created_by=request.user,  # type: ignore[arg-type]
            **{name: form.cleaned_data[name] for name in PROJECT_SETTINGS if name in form.cleaned_data},
        )
        obj.pk, obj.created_by, obj.created_at = created.pk, created.created_by, created.created_at
        obj._state.adding = False

    def get_inlines(self, request: HttpRequest, obj: Any) -> list[Any]:
        # The schema is filled in by the service when the project is created.
        return self.inlines if obj is not None else []

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        instances = super().get_inline_instances(request, obj)
        if obj is not None and schema_locked(project=obj):
            # Labels and attributes lose their meaning if they change under existing spans.
            for inline in instances:
                if isinstance(inline, LabelInline | AttributeInline):
                    inline.has_add_permission = lambda *a, **k: False  # type: ignore[method-assign]
                    inline.has_change_permission = lambda *a, **k: False  # type: ignore[method-assign]
                    inline.has_delete_permission = lambda *a, **k: False  # type: ignore[method-assign]
        return instances


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ["user", "project", "role", "created_at"]
    list_filter = ["role", "project"]
    search_fields = ["user__username", "user__email", "project__name"]
    autocomplete_fields = ["user", "project"]


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    """Links are made in the project (their token is shown once); here they are listed and
    revoked."""

    list_display = ["project", "role", "email", "status", "created_by", "created_at", "expires_at"]
    list_filter = ["role", "project"]
    search_fields = ["email", "project__name", "created_by__username"]
    exclude = ["token_hash"]
    actions = ["revoke"]

    @admin.action(description="Revoke the selected unused invitations")
    def revoke(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        revoked = 0
        for invitation in queryset:
            try:
                invitation_revoke(invitation=invitation)
            except ValidationError:  # used already: it stays as the record of who joined
                continue
            revoked += 1
        self.message_user(request, f"Revoked {revoked} invitation(s).", messages.SUCCESS)


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin[Label]):
    list_display = ["key", "name", "project", "shortcut", "order"]
    list_filter = ["project"]
    search_fields = ["key", "name", "description"]


@admin.register(Attribute)
class AttributeAdmin(admin.ModelAdmin[Attribute]):
    list_display = ["key", "name", "kind", "project", "order"]
    list_filter = ["kind", "project"]
    search_fields = ["key", "name", "description"]


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin[Target]):
    list_display = ["name", "project"]
    list_filter = ["project"]
    search_fields = ["name", "description"]


class LayerInline(admin.TabularInline[Layer, Document]):
    """Layers are shown here; they change through the queue and the review, so every rule and
    count holds."""

    model = Layer
    extra = 0
    fields = readonly_fields = ("user", "kind", "status", "submitted_at")
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin[Document]):
    list_display = ["__str__", "project", "source", "published_at", "n_chars", "n_layers"]
    list_filter = ["project", "source"]
    search_fields = ["title", "external_id", "url", "author"]
    date_hierarchy = "published_at"
    list_select_related = ["project", "source"]
    # A calibration item is marked on the review page, which checks that it is adjudicated.
    readonly_fields = ["text_sha256", "created_at", "calibration"]
    autocomplete_fields = ["source", "project"]
    inlines = [LayerInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description="characters")
    def n_chars(self, obj: Document) -> int:
        return len(obj.text)

    change_list_template = "admin/annotator/document/change_list.html"

    def get_urls(self) -> list[Any]:
        custom = [
            path("import/", self.admin_site.admin_view(self.import_view), name="annotator_document_import"),
            path(
                "import-annotations/",
                self.admin_site.admin_view(self.annotations_import_view),
                name="annotator_document_import_annotations",
            ),
        ]
        return custom + super().get_urls()

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload files into a project; small uploads import at once, large ones become a job."""

        def report(outcome: ImportSummary) -> bool:
            level = messages.ERROR if outcome.refused_files else messages.SUCCESS
            messages.add_message(
                request,
                level,
                f"Created {outcome.created}, skipped {outcome.skipped_duplicates} duplicates, "
                f"refused {len(outcome.refused_files)} file(s).",
            )
            for issue in outcome.errors:
                messages.error(request, str(issue))
            return not outcome.refused_files

        return self._upload_page(
            request,
            DocumentImportForm(request.POST or None, request.FILES or None),
            lambda data: documents_import_upload(
                project=data["project"],
                uploads=data["uploads"],
                default_source=data["source"],
                user=request.user,  # type: ignore[arg-type]
            ),
            report,
            title="Import documents",
            template="admin/annotator/document/import.html",
        )

    def annotations_import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload another tool's export into a project: documents with their annotators' layers."""
        form = AnnotationImportForm(request.POST or None, request.FILES or None)

        def report(outcome: AnnotationImportSummary) -> bool:
            if outcome.refused:
                messages.error(request, "Nothing imported.")
                for issue in outcome.errors:
                    messages.error(request, str(issue))
                return False
            messages.success(
                request,
                f"Imported {outcome.layers} layer(s) with {outcome.spans} span(s): "
                f"{outcome.documents_created} new document(s), {outcome.documents_matched} already there.",
            )
            return True

        return self._upload_page(
            request,
            form,
            lambda data: annotations_import_upload(
                project=data["project"],
                upload=data["upload"],
                options=form.options(),
                default_source=data["source"],
                user=request.user,  # type: ignore[arg-type]
            ),
            report,
            title="Import annotations",
            template="admin/annotator/document/import_annotations.html",
        )

    def _upload_page(
        self,
        request: HttpRequest,
        form: forms.Form,
        run: Callable[[dict[str, Any]], Any],
        report: Callable[[Any], bool],
        *,
        title: str,
        template: str,
    ) -> HttpResponse:
        """An import page: `run` imports the valid form's data at once (its summary goes to
        `report`, which says whether the import is done) or hands it to a background job."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST" and form.is_valid():
            try:
                outcome = run(form.cleaned_data)
            except BackgroundUnavailable as unavailable:
                messages.error(request, str(unavailable))
                return redirect(request.path)
            if isinstance(outcome, JobRun):
                messages.info(
                    request,
                    f"The import runs in the background as job {outcome.pk}; follow it under Job runs.",
                )
                return redirect("admin:annotator_jobrun_change", outcome.pk)
            if report(outcome):
                return redirect("admin:annotator_document_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": title,
            "inline_limit": settings.ANNOTATOR_IMPORT_INLINE_BYTES,
        }
        return TemplateResponse(request, template, context)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and Span.objects.filter(layer__document=obj).exists():
            # Every span's offsets point into this text.
            fields += ["text", "project"]
        return fields

    def save_model(self, request: HttpRequest, obj: Document, form: Any, change: bool) -> None:
        obj.text = normalize_text(obj.text)
        obj.text_sha256 = text_sha256(obj.text)
        super().save_model(request, obj, form, change)


class SpanInline(admin.TabularInline[Span, Layer]):
    model = Span
    extra = 0
    fields = readonly_fields = ("label", "start", "end", "text", "attributes", "version")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Layer)
class LayerAdmin(admin.ModelAdmin[Layer]):
    list_display = ["document", "user", "kind", "status", "panel", "n_spans", "updated_at", "submitted_at"]
    list_filter = ["kind", "status", "outside_panel", "needs_review", "document__project"]
    search_fields = ["document__title", "user__username"]
    list_select_related = ["document", "user"]
    # Status changes through submit, reopen and skip, which check the layer and keep the counts.
    readonly_fields = [
        "document",
        "user",
        "kind",
        "status",
        "panel",
        "outside_panel",
        "created_at",
        "updated_at",
        "submitted_at",
    ]
    inlines = [SpanInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # layers are handed out by queue Next, which keeps each document within k

    def delete_model(self, request: HttpRequest, obj: Layer) -> None:
        layers_delete(layers=[obj])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Layer]) -> None:
        layers_delete(layers=list(queryset))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Layer]:
        return super().get_queryset(request).annotate(n_spans=Count("spans"))

    @admin.display(description="spans", ordering="n_spans")
    def n_spans(self, obj: Any) -> int:
        return int(obj.n_spans)


@admin.register(Span)
class SpanAdmin(ReadOnlyAdmin):
    """Spans are written through the API so every rule holds; the admin shows them."""

    list_display = ["__str__", "text_preview", "layer", "version", "updated_at"]
    list_filter = ["label__key", "layer__kind", "layer__document__project"]
    search_fields = ["text", "layer__user__username"]
    list_select_related = ["label", "layer__user", "layer__document"]

    @admin.display(description="text")
    def text_preview(self, obj: Span) -> str:
        return obj.text if len(obj.text) <= 60 else obj.text[:60] + "…"


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "document", "reviewer", "action", "note"]
    list_filter = ["action", "document__project"]
    search_fields = ["note", "reviewer__username", "document__title"]
    list_select_related = ["document", "reviewer"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AgreementReport)
class AgreementReportAdmin(ReadOnlyAdmin):
    list_display = ["project", "scope", "scope_key", "resolution", "computed_at"]
    list_filter = ["scope", "resolution", "project"]


@admin.register(SourceProfile)
class SourceProfileAdmin(ReadOnlyAdmin):
    list_display = ["source", "project", "basis", "n_articles", "computed_at"]
    list_filter = ["basis", "project"]


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "kind",
        "project",
        "status",
        "progress_display",
        "attempts",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["kind", "error", "celery_id"]

    @admin.display(description="progress")
    def progress_display(self, obj: JobRun) -> str:
        return f"{obj.progress} / {obj.total}" if obj.total else str(obj.progress)

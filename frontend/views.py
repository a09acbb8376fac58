"""Page views: each gets its object through annotator.access and hands the page what its
ES module needs; the pages then talk to the REST API like any script does."""

from __future__ import annotations

import json
from typing import Any, cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_POST

from annotator import access
from annotator.agreement.selectors import usernames_get
from annotator.agreement.services import project_agreement_current
from annotator.calibration.selectors import member_calibration, project_annotators
from annotator.claims.selectors import across_outlets, clusters_view, document_claims_elsewhere
from annotator.competence.selectors import competence_report_get
from annotator.errors import NotFound, ValidationError
from annotator.exports import FORMATTERS
from annotator.imports.annotations.formats import ANNOTATION_FORMATS
from annotator.jobs.selectors import project_jobs
from annotator.layers.selectors import LAYER_STATES, PACE_WINDOW, annotator_pace, layer_reviewed
from annotator.models import (
    ANNOTATOR_LAYER_KINDS,
    ClaimRating,
    ProfileBasis,
    Project,
    Role,
    ScorecardPublication,
    Source,
)
from annotator.panels.selectors import panels_list
from annotator.profiles.selectors import profile_source_get
from annotator.profiles.services import DEFAULT_BASIS, profile_bases, project_profiles_current
from annotator.projects.selectors import project_progress_list, schema_locked
from annotator.review.selectors import (
    layer_returns,
    review_queue,
    review_queue_choices,
    review_queue_filters_resolve,
    review_queue_rows,
)
from annotator.suggestions.selectors import suggestion_model_current, suggestion_models_recent, suggestions_on
from frontend import agreement_page as page
from frontend import annotators_page, profiles_page, suggestions_page
from frontend.script_urls import url_template
from frontend.templatetags.prose import markdown


def _or_404(getter: Any, **kwargs: Any) -> Any:
    try:
        return getter(**kwargs)
    except NotFound as error:
        raise Http404(str(error)) from None


def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for on pages that name no icon (the admin's, the API's
    docs): the site's icon."""
    return redirect(static("frontend/favicon.svg"), permanent=True)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "projects": project_progress_list(user=request.user),
        "can_create": access.can_create_project(user=request.user),
    }
    return render(request, "frontend/home.html", context)


@login_required
def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _or_404(access.access_project, user=request.user, project_id=project_id)
    progress = next(p for p in project_progress_list(user=request.user) if p.project.pk == project.pk)
    layers = (
        request.user.layers.filter(document__project=project, kind__in=ANNOTATOR_LAYER_KINDS)  # type: ignore[union-attr]
        .select_related("document__source")
        .order_by("-updated_at")[:50]
    )
    membership = project.memberships.select_related("panel", "panel_set_by").filter(user=request.user).first()
    layers = list(layers)
    calibration = None
    if project.calibration_feedback and access.can_annotate(role=project.user_role):
        calibration = member_calibration(project=project, user_id=cast(int, request.user.pk))
    return render(
        request,
        "frontend/project.html",
        {
            "project": project,
            "progress": progress,
            "layers": layers,
            "returns": layer_returns(layers=layers),
            "role": project.user_role,
            "can_review": access.can_review(role=project.user_role),
            "can_annotate": access.can_annotate(role=project.user_role),
            "profiles": access.can_read_profiles(role=project.user_role, project=project),
            "membership": membership,
            "panels": panels_list(project=project) if project.panel_question else [],
            "calibration": calibration,
            "transfer": _transfer_choices(project) if project.user_role == Role.MANAGER else None,
            "team": _team(project) if project.user_role == Role.MANAGER else None,
            "publication": ScorecardPublication.objects.filter(project=project).first(),
        },
    )


@login_required
def project_work(request: HttpRequest, project_id: int) -> HttpResponse:
    """The dashboard of the work (reviewers and managers): each annotator's layers and pace,
    how fresh the reports are, the latest jobs and the members. The documents with their layers'
    states come from the documents API, page by page (keyset), as a script would read them."""
    project = _or_404(access.access_project, user=request.user, project_id=project_id, roles=access.REVIEWERS)
    progress = next(p for p in project_progress_list(user=request.user) if p.project.pk == project.pk)
    pace = annotator_pace(project=project)
    return render(
        request,
        "frontend/work.html",
        {
            "project": project,
            "progress": progress,
            "pace": pace,
            "pace_days": PACE_WINDOW.days,
            "states": [(state, state.replace("_", " ")) for state in LAYER_STATES],
            "agreement": project_agreement_current(project_id=project.pk),
            "profiles": project_profiles_current(project_id=project.pk),
            "jobs": project_jobs(project=project),
            "members": project.memberships.select_related("user").order_by("role", "user__username"),
            "sources": Source.objects.filter(documents__project=project).distinct().order_by("name"),
        },
    )


@login_required
def project_schema(request: HttpRequest, project_id: int) -> HttpResponse:
    """The schema editor (managers): the page script reads and saves the schema over the API."""
    project = _or_404(access.access_project, user=request.user, project_id=project_id, roles=access.MANAGERS)
    return render(
        request, "frontend/schema.html", {"project": project, "locked": schema_locked(project=project)}
    )


@login_required
@require_POST
def markdown_preview(request: HttpRequest) -> JsonResponse:
    """Markdown as the pages render it (the guidelines' preview): one renderer for both."""
    try:
        text = json.loads(request.body or b"{}").get("text", "")
    except (ValueError, AttributeError):
        return JsonResponse({"detail": 'Send JSON: {"text": "..."}.'}, status=400)
    if not isinstance(text, str):
        return JsonResponse({"text": ["Give the Markdown as a string."]}, status=400)
    if len(text) > MARKDOWN_PREVIEW_LIMIT:
        return JsonResponse({"text": [f"Longer than {MARKDOWN_PREVIEW_LIMIT:,} characters."]}, status=400)
    return JsonResponse({"html": markdown(text)})


# Guidelines are pages, not books: a limit keeps a preview request cheap.
MARKDOWN_PREVIEW_LIMIT = 200_000


def _team(project: Project) -> dict[str, Any]:
    """The members and the invitations not yet used, for the manager's members panel."""
    return {
        "members": project.memberships.select_related("user").order_by("user__username"),
        "invitations": [i for i in project.invitations.order_by("-created_at") if i.status == "pending"],
        "roles": Role.choices,
    }


def _transfer_choices(project: Project) -> dict[str, Any]:
    """What the manager's import and export forms offer: every format and basis the API takes."""
    return {
        "annotation_formats": sorted(ANNOTATION_FORMATS),
        "export_formats": sorted(FORMATTERS),
        "bases": [
            ("all", "Every annotator's layer"),
            ("consensus", "Consensus (majority)"),
            ("model", "Consensus weighted by competence"),
            ("gold", "Gold (adjudicated)"),
        ],
        "sources": Source.objects.order_by("name").only("slug", "name"),
        "labels": project.labels.all(),
    }


@login_required
def agreement(request: HttpRequest, project_id: int) -> HttpResponse:
    """The project's agreement report as tables and charts (reviewers and managers)."""
    project = _or_404(access.access_project, user=request.user, project_id=project_id, roles=access.REVIEWERS)
    resolution = request.GET.get("resolution", "token")
    if resolution not in ("token", "char"):
        resolution = "token"
    current = project_agreement_current(project_id=project.pk, resolution=resolution)
    context: dict[str, Any] = {
        "project": project,
        "resolution": resolution,
        "current": current,
        "report": None,
    }
    if current.report is not None:
        metrics = current.report.metrics
        ids = {int(a) for pair in metrics.get("pairs", []) for a in pair["annotators"] if str(a).isdigit()}
        ids |= {int(a) for a in (metrics.get("gold") or {}).get("annotators", {}) if str(a).isdigit()}
        names = {str(pk): name for pk, name in usernames_get(user_ids=ids).items()}
        sources = [
            {"name": source.name if source else r.scope_key, "metrics": r.metrics}
            for source, r in current.sources
        ]
        context.update(
            report=current.report,
            metrics=metrics,
            label_rows=page.label_rows(metrics),
            label_chart=page.label_alpha_chart(metrics),
            attribute_rows=page.attribute_rows(metrics),
            question_rows=page.question_rows(metrics),
            confusion_chart=page.confusion_chart(metrics),
            confusion=metrics.get("confusion"),
            pair_chart=page.pair_chart(metrics, names),
            pair_rows=page.pair_rows(metrics, names),
            panels=page.panel_matrix(metrics),
            gold_rows=page.gold_rows(metrics, names),
            sources=sources,
            source_chart=page.source_chart(sources),
        )
    return render(request, "frontend/agreement.html", context)


@login_required
def claims(request: HttpRequest, project_id: int) -> HttpResponse:
    """Claims across outlets: each cluster with the outlets that carry it, its first
    appearance, how each sourced and hedged it, and the reviewer's verdict (reviewers, managers)."""
    project = _or_404(access.access_project, user=request.user, project_id=project_id, roles=access.REVIEWERS)
    show_all = request.GET.get("all") == "1"
    return render(
        request,
        "frontend/claims.html",
        {
            "project": project,
            "clusters": clusters_view(project_id=project.pk, min_sources=1 if show_all else 2),
            "show_all": show_all,
            "ratings": ClaimRating.choices,
        },
    )


@login_required
def suggestions(request: HttpRequest, project_id: int) -> HttpResponse:
    """The project's suggestion models: the current one's held-out evaluation against its
    baseline, its calibration, earlier ones, and (managers) training and the blind switch."""
    project = _or_404(access.access_project, user=request.user, project_id=project_id, roles=access.REVIEWERS)
    models = list(suggestion_models_recent(project_id=project.pk))
    current = suggestion_model_current(project_id=project.pk)
    return render(
        request,
        "frontend/suggestions.html",
        {
            "project": project,
            "models": models,
            "current": current,
            "chart": suggestions_page.calibration_chart(current.metrics) if current else None,
            "suggestions_on": suggestions_on(project),
            "is_manager": project.user_role == Role.MANAGER,
            "retrain_after": settings.ANNOTATOR_SUGGESTIONS_RETRAIN_AFTER,
        },
    )


@login_required
def annotators(request: HttpRequest, project_id: int) -> HttpResponse:
    """Each annotator's panel, layers, agreement with the others, calibration figures and gate
    (reviewers and managers)."""
    project = _or_404(access.access_project, user=request.user, project_id=project_id, roles=access.REVIEWERS)
    rows = project_annotators(project=project)
    return render(
        request,
        "frontend/annotators.html",
        {
            "project": project,
            "rows": rows,
            "chart": annotators_page.calibration_chart(rows, project),
            "panels": panels_list(project=project),
            "can_place": project.user_role == Role.MANAGER,
            "competence": competence_report_get(project_id=project.pk),
            "bases": [(basis, ProfileBasis(basis).label) for basis in ("all", "consensus", "model")],
        },
    )


@login_required
def annotate(request: HttpRequest, layer_id: int) -> HttpResponse:
    layer = _or_404(
        access.access_layer,
        user=request.user,
        layer_id=layer_id,
        related=("document__source", "user"),
    )
    project = layer.document.project
    config = {
        "layerId": layer.pk,
        "projectId": project.pk,
        "readOnly": layer.user_id != request.user.pk,
        # The annotator may take their submitted layer back until a reviewer has acted on it.
        "withdrawable": layer.user_id == request.user.pk and not layer_reviewed(layer=layer),
        "urls": {
            "assignment": reverse("api:assignment", args=[layer.pk]),
            "spans": reverse("api:spans", args=[layer.pk]),
            "span": url_template("api:span", "id"),
            "answers": reverse("api:answers", args=[layer.pk]),
            "answer": url_template("api:answer", layer.pk, "key"),
            "suggestions": reverse("api:suggestions", args=[layer.pk]),
            "suggestionRejections": reverse("api:suggestion-rejections", args=[layer.pk]),
            "submit": reverse("api:submit", args=[layer.pk]),
            "skip": reverse("api:skip", args=[layer.pk]),
            "reopen": reverse("api:reopen", args=[layer.pk]),
            "schema": reverse("api:schema", args=[project.pk]),
            "next": reverse("api:queue-next", args=[project.pk]),
            "annotate": url_template("annotate", "id"),
        },
    }
    context = {
        "layer": layer,
        "project": project,
        "config": config,
        "returned": layer_returns(layers=[layer]).get(layer.pk),
    }
    return render(request, "frontend/annotate.html", context)


# REVIEW
# ------------------------------------------------------------------------------


@login_required
def review_queue_page(request: HttpRequest, project_id: int) -> HttpResponse:
    """The review queue (reviewers and managers): most disagreement first, filterable."""
    project = _or_404(access.access_review_project, user=request.user, project_id=project_id)
    chosen = {
        key: request.GET.get(key, "")
        for key in ("source", "label", "annotator", "adjudicated", "needs_review")
    }
    error = ""
    try:
        filters = review_queue_filters_resolve(
            project=project,
            source=chosen["source"] or None,
            label=chosen["label"] or None,
            annotator=chosen["annotator"] or None,
            adjudicated={"true": True, "false": False}.get(chosen["adjudicated"]),
            needs_review={"true": True, "false": False}.get(chosen["needs_review"]),
        )
    except ValidationError as problem:
        error = " ".join(m for messages in problem.message_dict.values() for m in messages)
        filters = None
    documents = review_queue(project=project, filters=filters)
    page = Paginator(documents, 50).get_page(request.GET.get("page"))
    query = urlencode({key: value for key, value in chosen.items() if value})
    return render(
        request,
        "frontend/review_queue.html",
        {
            "project": project,
            "page": page,
            "items": review_queue_rows(documents=list(page.object_list)),
            "choices": review_queue_choices(project=project),
            "chosen": chosen,
            "query": query,
            "error": error,
        },
    )


@login_required
def review(request: HttpRequest, document_id: int) -> HttpResponse:
    """One document's review: the layers side by side and the gold layer (reviewers, managers)."""
    document = _or_404(access.access_review_document, user=request.user, document_id=document_id)
    config = {
        "documentId": document.pk,
        "projectId": document.project_id,
        "canMarkCalibration": document.user_role == Role.MANAGER and document.project.blind,
        "urls": {
            "review": reverse("api:document-review", args=[document.pk]),
            "decisions": reverse("api:decisions", args=[document.pk]),
            "schema": reverse("api:schema", args=[document.project_id]),
            "calibration": reverse("api:document-calibration", args=[document.pk]),
        },
    }
    context = {
        "document": document,
        "project": document.project,
        "config": config,
        "elsewhere": document_claims_elsewhere(document=document),
    }
    return render(request, "frontend/review.html", context)


# SOURCE PROFILES (frontend/profiles_page.py shapes the stored profiles into tables and charts)
# ------------------------------------------------------------------------------


def _profile_basis(request: HttpRequest, project: Project) -> str:
    basis = request.GET.get("basis", DEFAULT_BASIS)
    return basis if basis in profile_bases(project_id=project.pk) else DEFAULT_BASIS


@login_required
def source_profiles(request: HttpRequest, project_id: int) -> HttpResponse:
    """Every source with its headline figures and badges (access.can_read_profiles)."""
    project = _or_404(access.access_profiles_project, user=request.user, project_id=project_id)
    current = project_profiles_current(project_id=project.pk, basis=_profile_basis(request, project))
    return render(request, "frontend/profiles.html", profiles_page.list_context(project, current))


@login_required
def source_profile(request: HttpRequest, project_id: int, source_id: int) -> HttpResponse:
    """One source's profile card, each figure against the corpus value."""
    project = _or_404(access.access_profiles_project, user=request.user, project_id=project_id)
    source = profile_source_get(project_id=project.pk, source_id=source_id)
    if source is None:
        raise Http404("Source not found.")
    current = project_profiles_current(
        project_id=project.pk, basis=_profile_basis(request, project), source_id=source.pk
    )
    context = profiles_page.source_context(project, source, current)
    context["across"] = across_outlets(project_id=project.pk, source_id=source.pk)
    return render(request, "frontend/profile.html", context)


@login_required
def source_comparison(request: HttpRequest, project_id: int) -> HttpResponse:
    """The sources side by side: any figure as a sorted dot plot, the evidence mix, net stance
    per target, opinion share against sourced-claim rate."""
    project = _or_404(access.access_profiles_project, user=request.user, project_id=project_id)
    current = project_profiles_current(project_id=project.pk, basis=_profile_basis(request, project))
    metric = request.GET.get("metric", "opinion_share")
    return render(
        request, "frontend/profiles_compare.html", profiles_page.comparison_context(project, current, metric)
    )

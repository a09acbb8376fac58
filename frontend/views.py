"""Page views: each gets its object through annotator.access and hands the page what its
ES module needs; the pages then talk to the REST API like any script does."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from annotator import access
from annotator.errors import NotFound
from annotator.models import AssignmentKind
from annotator.selectors import project_progress_list
from annotator.selectors_agreement import usernames_get
from annotator.services.agreement import project_agreement_current
from frontend import agreement_page as page


def _or_404(getter: Any, **kwargs: Any) -> Any:
    try:
        return getter(**kwargs)
    except NotFound as error:
        raise Http404(str(error)) from None


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "frontend/home.html", {"projects": project_progress_list(user=request.user)})


@login_required
def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _or_404(access.access_project, user=request.user, project_id=project_id)
    progress = next(p for p in project_progress_list(user=request.user) if p.project.pk == project.pk)
    layers = (
        request.user.assignments.filter(document__project=project, kind=AssignmentKind.ANNOTATION)  # type: ignore[union-attr]
        .select_related("document__source")
        .order_by("-updated_at")[:50]
    )
    return render(
        request,
        "frontend/project.html",
        {"project": project, "progress": progress, "layers": layers, "role": project.user_role},
    )


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
            confusion_chart=page.confusion_chart(metrics),
            confusion=metrics.get("confusion"),
            pair_chart=page.pair_chart(metrics, names),
            pair_rows=page.pair_rows(metrics, names),
            sources=sources,
            source_chart=page.source_chart(sources),
        )
    return render(request, "frontend/agreement.html", context)


@login_required
def annotate(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment = _or_404(
        access.access_assignment,
        user=request.user,
        assignment_id=assignment_id,
        related=("document__source", "user"),
    )
    project = assignment.document.project
    config = {
        "assignmentId": assignment.pk,
        "projectId": project.pk,
        "readOnly": assignment.user_id != request.user.pk,
        "apiRoot": "/api/v1",
    }
    return render(
        request, "frontend/annotate.html", {"assignment": assignment, "project": project, "config": config}
    )

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

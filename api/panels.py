"""Panels over the API: a project's panels, and placing members in them.

GET /projects/{id}/panels/ lists them for every member; managers add one with POST and change
or remove one at /projects/{id}/panels/{panel_id}/. Managers place a member with PATCH
/projects/{id}/members/{user_id}/ {"panel": key}. GET /projects/{id}/panel/ gives the caller
the self-placement question, the panels and their own placement; POST {"panel": key} answers
it, once.
"""

from __future__ import annotations

from typing import cast

from django.contrib.auth.models import User
from django.db.models import Count
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotator import access
from annotator.errors import NotFound
from annotator.models import Membership, Panel, Project
from annotator.panels.selectors import panels_list
from annotator.panels.services import member_panel_declare, panel_create, panel_delete, panel_update
from api import serializers as s
from api.views import validated


def _panels(project: Project) -> list[Panel]:
    return list(panels_list(project=project).annotate(n_members=Count("members")))


class PanelListApi(APIView):
    @extend_schema(responses=s.PanelSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        project = access.access_project(user=request.user, project_id=project_id)
        return Response(s.PanelSerializer(_panels(project), many=True).data)

    @extend_schema(request=s.PanelSerializer, responses={201: s.PanelSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        project = access.access_project(user=request.user, project_id=project_id, roles=access.MANAGERS)
        panel = panel_create(project=project, **validated(s.PanelSerializer, request.data))
        panel.n_members = 0  # type: ignore[attr-defined]
        return Response(s.PanelSerializer(panel).data, status=status.HTTP_201_CREATED)


class PanelDetailApi(APIView):
    def _panel(self, request: Request, project_id: int, panel_id: int) -> Panel:
        project = access.access_project(user=request.user, project_id=project_id, roles=access.MANAGERS)
        panel = next((p for p in _panels(project) if p.pk == panel_id), None)
        if panel is None:
            raise NotFound("Panel not found.")
        return panel

    @extend_schema(request=s.PanelSerializer(partial=True), responses=s.PanelSerializer)
    def patch(self, request: Request, project_id: int, panel_id: int) -> Response:
        panel = self._panel(request, project_id, panel_id)
        serializer = s.PanelSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        panel = panel_update(panel=panel, changes=dict(serializer.validated_data))
        return Response(s.PanelSerializer(panel).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, project_id: int, panel_id: int) -> Response:
        """Remove a panel nobody belongs to and no layer was handed out for."""
        panel_delete(panel=self._panel(request, project_id, panel_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _choice(project: Project, user: User) -> dict[str, object]:
    membership = (
        Membership.objects.select_related("panel", "panel_set_by").filter(project=project, user=user).first()
    )
    panel = membership.panel if membership else None  # staff may manage without a membership
    set_by = membership.panel_set_by if membership else None
    return {
        "question": project.panel_question,
        "panels": _panels(project),
        "panel": panel.key if panel else None,
        "panel_set_by": set_by.username if set_by else None,
        "panel_set_at": membership.panel_set_at if membership else None,
    }


class MyPanelApi(APIView):
    @extend_schema(responses=s.PanelChoiceSerializer)
    def get(self, request: Request, project_id: int) -> Response:
        project = access.access_project(user=request.user, project_id=project_id)
        return Response(s.PanelChoiceSerializer(_choice(project, cast(User, request.user))).data)

    @extend_schema(request=s.PanelAnswerSerializer, responses=s.PanelChoiceSerializer)
    def post(self, request: Request, project_id: int) -> Response:
        """Answer the self-placement question. Once: after that a manager changes it."""
        project = access.access_project(user=request.user, project_id=project_id)
        user = cast(User, request.user)
        member_panel_declare(
            project=project, user=user, panel_key=validated(s.PanelAnswerSerializer, request.data)["panel"]
        )
        return Response(s.PanelChoiceSerializer(_choice(project, user)).data)

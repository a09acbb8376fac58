"""Invitations to a project (managers): make a one-time sign-up link, list the links made,
revoke one."""

from __future__ import annotations

import datetime

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotator import access
from annotator.errors import NotFound
from annotator.models import Invitation, Role
from annotator.projects.invitations import (
    DEFAULT_VALIDITY,
    MAX_VALIDITY,
    invitation_create,
    invitation_revoke,
)


class InvitationSerializer(serializers.ModelSerializer):
    """An invitation as listed: never its token (only its hash is stored)."""

    status = serializers.CharField(read_only=True, help_text="pending, accepted, revoked or expired.")
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True)
    accepted_by = serializers.CharField(source="accepted_by.username", read_only=True, allow_null=True)

    class Meta:
        model = Invitation
        fields = [
            "id",
            "role",
            "email",
            "status",
            "created_by",
            "created_at",
            "expires_at",
            "accepted_by",
            "accepted_at",
            "revoked_at",
        ]


class InvitationCreatedSerializer(InvitationSerializer):
    url = serializers.CharField(read_only=True, help_text="The sign-up link. Shown this once only.")

    class Meta(InvitationSerializer.Meta):
        fields = [*InvitationSerializer.Meta.fields, "url"]


class InvitationInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, default=Role.ANNOTATOR)
    email = serializers.EmailField(required=False, default="", allow_blank=True)
    expires_in_days = serializers.IntegerField(
        min_value=1, max_value=MAX_VALIDITY.days, default=DEFAULT_VALIDITY.days
    )


class InvitationListApi(APIView):
    @extend_schema(responses=InvitationSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        project = access.access_project(user=request.user, project_id=project_id, roles=access.MANAGERS)
        invitations = project.invitations.select_related("created_by", "accepted_by")
        return Response(InvitationSerializer(invitations, many=True).data)

    @extend_schema(request=InvitationInputSerializer, responses={201: InvitationCreatedSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        """Make a sign-up link for the project. The answer holds the link; it is not stored
        and cannot be read again."""
        project = access.access_project(user=request.user, project_id=project_id, roles=access.MANAGERS)
        serializer = InvitationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        invitation, token = invitation_create(
            project=project,
            role=data["role"],
            email=data["email"],
            created_by=request.user,  # type: ignore[arg-type]
            valid_for=datetime.timedelta(days=data["expires_in_days"]),
        )
        invitation.url = request.build_absolute_uri(reverse("invitation", args=[token]))  # type: ignore[attr-defined]
        return Response(InvitationCreatedSerializer(invitation).data, status=status.HTTP_201_CREATED)


class InvitationDetailApi(APIView):
    @extend_schema(request=None, responses={200: InvitationSerializer})
    def delete(self, request: Request, project_id: int, invitation_id: int) -> Response:
        """Revoke a link that has not been used: it stops working at once."""
        project = access.access_project(user=request.user, project_id=project_id, roles=access.MANAGERS)
        invitation = (
            project.invitations.select_related("created_by", "accepted_by").filter(pk=invitation_id).first()
        )
        if invitation is None:
            raise NotFound("Invitation not found.")
        return Response(InvitationSerializer(invitation_revoke(invitation=invitation)).data)

"""Suggestions over the API.

GET /assignments/{id}/suggestions/ offers a layer's annotator what to mark: boilerplate
DISCLAIMERs and the project's suggestion model (annotator.suggestions.selectors). Accepting one
is an ordinary span create that sends the suggestion's `model_version` along; rejecting one is
POST /assignments/{id}/suggestions/rejections/. In a blind project suggestions are off until a
manager sets `suggestions_when_blind`.

/projects/{id}/suggestions/models/ lists the project's models with their held-out evaluation
(reviewers and managers), and POST trains a new one as a job (managers).
"""

from __future__ import annotations

from typing import cast

from django.contrib.auth.models import User
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotator import access
from annotator.models import Layer
from annotator.suggestions.selectors import layer_suggestions, suggestion_models_recent, suggestions_on
from annotator.suggestions.services import suggestion_reject, suggestions_train_start
from api import serializers as s
from api.views import job_accepted, validated


class SuggestionListApi(APIView):
    @extend_schema(responses=s.SuggestionsSerializer)
    def get(self, request: Request, assignment_id: int) -> Response:
        """What to offer the layer's annotator, in text order; see the module docstring."""
        layer = access.access_layer(user=request.user, layer_id=assignment_id)
        if not suggestions_on(layer.document.project):
            data = {
                "enabled": False,
                "reason": "Suggestions are off in this blind project until a manager turns them on.",
                "suggestions": [],
            }
            return Response(s.SuggestionsSerializer(data).data)
        suggestions = layer_suggestions(layer=layer)
        if suggestions and layer.user_id == request.user.pk and not layer.suggestions_shown:
            # Agreement reports layers made with suggestions apart: they anchor people.
            Layer.objects.filter(pk=layer.pk).update(suggestions_shown=True)
        return Response(
            s.SuggestionsSerializer({"enabled": True, "reason": "", "suggestions": suggestions}).data
        )


class SuggestionRejectionApi(APIView):
    @extend_schema(request=s.SuggestionRejectSerializer, responses={201: s.SuggestionRejectSerializer})
    def post(self, request: Request, assignment_id: int) -> Response:
        """Turn a suggestion down: it is not offered to this layer again, and the next training
        learns from it."""
        layer = access.access_layer(user=request.user, layer_id=assignment_id, write=True)
        data = validated(s.SuggestionRejectSerializer, request.data)
        rejection = suggestion_reject(layer=layer, **data)
        kept = {
            "label": data["label"],
            "start": rejection.start,
            "end": rejection.end,
            "model_version": rejection.model_version_id,
        }
        return Response(s.SuggestionRejectSerializer(kept).data, status=status.HTTP_201_CREATED)


class SuggestionModelListApi(APIView):
    @extend_schema(responses=s.SuggestionModelSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        """The project's newest models, newest first, with their evaluation."""
        project = access.access_project(user=request.user, project_id=project_id, roles=access.REVIEWERS)
        models = suggestion_models_recent(project_id=project.pk)
        return Response(s.SuggestionModelSerializer(models, many=True).data)

    @extend_schema(request=None, responses={202: s.JobSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        """Train a model on the project's gold (else consensus), as a job."""
        project = access.access_project(user=request.user, project_id=project_id, roles=access.MANAGERS)
        return job_accepted(suggestions_train_start(project=project, user=cast(User, request.user)))

"""GET /api/v1/: where to start, as DRF's API root is. Links to the collections a script begins
with, to the OpenAPI schema and its documentation, and every endpoint as a URL template with its
path parameters in braces. Open to anyone: it names paths, never data."""

from __future__ import annotations

import re

from django.urls import URLPattern, reverse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


def endpoint_templates(patterns: list[URLPattern]) -> dict[str, str]:
    """Route name -> its path under /api/v1/, `<int:project_id>` written `{project_id}`."""
    root = reverse("api:root")
    return {
        str(pattern.name): root + _CONVERTER.sub(r"{\1}", str(pattern.pattern))
        for pattern in patterns
        if pattern.name and pattern.name != "root"
    }


class ApiRootApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses=inline_serializer(
            "ApiRoot",
            {
                "projects": serializers.URLField(),
                "token": serializers.URLField(help_text="POST a username and password for a token."),
                "tokens": serializers.URLField(),
                "schema": serializers.URLField(help_text="The OpenAPI schema of this API."),
                "docs": serializers.URLField(help_text="Its interactive documentation."),
                "endpoints": serializers.DictField(
                    child=serializers.CharField(), help_text="Every endpoint by name, as a URL template."
                ),
            },
        )
    )
    def get(self, request: Request) -> Response:
        from api.urls import urlpatterns

        def link(name: str) -> str:
            return request.build_absolute_uri(reverse(name))

        return Response(
            {
                "projects": link("api:projects"),
                "token": link("api:token"),
                "tokens": link("api:tokens"),
                "schema": link("schema"),
                "docs": link("api-docs"),
                "endpoints": endpoint_templates([p for p in urlpatterns if isinstance(p, URLPattern)]),
            }
        )

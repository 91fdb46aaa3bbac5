"""``GET /api/v1/``: every endpoint of the API, with its methods and what it does (read from the URLconf)."""

import re

from django.urls import URLPattern, get_resolver, get_urlconf, reverse
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

HTTP_METHODS = ["get", "post", "put", "patch", "delete"]


class EndpointOutput(serializers.Serializer):
    name = serializers.CharField(help_text="The URL name, e.g. 'sales-order-list'.")
    path = serializers.CharField(help_text="The path, parameters in braces: /api/v1/sync-runs/{id}/.")
    methods = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField(allow_blank=True)


class ApiRootOutput(serializers.Serializer):
    schema = serializers.CharField(help_text="The OpenAPI 3 schema.")
    docs = serializers.CharField(help_text="The interactive documentation (Swagger UI).")
    endpoints = EndpointOutput(many=True)


def _path(pattern: URLPattern, prefix: str) -> str:
    route = str(pattern.pattern)
    return prefix + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "{" + ("id" if m[1] == "pk" else m[1]) + "}", route)


def api_endpoints() -> list[dict]:
    """Every named route of the API's URLconf (the schema and docs included), in URLconf order.

    Read from the project's resolver at request time (the ``api`` namespace), so this view never imports the
    URLconf that routes to it.
    """
    prefix = reverse("api:root")
    _, api_resolver = get_resolver(get_urlconf()).namespace_dict["api"]
    endpoints = []
    for pattern in api_resolver.url_patterns:
        if not isinstance(pattern, URLPattern) or not pattern.name or pattern.name == "root":
            continue
        view = getattr(pattern.callback, "view_class", None) or getattr(pattern.callback, "cls", None)
        methods = [m.upper() for m in HTTP_METHODS if view is not None and hasattr(view, m)]
        doc = (view.__doc__ or "").strip().split("\n\n")[0] if view is not None else ""
        endpoints.append(
            {
                "name": pattern.name,
                "path": _path(pattern, prefix),
                "methods": methods,
                "description": " ".join(doc.split()),
            }
        )
    return endpoints


class ApiRootApi(APIView):
    """The list of every endpoint, the schema and the docs."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: ApiRootOutput})
    def get(self, request):
        body = {
            "schema": reverse("api:schema"),
            "docs": reverse("api:docs"),
            "endpoints": api_endpoints(),
        }
        return Response(ApiRootOutput(body).data)

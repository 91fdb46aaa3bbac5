"""One JSON error shape for every API failure.

``{"error": {"status": 400, "code": "invalid", "message": "...", "fields": {"month": ["..."]}}}``
Service errors that mean "the object is in the wrong state" become 409; unknown objects 404.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler


class StateConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The object is not in a state that allows this."


@csrf_exempt  # it writes nothing; a POST to an unknown URL is a JSON 404, not Django's HTML CSRF page
def api_not_found(request, *args, **kwargs):
    """JSON 404 for any unknown URL under the API prefix."""
    from django.http import JsonResponse

    message = "No such endpoint or object."
    return JsonResponse({"error": {"status": 404, "code": "not_found", "message": message}}, status=404)


def _flatten(detail):
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(item) for item in detail]
    return str(detail)


def api_exception_handler(exc, context):
    if isinstance(exc, ValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = exception_handler(exc, context)
    if response is None:
        return None
    # Errors are always JSON, even when the client asked for ?format=csv.
    request = context.get("request")
    if request is not None:
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
    body = {"status": response.status_code, "code": getattr(exc, "default_code", "error")}
    if isinstance(exc, exceptions.ValidationError):
        body["code"] = "invalid"
        body["message"] = "The request is not valid; see fields."
        detail = _flatten(exc.detail)
        body["fields"] = detail if isinstance(detail, dict) else {"non_field_errors": detail}
    else:
        detail = getattr(exc, "detail", "")
        body["message"] = str(detail)
        codes = exc.get_codes() if hasattr(exc, "get_codes") else None
        if isinstance(codes, str):
            body["code"] = codes
    return Response({"error": body}, status=response.status_code, headers=response.headers)

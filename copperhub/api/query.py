"""Query parameters are held to the OpenAPI schema: a value the schema does not allow is a 400 naming it.

Django-filter and DRF are lenient by design (``?attributed=null`` or ``?page_size=banana`` are silently
ignored, a repeated parameter keeps its last value, ``?rollback_of_id=30.0`` reads as 30), so a tool that
misspells a filter gets every row and believes it filtered. ``QueryParametersAsDocumented`` checks each query
parameter an operation documents against its schema (type, enum, bounds, pattern, date format) before the
view runs. The schema is generated once per process, the same one ``/api/v1/schema/`` serves, so the two can
never disagree. Parameters the schema does not name are left to the view.
"""

import datetime as dt
import functools
import math
import re

from rest_framework import permissions
from rest_framework.exceptions import ValidationError

_INTEGER = re.compile(r"-?[0-9]+")
_NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:[Zz]|[+-][0-9]{2}:?[0-9]{2})?"
)
_ROUTE_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


def schema_path(route: str) -> str:
    """A Django route (``api/v1/sync-runs/<int:pk>/``) as its OpenAPI path (``/api/v1/sync-runs/{id}/``)."""
    return "/" + _ROUTE_PARAMETER.sub(lambda m: "{" + ("id" if m[1] == "pk" else m[1]) + "}", route)


@functools.cache
def documented_query_parameters() -> dict[tuple[str, str], dict[str, dict]]:
    """``(path, METHOD) -> {parameter name: its schema}`` for every operation, from the generated schema."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema.get("components", {}).get("schemas", {})
    result = {}
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            result[(path, method.upper())] = {
                p["name"]: _resolve(p.get("schema", {}), components)
                for p in operation.get("parameters", [])
                if p.get("in") == "query"
            }
    return result


def _resolve(schema: dict, components: dict) -> dict:
    ref = schema.get("$ref", "")
    return components.get(ref.rsplit("/", 1)[-1], schema) if ref else schema


def query_value_problem(raw: str, schema: dict) -> str | None:
    """Why ``raw`` (a query string value) does not fit ``schema``, or None if it does."""
    kind = schema.get("type", "string")
    if "enum" in schema:
        allowed = [_as_text(choice) for choice in schema["enum"] if choice is not None]
        return None if raw in allowed else "Choose one of: " + ", ".join(repr(a) for a in allowed) + "."
    if kind == "boolean":
        return None if raw in ("true", "false") else "Enter true or false."
    if kind in ("integer", "number"):
        if not (_INTEGER if kind == "integer" else _NUMBER).fullmatch(raw):
            return "Enter a whole number." if kind == "integer" else "Enter a number."
        value = int(raw) if kind == "integer" else float(raw)
        if not math.isfinite(value):
            return "Enter a finite number."
        if "minimum" in schema and value < schema["minimum"]:
            return f"Enter a number of at least {schema['minimum']}."
        if "maximum" in schema and value > schema["maximum"]:
            return f"Enter a number of at most {schema['maximum']}."
        return None
    return _string_problem(raw, schema)


def _string_problem(raw: str, schema: dict) -> str | None:
    fmt = schema.get("format")
    if fmt == "date":
        try:
            if not _DATE.fullmatch(raw):
                raise ValueError
            dt.date.fromisoformat(raw)
        except ValueError:
            return "Enter a date as YYYY-MM-DD."
    elif fmt == "date-time" and not _DATE_TIME.fullmatch(raw):
        return "Enter a date and time in ISO 8601, e.g. 2026-01-31T08:00:00Z."
    pattern = schema.get("pattern")
    if pattern and not re.search(pattern, raw):
        return schema.get("x-pattern-message") or f"Enter a value matching {pattern}."
    if len(raw) < schema.get("minLength", 0):
        return "Enter a value."
    return None


def _as_text(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


class QueryParametersAsDocumented(permissions.BasePermission):
    """Refuses (400, naming each parameter) query values the operation's schema does not allow.

    A permission class so that it runs for every view, after authentication and the other permissions (an
    anonymous or unpermitted request is told that first). Each parameter is given once (the schema
    documents no array parameters).
    """

    def has_permission(self, request, view):
        match = getattr(request, "resolver_match", None)
        if match is None or getattr(view, "swagger_fake_view", False):
            return True
        documented = documented_query_parameters().get((schema_path(match.route), request.method))
        if not documented:
            return True
        problems = {}
        for name, schema in documented.items():
            values = request.query_params.getlist(name)
            if not values:
                continue
            if len(values) > 1:
                problems[name] = ["Give this parameter once."]
                continue
            problem = query_value_problem(values[0], schema)
            if problem:
                problems[name] = [problem]
        if problems:
            raise ValidationError(problems)
        return True

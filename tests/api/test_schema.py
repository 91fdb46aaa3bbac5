"""The OpenAPI schema generates cleanly, describes every endpoint, and the API honours it (schemathesis)."""

import json
from contextlib import contextmanager

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.urls import get_resolver
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from copperhub.api.models import ApiToken
from copperhub.wsgi import application
from tests.api.conftest import make_token


@contextmanager
def wsgi_schema():
    """The API schema bound to the WSGI app. Like Django's test client, requests keep the test's database
    connection (otherwise each request closes it, and on PostgreSQL the test loses its transaction)."""
    schema = schemathesis.openapi.from_dict(_schema_dict())
    schema.app = application
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schema
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _schema_dict() -> dict:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema, renderer_context={}))


def test_the_schema_generates_without_warnings(capsys):
    from drf_spectacular.drainage import GENERATOR_STATS

    GENERATOR_STATS.reset()
    schema = _schema_dict()
    validate_schema(schema)
    assert not GENERATOR_STATS, f"schema warnings/errors: {capsys.readouterr().err}"


def test_every_api_route_is_described_in_the_schema():
    paths = set(_schema_dict()["paths"])
    resolver = get_resolver()
    api_patterns = [p for p in resolver.url_patterns if str(p.pattern) == "api/v1/"][0]
    routes = {
        "/api/v1/" + str(p.pattern).replace("<int:", "{").replace(">", "}")
        for p in api_patterns.url_patterns
        if not str(p.pattern).startswith(("schema", "docs", "^"))
    }
    routes = {r.replace("{pk}", "{id}") for r in routes}
    assert routes <= paths, routes - paths


@pytest.mark.django_db
def test_the_api_never_answers_5xx_and_matches_its_schema(operator, world, monkeypatch):
    """Schemathesis generates requests for every operation (bounded examples) and validates each answer."""
    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: "t")
    headers = {"Authorization": f"Token {make_token(operator, read_only=False)}"}
    with wsgi_schema() as schema:
        operations = [result.ok() for result in schema.get_all_operations()]
        _check_operations(operations, headers)
    assert ApiToken.objects.exists()


def _check_operations(operations, headers) -> None:
    assert len(operations) >= 10

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=12,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=True,
        )
        def check(case):
            # Not positive_data_acceptance: a well-typed but meaningless cursor or id is rightly a 400.
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        check()

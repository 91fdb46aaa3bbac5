"""A small world for the metrics-push tests: definitions, companies, customers, orders, and a fake Copper.

``FakeCopper`` has the public methods of ``syncs.copper.CopperClient`` that the change-set services use, keeps
companies in memory with Copper's PUT semantics (custom fields merged by definition id) and records every call.
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from typing import Any

from copper.errors import CopperValidationError
from copper.models import CopperCompany, CustomFieldDefinition
from customers.models import FishbowlCustomer, SalesOrder, SalesOrderLine
from metrics.models import FieldMapping
from metrics.values import date_to_unix

Metric = FieldMapping.Metric
AS_OF = dt.date(2026, 6, 30)

# id, name, data type, options
DEFINITIONS = [
    (9001, "Account Order ID", "String", []),
    (9002, "Active Customer", "Checkbox", []),
    (9003, "Region", "Dropdown", [(1, "West"), (2, "East")]),
    (9010, "Total Orders", "Float", []),
    (9011, "Total Spent", "Currency", []),
    (9012, "First Order Date", "Date", []),
    (9013, "Last Order Date", "Date", []),
    (9014, "Top Products", "String", []),
    (9015, "Sample Kit Sent", "Dropdown", [(31, "Yes"), (32, "No")]),
    (9016, "Notes", "Text", []),
]
MAPPINGS = {
    Metric.TOTAL_ORDERS: "Total Orders",
    Metric.TOTAL_SPENT: "Total Spent",
    Metric.FIRST_ORDER_DATE: "First Order Date",
    Metric.LAST_ORDER_DATE: "Last Order Date",
    Metric.TOP_PRODUCTS: "Top Products",
    Metric.SAMPLE_KIT_SENT: "Sample Kit Sent",
}


def definitions_create() -> None:
    CustomFieldDefinition.objects.bulk_create(
        CustomFieldDefinition(
            copper_id=ident,
            name=name,
            data_type=data_type,
            options=[{"id": o, "name": n, "rank": i} for i, (o, n) in enumerate(options)],
            available_on=["company"],
        )
        for ident, name, data_type, options in DEFINITIONS
    )


def mappings_create(**overrides: str) -> None:
    for metric, field in {**MAPPINGS, **overrides}.items():
        FieldMapping.objects.create(metric=metric, copper_field=field)


def _copper_fields(**values: Any) -> list[dict[str, Any]]:
    """A company's custom_fields as Copper lists them: every definition, unset ones null/false."""
    by_name = {name: ident for ident, name, _t, _o in DEFINITIONS}
    defaults = {ident: (False if t == "Checkbox" else None) for ident, _n, t, _o in DEFINITIONS}
    for name, value in values.items():
        defaults[by_name[name]] = value
    return [{"custom_field_definition_id": k, "value": v} for k, v in defaults.items()]


def company_create(copper_id: int, name: str, number: str, **copper_values: Any) -> CopperCompany:
    fields = _copper_fields(**{"Account Order ID": number, "Active Customer": True, **copper_values})
    company = CopperCompany.objects.create(
        copper_id=copper_id,
        name=name,
        custom_fields=fields,
        account_order_id=number,
        account_number=number,
        is_active_customer=True,
    )
    FishbowlCustomer.objects.create(account_number=number, name=name, copper_company=company)
    return company


def order_create(number: str, account: str, day: dt.date, lines, status=SalesOrder.Status.FULFILLED):
    customer = FishbowlCustomer.objects.get(account_number=account)
    order = SalesOrder.objects.create(
        number=number, customer=customer, customer_account_number=account, status=status, date_issued=day
    )
    for i, (product, line_type, qty, total) in enumerate(lines, start=1):
        SalesOrderLine.objects.create(
            order=order,
            so_item_id=i,
            product_number=product,
            line_type=line_type,
            quantity_fulfilled=Decimal(qty),
            total_price=Decimal(total),
        )
    return order


def world_create() -> dict[str, CopperCompany]:
    """Three linked companies (Acme with orders, Birch with orders and stale Copper values, Cedar none)."""
    definitions_create()
    sale, ship, card = (SalesOrderLine.LineType.SALE, SalesOrderLine.LineType.SHIPPING, "cc_processing")
    acme = company_create(101, "Acme Farms", "1001")
    # Birch: Copper already holds Total Orders 2 (right) and an older Total Spent (will change).
    birch = company_create(
        102,
        "Birch Market",
        "1002",
        **{
            "Total Orders": 2.0,
            "Total Spent": 500.0,
            "Last Order Date": date_to_unix(dt.date(2026, 5, 1)),
            "Region": 2,
            "Notes": "keep me",
        },
    )
    cedar = company_create(103, "Cedar Co", "1003", **{"Total Spent": 75.0})
    order_create(
        "SO-1",
        "1001",
        dt.date(2025, 3, 1),
        [("OIL-1", sale, 10, "100.00"), ("SHIP", ship, 50, "15.00"), ("CC", card, 1, "3.00")],
    )
    order_create(
        "SO-2", "1001", dt.date(2026, 6, 1), [("OIL-2", sale, 4, "60.00"), ("OIL-1", sale, 2, "20.00")]
    )
    order_create("SO-3", "1001", dt.date(2026, 6, 2), [("SAMPLE-KIT", sale, 1, "0.00")])
    # Not a sale: an estimate never counts.
    order_create(
        "SO-4", "1001", dt.date(2026, 6, 3), [("OIL-9", sale, 99, "999.00")], SalesOrder.Status.ESTIMATE
    )
    order_create("SO-5", "1002", dt.date(2026, 4, 1), [("SOAP", sale, 5, "300.00")])
    order_create("SO-6", "1002", dt.date(2026, 5, 1), [("SOAP", sale, 5, "300.00")])
    return {"acme": acme, "birch": birch, "cedar": cedar}


class FakeCopper:
    """In-memory Copper: ``companies_by_ids``, ``company_update``, ``custom_field_definitions``; records calls."""

    def __init__(self, companies: list[CopperCompany]) -> None:
        self.companies = {
            c.copper_id: {"id": c.copper_id, "name": c.name, "custom_fields": copy.deepcopy(c.custom_fields)}
            for c in companies
        }
        self.reads: list[list[int]] = []
        self.puts: list[tuple[int, dict[str, Any]]] = []
        self.reject: dict[int, str] = {}

    def custom_field_definitions(self) -> list[dict[str, Any]]:
        return [
            {
                "id": d.copper_id,
                "name": d.name,
                "data_type": d.data_type,
                "options": d.options,
                "available_on": d.available_on,
            }
            for d in CustomFieldDefinition.objects.all()
        ]

    def companies_by_ids(self, ids, *, batch_size: int = 200):
        ids = list(ids)
        assert len(ids) <= 200
        self.reads.append(ids)
        for ident in ids:
            if ident in self.companies:
                yield copy.deepcopy(self.companies[ident])

    def company_update(self, company_id: int, body: dict[str, Any]) -> dict[str, Any]:
        self.puts.append((company_id, copy.deepcopy(body)))
        if company_id in self.reject:
            raise CopperValidationError(self.reject[company_id], status=422)
        record = self.companies[company_id]
        by_id = {e["custom_field_definition_id"]: e for e in record["custom_fields"]}
        for entry in body.get("custom_fields", []):
            by_id.setdefault(
                entry["custom_field_definition_id"],
                {"custom_field_definition_id": entry["custom_field_definition_id"]},
            )
            by_id[entry["custom_field_definition_id"]]["value"] = entry["value"]
        record["custom_fields"] = list(by_id.values())
        return copy.deepcopy(record)

    def value(self, company_id: int, name: str) -> Any:
        ident = next(i for i, n, _t, _o in DEFINITIONS if n == name)
        for entry in self.companies[company_id]["custom_fields"]:
            if entry["custom_field_definition_id"] == ident:
                return entry["value"]
        return None

    def edit(self, company_id: int, name: str, value: Any) -> None:
        """A person editing the company in Copper's UI."""
        ident = next(i for i, n, _t, _o in DEFINITIONS if n == name)
        for entry in self.companies[company_id]["custom_fields"]:
            if entry["custom_field_definition_id"] == ident:
                entry["value"] = value


def rollback_approved_and_applied(change_set, *, client: Any, asked_by, approved_by):
    """A rollback the two-person way: ``asked_by`` asks for it, ``approved_by`` approves and applies it."""
    from metrics.services.changesets import change_set_apply, change_set_approve, change_set_rollback_build

    rollback = change_set_rollback_build(change_set=change_set, user=asked_by)
    change_set_approve(change_set=rollback, user=approved_by)
    return change_set_apply(change_set=rollback, client=client, user=approved_by)


def pulled_companies_linked_and_mapped(*, linked: int, mapped: dict[str, str]) -> None:
    """The first ``linked`` pulled companies (by Copper id) each get a Fishbowl customer with 1-3 fulfilled
    orders of $93 lines, and every metric in ``mapped`` is mapped to its Copper field: the browser walks' world."""
    for i, company in enumerate(CopperCompany.objects.order_by("copper_id")[:linked]):
        customer = FishbowlCustomer.objects.create(
            account_number=f"W{i}", name=company.name, copper_company=company
        )
        for n in range(1 + i % 3):
            order = SalesOrder.objects.create(
                number=f"SO-{i}-{n}", customer=customer, status=60, date_issued=dt.date(2026, 3 + n, 1 + i)
            )
            SalesOrderLine.objects.create(
                order=order, so_item_id=1, product_number=f"CB-{n + 1}", quantity_fulfilled=3,
                total_price=Decimal("93.00"),
            )  # fmt: skip
    for metric, field in mapped.items():
        FieldMapping.objects.create(metric=metric, copper_field=field)

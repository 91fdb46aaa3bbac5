"""``syncs.bulk`` writes exactly the rows and history rows django-simple-history writes, for every model the
project writes in bulk (the Copper mirrors from the pull, customers from the sync, orders and lines from the
import). Both tables are read back raw (``SELECT *``), so a value stored differently (a decimal's text, a
date's format, JSON spacing) fails the comparison, not only a value read back differently."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from unittest.mock import patch

import pytest
from django.db import connection, models, transaction
from simple_history import utils as simple_history

from copper.models import CopperCompany, CopperUser, CustomFieldDefinition
from customers.models import FishbowlCustomer, SalesOrder, SalesOrderLine
from syncs.bulk import bulk_insert_with_history, bulk_update_with_history

T = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
REASON = "bench run #3"


@dataclass
class Case:
    model: type
    rows: list[dict]
    key: tuple[str, ...] = ()
    changes: dict | None = None  # what an update sets on every row


def _raw(model, *, serial_pk: str = "") -> list[dict]:
    """Every row of the table, as the database holds it. ``serial_pk``: a database-assigned id left out (after a
    rolled-back write PostgreSQL's sequences do not rewind, so two writes of the same rows get other ids)."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 (a model's own table name)
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        row.pop("history_id", None)  # the history table's own counter
        if serial_pk:
            row.pop(serial_pk, None)
    return sorted(rows, key=repr)


def _written(model, write) -> tuple[list[dict], list[dict]]:
    """The rows and history rows ``write`` leaves in the tables (then rolled back), with the clock at T."""
    savepoint = transaction.savepoint()
    with patch("django.utils.timezone.now", return_value=T):
        write()
    serial = model._meta.pk.attname if isinstance(model._meta.pk, models.AutoField) else ""
    found = _raw(model, serial_pk=serial), _raw(model.history.model, serial_pk=serial)
    transaction.savepoint_rollback(savepoint)
    return found


def _cases(user) -> list[Case]:
    CopperUser.objects.create(copper_id=1, name="Ann")
    CustomFieldDefinition.objects.create(copper_id=10, name="Region", data_type="Dropdown")
    company = CopperCompany.objects.create(copper_id=500, name="Linked Co")
    customer = FishbowlCustomer.objects.create(account_number="C-9", name="Cee")
    order = SalesOrder.objects.create(number="SO-9", status=20)
    return [
        Case(
            CopperUser,
            [
                {"copper_id": 2, "name": "Bo Lee", "email": "bo@example.com", "pulled_at": T},
                {"copper_id": 3, "name": "Cy", "email": "", "pulled_at": None},
            ],
            changes={"name": "Bo Lee-Smith"},
        ),
        Case(
            CustomFieldDefinition,
            [
                {
                    "copper_id": 11,
                    "name": "Tier",
                    "data_type": "Dropdown",
                    "pulled_at": T,
                    "options": [{"id": 1, "name": "Gold", "rank": 0}],
                    "available_on": ["company"],
                },
                {
                    "copper_id": 12,
                    "name": "Account Order ID",
                    "data_type": "String",
                    "pulled_at": T,
                    "options": [],
                    "available_on": ["company", "person"],
                },
            ],
            changes={"options": [{"id": 2, "name": "Sílver", "rank": 1}]},
        ),
        Case(
            CopperCompany,
            [
                {
                    "copper_id": 100,
                    "name": "Acme",
                    "assignee_id": 1,
                    "address": {"city": "Oslo", "zip": None},
                    "custom_fields": [{"custom_field_definition_id": 10, "value": "North"}],
                    "tags": ["vip"],
                    "account_number": "1001",
                    "is_active_customer": True,
                    "date_created": T - timedelta(days=3),
                    "date_modified": T - timedelta(microseconds=1),
                    "pulled_at": T,
                },
                {
                    "copper_id": 101,
                    "name": "Bee's",
                    "assignee_id": None,
                    "address": None,
                    "custom_fields": [],
                    "tags": [],
                    "account_number": "",
                    "is_active_customer": False,
                    "date_created": None,
                    "date_modified": None,
                    "pulled_at": T,
                },
            ],
            changes={"missing_from_copper_since": T, "tags": ["gone"]},
        ),
        Case(
            FishbowlCustomer,
            [
                {
                    "account_number": "A-1",
                    "name": "Acme",
                    "copper_company_id": company.pk,
                    "locked_fields": ["name"],
                    "is_active": True,
                    "fishbowl_id": 7,
                },
                {
                    "account_number": "A-2",
                    "name": "Bee",
                    "copper_company_id": None,
                    "locked_fields": [],
                    "is_active": False,
                    "fishbowl_id": None,
                },
            ],
            key=("account_number",),
            changes={"sales_rep": "jdoe", "copper_company_id": None, "updated_at": T + timedelta(hours=1)},
        ),
        Case(
            SalesOrder,
            [
                {
                    "number": "SO-1",
                    "status": 20,
                    "date_issued": date(2026, 1, 5),
                    "customer_id": customer.pk,
                    "customer_account_number": "C-9",
                    "fishbowl_id": 77,
                    "sales_person": "jd",
                },
                {
                    "number": "SO-2",
                    "status": 60,
                    "date_issued": None,
                    "customer_id": None,
                    "customer_account_number": "",
                    "fishbowl_id": None,
                    "sales_person": "",
                },
            ],
            key=("number",),
            changes={"status": 95, "date_issued": date(2025, 12, 31)},
        ),
        Case(
            SalesOrderLine,
            [
                {
                    "order_id": order.pk,
                    "so_item_id": 1,
                    "quantity_fulfilled": Decimal("2"),
                    "unit_price": Decimal("1.5"),
                    "total_price": Decimal("3.00"),
                    "total_cost": Decimal("0.1"),
                    "product_number": "P-1",
                    "description": "Widget, large",
                    "line_type": "sale",
                },
                {
                    "order_id": order.pk,
                    "so_item_id": 2,
                    "quantity_fulfilled": Decimal("0.3333"),
                    "unit_price": Decimal("-12.25"),
                    "total_price": Decimal("-4.08"),
                    "total_cost": Decimal("0"),
                    "product_number": "",
                    "description": "",
                    "line_type": "discount",
                },
            ],
            key=("order_id", "so_item_id"),
            changes={"total_price": Decimal("9.99"), "line_type": "shipping"},
        ),
    ]


CASES = [
    "CopperUser",
    "CustomFieldDefinition",
    "CopperCompany",
    "FishbowlCustomer",
    "SalesOrder",
    "SalesOrderLine",
]


def _case(name: str, user) -> Case:
    return next(case for case in _cases(user) if case.model.__name__ == name)


@pytest.mark.parametrize("name", CASES)
def test_inserted_rows_and_history_equal_what_bulk_create_with_history_writes(name, staff_user):
    case = _case(name, staff_user)
    model = case.model

    def ours():
        lookup = model.objects.all() if len(case.key) > 1 else None
        bulk_insert_with_history(
            model=model,
            rows=case.rows,
            key=case.key,
            lookup=lookup,
            history_user=staff_user,
            change_reason=REASON,
            history_date=T,
        )

    def theirs():
        simple_history.bulk_create_with_history(
            [model(**row) for row in case.rows],
            model,
            default_user=staff_user,
            default_change_reason=REASON,
            default_date=T,
        )

    serial = model._meta.pk.attname if isinstance(model._meta.pk, models.AutoField) else ""
    before = _raw(model, serial_pk=serial), _raw(model.history.model, serial_pk=serial)
    mine, reference = _written(model, ours), _written(model, theirs)
    assert mine == reference
    rows, history = mine
    assert len(rows) == len(before[0]) + len(case.rows)
    added = [h for h in history if h not in before[1]]
    assert [(h["history_type"], h["history_change_reason"], h["history_user_id"]) for h in added] == [
        ("+", REASON, staff_user.pk)
    ] * len(case.rows)


@pytest.mark.parametrize("name", CASES)
def test_updated_rows_and_history_equal_what_bulk_update_with_history_writes(name, staff_user):
    case = _case(name, staff_user)
    model = case.model
    simple_history.bulk_create_with_history(
        [model(**row) for row in case.rows], model, default_user=staff_user, default_change_reason="seed"
    )
    keys = [tuple(row[k] for k in case.key) if case.key else row[model._meta.pk.attname] for row in case.rows]
    fields = sorted(case.changes)

    def changed():
        instances = [
            model.objects.get(**(dict(zip(case.key, key, strict=True)) if case.key else {"pk": key}))
            for key in keys
        ]
        for instance in instances:
            for name_, value in case.changes.items():
                setattr(instance, name_, value)
        return instances

    def ours():
        bulk_update_with_history(
            model=model,
            rows=changed(),
            fields=fields,
            history_user=staff_user,
            change_reason=REASON,
            history_date=T,
        )

    def theirs():
        simple_history.bulk_update_with_history(
            changed(), model, fields, default_user=staff_user, default_change_reason=REASON, default_date=T
        )

    mine, reference = _written(model, ours), _written(model, theirs)
    assert mine == reference
    updates = [h for h in mine[1] if h["history_change_reason"] == REASON]
    assert [h["history_type"] for h in updates] == ["~"] * len(case.rows)


def test_instances_get_the_primary_keys_read_back_by_their_unique_key(staff_user):
    customers = [FishbowlCustomer(account_number=f"N-{i}", name=f"New {i}") for i in range(3)]
    pks = bulk_insert_with_history(
        model=FishbowlCustomer,
        rows=customers,
        key=("account_number",),
        history_user=staff_user,
        change_reason=REASON,
        history_date=T,
    )
    assert [c.pk for c in customers] == [pks[f"N-{i}"] for i in range(3)]
    assert [c.pk for c in customers] == list(
        FishbowlCustomer.objects.order_by("account_number").values_list("pk", flat=True)
    )
    assert list(FishbowlCustomer.history.order_by("account_number").values_list("id", "history_user_id")) == [
        (c.pk, staff_user.pk) for c in customers
    ]


def test_a_row_missing_a_value_is_refused_with_its_number_and_field_and_nothing_is_written(staff_user):
    rows = [{"copper_id": 1, "name": "Ann"}, {"copper_id": 2}]
    with pytest.raises(ValueError, match=r"CopperUser row 2 has no value for 'name'"):
        bulk_insert_with_history(
            model=CopperUser, rows=rows, history_user=staff_user, change_reason=REASON, history_date=T
        )
    assert not CopperUser.objects.exists()
    assert not CopperUser.history.exists()


def test_a_dry_run_writes_the_rows_without_history(staff_user):
    bulk_insert_with_history(
        model=SalesOrder,
        rows=[{"number": "SO-1", "status": 20}],
        key=("number",),
        history_user=staff_user,
        change_reason=REASON,
        history_date=T,
        history=False,
    )
    assert SalesOrder.objects.get().imported_at == T
    assert not SalesOrder.history.exists()

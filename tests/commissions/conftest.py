"""Crafted order histories for the commission rules."""

from datetime import date
from decimal import Decimal
from itertools import count

import pytest

from commissions.models import SalesRep, Title
from customers.models import FishbowlCustomer, SalesOrder, SalesOrderLine

_numbers = count(1)


def customer(number: str = "", account_type: str = "wholesale", **extra) -> FishbowlCustomer:
    number = number or f"C{next(_numbers)}"
    return FishbowlCustomer.objects.create(
        account_number=number, name=f"Customer {number}", account_type=account_type, **extra
    )


def order(
    customer: FishbowlCustomer | None,
    issued: date,
    sales_person: str = "jane",
    lines: list[tuple] | None = None,
    status: int = SalesOrder.Status.FULFILLED,
    **extra,
) -> SalesOrder:
    """An order with ``lines`` of (line_type, quantity_fulfilled, total_price[, product_number])."""
    number = extra.pop("number", f"SO{next(_numbers)}")
    so = SalesOrder.objects.create(
        number=number,
        customer=customer,
        customer_account_number=customer.account_number if customer else extra.pop("account", "X-404"),
        status=status,
        date_issued=issued,
        sales_person=sales_person,
        **extra,
    )
    for item, line in enumerate(lines if lines is not None else [("sale", 1, "1000.00")], start=1):
        line_type, quantity, total, *product = line
        SalesOrderLine.objects.create(
            order=so,
            so_item_id=item,
            line_type=line_type,
            quantity_fulfilled=Decimal(str(quantity)),
            total_price=Decimal(str(total)),
            product_number=product[0] if product else f"P{item}",
        )
    return so


@pytest.fixture
def reps(db):
    return {
        "jane": SalesRep.objects.create(
            fishbowl_username="jane", name="Jane Doe", title=Title.ACCOUNT_EXECUTIVE
        ),
        "bob": SalesRep.objects.create(
            fishbowl_username="Bob", name="Bob Roe", title=Title.ACCOUNT_EXECUTIVE
        ),
    }

"""Database constraints hold even when a form is bypassed."""

import pytest
from django.db import IntegrityError, transaction

from customers.models import FishbowlCustomer, SalesOrder, SalesOrderLine

pytestmark = pytest.mark.django_db


def test_two_customers_cannot_share_an_account_number():
    FishbowlCustomer.objects.create(account_number="1160", name="Acme")
    with pytest.raises(IntegrityError), transaction.atomic():
        FishbowlCustomer.objects.create(account_number="1160", name="Acme again")


def test_a_customer_without_an_account_number_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        FishbowlCustomer.objects.create(account_number="", name="Nobody")


def test_an_account_type_outside_the_choices_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        FishbowlCustomer.objects.create(account_number="7", name="Odd", account_type="Retail-ish")


def test_a_new_customer_account_type_is_unknown_not_retail():
    customer = FishbowlCustomer.objects.create(account_number="8", name="New")
    assert customer.account_type == FishbowlCustomer.AccountType.UNKNOWN


def test_an_so_item_id_may_repeat_across_orders_but_not_within_one():
    first = SalesOrder.objects.create(number="SO-1", status=SalesOrder.Status.FULFILLED)
    second = SalesOrder.objects.create(number="SO-2", status=SalesOrder.Status.FULFILLED)
    SalesOrderLine.objects.create(order=first, so_item_id=1)
    SalesOrderLine.objects.create(order=second, so_item_id=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        SalesOrderLine.objects.create(order=first, so_item_id=1)


def test_an_order_status_fishbowl_does_not_have_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        SalesOrder.objects.create(number="SO-3", status=42)

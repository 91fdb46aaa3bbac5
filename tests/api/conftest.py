"""API test fixtures: tokens (read-only and read-write) and a small mirrored world."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from rest_framework.test import APIClient

from copper.models import CopperCompany, CopperUser
from copperhub.api.models import ApiToken, api_token_hash
from customers.models import FishbowlCustomer, SalesOrder, SalesOrderLine


def make_token(user, *, read_only: bool) -> str:
    """A token the user created for themself; returns its key."""
    key = ApiToken.generate_key()
    ApiToken.objects.create(
        name="tool",
        user=user,
        created_by=user,
        key_hash=api_token_hash(key),
        key_prefix=key[:8],
        read_only=read_only,
    )
    return key


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def nobody(db):
    """A plain user (not staff) with no permissions at all."""
    return get_user_model().objects.create_user("nobody", password="nobody-password")


@pytest.fixture
def reporter(db):
    """A reporting tool's account: a plain user in the "Reporting" group (every API read, no write)."""
    user = get_user_model().objects.create_user("reporter", password="reporter-password")
    user.groups.add(Group.objects.get(name="Reporting"))
    return user


@pytest.fixture
def operator(db):
    """A user allowed to start sync runs (and, through the "Reporting" group, to read their progress)."""
    user = get_user_model().objects.create_user("operator", password="operator-password")
    user.user_permissions.add(Permission.objects.get(codename="start_syncrun"))
    user.groups.add(Group.objects.get(name="Reporting"))
    return user


@pytest.fixture
def world(db):
    rep = CopperUser.objects.create(copper_id=1, name="Rita Rep", email="rita@example.com")
    companies = [
        CopperCompany.objects.create(
            copper_id=100 + i,
            name=f"Company {i:02d}",
            assignee=rep,
            account_order_id=str(1000 + i),
            account_number=str(1000 + i),
            is_active_customer=i % 5 != 0,
            account_type="Wholesale",
        )
        for i in range(25)
    ]
    customers = [
        FishbowlCustomer.objects.create(
            account_number=str(1000 + i),
            name=f"Company {i:02d}",
            account_type="wholesale",
            copper_company=companies[i],
        )
        for i in range(10)
    ]
    for i in range(30):
        order = SalesOrder.objects.create(
            number=f"SO-{i:03d}",
            status=SalesOrder.Status.FULFILLED,
            customer=customers[i % 10] if i % 6 else None,
            customer_account_number=str(1000 + i % 10),
            date_issued=dt.date(2026, 1, 1) + dt.timedelta(days=i),
            sales_person="rita",
        )
        SalesOrderLine.objects.create(
            order=order, so_item_id=1, total_price=Decimal("100.00"), quantity_fulfilled=1
        )
        SalesOrderLine.objects.create(
            order=order, so_item_id=2, total_price=Decimal("0"), line_type="shipping"
        )
    return {"companies": companies, "customers": customers}

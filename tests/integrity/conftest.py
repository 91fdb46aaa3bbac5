"""Crafted worlds for the integrity checks: Copper companies, Fishbowl customers, orders and sync runs."""

import itertools

import pytest
from django.utils import timezone

from copper.models import CopperCompany, CopperUser
from customers.models import FishbowlCustomer, SalesOrder
from syncs.models import SyncRun

_ids = itertools.count(1000)


def company(name, number="", *, active=True, account_type="", missing=False, assignee=None) -> CopperCompany:
    return CopperCompany.objects.create(
        copper_id=next(_ids),
        name=name,
        account_order_id=number,
        account_number=number,
        is_active_customer=active,
        account_type=account_type,
        assignee=assignee,
        missing_from_copper_since=timezone.now() if missing else None,
    )


def customer(
    number, name="", *, account_type="retail", rep="Ann Rep", linked_to=None, active=True
) -> FishbowlCustomer:
    return FishbowlCustomer.objects.create(
        account_number=number,
        name=name or f"Customer {number}",
        account_type=account_type,
        sales_rep=rep,
        copper_company=linked_to,
        is_active=active,
    )


def order(number, *, customer=None, account_number="") -> SalesOrder:
    return SalesOrder.objects.create(
        number=number,
        customer=customer,
        customer_account_number=account_number or (customer.account_number if customer else ""),
        status=SalesOrder.Status.FULFILLED,
    )


def succeeded_run(kind, *, hours_ago=1.0) -> SyncRun:
    finished = timezone.now() - timezone.timedelta(hours=hours_ago)
    return SyncRun.objects.create(kind=kind, status=SyncRun.Status.SUCCEEDED, finished_at=finished)


@pytest.fixture
def rep(db):
    return CopperUser.objects.create(copper_id=1, name="Ann Rep", email="ann@example.com")


@pytest.fixture
def fresh_syncs(db):
    """Recent successful pull and customer sync, so staleness stays quiet."""
    return [succeeded_run(SyncRun.Kind.COPPER_PULL), succeeded_run(SyncRun.Kind.CUSTOMER_SYNC)]


@pytest.fixture
def alert_settings(settings):
    settings.INTEGRITY_ALERT_EMAILS = ["ops@example.com"]
    settings.INTEGRITY_ALERT_WEBHOOK_URL = ""
    settings.SITE_URL = "https://copperhub.example.com"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return settings

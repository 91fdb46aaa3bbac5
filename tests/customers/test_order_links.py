"""Orders imported before their customer existed are linked to it by the customer sync."""

import datetime as dt

import pytest

from copper.models import CopperCompany
from customers.models import FishbowlCustomer, SalesOrder
from customers.services.sync import customer_sync
from syncs.models import SyncRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def orphan_order():
    CopperCompany.objects.create(
        copper_id=1, name="Bean Bar", account_order_id="1,160", account_number="1160", is_active_customer=True
    )
    return SalesOrder.objects.create(
        number="SO-1",
        status=SalesOrder.Status.FULFILLED,
        customer_account_number="1160",
        date_issued=dt.date(2026, 1, 5),
    )


def test_an_order_waiting_for_its_customer_is_linked_when_the_sync_creates_it(orphan_order):
    run = SyncRun.objects.create(kind=SyncRun.Kind.CUSTOMER_SYNC, status=SyncRun.Status.RUNNING)
    customer_sync(apply=True, run=run)
    orphan_order.refresh_from_db()
    assert orphan_order.customer == FishbowlCustomer.objects.get(account_number="1160")
    assert orphan_order.history.first().history_change_reason == f"customer sync run #{run.pk}"


def test_a_dry_run_links_no_order(orphan_order):
    customer_sync(apply=False)
    orphan_order.refresh_from_db()
    assert orphan_order.customer is None


def test_a_second_sync_writes_no_order_history(orphan_order):
    customer_sync(apply=True)
    versions = orphan_order.history.count()
    customer_sync(apply=True)
    assert orphan_order.history.count() == versions


def test_an_order_for_a_number_nobody_has_stays_unlinked():
    order = SalesOrder.objects.create(
        number="SO-9", status=SalesOrder.Status.FULFILLED, customer_account_number="777"
    )
    customer_sync(apply=True)
    order.refresh_from_db()
    assert order.customer is None

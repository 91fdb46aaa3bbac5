"""Commissions: the month offered first has orders, and a finished calculation opens its month's report."""

import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from commissions.selectors import commission_month_default
from syncs.models import SyncRun
from tests.commissions.conftest import customer, order

pytestmark = pytest.mark.django_db


def test_the_default_month_is_the_latest_past_month_with_orders_not_an_empty_last_month():
    acme = customer()
    order(acme, date(2026, 1, 14))
    order(acme, date(2025, 11, 3))
    # Today is in March: February has no orders, so January is offered (not a month with "0 orders").
    assert commission_month_default(today=date(2026, 3, 10)) == date(2026, 1, 1)


def test_the_default_month_skips_orders_the_calculation_does_not_count():
    acme = customer()
    order(acme, date(2026, 2, 2), status=10)  # an estimate: not counted
    order(acme, date(2025, 12, 2))
    assert commission_month_default(today=date(2026, 3, 10)) == date(2025, 12, 1)


def test_with_no_orders_the_default_month_is_last_month():
    assert commission_month_default(today=date(2026, 3, 10)) == date(2026, 2, 1)


def test_the_dashboards_commission_button_offers_the_month_with_orders(client, staff_user):
    acme = customer()
    today = timezone.localdate()
    month = date(today.year - 1, today.month, 1)
    order(acme, month.replace(day=5))
    client.force_login(staff_user)
    page = client.get(reverse("admin:syncs_syncrun_dashboard")).content.decode()
    assert f'name="month" value="{month:%Y-%m}"' in page


def test_a_finished_calculation_opens_the_report_for_its_month(client, staff_user):
    run = SyncRun.objects.create(
        kind=SyncRun.Kind.COMMISSIONS,
        status=SyncRun.Status.SUCCEEDED,
        finished_at=timezone.now(),
        options={"month": "2026-01"},
        created=40,
        counts={"reason_paid": 30, "reason_house_account": 10},
    )
    client.force_login(staff_user)
    page = client.get(reverse("admin:syncs_syncrun_progress", args=[run.pk])).content.decode()
    report = f"{reverse('admin:commissions_commissionline_report')}?month=2026-01"
    assert f'href="{report}">Open the report for January 2026</a>' in page
    assert "Month: January 2026" in page
    labels = re.findall(r'<span class="sync-label">([^<]*)</span>', page)
    assert "Lines paid" in labels and "Not paid: house account" in labels
    assert not [label for label in labels if "_" in label]

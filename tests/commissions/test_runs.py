"""The calculation as a sync run (admin button, command): progress, outcome, and a bad month refused."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from commissions.models import CommissionLine
from commissions.services import commission_calculate_start
from syncs.models import SyncRun
from syncs.services.runs import sync_run_execute

from .conftest import customer, order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: "task")


def test_a_run_calculates_the_month_in_its_options_and_reports_progress(reps, staff_user):
    order(customer(), date(2026, 1, 5))
    order(None, date(2026, 1, 6))
    run = commission_calculate_start(month="2026-01", user=staff_user)
    assert run.options == {"month": "2026-01"}
    run = sync_run_execute(run_id=run.pk)
    assert run.status == SyncRun.Status.SUCCEEDED
    assert (run.total, run.processed, run.created) == (2, 2, 2)
    assert run.counts["reason_unknown_customer"] == 1
    assert "1 unattributed" in run.message
    assert run.log_entries.get().code == "unknown_customer"
    assert set(CommissionLine.objects.values_list("run", flat=True)) == {run.pk}


def test_a_run_with_a_bad_month_fails_with_the_reason():
    run = SyncRun.objects.create(kind=SyncRun.Kind.COMMISSIONS, options={"month": "2026-1x"})
    run = sync_run_execute(run_id=run.pk)
    assert run.status == SyncRun.Status.FAILED
    assert "YYYY-MM" in run.message


def test_the_command_prints_the_per_rep_summary_and_unattributed_total(reps):
    order(customer(), date(2026, 1, 5), sales_person="jane")
    order(customer(account_type="unknown"), date(2026, 1, 6), lines=[("sale", 1, "250")])
    out = StringIO()
    call_command("commissions_calculate", "--month", "2026-01", stdout=out)
    text = out.getvalue()
    assert "Jane Doe" in text and "80.00" in text
    assert "Unattributed: 1 orders, revenue 250.00" in text
    assert "Customer account type unknown: 1 orders" in text
    assert SyncRun.objects.get().status == SyncRun.Status.SUCCEEDED


def test_the_command_can_be_limited_to_one_sales_person(reps):
    order(customer(), date(2026, 1, 5), sales_person="jane")
    order(customer(), date(2026, 1, 6), sales_person="bob")
    call_command("commissions_calculate", "--month", "2026-01", "--sales-person", "bob", stdout=StringIO())
    assert list(CommissionLine.objects.values_list("sales_person", flat=True)) == ["bob"]


def test_the_command_refuses_a_bad_month_clearly():
    with pytest.raises(CommandError, match="Month must look like YYYY-MM"):
        call_command("commissions_calculate", "--month", "Jan 2026", stdout=StringIO())
    assert not SyncRun.objects.exists()

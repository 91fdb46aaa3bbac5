"""``manage.py sync_customers``: a dry run by default, ``--apply`` writes; each is a recorded run."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from copper.models import CopperCompany
from customers.models import FishbowlCustomer
from syncs.models import SyncRun

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr("syncs.queue.async_task", lambda *args, **kwargs: "task")


def company(copper_id, number, name, **fields):
    return CopperCompany.objects.create(
        copper_id=copper_id,
        name=name,
        account_order_id=number,
        account_number=number,
        is_active_customer=True,
        account_type="Wholesale",
        **fields,
    )


def run_command(*args):
    out = StringIO()
    call_command("sync_customers", *args, stdout=out)
    return out.getvalue()


def test_by_default_it_shows_what_it_would_do_and_writes_nothing():
    acme = company(1, "5001", "Acme New")
    company(2, "5002", "Fresh Co")
    company(3, "5003", "Twin A")
    company(4, "5003", "Twin B")
    FishbowlCustomer.objects.create(account_number="5001", name="Acme Old", copper_company=acme)

    out = run_command()

    assert "dry run, nothing written" in out
    assert "Would create (1):" in out and "Fresh Co" in out
    assert "Would update (1):" in out and "'Acme Old' → 'Acme New'" in out
    assert "[duplicate_account_number]" in out and "Twin A" in out and "Twin B" in out
    assert FishbowlCustomer.objects.count() == 1
    assert FishbowlCustomer.objects.get().name == "Acme Old"
    assert SyncRun.objects.get().options == {"apply": False}


def test_with_apply_it_writes_with_history_naming_the_run_and_a_rerun_changes_nothing():
    company(5, "6001", "Acme")
    out = run_command("--apply")
    run = SyncRun.objects.get()
    assert f"run #{run.pk} (applied)" in out and "Created (1):" in out
    assert (
        FishbowlCustomer.objects.get().history.get().history_change_reason == f"customer sync run #{run.pk}"
    )

    again = run_command("--apply")
    assert "Created (0):" in again and "Updated (0):" in again


def test_a_failed_run_exits_with_an_error(monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("customers.services.sync.customer_sync", broken)
    with pytest.raises(CommandError, match="database went away"):
        run_command("--apply")

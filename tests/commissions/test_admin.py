"""The commissions admin: report page, Calculate button, CSV export, and the editing rules people rely on."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from commissions.models import CommissionOverride, CommissionRate, CommissionSettings
from commissions.services import commission_calculate
from syncs.models import SyncRun

from .conftest import customer, order

pytestmark = pytest.mark.django_db


@pytest.fixture
def month_calculated(reps):
    order(customer(), date(2026, 1, 5), sales_person="jane", number="SO-PAID")
    order(None, date(2026, 1, 6), lines=[("sale", 1, "432.10")], number="SO-LOST", account="X-9")
    commission_calculate(month="2026-01")


def test_the_report_shows_the_per_rep_summary_and_the_unattributed_orders_with_revenue(
    client, staff_user, month_calculated
):
    client.force_login(staff_user)
    response = client.get(reverse("admin:commissions_commissionline_report"), {"month": "2026-01"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Jane Doe" in page and "80.00" in page
    assert "SO-LOST" in page and "432.10" in page and "Unknown customer" in page
    # The rep's name links to that rep's lines of the month.
    query = f"month__exact=2026-01-01&rep__id__exact={response.context['reps'][0]['rep_id']}"
    assert query in page
    lines = client.get(reverse("admin:commissions_commissionline_changelist") + "?" + query)
    # Her order with an unknown customer is listed under her too (unpaid), so she can chase it.
    assert "SO-PAID" in lines.content.decode() and "SO-LOST" in lines.content.decode()
    assert [(r["orders"], r["paid_orders"]) for r in response.context["reps"]] == [(1, 1)]


def test_calculate_queues_a_run_for_the_month_and_shows_its_progress(client, staff_user, monkeypatch):
    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: "task")
    client.force_login(staff_user)
    response = client.post(reverse("admin:commissions_calculate"), {"month": "2026-02"})
    run = SyncRun.objects.get()
    assert (run.kind, run.options, run.started_by) == (
        SyncRun.Kind.COMMISSIONS,
        {"month": "2026-02"},
        staff_user,
    )
    assert response.status_code == 302
    assert f"/{run.pk}/" in response["Location"]


def test_calculate_with_a_bad_month_says_so_and_starts_nothing(client, staff_user):
    client.force_login(staff_user)
    response = client.post(reverse("admin:commissions_calculate"), {"month": "2026-14"}, follow=True)
    assert "Month must look like YYYY-MM" in response.content.decode()
    assert not SyncRun.objects.exists()


def test_calculate_needs_the_permission(client, db):
    viewer = get_user_model().objects.create_user("viewer", password="x", is_staff=True)
    client.force_login(viewer)
    assert client.post(reverse("admin:commissions_calculate"), {"month": "2026-01"}).status_code == 403
    assert not SyncRun.objects.exists()


def test_the_csv_export_has_one_row_per_order_with_its_reason(client, staff_user, month_calculated):
    client.force_login(staff_user)
    response = client.get(reverse("admin:commissions_commissionline_export"), {"month": "2026-01"})
    assert response["Content-Disposition"] == 'attachment; filename="commissions-2026-01.csv"'
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    by_order = {row["order"]: row for row in rows}
    assert set(by_order) == {"SO-PAID", "SO-LOST"}
    assert (by_order["SO-PAID"]["amount"], by_order["SO-PAID"]["rep"], by_order["SO-PAID"]["reason"]) == (
        "80.00",
        "Jane Doe",
        "",
    )
    assert (
        by_order["SO-LOST"]["attributed"],
        by_order["SO-LOST"]["reason"],
        by_order["SO-LOST"]["revenue"],
    ) == (
        "no",
        "Unknown customer",
        "432.10",
    )


def test_an_override_cannot_be_saved_without_a_reason(client, staff_user, reps):
    so = order(customer(), date(2026, 1, 5))
    client.force_login(staff_user)
    url = reverse("admin:commissions_commissionoverride_add")
    response = client.post(url, {"order": so.pk, "amount": "50", "reason": ""})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    client.post(url, {"order": so.pk, "amount": "50", "reason": "Agreed split"})
    saved = CommissionOverride.objects.get()
    assert (saved.amount, saved.created_by) == (Decimal("50"), staff_user)


def test_rates_are_edited_in_the_list(client, staff_user):
    client.force_login(staff_user)
    response = client.get(reverse("admin:commissions_commissionrate_changelist"))
    assert response.status_code == 200
    assert "form-0-rate" in response.content.decode()
    assert (
        CommissionRate.objects.get(title="account_executive", segment="retail", customer_status="new").rate
        == 0
    )


def test_the_settings_list_opens_the_single_settings_row(client, staff_user):
    client.force_login(staff_user)
    response = client.get(reverse("admin:commissions_commissionsettings_changelist"))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:commissions_commissionsettings_change", args=[1])
    assert CommissionSettings.objects.get().house_accounts == ["admin"]


def test_the_lines_list_filters_by_month_and_reason(client, staff_user, month_calculated):
    client.force_login(staff_user)
    response = client.get(
        reverse("admin:commissions_commissionline_changelist"), {"reason": "unknown_customer"}
    )
    page = response.content.decode()
    assert "SO-LOST" in page and "SO-PAID" not in page


def test_an_override_needs_exactly_one_of_rate_or_amount(client, staff_user, reps):
    so = order(customer(), date(2026, 1, 5))
    client.force_login(staff_user)
    url = reverse("admin:commissions_commissionoverride_add")
    for data in ({}, {"rate": "0.1", "amount": "5"}):
        response = client.post(url, {"order": so.pk, "reason": "Deal", **data})
        assert "Give either a rate or an amount" in response.content.decode()
    response = client.post(url, {"order": so.pk, "reason": "Deal", "rate": "1.5"})
    assert "The rate is a fraction between 0 and 1" in response.content.decode()
    assert not CommissionOverride.objects.exists()


def test_settings_refuse_status_codes_that_do_not_exist(client, staff_user):
    client.force_login(staff_user)
    url = reverse("admin:commissions_commissionsettings_change", args=[1])
    data = {
        "exclude_shipping": "on",
        "house_accounts": '["admin", "webshop"]',
        "counted_statuses": "[20, 99]",
        "months_new": "6",
        "months_established": "12",
        "months_revived": "12",
    }
    response = client.post(url, data)
    assert "A non-empty list of status codes" in response.content.decode()
    client.post(url, {**data, "counted_statuses": "[20, 60]"})
    saved = CommissionSettings.objects.get()
    assert (saved.counted_statuses, saved.house_accounts, saved.exclude_cc_processing) == (
        [20, 60],
        ["admin", "webshop"],
        False,
    )


def test_the_report_and_the_rep_list_show_titles_as_words(client, staff_user, reps, month_calculated):
    reps["jane"].title = "sales_manager"
    reps["jane"].save()
    client.force_login(staff_user)
    report = client.get(reverse("admin:commissions_commissionline_report"), {"month": "2026-01"})
    page = report.content.decode()
    assert "<td>Sales manager</td>" in page and "sales_manager</td>" not in page
    listing = client.get(reverse("admin:commissions_salesrep_changelist")).content.decode()
    assert ">Sales manager</option>" in listing or "<td>Sales manager</td>" in listing

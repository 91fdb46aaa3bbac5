"""Alerts and check states read by their checks' titles, never by the checks' internal names."""

import pytest
from django.urls import reverse

from integrity.checks import CHECKS
from integrity.models import Alert, CheckState, State

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


def test_the_alert_list_and_page_name_the_check_by_its_title(admin_client):
    title = CHECKS["customer_gap"].title
    alert = Alert.objects.create(
        check_name="customer_gap", title="", from_state=State.OK, to_state=State.CRITICAL, count=2
    )
    listing = admin_client.get(reverse("admin:integrity_alert_changelist")).content.decode()
    assert title in listing
    assert "customer_gap" not in listing.replace("check_name=customer_gap", "")  # only in the filter's link
    page = admin_client.get(reverse("admin:integrity_alert_change", args=[alert.pk])).content.decode()
    assert title in page and "customer_gap" not in page
    assert (
        str(alert) == "Customer gap: OK → Critical"
    )  # a removed title falls back to words, states as labels


def test_the_alert_filter_lists_checks_by_title(admin_client):
    Alert.objects.create(check_name="sales_reps", from_state=State.OK, to_state=State.WARNING)
    listing = admin_client.get(reverse("admin:integrity_alert_changelist"), {"check_name": "sales_reps"})
    html = listing.content.decode()
    assert CHECKS["sales_reps"].title in html
    assert list(listing.context["cl"].queryset.values_list("check_name", flat=True)) == ["sales_reps"]


def test_the_check_states_list_shows_titles(admin_client):
    CheckState.objects.create(check_name="staleness", state=State.WARNING)
    html = admin_client.get(reverse("admin:integrity_checkstate_changelist")).content.decode()
    assert CHECKS["staleness"].title in html

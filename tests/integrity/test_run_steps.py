"""An integrity run leads to its findings; alerts stay in the admin (they cannot be deleted)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from integrity.models import Alert, CheckResultRecord, IntegrityReport
from syncs.models import SyncRun

pytestmark = pytest.mark.django_db


def test_an_integrity_run_offers_its_findings_and_each_check_that_is_not_ok(client, staff_user):
    run = SyncRun.objects.create(
        kind=SyncRun.Kind.INTEGRITY,
        status=SyncRun.Status.SUCCEEDED,
        finished_at=timezone.now(),
        options={"trigger": "on_demand"},
        counts={"alerts": 1},
    )
    report = IntegrityReport.objects.create(run=run, state="critical")
    CheckResultRecord.objects.create(
        report=report,
        check_name="orders_unattributed",
        title="Orders outside commissions",
        state="critical",
        count=12,
    )
    CheckResultRecord.objects.create(
        report=report, check_name="fine", title="Fine check", state="ok", count=0
    )
    client.force_login(staff_user)
    page = client.get(reverse("admin:syncs_syncrun_progress", args=[run.pk])).content.decode()
    findings = reverse("admin:integrity_integrityreport_change", args=[report.pk])
    assert f'href="{findings}">See the findings (overall Critical)</a>' in page
    detail = reverse("admin:integrity_check_detail", args=["orders_unattributed"])
    assert f'href="{detail}?report={report.pk}">Orders outside commissions: 12</a>' in page
    assert "Fine check" not in page
    assert "Started by hand" in page and "Alerts raised" in page
    # An integrity run creates nothing: no row of zero "Created / Updated" boxes.
    assert 'data-count="created"' not in page


def test_alerts_cannot_be_deleted_from_the_admin(client, staff_user):
    alert = Alert.objects.create(check_name="x", from_state="ok", to_state="warning")
    client.force_login(staff_user)
    response = client.post(reverse("admin:integrity_alert_delete", args=[alert.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert Alert.objects.filter(pk=alert.pk).exists()

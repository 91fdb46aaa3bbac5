"""Every API read needs the view permission of what it shows, as the admin does (issue 16, item 6)."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from metrics.models import ChangeSet
from syncs.models import SyncRun
from tests.api.conftest import make_token

pytestmark = pytest.mark.django_db

# One URL per read endpoint family (lists, details, reports, exports), with the permission that opens it.
READS = [
    ("/api/v1/copper-companies/", "view_coppercompany"),
    ("/api/v1/copper-companies/100/", "view_coppercompany"),
    ("/api/v1/fishbowl-customers/", "view_fishbowlcustomer"),
    ("/api/v1/fishbowl-customers/?format=csv", "view_fishbowlcustomer"),
    ("/api/v1/sales-orders/", "view_salesorder"),
    ("/api/v1/sync-runs/", "view_syncrun"),
    ("/api/v1/sync-runs/{run}/", "view_syncrun"),
    ("/api/v1/commission-lines/", "view_commissionline"),
    ("/api/v1/commission-lines/?format=csv", "view_commissionline"),
    ("/api/v1/commission-report/?month=2026-01", "view_commissionline"),
    ("/api/v1/integrity-reports/", "view_integrityreport"),
    ("/api/v1/health/", "view_integrityreport"),
    ("/api/v1/change-sets/", "view_changeset"),
    ("/api/v1/change-sets/{change_set}/", "view_changeset"),
    ("/api/v1/change-sets/{change_set}/changes/", "view_changeset"),
    ("/api/v1/change-sets/{change_set}/changes/?format=csv", "view_changeset"),
    ("/api/v1/metrics/", "view_fishbowlcustomer+view_salesorder"),
]


@pytest.fixture
def objects(world, staff_user):
    run = SyncRun.objects.create(kind=SyncRun.Kind.COPPER_PULL)
    change_set = ChangeSet.objects.create(built_by=staff_user, definitions_fingerprint="f")
    return {"run": run.pk, "change_set": change_set.pk}


@pytest.mark.parametrize(("url", "permission"), READS)
def test_a_token_of_a_user_without_permissions_reads_nothing(api, nobody, objects, url, permission):
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_token(nobody, read_only=True)}")
    response = api.get(url.format(**objects))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert "view permission" in response.json()["error"]["message"]


@pytest.mark.parametrize(("url", "permission"), READS)
def test_the_view_permission_of_what_an_endpoint_shows_opens_it(api, nobody, objects, url, permission):
    nobody.user_permissions.add(*Permission.objects.filter(codename__in=permission.split("+")))
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_token(nobody, read_only=True)}")
    assert api.get(url.format(**objects)).status_code == 200


def test_one_view_permission_opens_only_its_own_endpoints(api, nobody, objects):
    nobody.user_permissions.add(Permission.objects.get(codename="view_salesorder"))
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_token(nobody, read_only=True)}")
    assert api.get("/api/v1/sales-orders/").status_code == 200
    assert api.get("/api/v1/commission-lines/").status_code == 403
    assert api.get("/api/v1/metrics/").status_code == 403  # also needs the customers' view permission


@pytest.mark.parametrize(("url", "permission"), READS)
def test_the_reporting_group_reads_every_endpoint(api, reporter, objects, url, permission):
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_token(reporter, read_only=True)}")
    assert api.get(url.format(**objects)).status_code == 200


def test_staff_without_permissions_do_not_see_the_health_counts(client, objects):
    staff = get_user_model().objects.create_user("staffer", password="staffer-password", is_staff=True)
    client.force_login(staff)
    assert client.get("/api/v1/health/").status_code == 403


def test_writes_keep_their_own_permission_and_reads_do_not_grant_them(api, reporter):
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_token(reporter, read_only=False)}")
    assert api.post("/api/v1/copper-pulls/", {}, format="json").status_code == 403
    assert not SyncRun.objects.exists()

"""A database built before the Copper and metrics models had their own apps upgrades in place: every row and
every history row is found under the new apps, and permissions granted before still hold."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from copper.models import CopperCompany, CopperUser, CustomFieldDefinition
from customers.models import FishbowlCustomer
from metrics.models import Change, ChangeSet, FieldMapping

# The last migrations of each app before the move (what a database of the previous release is at).
BEFORE_THE_MOVE = [
    ("contenttypes", "0002_remove_content_type_name"),
    ("auth", "0012_alter_user_first_name_max_length"),
    ("customers", "0002_salesorder_customer_status_date_index"),
    ("syncs", "0002_metrics_push"),
    ("commissions", "0002_seed_defaults"),
    ("integrity", "0002_hourly_schedule"),
    ("api", "0001_initial"),
    ("copper", None),
    ("metrics", None),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_rows_history_and_permissions_survive_the_move_to_the_copper_and_metrics_apps():
    old = _migrate(BEFORE_THE_MOVE)
    now = timezone.now()
    user_model = old.get_model("auth", "User")
    reviewer = user_model.objects.create(username="reviewer", is_staff=True)
    # Permissions as the old release created them: on the syncs app's change set.
    content_type = old.get_model("contenttypes", "ContentType")
    permission = old.get_model("auth", "Permission")
    changeset_type, _ = content_type.objects.get_or_create(app_label="syncs", model="changeset")
    approve, _ = permission.objects.get_or_create(
        content_type=changeset_type, codename="approve_changeset", defaults={"name": "Can approve"}
    )
    reviewer.user_permissions.add(approve)
    content_type.objects.get_or_create(app_label="customers", model="coppercompany")

    rep = old.get_model("customers", "CopperUser").objects.create(copper_id=7, name="Ada Lovelace")
    old.get_model("customers", "CustomFieldDefinition").objects.create(
        copper_id=712751, name="Account Order ID", data_type="String"
    )
    company = old.get_model("customers", "CopperCompany").objects.create(
        copper_id=101, name="Blue Ridge Co.", assignee_id=rep.pk, account_number="1160", is_active_customer=True
    )
    history = old.get_model("customers", "HistoricalCopperCompany")
    for name in ("Blue Ridge", "Blue Ridge Co."):
        history.objects.create(
            copper_id=101, name=name, account_number="1160", is_active_customer=True, history_date=now,
            history_type="~", history_change_reason="copper pull run #1",
        )  # fmt: skip
    old.get_model("customers", "FishbowlCustomer").objects.create(
        account_number="1160", name="Blue Ridge Co.", copper_company_id=company.pk
    )
    old.get_model("syncs", "FieldMapping").objects.create(metric="total_orders", copper_field="Total Orders")
    change_set = old.get_model("syncs", "ChangeSet").objects.create(status="built")
    old.get_model("syncs", "HistoricalChangeSet").objects.create(
        id=change_set.pk, status="built", built_at=now, history_date=now, history_type="+"
    )
    old.get_model("syncs", "Change").objects.create(
        change_set_id=change_set.pk, company_id=101, field_name="Total Orders", definition_id=1, data_type="Float",
        old_value=3, new_value=4,
    )  # fmt: skip

    _migrate(_latest())

    moved = CopperCompany.objects.get(pk=101)
    assert moved.name == "Blue Ridge Co." and moved.assignee == CopperUser.objects.get(pk=7)
    assert [h.name for h in moved.history.order_by("history_id")] == ["Blue Ridge", "Blue Ridge Co."]
    assert moved.history.first().history_change_reason == "copper pull run #1"
    assert CustomFieldDefinition.objects.get(pk=712751).name == "Account Order ID"
    assert FishbowlCustomer.objects.get(account_number="1160").copper_company == moved
    assert FieldMapping.objects.get().copper_field == "Total Orders"
    change_set = ChangeSet.objects.get()
    assert change_set.history.count() == 1
    assert Change.objects.get(change_set=change_set).company_id == 101
    # The content types moved with their ids, so the permission granted on the old app still holds.
    assert ContentType.objects.get(pk=changeset_type.pk).app_label == "metrics"
    assert get_user_model().objects.get(username="reviewer").has_perm("metrics.approve_changeset")
    assert ContentType.objects.filter(app_label="copper", model="coppercompany").exists()
    assert not ContentType.objects.filter(app_label="customers", model="coppercompany").exists()
